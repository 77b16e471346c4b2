"""A full disk under a running `mcp-server --http` (issue #17, item 3), on a real size-limited
filesystem: a 16 MiB tmpfs that this test mounts and unmounts itself (root is needed; CI runs as
root).

While the disk is full, every tool call that writes answers UNAVAILABLE (never VALID, never a
generated key), calls that need no write still work, `/health` answers 503 naming the cause, and
the server logs the storage failure. Once space is freed, the same process serves writes again and
`/health` recovers without a restart; nothing acknowledged before was lost and the file passes
`PRAGMA integrity_check`. `tmwsctl backup` into the full filesystem fails with a clear message and
leaves no file behind."""

import json
import os
import sqlite3
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import TMWSCTL, Deployment, HTTPServer
from test_hostile_http import HTTP, answer

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounts a tmpfs, which needs root (CI runs as root)")


def fill(directory: Path) -> Path:
    """Fills the filesystem holding `directory` to the last byte; returns the filler file."""
    filler = directory / "filler"
    chunk = b"Z" * (1 << 16)
    size = len(chunk)
    with open(filler, "ab", buffering=0) as f:
        while size > 0:
            try:
                f.write(chunk[:size])
            except OSError:
                size //= 2
    return filler


def tool_outcome(reply):
    """("VALID"/"REVOKED"/…, content) for a verdict, ("ERROR:CODE", content) for a tool error."""
    result = answer(reply)["result"]
    content = result["structuredContent"]
    if result["isError"]:
        return "ERROR:" + content["error"]["code"], content
    return content.get("code", "OK"), content


def health(port):
    reply = HTTP(port).send("GET", "/health")
    return reply.status, reply.body.decode(errors="replace")


@pytest.fixture
def tmpfs():
    mount = Path(tempfile.mkdtemp(prefix="tmws-tmpfs-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


def test_a_full_disk_fails_writes_closed_and_the_same_server_recovers(tmpfs):
    with tempfile.TemporaryDirectory(prefix="tmws-disk-full-logs-") as logs:
        deployment = Deployment(tmpfs)
        deployment.ctl("init")
        admin = (deployment.db.parent / "admin.key").read_text().strip()
        log_path = Path(logs) / "server.log"
        server = HTTPServer(deployment.env, log_path)
        http = HTTP(server.port)
        try:
            outcome, generated = tool_outcome(http.call("generate_license_key", {"tier": "PRO"}, admin))
            assert outcome == "OK", generated
            key = generated["license_key"]
            acknowledged = 0
            for _ in range(20):
                outcome, content = tool_outcome(http.call("validate_license_key", {"key": key}, admin))
                assert outcome == "VALID", content
                acknowledged += 1

            filler = fill(tmpfs)
            # Writes fail once the database can no longer grow; until then they may still succeed.
            unavailable_in_a_row, deadline = 0, time.monotonic() + 60
            while unavailable_in_a_row < 50:
                assert time.monotonic() < deadline, "writes did not start failing on a full disk"
                outcome, content = tool_outcome(http.call("validate_license_key", {"key": key}, admin))
                if outcome == "VALID":
                    acknowledged += 1
                    unavailable_in_a_row = 0
                else:
                    assert outcome == "ERROR:UNAVAILABLE", content
                    unavailable_in_a_row += 1

            outcome, content = tool_outcome(http.call("generate_license_key", {"tier": "PRO"}, admin))
            assert outcome == "ERROR:UNAVAILABLE", content
            assert "license_key" not in json.dumps(content)
            # What needs no write still works.
            outcome, content = tool_outcome(http.call("whoami", {}, admin))
            assert outcome == "OK" and content["role"] == "admin", content
            listed = answer(http.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, admin))
            assert len(listed["result"]["tools"]) >= 5
            status, body = health(server.port)
            assert status == 503 and "disk is full" in body, (status, body)
            assert "storage failure" in log_path.read_text()

            filler.unlink()
            deadline = time.monotonic() + 10
            while health(server.port)[0] != 200:
                assert time.monotonic() < deadline, f"/health did not recover: {health(server.port)}"
                time.sleep(0.05)
            for _ in range(20):
                outcome, content = tool_outcome(http.call("validate_license_key", {"key": key}, admin))
                assert outcome == "VALID", content
                acknowledged += 1
            outcome, content = tool_outcome(http.call("get_license_info", {"license_id": generated["license_id"]}, admin))
            assert outcome == "OK" and content["validation_count"] >= acknowledged, content

            # A backup into the full filesystem: a clear error, no file left behind.
            filler = fill(tmpfs)
            backup = tmpfs / "backup.db"
            result = subprocess.run(
                [TMWSCTL, "backup", "--out", str(backup)], env=deployment.env, capture_output=True, text=True,
                timeout=60)
            assert result.returncode != 0
            assert "disk is full" in result.stderr and str(backup) in result.stderr, result.stderr
            assert not [p for p in tmpfs.iterdir() if p.name.startswith("backup.db")]
            filler.unlink()
        finally:
            server.stop()
        with sqlite3.connect(deployment.db) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            valid_rows = db.execute("SELECT COUNT(*) FROM license_usage_history WHERE valid = 1").fetchone()[0]
            assert valid_rows >= acknowledged, f"{acknowledged - valid_rows} acknowledged validations lost"

