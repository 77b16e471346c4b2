"""Interop with the official Python MCP client (PyPI `mcp` 2.x, its high-level `mcp.Client`), over
stdio and Streamable HTTP, in both protocol eras the server speaks:

- `mode="auto"` probes `server/discover` and adopts MCP 2026-07-28: every request is stateless and
  carries its version in `params._meta` (over HTTP: no session, no `initialize`);
- `mode="legacy"` runs the `initialize` handshake and negotiates 2025-11-25 (over HTTP: a session,
  which only a valid API key may open).

The lifecycle of the deployment guide's verification step, run through real processes: an
editor generates, a viewer validates and is denied what it may not do, an admin revokes."""

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import httpx2
import jsonschema
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from conftest import LEGACY, META_SERVER, MCP_SERVER, MODERN, SUPPORTED_VERSIONS, mcp_error, modern_headers, modern_request

# This module's servers and tmwsctl log JSON lines (--log-format json); the others log text.
LOG_FORMAT = "json"

FIVE = {"generate_license_key", "validate_license_key", "revoke_license_key", "get_usage_history", "get_license_info"}
MODES = {"auto": MODERN, "legacy": LEGACY}
# Every wait is bounded: a request the server never answers fails the test instead of hanging it.
TIMEOUT = 30


class Traffic:
    """What an httpx client sent and got back: (method, Mcp-Session-Id, Mcp-Method, body method, status)."""

    def __init__(self):
        self.exchanges: list[dict] = []

    def attach(self, client: httpx2.AsyncClient) -> None:
        async def on_request(request):
            body_method = None
            try:
                body_method = json.loads(request.content).get("method")
            except Exception:  # GET/DELETE, or a body that is not a JSON object
                pass
            exchange = {"method": request.method, "session": request.headers.get("mcp-session-id"),
                        "mcp-method": request.headers.get("mcp-method"), "body-method": body_method}
            self.exchanges.append(exchange)
            pending[id(request)] = exchange

        async def on_response(response):
            if (exchange := pending.pop(id(response.request), None)) is not None:
                exchange["status"] = response.status_code

        pending: dict[int, dict] = {}

        client.event_hooks = {"request": [on_request], "response": [on_response]}


@asynccontextmanager
async def stdio_client_for(deployment, key, mode="auto"):
    """A `mcp.Client` on a fresh `mcp-server` process (stdio), authenticated by TMWS_API_KEY."""
    env = {"HOME": str(deployment.home), "TMWS_DATABASE_URL": deployment.env["TMWS_DATABASE_URL"], "TMWS_LOG_LEVEL": "debug",
           "TMWS_LOG_FORMAT": deployment.log_format}
    if key is not None:
        env["TMWS_API_KEY"] = key
    with open(deployment.log_path, "a") as log:
        transport = stdio_client(StdioServerParameters(command=MCP_SERVER, args=[], env=env), errlog=log)
        async with Client(transport, mode=mode, read_timeout_seconds=TIMEOUT) as client:
            yield client


@asynccontextmanager
async def http_client(base, key, mode="auto", traffic: Traffic | None = None):
    """A `mcp.Client` on `base/mcp`, sending `Authorization: Bearer <key>` on every request."""
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with create_mcp_http_client(headers=headers, timeout=httpx2.Timeout(TIMEOUT)) as http_:
        if traffic is not None:
            traffic.attach(http_)
        async with Client(streamable_http_client(base + "/mcp", http_client=http_), mode=mode,
                          read_timeout_seconds=TIMEOUT) as client:
            yield client


async def call(client, tool, **arguments):
    result = await client.call_tool(tool, arguments)
    return result.is_error, result.structured_content


def error_code(outcome):
    is_error, content = outcome
    assert is_error, f"expected an error result, got {content}"
    return content["error"]["code"]


async def check_tools(client, mode):
    listing = await client.list_tools()
    listed = listing.tools
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
    if mode == "auto":
        # 2026-07-28: the catalog is cacheable (fixed for the process) and shared between callers.
        assert listing.ttl_ms == 3_600_000 and listing.cache_scope == "public", listing


async def refused_connection(open_client) -> int:
    """Opens a client that must not connect; returns the JSON-RPC code it was refused with."""
    try:
        async with open_client:
            pass
    except BaseException as failure:  # anyio wraps the handshake's MCPError in exception groups
        error = mcp_error(failure)
        if error is None:
            raise
        return error.code
    raise AssertionError("the client connected")


async def lifecycle(open_client, deployment, mode, anonymous_can_connect):
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(open_client(deployment.keys["admin"]))
        editor = await stack.enter_async_context(open_client(deployment.keys["editor-1"]))
        viewer = await stack.enter_async_context(open_client(deployment.keys["viewer-1"]))
        for client in (admin, editor, viewer):
            assert client.protocol_version == MODES[mode], client.protocol_version
            # Legacy: from initialize; modern: from the serverInfo stamp of server/discover.
            assert client.server_info is not None and client.server_info.name == "tmws-license", client.server_info

        await check_tools(viewer, mode)

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
        if anonymous_can_connect:
            # Modern requests need no session, and stdio's initialize checks no key: the anonymous
            # caller connects, and every call is refused by the tool.
            anonymous = await stack.enter_async_context(open_client(None))
            assert anonymous.protocol_version == MODES[mode]
            assert error_code(await call(anonymous, "validate_license_key", key=key)) == "UNAUTHENTICATED"
            assert error_code(await call(anonymous, "whoami")) == "UNAUTHENTICATED"
        else:
            # Legacy HTTP: initialize needs a valid key (401), so no anonymous session exists at all.
            assert await refused_connection(open_client(None)) == -32600
            assert await refused_connection(open_client("tmws_ak_" + "A" * 43)) == -32600
        assert error_code(await call(viewer, "get_usage_history", license_id=license_id.upper())) == "INVALID_ARGUMENT"

        is_error, history = await call(editor, "get_usage_history", license_id=license_id, limit=1)
        assert not is_error and len(history["items"]) == 1 and history["next_cursor"]
        assert history["items"][0]["failure_reason"] == "REVOKED"
        is_error, info = await call(admin, "get_license_info", license_id=license_id)
        assert not is_error and info["status"] == "revoked" and info["validation_count"] == 1


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_stdio_lifecycle(deployment, mode):
    anyio.run(lifecycle, lambda key: stdio_client_for(deployment, key, mode), deployment, mode, True)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
