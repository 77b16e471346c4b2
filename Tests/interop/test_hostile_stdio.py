"""Hostile input over a real stdio process: malformed JSON-RPC, wrong types, missing and extra
arguments, megabyte strings, bad UUIDs, injection strings, control characters, huge limits, forged
cursors, unknown tools, malformed and huge `params._meta`, unknown protocol versions, huge method
names, a request id used twice at once. Every request gets an answer with its id (an error, never a
crash), the server still serves a normal call after each one, and the database changed by exactly
the rows the input should write (compared row by row with sqlite3, as in test_hostile_http.py).

The process serves MCP 2026-07-28 requests (with `_meta`) as they come, without a handshake; the
last test takes the legacy path (`initialize`, then requests without `_meta`)."""

import base64
import json
import select
import subprocess
import time
import uuid

from conftest import (
    LEGACY, META_CAPABILITIES, META_CLIENT, META_SERVER, META_VERSION, MCP_SERVER, MODERN, SUPPORTED_VERSIONS, modern_meta,
)
from test_hostile_http import NOTHING, WriteLock, agent_ids, assert_writes, attempt_row, check, snapshot


class RawStdio:
    def __init__(self, deployment, key):
        env = {**deployment.env, "TMWS_API_KEY": key}
        self.process = subprocess.Popen([MCP_SERVER], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=open(deployment.log_path, "a"))
        self.buffer = b""

    def send_raw(self, data: bytes):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message):
        self.send_raw(json.dumps(message).encode() + b"\n")

    def receive(self, timeout=10.0):
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([self.process.stdout], [], [], timeout)
            assert ready, "no answer from the server"
            chunk = self.process.stdout.read1(1 << 20)
            assert chunk, "the server closed its output (crashed?)"
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def request(self, id, method, params=None, meta=True):
        """Sends one request, modern (with `_meta`) unless meta=False, and returns its answer."""
        params = dict(params or {})
        if meta:
            params["_meta"] = modern_meta() if meta is True else meta
        self.send({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
        answer = self.receive()
        assert answer.get("id") == id, answer
        return answer

    def call(self, id, name, arguments, meta=True):
        return self.request(id, "tools/call", {"name": name, "arguments": arguments}, meta)

    def close(self):
        self.process.stdin.close()
        assert self.process.wait(timeout=15) == 0


def tool_error(answer):
    """The code of an answer: a tool's isError code, the JSON-RPC error code, or — for a validation
    of garbage, which is a verdict, not an error — the verdict (it must not be VALID)."""
    if "error" in answer:
        return answer["error"]["code"]
    result = answer["result"]
    if not result.get("isError"):
        return result["structuredContent"]["code"]
    return result["structuredContent"]["error"]["code"]


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_hostile_input_over_stdio(deployment, capsys):
    viewer_id = agent_ids(deployment.db)["viewer-1"]
    # No initialize: every request below is a modern one, served as it comes.
    server = RawStdio(deployment, deployment.keys["viewer-1"])

    tried = 0
    next_id = 1000

    def still_serving(label):
        nonlocal next_id
        next_id += 1
        assert server.process.poll() is None, f"{label}: the server exited with {server.process.returncode}"
        result = server.call(next_id, "whoami", {})["result"]
        assert result["structuredContent"]["name"] == "viewer-1", f"{label}: whoami failed after it"
        assert result["resultType"] == "complete" and result["_meta"][META_SERVER]["name"] == "tmws-license", result

    valid_id = str(uuid.uuid4())
    denied = check(viewer_id, "DENY")
    malformed = attempt_row(viewer_id, None, "MALFORMED")
    cases = [
        # (tool, arguments, expected code, rows it may write)
        ("generate_license_key", {"tier": 3}, "INVALID_ARGUMENT", NOTHING),
        ("generate_license_key", {"tier": "PRO", "expires_days": "ten"}, "INVALID_ARGUMENT", NOTHING),
        ("generate_license_key", {"tier": "PRO", "owner": "admin"}, "INVALID_ARGUMENT", NOTHING),
        ("generate_license_key", {}, "INVALID_ARGUMENT", NOTHING),
        ("generate_license_key", {"tier": "PRO"}, "PERMISSION_DENIED", denied),
        ("validate_license_key", {"key": "x" * 1_000_000}, "INVALID_ARGUMENT", NOTHING),
        ("validate_license_key", {"key": ["TMWS"]}, "INVALID_ARGUMENT", NOTHING),
        ("validate_license_key", {"key": "TMWS-PRO-' OR 1=1 --"}, "MALFORMED", malformed),
        ("validate_license_key", {"key": "TMWS-PRO-\u0000\u001b[31m-é🔑"}, "MALFORMED", malformed),
        ("validate_license_key", {"key": "TMWS-PRO-x", "feature_accessed": "export\u0000x"}, "INVALID_ARGUMENT", NOTHING),
        ("get_license_info", {"license_id": valid_id.upper()}, "INVALID_ARGUMENT", NOTHING),
        ("get_license_info", {"license_id": "'; DROP TABLE license_keys; --"}, "INVALID_ARGUMENT", NOTHING),
        ("get_license_info", {"license_id": valid_id}, "PERMISSION_DENIED", denied),
        ("get_usage_history", {"license_id": valid_id, "limit": -5}, "INVALID_ARGUMENT", NOTHING),
        ("get_usage_history", {"license_id": valid_id, "limit": 10**12}, "INVALID_ARGUMENT", NOTHING),
        ("get_usage_history", {"license_id": valid_id, "cursor": "dS4xLjE"}, "PERMISSION_DENIED", denied),
        ("get_usage_history", {"license_id": valid_id, "cursor": "A" * 600}, "INVALID_ARGUMENT", NOTHING),
        ("list_licenses", {"cursor": b64(f"l.9223372036854775807.{valid_id}")}, "INVALID_ARGUMENT", check(viewer_id, "ALLOW")),
        ("list_licenses", {"cursor": "forged!"}, "INVALID_ARGUMENT", check(viewer_id, "ALLOW")),
        ("list_licenses", {"owner_agent_id": valid_id}, "PERMISSION_DENIED", denied),
        ("revoke_license_key", {"license_id": valid_id, "reason": "r" * 5000}, "INVALID_ARGUMENT", NOTHING),
        ("revoke_license_key", {"license_id": valid_id}, "PERMISSION_DENIED", denied),
        ("query_audit_log", {"since": "yesterday"}, "INVALID_ARGUMENT", NOTHING),
        ("query_audit_log", {}, "PERMISSION_DENIED", denied),
        ("whoami", {"agent_id": valid_id}, "INVALID_ARGUMENT", NOTHING),
        ("no_such_tool", {}, -32602, NOTHING),
    ]
    for index, (name, arguments, expected, writes) in enumerate(cases, start=1):
        label = f"{name} {json.dumps(arguments)[:80]}"
        before = snapshot(deployment.db)
        code = tool_error(server.call(index, name, arguments))
        assert code == expected, (label, code)
        assert_writes(before, snapshot(deployment.db), writes, label)
        still_serving(label)
        tried += 1

    # Malformed JSON-RPC: each answered with an error; the server keeps reading; nothing is written.
    raw_cases = [
        ("broken JSON", b"{not json\n", None),
        ("params not an object", json.dumps({"jsonrpc": "2.0", "id": 100, "method": "tools/call", "params": "not an object"}).encode() + b"\n", 100),
        ("wrong jsonrpc version", json.dumps({"jsonrpc": "1.0", "id": 101, "method": "tools/call",
                                              "params": {"name": "validate_license_key", "arguments": {"key": "x"}}}).encode() + b"\n", 101),
        ("unknown method", json.dumps({"jsonrpc": "2.0", "id": 102, "method": "no/such/method",
                                       "params": {"_meta": modern_meta()}}).encode() + b"\n", 102),
        ("empty batch", b"[]\n", None),
        # Ids that are neither a string nor an integer: Invalid Request with a null id.
        ("boolean id", json.dumps({"jsonrpc": "2.0", "id": True, "method": "tools/list"}).encode() + b"\n", None),
        ("object id", json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}).encode() + b"\n", None),
        # A request carrying a result: refused with Invalid Request, its (readable) id kept.
        ("request with a result", json.dumps({"jsonrpc": "2.0", "id": 103, "method": "tools/list", "result": {}}).encode() + b"\n", 103),
    ]
    for label, line, answer_id in raw_cases:
        before = snapshot(deployment.db)
        server.send_raw(line)
        answer = server.receive()
        assert "error" in answer, (label, answer)
        if answer_id is not None:
            assert answer["id"] == answer_id, (label, answer)
        if label == "unknown method":
            assert answer["error"]["code"] == -32601
        if label in ("boolean id", "object id"):
            assert answer["id"] is None and answer["error"]["code"] == -32600, (label, answer)
        if label in ("params not an object", "wrong jsonrpc version", "request with a result"):
            assert answer["error"]["code"] == -32600, (label, answer)
        assert_writes(before, snapshot(deployment.db), NOTHING, label)
        still_serving(label)
        tried += 1

    # The modern surface: `_meta` is checked before anything runs (each probe validates a real
    # key's lookalike, which would write a usage row had it run).
    probe = {"name": "validate_license_key", "arguments": {"key": "TMWS-PRO-x"}}
    caps = {META_CAPABILITIES: {}}
    meta_cases = [
        # (label, _meta or a marker, expected code)
        ("no _meta before any initialize", None, -32602),
        ("_meta a string", "2026-07-28", -32602),
        ("_meta null", "null", -32602),
        ("protocol version a number", {META_VERSION: 20260728, **caps}, -32602),
        ("protocol version empty", {META_VERSION: "", **caps}, -32602),
        ("protocol version of 65 bytes", {META_VERSION: "9" * 65, **caps}, -32602),
        ("no clientCapabilities", {META_VERSION: MODERN}, -32602),
        ("clientCapabilities an array", {META_VERSION: MODERN, META_CAPABILITIES: []}, -32602),
        ("clientInfo without a version", {**modern_meta(), META_CLIENT: {"name": "x"}}, -32602),
        ("clientInfo with a 1 MB name", {**modern_meta(), META_CLIENT: {"name": "x" * 1_000_000, "version": "1"}}, -32602),
        ("_meta without a protocol version", caps, -32602),
        ("version 2026-07-29", modern_meta("2026-07-29"), -32022),
        ("version 2025-11-25 in _meta", modern_meta(LEGACY), -32022),
        ("version of 64 bytes", modern_meta("9" * 64), -32022),
    ]
    for index, (label, meta, expected) in enumerate(meta_cases, start=200):
        before = snapshot(deployment.db)
        if meta is None:
            answer = server.call(index, probe["name"], probe["arguments"], meta=False)
        else:
            params = {**probe, "_meta": None if meta == "null" else meta}
            server.send({"jsonrpc": "2.0", "id": index, "method": "tools/call", "params": params})
            answer = server.receive()
        assert answer["id"] == index and answer["error"]["code"] == expected, (label, answer)
        assert len(json.dumps(answer)) < 1024, (label, len(json.dumps(answer)))
        if expected == -32022:
            assert answer["error"]["data"] == {"supported": SUPPORTED_VERSIONS, "requested": meta[META_VERSION]}, answer
        assert_writes(before, snapshot(deployment.db), NOTHING, label)
        still_serving(label)
        tried += 1

    # Method names are bounded before anything is echoed: a 1 MB one gets a small answer without it.
    for index, (label, method, expected) in enumerate([
        ("1 MB method name", "m" * 1_000_000, -32600),
        ("129-byte method name", "m" * 129, -32600),
        ("128-byte unknown method", "q" * 128, -32601),
        ("ping (removed in 2026-07-28)", "ping", -32601),
        ("server/discover", "server/discover", None),
    ], start=300):
        answer = server.request(index, method)
        line = json.dumps(answer)
        if expected is None:
            assert answer["result"]["supportedVersions"] == SUPPORTED_VERSIONS, answer
        else:
            assert answer["error"]["code"] == expected and len(line) < 1024 and "mmmmmmmm" not in line and "qqqqqqqq" not in line, (label, line[:200])
        still_serving(label)
        tried += 1

    # A request id already running is refused, not run twice: the first validation is held by
    # SQLite's write lock (the server waits up to 5 s), the same id meanwhile is refused at once.
    before = snapshot(deployment.db)
    lock = WriteLock(deployment.db)
    try:
        validate = {"name": "validate_license_key", "arguments": {"key": "TMWS-PRO-held"}, "_meta": modern_meta()}
        server.send({"jsonrpc": "2.0", "id": 400, "method": "tools/call", "params": validate})
        time.sleep(0.5)
        server.send({"jsonrpc": "2.0", "id": 400, "method": "tools/call", "params": validate})
        refused = server.receive(timeout=3)
    finally:
        lock.release()
    assert refused["id"] == 400 and refused["error"]["code"] == -32600, refused
    done = server.receive()
    assert done["id"] == 400 and done["result"]["structuredContent"]["code"] == "MALFORMED", done
    assert_writes(before, snapshot(deployment.db), attempt_row(viewer_id, None, "MALFORMED"), "id 400 twice at once")
    still_serving("id 400 twice at once")
    tried += 1

    server.close()
    with capsys.disabled():
        print(f"\nhostile inputs over stdio: {tried}, each answered, none crashed the server or wrote an unexpected row")
    assert tried >= 54


