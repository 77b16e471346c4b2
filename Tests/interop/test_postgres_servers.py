"""Two `mcp-server --http` processes on one PostgreSQL database (issue #9): what one server writes,
the other serves at once, and validations racing a revocation across servers lose no count and
record no VALID after the revocation. The clients are `mcp.Client` in mode "auto", so every call is
a stateless MCP 2026-07-28 request.

Needs TMWS_TEST_POSTGRES_URL (`.ci/run` starts a server with scripts/postgres-test-server.sh and
sets it); skipped without it, except under CI=true, where its absence is a failure.
TMWS_PG_RACE_SECONDS sets the race's length (default 20)."""

import base64
import json
import os
import secrets
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import AsyncExitStack
from pathlib import Path

import anyio
import pytest

from conftest import MODERN, TMWSCTL, HTTPServer
from test_interop import call, http_client

BASE_URL = os.environ.get("TMWS_TEST_POSTGRES_URL", "")
RACE_SECONDS = float(os.environ.get("TMWS_PG_RACE_SECONDS", "20"))

if not BASE_URL and os.environ.get("CI") == "true":
    raise RuntimeError("CI=true but TMWS_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
pytestmark = pytest.mark.skipif(not BASE_URL, reason="needs TMWS_TEST_POSTGRES_URL")


def database_url(name: str) -> str:
    parts = urllib.parse.urlsplit(BASE_URL)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(url: str, sql: str) -> list[dict]:
    """Rows of a query, through the psql client (libpq ignores no parameter we use but sslmode)."""
    wrapped = f"SELECT coalesce(json_agg(q), '[]'::json) FROM ({sql}) AS q" if sql.lstrip().upper().startswith("SELECT") else sql
    result = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", wrapped],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if wrapped is not sql else []


class Cluster:
    """A database of its own, initialised with tmwsctl, and two servers on it."""

    def __init__(self, home: Path):
        self.home = home
        self.name = "tmws_interop_" + secrets.token_hex(4)
        psql(BASE_URL, f"CREATE DATABASE {self.name}")
        self.url = database_url(self.name)
        self.env = {
            **os.environ, "HOME": str(home), "TMWS_DATABASE_URL": self.url, "TMWS_LOG_LEVEL": "info",
            "TMWS_SECRET_KEY": base64.b64encode(secrets.token_bytes(48)).decode(),
        }
        self.env.pop("TMWS_SECRET_KEY_FILE", None)
        self.keys: dict[str, str] = {}
        self.servers: list[HTTPServer] = []

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([TMWSCTL, *args], env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"tmwsctl {' '.join(args)} failed: {result.stderr}"
        return result

    def create_agent(self, name: str, role: str) -> None:
        self.ctl("agent", "create", name, "--namespace", "default", "--role", role)
        key_file = self.home / f"{name}.key"
        self.ctl("agent", "key", "create", name, "--out", str(key_file))
        self.keys[name] = key_file.read_text().strip()

    def start_server(self, *args: str) -> HTTPServer:
        """One more `mcp-server --http` on this database, logging to servers-N.log."""
        server = HTTPServer(self.env, self.home / f"servers-{len(self.servers) + 1}.log", *args)
        self.servers.append(server)
        return server

    def stop(self) -> None:
        for server in self.servers:
            if server.process.poll() is None:
                server.process.terminate()
        failures = []
        for server in self.servers:
            try:
                server.stop()
            except AssertionError as failure:
                failures.append(str(failure))
        assert not failures, failures

    @classmethod
    def create(cls, home: Path) -> "Cluster":
        """A fresh database with admin, editor-1 and viewer-1, and no server yet."""
        c = cls(home)
        try:
            c.ctl("init")
            c.keys["admin"] = (home / ".tmws" / "data" / "admin-postgres.key").read_text().strip()
            c.create_agent("editor-1", "editor")
            c.create_agent("viewer-1", "viewer")
        except BaseException:
            c.drop()
            raise
        return c

    def drop(self) -> None:
        psql(BASE_URL, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


@pytest.fixture(scope="module")
def cluster():
    with tempfile.TemporaryDirectory(prefix="tmws-pg-interop-") as tmp:
        c = Cluster.create(Path(tmp))
        try:
            c.start_server()
            c.start_server()
            c.bases = [server.base for server in c.servers]
            yield c
        finally:
            try:
                c.stop()
            finally:
                c.drop()


async def generate(session) -> tuple[str, str]:
    is_error, generated = await call(session, "generate_license_key", tier="PRO", expires_days=365)
    assert not is_error, generated
    return generated["license_key"], generated["license_id"]


def test_written_through_one_server_is_served_by_the_other(cluster):
    a, b = cluster.bases

    async def scenario():
        async with AsyncExitStack() as stack:
            editor_a = await stack.enter_async_context(http_client(a, cluster.keys["editor-1"]))
            viewer_b = await stack.enter_async_context(http_client(b, cluster.keys["viewer-1"]))
            admin_a = await stack.enter_async_context(http_client(a, cluster.keys["admin"]))
            assert {editor_a.protocol_version, viewer_b.protocol_version, admin_a.protocol_version} == {MODERN}
            key, license_id = await generate(editor_a)

            is_error, verdict = await call(viewer_b, "validate_license_key", key=key)
            assert not is_error and verdict["code"] == "VALID"

            is_error, revoked = await call(admin_a, "revoke_license_key", license_id=license_id, reason="two servers")
            assert not is_error and revoked["already_revoked"] is False
            is_error, verdict = await call(viewer_b, "validate_license_key", key=key)
            assert not is_error and verdict["code"] == "REVOKED"

    anyio.run(scenario)
    assert psql(cluster.url, "SELECT version_num FROM alembic_version") == [{"version_num": "571948cc671b"}]


def test_validations_racing_a_revocation_across_servers(cluster):
    """4 clients per server validate one license for RACE_SECONDS; halfway, the admin revokes
    through server A."""
    a, b = cluster.bases
    outcomes: list[tuple[float, float, str]] = []  # (sent, answered, code), monotonic seconds
    revoke_done: list[float] = []

    async def scenario():
        async with http_client(a, cluster.keys["editor-1"]) as editor:
            key, license_id = await generate(editor)
        deadline = time.monotonic() + RACE_SECONDS

        async def validator(base: str):
            async with http_client(base, cluster.keys["viewer-1"]) as session:
                while time.monotonic() < deadline:
                    sent = time.monotonic()
                    is_error, verdict = await call(session, "validate_license_key", key=key)
                    assert not is_error, verdict
                    outcomes.append((sent, time.monotonic(), verdict["code"]))

        async def revoker():
            async with http_client(a, cluster.keys["admin"]) as admin:
                await anyio.sleep(RACE_SECONDS / 2)
                is_error, revoked = await call(admin, "revoke_license_key", license_id=license_id, reason="race")
                assert not is_error, revoked
                revoke_done.append(time.monotonic())

        async with anyio.create_task_group() as group:
            for base in (a, a, a, a, b, b, b, b):
                group.start_soon(validator, base)
            group.start_soon(revoker)
        return license_id

    license_id = anyio.run(scenario)
    codes = [code for _, _, code in outcomes]
    assert set(codes) <= {"VALID", "REVOKED"}, set(codes)
    assert codes.count("VALID") > 0 and codes.count("REVOKED") > 0
    # After revoke returned, no validation sent later succeeded.
    assert not [o for o in outcomes if o[0] > revoke_done[0] and o[2] == "VALID"]

    [row] = psql(
        cluster.url,
        f"""SELECT l.validation_count AS count, l.revoked_at AS revoked_at,
                   (SELECT COUNT(*) FROM license_usage_history u WHERE u.license_id = l.id AND u.valid) AS valid_rows,
                   (SELECT COUNT(*) FROM license_usage_history u
                     WHERE u.license_id = l.id AND u.valid AND u.validated_at > l.revoked_at) AS valid_after,
                   (SELECT COUNT(*) FROM license_usage_history u WHERE u.license_id = l.id) AS rows
            FROM license_keys l WHERE l.id = '{license_id}'""")
    assert row["count"] == row["valid_rows"] == codes.count("VALID")
    assert row["valid_after"] == 0
    assert row["rows"] == len(codes)
    print(f"\nrace across 2 servers: {len(codes)} validations in {RACE_SECONDS:.0f} s "
          f"({len(codes) / RACE_SECONDS:.0f}/s), {codes.count('VALID')} VALID before the revoke, "
          f"{codes.count('REVOKED')} REVOKED after; validation_count = VALID rows = {row['count']}")


def test_throughput_with_one_and_two_servers(cluster):
    """Not a pass/fail figure: validations per second from 8 clients on one server, then 4 on each."""
    a, b = cluster.bases
    seconds = min(10.0, RACE_SECONDS)

    async def measure(bases) -> int:
        async with http_client(a, cluster.keys["editor-1"]) as editor:
            key, _ = await generate(editor)
        deadline = time.monotonic() + seconds
        count = 0

        async def validator(base):
            nonlocal count
            async with http_client(base, cluster.keys["viewer-1"]) as session:
                while time.monotonic() < deadline:
                    is_error, verdict = await call(session, "validate_license_key", key=key)
                    assert not is_error and verdict["code"] == "VALID", verdict
                    count += 1

        async with anyio.create_task_group() as group:
            for base in bases:
                group.start_soon(validator, base)
        return count

    one = anyio.run(measure, [a] * 8)
    two = anyio.run(measure, [a] * 4 + [b] * 4)
    assert one > 0 and two > 0
    print(f"\nthroughput, 8 clients: 1 server {one / seconds:.0f} validations/s, 2 servers {two / seconds:.0f} validations/s")


def test_a_signing_key_rotation_reaches_every_server_at_once(cluster):
    """Signing keys live (sealed) in the shared database: a rotation through tmwsctl is used by the
    next checkout on either server, and both publish the same key set (#18)."""
    a, b = cluster.bases

    def jwks(base):
        with urllib.request.urlopen(base + "/.well-known/jwks.json", timeout=10) as response:
            return json.loads(response.read())

    async def checkout(base, key):
        async with http_client(base, cluster.keys["viewer-1"]) as viewer:
            is_error, result = await call(viewer, "checkout_license", key=key)
            assert not is_error and result["code"] == "VALID", result
            return result["kid"]

    async def scenario():
        async with http_client(a, cluster.keys["editor-1"]) as editor:
            key, _ = await generate(editor)
        first = await checkout(a, key)
        assert await checkout(b, key) == first
        rotated = json.loads(cluster.ctl("signing-key", "rotate", "--json").stdout)
        assert rotated["retired"]["kid"] == first
        second = rotated["active"]["kid"]
        assert await checkout(b, key) == second and await checkout(a, key) == second
        assert jwks(a) == jwks(b) and {k["kid"] for k in jwks(a)["keys"]} == {first, second}

    anyio.run(scenario)
    rows = psql(cluster.url, "SELECT kid, status, sealed_private_key FROM tmws_signing_keys ORDER BY created_at")
    assert [row["status"] for row in rows] == ["retired", "active"]
    assert all(row["sealed_private_key"].startswith("v1.") for row in rows)


def test_doctor_checks_a_postgres_deployment(cluster):
    """`tmwsctl doctor` on PostgreSQL: the server's version, the pool against max_connections and
    the clock against the server's are checked and pass; another secret is a problem (exit 1)."""
    result = subprocess.run([TMWSCTL, "doctor", "--json"], env=cluster.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    checks = {check["name"]: check for check in report["checks"]}
    assert report["ok"] and all(check["ok"] for check in report["checks"]), report
    for name in ("reachable", "schema (seed)", "schema (extension)", "signing secret", "PostgreSQL version", "connection pool", "clock"):
        assert name in checks, f"{name} was not checked: {sorted(checks)}"
    password = urllib.parse.urlsplit(BASE_URL).password
    assert "***" in report["database"] and (not password or password not in result.stdout), "the password must never be printed"

    other = {**cluster.env, "TMWS_SECRET_KEY": base64.b64encode(secrets.token_bytes(48)).decode()}
    wrong = subprocess.run([TMWSCTL, "doctor", "--json"], env=other, capture_output=True, text=True, timeout=60)
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    failed = [check for check in json.loads(wrong.stdout)["checks"] if not check["ok"]]
    assert [check["name"] for check in failed] == ["signing secret"], failed
    assert "TMWS_SECRET_KEY_FILE" in failed[0]["fix"]
