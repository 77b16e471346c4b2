"""Two `mcp-server --http` processes on one PostgreSQL database behind nginx with plain round-robin
(deploy/nginx/tmws-round-robin.conf, run as it is with its example ports replaced): MCP 2026-07-28
clients (`mcp.Client`, mode "auto") need no sticky routing, since every request is stateless. A
generation, validations spread over both servers, a revocation, and then REVOKED everywhere, with
exact usage counts. A legacy (2025-11-25) client behind the same balancer loses its session on
every other request; pinned to one server (`ip_hash`), it works.

Needs nginx (Debian's package) and TMWS_TEST_POSTGRES_URL; skipped without them, except under
CI=true, where their absence is a failure. nginx runs as the current user, on loopback, with its
pid, logs and temporary files in a temporary directory."""

import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import anyio
import pytest

from conftest import LEGACY, MODERN, ROOT, free_port, mcp_error
from test_interop import call, http_client
from test_postgres_servers import BASE_URL, Cluster, psql

TEMPLATE = ROOT / "deploy" / "nginx" / "tmws-round-robin.conf"
# Debian installs nginx in /usr/sbin, which is not on every user's PATH.
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")


def missing() -> list[str]:
    reasons = []
    if NGINX is None:
        reasons.append("needs nginx")
    if not BASE_URL:
        reasons.append("needs TMWS_TEST_POSTGRES_URL")
    return reasons


def configure(template: str, listen: int, upstreams: list[int], sticky: bool = False) -> str:
    """The template with its example ports (8000 to listen, 8001 and 8002 upstream) replaced."""
    text = template
    for example, port in [("listen 127.0.0.1:8000;", listen), ("server 127.0.0.1:8001;", upstreams[0]),
                          ("server 127.0.0.1:8002;", upstreams[1])]:
        assert text.count(example) == 1, f"{TEMPLATE} no longer has exactly one `{example}`"
        text = text.replace(example, example.replace(re.search(r":(\d+);", example).group(1), str(port)))
    if sticky:
        text = text.replace("upstream tmws {", "upstream tmws {\n    ip_hash;", 1)
    return text


