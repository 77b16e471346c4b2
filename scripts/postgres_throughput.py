#!/usr/bin/env python3
"""Validation throughput with one and with two `mcp-server --http` processes on one PostgreSQL
database (issue #9).

Creates a database of its own on the server at --postgres-url (or TMWS_TEST_POSTGRES_URL), sets it
up with `tmwsctl init`, generates one license, then for each server count runs --clients client
processes (each one MCP session over HTTP, spread round-robin over the servers) calling
`validate_license_key` for --seconds, and prints validations/s with p50/p99 latency. Every answer
must be VALID; anything else is an error (exit 1). Finally `validation_count` must equal the VALID
usage rows.

    scripts/postgres-test-server.sh start                     # prints a URL
    swift build -c release --product mcp-server && swift build -c release --product tmwsctl
    .venv/bin/python scripts/postgres_throughput.py --bin-dir .build/release --postgres-url URL
"""

import argparse
import base64
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tmws_harness import Deployment, Server, call, http_session, percentile, resolve_bin_dir  # noqa: E402


def psql(url: str, sql: str) -> str:
    result = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"psql failed: {result.stderr.strip()}")
    return result.stdout.strip()


class PostgresDeployment(Deployment):
    """The harness's deployment, on a PostgreSQL database instead of a SQLite file."""

    def __init__(self, home: Path, bin_dir: Path, url: str):
        super().__init__(home, bin_dir)
        self.env["TMWS_DATABASE_URL"] = url
        self.env["TMWS_SECRET_KEY"] = base64.b64encode(secrets.token_bytes(48)).decode()

    def init(self) -> None:
        self.ctl("init")
        self.keys["admin"] = (self.home / ".tmws" / "data" / "admin-postgres.key").read_text().strip()


def client(base: str, key: str, license_key: str, seconds: float, results) -> None:
    async def run():
        latencies, errors = [], 0
        async with http_session(base, key) as session:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                began = time.perf_counter()
                is_error, verdict = await call(session, "validate_license_key", key=license_key)
                latencies.append(time.perf_counter() - began)
                if is_error or verdict.get("code") != "VALID":
                    errors += 1
        return latencies, errors

    results.put(anyio.run(run))


def measure(servers: list[Server], key: str, license_key: str, clients: int, seconds: float) -> dict:
    queue = multiprocessing.Queue()
    processes = [multiprocessing.Process(target=client, args=(servers[i % len(servers)].base, key, license_key, seconds, queue))
                 for i in range(clients)]
    for process in processes:
        process.start()
    outcomes = [queue.get(timeout=seconds + 120) for _ in processes]
    for process in processes:
        process.join()
    latencies = sorted(l for outcome in outcomes for l in outcome[0])
    return {
        "servers": len(servers), "clients": clients, "seconds": seconds, "validations": len(latencies),
        "per_second": round(len(latencies) / seconds, 1), "errors": sum(o[1] for o in outcomes),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2), "p99_ms": round(percentile(latencies, 99) * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", help="directory with mcp-server and tmwsctl (else TMWS_BIN_DIR)")
    parser.add_argument("--postgres-url", default=os.environ.get("TMWS_TEST_POSTGRES_URL"),
                        help="a server this script may create a database on (else TMWS_TEST_POSTGRES_URL)")
    parser.add_argument("--clients", type=int, default=8, help="client processes (default 8)")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per measurement (default 20)")
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("no --postgres-url and no TMWS_TEST_POSTGRES_URL")
    bin_dir = resolve_bin_dir(args.bin_dir)

    name = "tmws_throughput_" + secrets.token_hex(4)
    psql(args.postgres_url, f"CREATE DATABASE {name}")
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(args.postgres_url)._replace(path="/" + name))
    failures = 0
    try:
        with tempfile.TemporaryDirectory(prefix="tmws-pg-throughput-") as tmp:
            deployment = PostgresDeployment(Path(tmp), bin_dir, url)
            deployment.init()
            deployment.create_agent("editor", "editor")
            deployment.create_agent("viewer", "viewer")
            servers = [Server(deployment), Server(deployment)]
            for server in servers:
                server.start()

            async def generate():
                async with http_session(servers[0].base, deployment.keys["editor"]) as session:
                    is_error, generated = await call(session, "generate_license_key", tier="PRO")
                    assert not is_error, generated
                    return generated["license_key"], generated["license_id"]

            license_key, license_id = anyio.run(generate)
            try:
                for count in (1, 2):
                    figures = measure(servers[:count], deployment.keys["viewer"], license_key, args.clients, args.seconds)
                    failures += figures["errors"]
                    print(json.dumps(figures))
            finally:
                for server in servers:
                    server.stop()
            count, valid_rows = psql(
                url, f"SELECT validation_count, (SELECT COUNT(*) FROM license_usage_history WHERE license_id = l.id AND valid) "
                     f"FROM license_keys l WHERE id = '{license_id}'").split("|")
            print(json.dumps({"validation_count": int(count), "valid_rows": int(valid_rows)}))
            failures += int(count != valid_rows)
    finally:
        psql(args.postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
