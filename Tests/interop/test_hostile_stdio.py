"""Hostile input over a real stdio process: malformed JSON-RPC, wrong types, missing and extra
arguments, megabyte strings, bad UUIDs, injection strings, control characters, huge limits, forged
cursors, unknown tools. Every request gets an answer with its id (an error, never a crash), the
server still serves a normal call after each one, and the database changed by exactly the rows the
input should write (compared row by row with sqlite3, as in test_hostile_http.py)."""

import base64
import json
import select
import subprocess
import uuid

from conftest import MCP_SERVER
from test_hostile_http import NOTHING, agent_ids, assert_writes, attempt_row, check, snapshot


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

    def call(self, id, name, arguments):
        self.send({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
        answer = self.receive()
        assert answer.get("id") == id, answer
        return answer

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
    server = RawStdio(deployment, deployment.keys["viewer-1"])
    server.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}})
    assert server.receive()["id"] == 0
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    tried = 0
    next_id = 1000

    def still_serving(label):
        nonlocal next_id
        next_id += 1
        assert server.process.poll() is None, f"{label}: the server exited with {server.process.returncode}"
        answer = server.call(next_id, "whoami", {})
        assert answer["result"]["structuredContent"]["name"] == "viewer-1", f"{label}: whoami failed after it"

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
        ("unknown method", json.dumps({"jsonrpc": "2.0", "id": 102, "method": "no/such/method"}).encode() + b"\n", 102),
        ("empty batch", b"[]\n", None),
        # Ids the SDK would never answer: refused by the transport with Invalid Request and a null id.
        ("boolean id", json.dumps({"jsonrpc": "2.0", "id": True, "method": "tools/list"}).encode() + b"\n", None),
        ("object id", json.dumps({"jsonrpc": "2.0", "id": {"a": 1}, "method": "tools/list"}).encode() + b"\n", None),
        ("request with a result", json.dumps({"jsonrpc": "2.0", "id": 103, "method": "tools/list", "result": {}}).encode() + b"\n", None),
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
        if label in ("boolean id", "object id", "request with a result"):
            assert answer["id"] is None and answer["error"]["code"] == -32600, (label, answer)
        assert_writes(before, snapshot(deployment.db), NOTHING, label)
        still_serving(label)
        tried += 1

    server.close()
    with capsys.disabled():
        print(f"\nhostile inputs over stdio: {tried}, each answered, none crashed the server or wrote an unexpected row")