class Nginx:
    """nginx on 127.0.0.1, in the foreground, everything it writes under `directory`."""

    def __init__(self, directory: Path, upstreams: list[int], sticky: bool = False):
        directory.mkdir()
        for temp in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]:
            (directory / temp).mkdir()
        self.directory = directory
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = directory / "access.log"
        site = directory / "tmws-round-robin.conf"
        site.write_text(configure(TEMPLATE.read_text(), self.port, upstreams, sticky))
        # Started by root, nginx would switch its worker to `nobody`: keep it the current user.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
        # The access log says which upstream answered each request, with its MCP method and tool
        # name (the headers); no credential is logged.
        (directory / "nginx.conf").write_text(f"""
{user}
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 256; }}
http {{
    log_format tmws '$request_method $uri $status upstream=$upstream_addr mcp_method=$http_mcp_method name=$http_mcp_name';
    access_log {self.access_log} tmws;
    client_body_temp_path {directory}/client_body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {site};
}}
""")
        self.process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(directory / "nginx.conf"), "-e", str(directory / "error.log"),
             "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=open(directory / "stderr.log", "w"))
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("nginx did not start: " + (directory / "stderr.log").read_text()
                                   + (directory / "error.log").read_text()[-2000:])
            time.sleep(0.05)

    def requests(self) -> list[dict]:
        """The access log but health checks: one dict per request (verb, status, upstream, mcp_method, name)."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            verb, uri, status, *fields = line.split(" ")
            if uri == "/health":
                continue
            row = {"verb": verb, "status": int(status)}
            row.update(field.split("=", 1) for field in fields)
            rows.append(row)
        return rows

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def balanced():
    if reasons := missing():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the balancer test cannot run: {', '.join(reasons)} (.ci/run must provide them)")
        pytest.skip(", ".join(reasons))
    with tempfile.TemporaryDirectory(prefix="tmws-balancer-") as tmp:
        cluster = Cluster.create(Path(tmp))
        try:
            a, b = cluster.start_server(), cluster.start_server()
            nginx = Nginx(Path(tmp) / "nginx", [a.port, b.port])
            try:
                yield cluster, a, b, nginx
            finally:
                nginx.stop()
        finally:
            try:
                cluster.stop()
            finally:
                cluster.drop()


VALIDATIONS_BEFORE = 10   # through nginx, one connection
VALIDATIONS_AFTER = 6     # through nginx, after the revocation


def test_modern_clients_through_round_robin(balanced):
    cluster, a, b, nginx = balanced
    keys = cluster.keys
    upstreams = {f"127.0.0.1:{a.port}": "A", f"127.0.0.1:{b.port}": "B"}

    async def verdicts(base, key, count):
        async with http_client(base, keys["viewer-1"]) as viewer:
            assert viewer.protocol_version == MODERN
            codes = []
            for _ in range(count):
                is_error, verdict = await call(viewer, "validate_license_key", key=key)
                assert not is_error, verdict
                codes.append(verdict["code"])
            return codes

    async def scenario():
        async with http_client(nginx.base, keys["editor-1"]) as editor:
            assert editor.protocol_version == MODERN
            is_error, generated = await call(editor, "generate_license_key", tier="PRO", expires_days=365)
            assert not is_error, generated
            key, license_id = generated["license_key"], generated["license_id"]
        # One connection through nginx; round-robin spreads its requests over both servers.
        assert await verdicts(nginx.base, key, VALIDATIONS_BEFORE) == ["VALID"] * VALIDATIONS_BEFORE
        before = Counter(upstreams[r["upstream"]] for r in nginx.requests() if r["name"] == "validate_license_key")
        # And each server directly.
        assert await verdicts(a.base, key, 1) == ["VALID"]
        assert await verdicts(b.base, key, 1) == ["VALID"]

        async with http_client(nginx.base, keys["admin"]) as admin:
            is_error, revoked = await call(admin, "revoke_license_key", license_id=license_id, reason="balancer")
            assert not is_error and revoked["already_revoked"] is False, revoked

        # Whichever server answers, through nginx or directly, the license is revoked at once.
        assert await verdicts(nginx.base, key, VALIDATIONS_AFTER) == ["REVOKED"] * VALIDATIONS_AFTER
        assert await verdicts(a.base, key, 2) == ["REVOKED"] * 2
        assert await verdicts(b.base, key, 2) == ["REVOKED"] * 2

        async with http_client(nginx.base, keys["editor-1"]) as editor:
            is_error, info = await call(editor, "get_license_info", license_id=license_id)
            assert not is_error, info
            is_error, history = await call(editor, "get_usage_history", license_id=license_id, limit=1000)
            assert not is_error, history
        return license_id, before, info, history

    license_id, before, info, history = anyio.run(scenario)
    valid = VALIDATIONS_BEFORE + 2
    total = valid + VALIDATIONS_AFTER + 4
    assert info["status"] == "revoked" and info["validation_count"] == valid, info
    assert len(history["items"]) == total and history["next_cursor"] is None, history
    assert Counter(item["valid"] for item in history["items"]) == {True: valid, False: total - valid}
    assert {item["failure_reason"] for item in history["items"] if not item["valid"]} == {"REVOKED"}
    [row] = psql(cluster.url, f"""SELECT l.validation_count AS count,
        (SELECT COUNT(*) FROM license_usage_history u WHERE u.license_id = l.id) AS rows,
        (SELECT COUNT(*) FROM license_usage_history u WHERE u.license_id = l.id AND u.valid) AS valid_rows,
        (SELECT COUNT(*) FROM license_usage_history u WHERE u.license_id = l.id AND u.valid AND u.validated_at > l.revoked_at) AS valid_after
        FROM license_keys l WHERE l.id = '{license_id}'""")
    assert row == {"count": valid, "rows": total, "valid_rows": valid, "valid_after": 0}, row

    # Both servers answered validations through nginx, and every request through it succeeded
    # without a session: modern clients need no sticky routing.
    assert set(before) == {"A", "B"} and sum(before.values()) == VALIDATIONS_BEFORE, before
    seen = nginx.requests()
    through = Counter(upstreams[r["upstream"]] for r in seen if r["name"] == "validate_license_key")
    assert sum(through.values()) == VALIDATIONS_BEFORE + VALIDATIONS_AFTER and set(through) == {"A", "B"}, through
    assert {r["status"] for r in seen} == {200}, seen
    assert {r["verb"] for r in seen} == {"POST"} and "initialize" not in {r["mcp_method"] for r in seen}, seen
    print(f"\nround-robin through nginx: validations by server {dict(sorted(through.items()))}, "
          f"{total} usage rows ({valid} VALID, {total - valid} REVOKED), validation_count = {info['validation_count']}")


def legacy_post(base, message, key, session=None):
    request = urllib.request.Request(base + "/mcp", method="POST", data=json.dumps(message).encode(), headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", "Authorization": f"Bearer {key}",
        **({"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY} if session else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("Mcp-Session-Id")
    except urllib.error.HTTPError as error:
        return error.code, None


def legacy_statuses(base, key, count=6):
    """initialize, then `count` whoami calls on its session: their HTTP statuses."""
    status, session = legacy_post(base, {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "balancer", "version": "1"}}}, key)
    assert status == 200 and session, status
    statuses = [legacy_post(base, {"jsonrpc": "2.0", "id": i, "method": "tools/call",
                                   "params": {"name": "whoami", "arguments": {}}}, key, session)[0] for i in range(1, count + 1)]
    return statuses


def test_legacy_clients_need_sticky_routing(balanced, tmp_path):
    """A legacy session lives on one server: plain round-robin sends every other request of it to
    the other server, which does not know it (404). Pinning clients to a server (`ip_hash`) fixes it."""
    cluster, a, b, nginx = balanced
    viewer = cluster.keys["viewer-1"]
    statuses = legacy_statuses(nginx.base, viewer)
    assert set(statuses) == {200, 404}, statuses

    async def legacy_client():
        failures = 0
        async with http_client(nginx.base, viewer, mode="legacy") as client:
            assert client.protocol_version == LEGACY
            for _ in range(6):
                try:
                    is_error, who = await call(client, "whoami")
                    assert not is_error and who["name"] == "viewer-1", who
                except Exception as failure:
                    assert mcp_error(failure) is not None, failure
                    failures += 1
        return failures
    assert anyio.run(legacy_client) > 0, "a legacy client through plain round-robin should lose its session"

    sticky = Nginx(tmp_path / "sticky", [a.port, b.port], sticky=True)
    try:
        assert legacy_statuses(sticky.base, viewer) == [200] * 6
    finally:
        sticky.stop()