def test_legacy_stdio(deployment):
    """The legacy path: before initialize, a request without `_meta` is refused (-32602); after
    it, requests without `_meta` are served at the negotiated version (unstamped results), and
    modern requests are still served as modern ones."""
    viewer_id = agent_ids(deployment.db)["viewer-1"]
    server = RawStdio(deployment, deployment.keys["viewer-1"])
    answer = server.call(1, "whoami", {}, meta=False)
    assert answer["error"]["code"] == -32602, answer
    server.send({"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}})
    initialized = server.receive()
    assert initialized["id"] == 2 and initialized["result"]["protocolVersion"] == LEGACY, initialized
    assert initialized["result"]["serverInfo"]["name"] == "tmws-license"
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    result = server.call(3, "whoami", {}, meta=False)["result"]
    assert result["structuredContent"]["name"] == "viewer-1" and "resultType" not in result, result
    assert len(server.request(4, "tools/list", meta=False)["result"]["tools"]) == 9
    assert server.request(5, "ping", meta=False)["result"] == {}
    assert server.request(6, "no/such/method", meta=False)["error"]["code"] == -32601
    assert server.call(7, "no_such_tool", {}, meta=False)["error"]["code"] == -32602
    # Modern requests are served as modern ones in a legacy process too.
    result = server.call(8, "whoami", {})["result"]
    assert result["resultType"] == "complete" and result["structuredContent"]["name"] == "viewer-1", result
    assert server.call(9, "whoami", {}, meta=modern_meta("2099-01-01"))["error"]["code"] == -32022

    # A tool's refusals are the same in both eras, and so are the rows they write.
    for id, (name, arguments, expected, writes) in enumerate([
        ("generate_license_key", {"tier": "PRO"}, "PERMISSION_DENIED", check(viewer_id, "DENY")),
        ("validate_license_key", {"key": "TMWS-PRO-' OR 1=1 --"}, "MALFORMED", attempt_row(viewer_id, None, "MALFORMED")),
        ("get_license_info", {"license_id": str(uuid.uuid4()).upper()}, "INVALID_ARGUMENT", NOTHING),
    ], start=10):
        before = snapshot(deployment.db)
        assert tool_error(server.call(id, name, arguments, meta=False)) == expected, name
        assert_writes(before, snapshot(deployment.db), writes, name)
    server.close()
