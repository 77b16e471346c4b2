"""Interop with the official Python MCP client (PyPI `mcp` 2.x), over stdio and Streamable HTTP.

The lifecycle of the deployment guide's verification step, run through real processes: an
editor generates, a viewer validates and is denied what it may not do, an admin revokes."""

import json
import urllib.error
import urllib.request
import uuid
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import jsonschema
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import MCP_SERVER

FIVE = {"generate_license_key", "validate_license_key", "revoke_license_key", "get_usage_history", "get_license_info"}


@asynccontextmanager
async def stdio_session(deployment, key):
    env = {"HOME": str(deployment.home), "TMWS_DATABASE_URL": deployment.env["TMWS_DATABASE_URL"], "TMWS_LOG_LEVEL": "debug"}
    if key is not None:
        env["TMWS_API_KEY"] = key
    with open(deployment.log_path, "a") as log:
        async with stdio_client(StdioServerParameters(command=MCP_SERVER, args=[], env=env), errlog=log) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


@asynccontextmanager
async def http_session(base, key):
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(base + "/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


async def call(session, tool, **arguments):
    result = await session.call_tool(tool, arguments)
    return result.is_error, result.structured_content


def error_code(outcome):
    is_error, content = outcome
    assert is_error, f"expected an error result, got {content}"
    return content["error"]["code"]


async def check_tools(session):
    listed = (await session.list_tools()).tools
    names = {tool.name for tool in listed}
    assert FIVE <= names
    for tool in listed:
        schema = tool.input_schema
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert tool.output_schema is not None
        jsonschema.Draft202012Validator.check_schema(tool.output_schema)
        assert tool.description and tool.title
    revoke = next(tool for tool in listed if tool.name == "revoke_license_key")
    assert revoke.annotations.destructive_hint is True and revoke.annotations.idempotent_hint is True


async def lifecycle(open_session, deployment):
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(open_session(deployment.keys["admin"]))
        editor = await stack.enter_async_context(open_session(deployment.keys["editor-1"]))
        viewer = await stack.enter_async_context(open_session(deployment.keys["viewer-1"]))
        anonymous = await stack.enter_async_context(open_session(None))

        await check_tools(viewer)

        is_error, generated = await call(editor, "generate_license_key", tier="PRO", expires_days=365)
        assert not is_error, generated
        key, license_id = generated["license_key"], generated["license_id"]
        deployment.generated.append(key)
        assert key.startswith("TMWS-PRO-" + license_id)

        is_error, verdict = await call(viewer, "validate_license_key", key=key, feature_accessed="export")
        assert not is_error and verdict["valid"] is True and verdict["code"] == "VALID"

        assert error_code(await call(viewer, "generate_license_key", tier="PRO")) == "PERMISSION_DENIED"
        assert error_code(await call(viewer, "get_license_info", license_id=license_id)) == "PERMISSION_DENIED"
        assert error_code(await call(editor, "revoke_license_key", license_id=license_id)) == "PERMISSION_DENIED"

        is_error, info = await call(editor, "get_license_info", license_id=license_id)
        assert not is_error and info["status"] == "active" and info["validation_count"] == 1

        is_error, revoked = await call(admin, "revoke_license_key", license_id=license_id, reason="interop test")
        assert not is_error and revoked["already_revoked"] is False

        is_error, verdict = await call(viewer, "validate_license_key", key=key)
        assert not is_error and verdict["valid"] is False and verdict["code"] == "REVOKED"

        is_error, again = await call(admin, "revoke_license_key", license_id=license_id, reason="second")
        assert not is_error and again["already_revoked"] is True
        assert again["revoked_at"] == revoked["revoked_at"] and again["reason"] == "interop test"

        assert error_code(await call(admin, "revoke_license_key", license_id=str(uuid.uuid4()))) == "NOT_FOUND"
        assert error_code(await call(anonymous, "validate_license_key", key=key)) == "UNAUTHENTICATED"
        assert error_code(await call(viewer, "get_usage_history", license_id=license_id.upper())) == "INVALID_ARGUMENT"

        is_error, history = await call(editor, "get_usage_history", license_id=license_id, limit=1)
        assert not is_error and len(history["items"]) == 1 and history["next_cursor"]
        assert history["items"][0]["failure_reason"] == "REVOKED"


def test_stdio_lifecycle(deployment):
    anyio.run(lifecycle, lambda key: stdio_session(deployment, key), deployment)


def test_http_lifecycle(deployment, http_server):
    anyio.run(lifecycle, lambda key: http_session(http_server, key), deployment)


def test_health(http_server):
    with urllib.request.urlopen(http_server + "/health", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "healthy"}


def test_foreign_host_is_refused(http_server):
    request = urllib.request.Request(
        http_server + "/mcp", method="POST", data=b"{}",
        headers={"Host": "evil.example", "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with pytest.raises(urllib.error.HTTPError) as failure:
        urllib.request.urlopen(request, timeout=5)
    assert failure.value.code in (403, 421)


def test_no_secrets_in_logs(deployment, http_server):
    """With debug logging on, no API key, license key or the signing secret reaches a log line.
    Runs after the lifecycles above (pytest keeps file order)."""
    assert deployment.generated, "the lifecycles must have run first"
    log = deployment.log_path.read_text()
    assert "debug" in log, "the servers did not log at debug level"
    secret = (deployment.db.parent / "tmws_secret.key").read_text().strip()
    for name, value in [*deployment.keys.items(), *(("license key", k) for k in deployment.generated), ("secret", secret)]:
        assert value not in log, f"{name} appears in a log line"
        assert value[-16:] not in log, f"the tail of {name} appears in a log line"
