"""Failed authentications say which of three things went wrong, and are logged (#15, item 7).

"No key presented" and "an Authorization header that is not Bearer" each have their own message;
an unknown, revoked or suspended agent's key all read the same ("not accepted"). Each failure is
logged at warning with the key's display prefix at most, never the key. Over stdio a wrong
TMWS_API_KEY draws a start-up warning, and TMWS_API_KEY_FILE supplies the key from a file.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import MCP_SERVER, Deployment, HTTPServer, modern_headers, modern_request


def whoami_http(base: str, authorization: str | None) -> dict:
    message = modern_request(1, "tools/call", {"name": "whoami", "arguments": {}})
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream", **modern_headers(message)}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(base + "/mcp", data=json.dumps(message).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def failure(reply: dict) -> tuple[str, str]:
    error = reply["result"]["structuredContent"]["error"]
    return error["code"], error["message"]


def test_authentication_failures_are_told_apart_and_logged():
    with tempfile.TemporaryDirectory(prefix="tmws-auth-") as tmp:
        d = Deployment(Path(tmp))
        d.ctl("init")
        viewer = d.create_agent("viewer-a", "viewer")
        suspended = d.create_agent("viewer-b", "viewer")
        d.ctl("agent", "suspend", "viewer-b", "--as", "admin")
        revoked_file = Path(tmp) / "revoked.key"
        d.ctl("agent", "key", "create", "viewer-a", "--out", str(revoked_file))
        revoked = revoked_file.read_text().strip()
        d.ctl("agent", "key", "revoke", "viewer-a", revoked[:16], "--as", "admin")
        server = HTTPServer(d.env, d.log_path)
        try:
            none = failure(whoami_http(server.base, None))
            malformed = [failure(whoami_http(server.base, header)) for header in ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer   "]]
            refused = [failure(whoami_http(server.base, f"Bearer {key}"))
                       for key in ["tmws_ak_" + "A" * 43, revoked, suspended, "not-a-key"]]
            assert none[0] == "UNAUTHENTICATED" and "no API key was presented" in none[1], none
            assert all(m == ("UNAUTHENTICATED", "the Authorization header is not `Bearer <API key>`") for m in malformed), malformed
            assert len(set(refused)) == 1, f"unknown, revoked, suspended and malformed keys must read alike: {refused}"
            assert refused[0][0] == "UNAUTHENTICATED" and "not accepted" in refused[0][1], refused
            assert whoami_http(server.base, f"Bearer {viewer}")["result"]["isError"] is False
            # At most one line a second: the next failure's line counts those left out.
            time.sleep(1.1)
            failure(whoami_http(server.base, f"Bearer {revoked}"))
        finally:
            server.stop()
        log = d.log_path.read_text()
        lines = [line for line in log.splitlines() if "authentication failed" in line]
        assert lines and all("warning" in line for line in lines), log[-2000:]
        assert "presented=no key" in lines[0], lines[0]
        assert f"presented=key {revoked[:16]}…" in lines[-1] and "suppressed=7" in lines[-1], lines[-1]
        for secret in [revoked, suspended, viewer]:
            assert secret not in log, "a key reached the log"


def test_stdio_checks_its_key_at_start_and_reads_it_from_a_file():
    with tempfile.TemporaryDirectory(prefix="tmws-auth-stdio-") as tmp:
        d = Deployment(Path(tmp))
        d.ctl("init")
        key = d.create_agent("viewer-a", "viewer")

        def stdio(extra: dict) -> subprocess.CompletedProcess:
            env = {**d.env, **extra}
            line = json.dumps(modern_request(1, "tools/call", {"name": "whoami", "arguments": {}})) + "\n"
            return subprocess.run([MCP_SERVER], input=line, env=env, capture_output=True, text=True, timeout=30)

        wrong = stdio({"TMWS_API_KEY": "tmws_ak_" + "B" * 43})
        assert "is not accepted" in wrong.stderr and "warning" in wrong.stderr, wrong.stderr
        key_file = Path(tmp) / "client.key"
        key_file.write_text(key + "\n")
        from_file = stdio({"TMWS_API_KEY_FILE": str(key_file)})
        answer = json.loads(from_file.stdout.splitlines()[0])
        assert answer["result"]["isError"] is False, answer
        assert "viewer-a" in json.dumps(answer["result"]["structuredContent"]), answer
        assert "is not accepted" not in from_file.stderr
        both = stdio({"TMWS_API_KEY": key, "TMWS_API_KEY_FILE": str(key_file)})
        assert both.returncode == 2 and "both set" in both.stderr, both.stderr
