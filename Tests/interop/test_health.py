"""`GET /health` names a schema at the wrong revision (#15, item 3).

`tmwsctl migrate down --yes` under a running `mcp-server --http` used to leave `/health` answering
200 while every tool answered UNAVAILABLE. Now `/health` answers 503 naming the revision found and
the fix, the server logs it at warning, and `/health` recovers after `tmwsctl migrate up` without a
restart. `migrate down` itself warns that the server has the database open.
"""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from conftest import Deployment, HTTPServer


def health(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(base + "/health", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_reports_a_schema_at_the_wrong_revision():
    with tempfile.TemporaryDirectory(prefix="tmws-health-") as tmp:
        d = Deployment(Path(tmp))
        d.ctl("init")
        server = HTTPServer(d.env, d.log_path)
        try:
            assert health(server.base) == (200, {"status": "healthy"})

            down = d.ctl("migrate", "down", "--yes")
            # It says what it removes, that the server has the database open, and backs up first.
            assert "removes: column agents.role (1 row)" in down.stderr, down.stderr
            assert f"is open in process {server.process.pid} (mcp-server)" in down.stderr, down.stderr
            assert "backup written to" in down.stderr, down.stderr
            status, body = health(server.base)
            assert status == 503, body
            assert body["status"] == "unhealthy"
            assert "096325207c82" in body["reason"] and "571948cc671b" in body["reason"], body
            assert "tmwsctl migrate up" in body["reason"], body
            log = d.log_path.read_text()
            assert "health check failed: the schema is at revision 096325207c82" in log
            assert "warning" in next(line for line in log.splitlines() if "health check failed" in line)

            d.ctl("migrate", "up")
            assert health(server.base) == (200, {"status": "healthy"})
        finally:
            server.stop()