def test_http_lifecycle(deployment, http_server, mode):
    traffic = Traffic()
    anyio.run(lifecycle, lambda key: http_client(http_server, key, mode, traffic), deployment, mode, mode == "auto")
    posts = [e for e in traffic.exchanges if e["method"] == "POST"]
    # Every POST and DELETE was answered (a retried GET may still be in flight when a client closes).
    assert posts and all("status" in e for e in traffic.exchanges if e["method"] != "GET"), traffic.exchanges
    if mode == "auto":
        # Stateless: no initialize, no session id, no GET stream; every POST names its method.
        assert all(e["session"] is None for e in traffic.exchanges), traffic.exchanges
        assert {e["method"] for e in traffic.exchanges} == {"POST"}
        assert all(e["mcp-method"] == e["body-method"] for e in posts), posts
        assert "initialize" not in {e["body-method"] for e in posts}
        assert {e["status"] for e in posts} == {200}
    else:
        initializes = [e for e in posts if e["body-method"] == "initialize"]
        # admin, editor, viewer open sessions; the anonymous and the forged key get 401.
        assert sorted(e["status"] for e in initializes) == [200, 200, 200, 401, 401], initializes
        assert all(e["session"] is not None for e in posts if e["body-method"] != "initialize")
        # The SDK tries the standalone GET stream; this server has none (405). Each session is ended with DELETE.
        assert {e.get("status", 405) for e in traffic.exchanges if e["method"] == "GET"} <= {405}
        assert [e["status"] for e in traffic.exchanges if e["method"] == "DELETE"] == [200, 200, 200]


def post(base, message, key=None, headers=None):
    """One plain HTTP POST /mcp on its own connection: (status, lowercased headers, parsed body or None)."""
    url = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=TIMEOUT)
    try:
        sent = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **modern_headers(message)}
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        sent.update(headers or {})
        connection.request("POST", "/mcp", body=json.dumps(message).encode(), headers=sent)
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(data) if data else None
    finally:
        connection.close()


def test_one_plain_post_is_a_whole_call(deployment, http_server):
    """2026-07-28 without any SDK: a single POST (headers + `_meta`, no handshake, no session)
    answers a tools/call, with a JSON body that says which server answered."""
    viewer = deployment.keys["viewer-1"]
    status, headers, body = post(http_server, modern_request(1, "tools/call", {"name": "whoami", "arguments": {}}), viewer)
    assert status == 200, body
    assert headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in headers and headers.get("cache-control") == "no-store"
    result = body["result"]
    assert body["id"] == 1 and result["resultType"] == "complete" and result["isError"] is False
    assert result["_meta"][META_SERVER]["name"] == "tmws-license"
    assert result["structuredContent"]["name"] == "viewer-1" and result["structuredContent"]["role"] == "viewer"

    # A validation is recorded like any other: a garbage key is a MALFORMED verdict.
    status, _, body = post(http_server, modern_request("v", "tools/call", {
        "name": "validate_license_key", "arguments": {"key": "TMWS-PRO-not-a-key"}}), viewer)
    assert status == 200 and body["id"] == "v", body
    assert body["result"]["structuredContent"]["code"] == "MALFORMED" and body["result"]["structuredContent"]["valid"] is False

    # Without a key, the same POST is served and the tool refuses it.
    status, _, body = post(http_server, modern_request(2, "tools/call", {"name": "whoami", "arguments": {}}))
    assert status == 200 and body["result"]["isError"] is True
    assert body["result"]["structuredContent"]["error"]["code"] == "UNAUTHENTICATED"

    # server/discover needs no key: the versions served, newest first, and cache hints.
    status, _, body = post(http_server, modern_request(3, "server/discover"))
    assert status == 200, body
    discovered = body["result"]
    assert discovered["supportedVersions"] == SUPPORTED_VERSIONS
    assert discovered["resultType"] == "complete" and discovered["capabilities"]["tools"] == {"listChanged": False}
    assert discovered["ttlMs"] == 3_600_000 and discovered["cacheScope"] == "public"

    # A legacy-style POST (no `_meta`, no session) is refused: there is no implicit era.
    status, _, body = post(http_server, {"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                                         "params": {"name": "whoami", "arguments": {}}}, viewer)
    assert status == 400 and body["error"]["code"] == -32602, body


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


def test_logs_are_json_lines_for_shippers(deployment, http_server):
    """With --log-format json (TMWS_LOG_FORMAT here), every line the servers of this module wrote
    to standard error is one JSON object with time, level, label and message (metadata when there
    is any), at debug level: nothing else reaches the log."""
    assert deployment.log_format == "json"
    assert deployment.generated, "the lifecycles must have run first"
    lines = [line for line in deployment.log_path.read_text().splitlines() if line.strip()]
    assert len(lines) > 20, "the servers logged too little to judge"
    levels = set()
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "label", "message"} <= entry.keys() <= {"time", "level", "label", "message", "metadata"}, line
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"]), line
        assert isinstance(entry.get("metadata", {}), dict), line
        levels.add(entry["level"])
    assert {"debug", "info"} <= levels, levels


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
