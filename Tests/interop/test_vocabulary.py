"""One vocabulary and one set of input rules on both faces (#15, item 8).

`tmwsctl --json` and the MCP tools name the same things the same way: `agent_id` is always an
agent's UUID and `name` its unique name; a license's owner is `owner_agent_id`. Every field both
faces print has the same value. Enumerated words (tiers, statuses, ALLOW/DENY) are read in any
letter case on both, and a license key with spaces or a line break around it validates on both.
"""

from __future__ import annotations

import json

from conftest import HTTPServer
from test_hostile_http import HTTP, modern_result


def structured(reply):
    return modern_result(reply)["structuredContent"]


def ctl_json(deployment, *args):
    return json.loads(deployment.ctl(*args, "--json").stdout)


def test_cli_and_mcp_share_names_and_values(deployment):
    server = HTTPServer(deployment.env, deployment.log_path)
    try:
        http_ = HTTP(server.port)
        editor = deployment.keys["editor-1"]

        # An agent: `whoami` against `agent show`.
        whoami = structured(http_.call("whoami", {}, editor))
        shown = ctl_json(deployment, "agent", "show", "editor-1")
        assert "id" not in shown, "one name for the UUID: agent_id"
        assert set(whoami) - {"permissions"} <= set(shown), set(whoami) - set(shown)
        shared = set(whoami) & set(shown)
        assert {"agent_id", "name", "namespace", "role", "tier", "status"} <= shared, shared
        assert {k: shown[k] for k in shared} == {k: whoami[k] for k in shared}
        assert len(whoami["agent_id"]) == 36 and whoami["name"] == "editor-1"
        listed = {a["name"]: a for a in ctl_json(deployment, "agent", "list")}
        assert listed["editor-1"]["agent_id"] == whoami["agent_id"]

        # A license: generated over MCP with a lower-case tier, compared field by field with the CLI.
        generated = structured(http_.call("generate_license_key", {"tier": "pro", "expires_days": 30}, editor))
        assert generated["tier"] == "PRO" and generated["owner_agent_id"] == whoami["agent_id"]
        license_id = generated["license_id"]
        info = structured(http_.call("get_license_info", {"license_id": license_id}, editor))
        cli_info = ctl_json(deployment, "license", "info", license_id, "--as", "editor-1")
        assert "owner_id" not in cli_info and cli_info["owner_name"] == "editor-1"
        shared = set(info) & set(cli_info)
        assert {"license_id", "owner_agent_id", "namespace", "tier", "status", "is_perpetual", "is_active",
                "issued_at", "expires_at", "validation_count"} <= shared, shared
        assert set(info) <= set(cli_info), set(info) - set(cli_info)
        assert {k: cli_info[k] for k in shared} == {k: info[k] for k in shared}
        assert cli_info["revoked_at"] is None and info["revoked_at"] is None, "absent values are null on both faces"

        # The CLI's generate answers with the fields MCP's does.
        cli_generated = ctl_json(deployment, "license", "generate", "--tier", "Enterprise", "--as", "editor-1")
        mcp_fields = {"license_key", "license_id", "tier", "issued_at", "expires_at", "is_perpetual", "owner_agent_id", "namespace"}
        assert mcp_fields <= set(cli_generated) and cli_generated["tier"] == "ENTERPRISE"
        assert cli_generated["owner_agent_id"] == whoami["agent_id"]

        # A key with spaces and a line break around it: VALID on both faces, against the same license.
        padded = f"  {generated['license_key']}\n"
        over_mcp = structured(http_.call("validate_license_key", {"key": padded}, editor))
        assert over_mcp["code"] == "VALID" and over_mcp["license_id"] == license_id, over_mcp
        over_cli = ctl_json(deployment, "license", "validate", padded, "--as", "editor-1")
        assert over_cli["code"] == "VALID" and over_cli["license_id"] == license_id, over_cli
        inside = generated["license_key"].replace("-", " -", 1)
        assert structured(http_.call("validate_license_key", {"key": inside}, editor))["code"] == "MALFORMED"

        # Usage rows: the same field names and values on both faces.
        usage = structured(http_.call("get_usage_history", {"license_id": license_id}, editor))["items"]
        cli_usage = ctl_json(deployment, "license", "usage", license_id, "--as", "editor-1")["items"]
        assert [u["agent_id"] for u in usage] == [u["agent_id"] for u in cli_usage] == [whoami["agent_id"]] * 2

        # Filters in any letter case on both faces.
        listed_mcp = structured(http_.call("list_licenses", {"tier": "Pro", "status": "ACTIVE"}, editor))["items"]
        listed_cli = ctl_json(deployment, "license", "list", "--tier", "pro", "--status", "Active", "--as", "editor-1")["items"]
        assert license_id in {l["license_id"] for l in listed_mcp} and license_id in {l["license_id"] for l in listed_cli}
        admin = deployment.keys["admin"]
        denied = http_.call("revoke_license_key", {"license_id": license_id}, editor)
        assert modern_result(denied)["structuredContent"]["error"]["code"] == "PERMISSION_DENIED"
        audit = structured(http_.call("query_audit_log", {"result": "deny", "limit": 5}, admin))["items"]
        assert audit and all(item["details"]["result"] == "DENY" for item in audit), audit
        # A look-alike is no spelling of a tier (fullwidth letters).
        refused = http_.call("generate_license_key", {"tier": "\uff30\uff32\uff2f"}, editor)
        assert modern_result(refused)["structuredContent"]["error"]["code"] == "INVALID_ARGUMENT"
    finally:
        server.stop()
