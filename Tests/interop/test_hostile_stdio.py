"""Hostile input over a real stdio process: malformed JSON-RPC, wrong types, missing and extra
arguments, megabyte strings, bad UUIDs, injection strings, control characters, huge limits, forged
cursors, unknown tools. Every request gets an answer with its id (an error, never a crash), and the
server still serves a normal call afterwards."""

import json
import select
import subprocess
import uuid

from conftest import MCP_SERVER


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


def test_hostile_input_over_stdio(deployment):
    server = RawStdio(deployment, deployment.keys["viewer-1"])
    server.send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "hostile", "version": "1"}}})
    assert server.receive()["id"] == 0
    server.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    valid_id = str(uuid.uuid4())
    cases = [
        ("generate_license_key", {"tier": 3}),
        ("generate_license_key", {"tier": "PRO", "expires_days": "ten"}),
        ("generate_license_key", {"tier": "PRO", "owner": "admin"}),
        ("generate_license_key", {}),
        ("validate_license_key", {"key": "x" * 1_000_000}),
        ("validate_license_key", {"key": ["TMWS"]}),
        ("validate_license_key", {"key": "TMWS-PRO-' OR 1=1 --"}),
        ("validate_license_key", {"key": "TMWS-PRO-\u0000\u001b[31m-é🔑"}),
        ("get_license_info", {"license_id": valid_id.upper()}),
        ("get_license_info", {"license_id": "'; DROP TABLE license_keys; --"}),
        ("get_usage_history", {"license_id": valid_id, "limit": -5}),
        ("get_usage_history", {"license_id": valid_id, "limit": 10**12}),
        ("get_usage_history", {"license_id": valid_id, "cursor": "dS4xLjE"}),
        ("get_usage_history", {"license_id": valid_id, "cursor": "A" * 600}),
        ("revoke_license_key", {"license_id": valid_id, "reason": "r" * 5000}),
        ("query_audit_log", {"since": "yesterday"}),
        ("no_such_tool", {}),
    ]
    for index, (name, arguments) in enumerate(cases, start=1):
        code = tool_error(server.call(index, name, arguments))
        assert code in ("INVALID_ARGUMENT", "PERMISSION_DENIED", "MALFORMED", -32602), (name, arguments if len(str(arguments)) < 200 else "…", code)

    # Malformed JSON-RPC: each answered with an error; the server keeps reading.
    server.send_raw(b"{not json\n")
    assert "error" in server.receive()
    server.send({"jsonrpc": "2.0", "id": 100, "method": "tools/call", "params": "not an object"})
    assert "error" in server.receive()
    server.send({"jsonrpc": "2.0", "id": 101, "method": "no/such/method"})
    assert server.receive()["error"]["code"] == -32601

    # Still serving, and nothing above changed a license.
    answer = server.call(200, "whoami", {})
    assert answer["result"]["structuredContent"]["name"] == "viewer-1"
    server.close()
