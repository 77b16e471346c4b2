#!/usr/bin/env python3
"""Load (issue #8, item 6): concurrent MCP clients over Streamable HTTP for a fixed time.

Sets up a SQLite file database in a temporary directory (`tmwsctl init`, one agent per client —
editors, viewers and admins in turn — each with its own API key), starts `mcp-server --http` on a
free loopback port, and gives every generating client a pool of licenses (some revoked) to work on.
Then --clients client processes (default 8), each an official Python MCP client (`mcp` 2.3.0) —
by default alternately a stateless 2026-07-28 client (`mcp.Client`, auto mode) and a legacy
2025-11-25 session (`ClientSession.initialize`), see --era — make mixed calls for --seconds
(default 60) as fast as they are answered:

    validate_license_key   most calls: pool keys (VALID, or REVOKED for the revoked ones), a few
                           forged (NOT_FOUND, like unknown ones), malformed (MALFORMED) and unknown (NOT_FOUND) keys
    generate_license_key   editors and admins
    get_usage_history, get_license_info   on the client's own licenses
    list_licenses, whoami
    revoke_license_key     admins, on licenses they generated for that purpose (then validated: REVOKED)

Every answer is checked. An error is any transport failure or timeout, any `isError` result, and any
answer other than the expected one (a VALID key reported REVOKED, a forged key that validates, a
whoami with the wrong role, …); expected domain verdicts such as REVOKED are not errors. The server's
resident memory (VmRSS from /proc/<pid>/status) is sampled every --rss-interval seconds.

Reports total calls, throughput, p50/p90/p99/max latency overall and per tool, errors, and the
server's RSS at the start, its maximum and at the end (plus the samples), and its growth per call over
the whole run and over its second half (past the warm-up, where a leak still shows). Exits 1 on any error.

Usage (the binaries are not built here):
    swift build -c release --scratch-path .build-helper2 --product mcp-server
    swift build -c release --scratch-path .build-helper2 --product tmwsctl
    .venv/bin/python scripts/load_test.py --bin-dir "$(swift build -c release --scratch-path .build-helper2 --show-bin-path)"

Each client is a separate process, so the clients' own CPU time does not serialise on one Python
interpreter; on a small machine the clients and the server share the cores, and the figures say so.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from tmws_harness import Deployment, Server, call, http_session, modern_http_client, percentile, resolve_bin_dir

ROLE_CYCLE = ("editor", "viewer", "editor", "admin")
TIERS = ("FREE", "PRO", "ENTERPRISE")
MIXES = {
    # tool → weight; "revoke" is an admin's generate-then-revoke-then-validate step.
    "editor": {"validate": 62, "generate": 8, "usage": 10, "info": 8, "list": 6, "whoami": 6},
    "viewer": {"validate": 84, "list": 8, "whoami": 8},
    "admin": {"validate": 55, "generate": 6, "usage": 8, "info": 8, "list": 6, "whoami": 5, "revoke": 12},
}


@dataclass
class PoolLicense:
    license_id: str
    key: str
    owner: str
    revoked: bool = False


@dataclass
class ClientSpec:
    index: int
    name: str
    role: str
    api_key: str
    base: str
    pool: list[PoolLicense]
    seconds: float
    seed: int
    timeout: float
    session_calls: int
    era: str


@dataclass
class ClientResult:
    name: str
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    verdicts: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    sessions: int = 0
    began: float = 0.0   # time.time() when the run started, to bin `finished`
    finished: list[float] = field(default_factory=list)   # seconds since `began` at which each call was answered

    def error(self, text: str) -> None:
        kind = text.split(":", 1)[0]
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(text)


# MARK: The client processes


class Client:
    def __init__(self, spec: ClientSpec, result: ClientResult):
        self.spec = spec
        self.result = result
        self.rng = random.Random(spec.seed)
        self.pool = spec.pool
        self.own = [lic for lic in spec.pool if lic.owner == spec.name]
        self.names = list(MIXES[spec.role])
        self.weights = [MIXES[spec.role][name] for name in self.names]

    async def timed(self, session, tool: str, **arguments) -> tuple[bool, dict] | None:
        """One call, timed; a transport failure or timeout is recorded and re-raised."""
        began = time.perf_counter()
        try:
            outcome = await call(session, tool, timeout=self.spec.timeout, **arguments)
        except TimeoutError:
            self.result.error(f"timeout: {tool} took more than {self.spec.timeout}s")
            raise
        self.result.latencies[tool].append(time.perf_counter() - began)
        self.result.finished.append(time.time() - self.result.began)
        if outcome[0]:
            self.result.error(f"isError: {tool} {arguments.get('license_id', '')} → {outcome[1].get('error')}")
        return outcome

    async def step(self, session) -> None:
        action = self.rng.choices(self.names, self.weights)[0]
        await getattr(self, action)(session)

    async def validate(self, session, key_choice: PoolLicense | None = None) -> None:
        roll = self.rng.random()
        if key_choice is not None or roll < 0.85:
            lic = key_choice or self.rng.choice(self.pool)
            key, expected = lic.key, ("REVOKED" if lic.revoked else "VALID")
        elif roll < 0.90:
            lic = self.rng.choice(self.pool)
            key, expected = lic.key[:-1] + ("0" if lic.key[-1] != "0" else "1"), "NOT_FOUND"
        elif roll < 0.95:
            key, expected = "TMWS-PRO-not-a-key", "MALFORMED"
        else:
            key, expected = f"TMWS-PRO-{uuid.uuid4()}-{'0' * 16}", "NOT_FOUND"
        arguments = {"key": key}
        if self.rng.random() < 0.5:
            arguments["feature_accessed"] = self.rng.choice(("export", "sync", "report"))
        is_error, content = await self.timed(session, "validate_license_key", **arguments)
        if not is_error:
            code = content.get("code")
            self.result.verdicts[code] += 1
            if code != expected or content.get("valid") != (expected == "VALID"):
                self.result.error(f"verdict: expected {expected}, got {code}")

    async def generate(self, session) -> PoolLicense | None:
        arguments: dict = {"tier": self.rng.choice(TIERS)}
        if self.rng.random() < 0.7:
            arguments["expires_days"] = self.rng.randint(30, 3650)
        is_error, content = await self.timed(session, "generate_license_key", **arguments)
        if is_error:
            return None
        if not content.get("license_key", "").startswith(f"TMWS-{arguments['tier']}-{content.get('license_id')}"):
            self.result.error(f"result: generate returned {content}")
            return None
        lic = PoolLicense(content["license_id"], content["license_key"], self.spec.name)
        self.own.append(lic)
        self.pool.append(lic)
        return lic

    async def usage(self, session) -> None:
        lic = self.rng.choice(self.own)
        limit = self.rng.randint(1, 50)
        is_error, content = await self.timed(session, "get_usage_history", license_id=lic.license_id, limit=limit)
        if not is_error:
            items = content.get("items")
            if not isinstance(items, list) or len(items) > limit or content.get("license_id", lic.license_id) != lic.license_id:
                self.result.error(f"result: get_usage_history {lic.license_id} returned {str(content)[:200]}")

    async def info(self, session) -> None:
        lic = self.rng.choice(self.own)
        is_error, content = await self.timed(session, "get_license_info", license_id=lic.license_id)
        expected = "revoked" if lic.revoked else "active"
        if not is_error and content.get("status") != expected:
            self.result.error(f"result: get_license_info {lic.license_id} status {content.get('status')}, expected {expected}")

    async def list(self, session) -> None:
        is_error, content = await self.timed(session, "list_licenses", limit=self.rng.choice((10, 20, 50)))
        if not is_error and not isinstance(content.get("items"), list):
            self.result.error(f"result: list_licenses returned {str(content)[:200]}")

    async def whoami(self, session) -> None:
        is_error, content = await self.timed(session, "whoami")
        if not is_error and (content.get("name") != self.spec.name or content.get("role") != self.spec.role):
            self.result.error(f"result: whoami returned {content}")

    async def revoke(self, session) -> None:
        """Generates a license for the purpose, revokes it, validates it (REVOKED expected)."""
        lic = await self.generate(session)
        if lic is None:
            return
        is_error, content = await self.timed(session, "revoke_license_key", license_id=lic.license_id, reason="load test")
        if is_error:
            return
        if content.get("already_revoked") is not False:
            self.result.error(f"result: revoke of a new license returned {content}")
        lic.revoked = True
        await self.validate(session, key_choice=lic)

    async def run(self, ready, go) -> None:
        """One client for the whole run, or a new one every `session_calls` calls (a legacy session is DELETEd)."""
        began = deadline = None
        opener = modern_http_client if self.spec.era == "modern" else http_session
        try:
            while deadline is None or time.monotonic() < deadline:
                async with opener(self.spec.base, self.spec.api_key) as session:
                    self.result.sessions += 1
                    if deadline is None:
                        ready.put(self.spec.name)
                        await anyio.to_thread.run_sync(go.wait)
                        began = time.monotonic()
                        self.result.began = time.time()
                        deadline = began + self.spec.seconds
                    calls = 0
                    while time.monotonic() < deadline and (not self.spec.session_calls or calls < self.spec.session_calls):
                        await self.step(session)
                        calls += 1
        finally:
            if began is not None:
                self.result.elapsed = time.monotonic() - began


def client_process(spec: ClientSpec, ready, go, results) -> None:
    logging.basicConfig(level=logging.CRITICAL)
    result = ClientResult(spec.name)
    try:
        anyio.run(Client(spec, result).run, ready, go)
    except BaseException as failure:  # noqa: BLE001 - every failure is reported, none is swallowed
        result.error(f"transport: {describe(failure)}")
        ready.put(spec.name)   # in case it failed before it was ready
    results.put(result)


def describe(failure: BaseException) -> str:
    if isinstance(failure, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in failure.exceptions)
    return f"{type(failure).__name__}: {failure}"


# MARK: Setup and report


async def make_pools(server: Server, deployment: Deployment, clients: list[tuple[str, str]], per_client: int) -> list[PoolLicense]:
    """Each editor and admin generates `per_client` licenses; an admin revokes about one in six."""
    pool: list[PoolLicense] = []
    for name, role in clients:
        if role == "viewer":
            continue
        async with http_session(server.base, deployment.keys[name]) as session:
            for n in range(per_client):
                is_error, content = await call(session, "generate_license_key", tier=TIERS[n % 3], expires_days=365)
                if is_error:
                    raise RuntimeError(f"setup: generate failed for {name}: {content}")
                pool.append(PoolLicense(content["license_id"], content["license_key"], name))
    async with http_session(server.base, deployment.keys["admin"]) as session:
        for lic in pool[::6]:
            is_error, content = await call(session, "revoke_license_key", license_id=lic.license_id, reason="load-test pool")
            if is_error:
                raise RuntimeError(f"setup: revoke failed: {content}")
            lic.revoked = True
    return pool


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(value: float) -> str:
    return f"{value * 1000:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", help="directory with mcp-server and tmwsctl (else TMWS_BIN_DIR)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent MCP clients, one process each (default 8)")
    parser.add_argument("--seconds", type=float, default=60, help="how long the clients call (default 60)")
    parser.add_argument("--pool", type=int, default=12, help="licenses each editor/admin generates before the run (default 12)")
    parser.add_argument("--rss-interval", type=float, default=3, help="seconds between RSS samples (default 3)")
    parser.add_argument("--timeout", type=float, default=30, help="a call slower than this is an error (default 30 s)")
    parser.add_argument("--session-calls", type=int, default=0,
                        help="open a new MCP client (a legacy one DELETEs its session) every N calls; 0 = one per client (default)")
    parser.add_argument("--era", choices=["mixed", "modern", "legacy"], default="mixed",
                        help="modern: stateless 2026-07-28 clients; legacy: 2025-11-25 sessions; mixed: alternately (default)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time-based; printed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time())
    bin_dir = resolve_bin_dir(args.bin_dir)
    logging.basicConfig(level=logging.CRITICAL)

    home = Path(tempfile.mkdtemp(prefix="tmws-load-"))
    deployment = Deployment(home, bin_dir)
    server = Server(deployment)
    print(f"load test: {args.clients} clients × {args.seconds:.0f}s, seed {args.seed}, binaries {bin_dir}, "
          f"{os.cpu_count()} CPUs (shared by the server, the clients and anything else running)", flush=True)
    deployment.init()
    clients: list[tuple[str, str]] = []
    for index in range(args.clients):
        role = ROLE_CYCLE[index % len(ROLE_CYCLE)]
        name = f"load-{index}-{role}"
        deployment.create_agent(name, role)
        clients.append((name, role))
    if not any(role == "editor" for _, role in clients) and not any(role == "admin" for _, role in clients):
        sys.exit("--clients must include at least one editor or admin (use 1 or more)")

    failures: list[str] = []
    rss: list[tuple[float, int]] = []
    try:
        server.start()
        rss_boot = server.rss_kib()
        pool = anyio.run(make_pools, server, deployment, clients, args.pool)
        rss_setup = server.rss_kib()
        print(f"setup: {len(pool)} pool licenses ({sum(l.revoked for l in pool)} revoked); "
              f"server RSS {rss_boot} KiB after start, {rss_setup} KiB after setup", flush=True)

        context = multiprocessing.get_context("spawn")
        ready, results, go = context.Queue(), context.Queue(), context.Event()
        processes = []
        for index, (name, role) in enumerate(clients):
            spec = ClientSpec(index, name, role, deployment.keys[name], server.base, list(pool), args.seconds,
                              args.seed * 1000 + index, args.timeout, args.session_calls,
                              args.era if args.era != "mixed" else ("modern" if index % 2 == 0 else "legacy"))
            process = context.Process(target=client_process, args=(spec, ready, go, results), daemon=True)
            process.start()
            processes.append(process)
        for _ in processes:
            ready.get(timeout=120)
        cpu_before = cpu_seconds(server.pid)
        began = time.monotonic()
        began_wall = time.time()
        rss.append((0.0, server.rss_kib()))
        go.set()
        collected: list[ClientResult] = []
        next_sample = began + args.rss_interval
        while len(collected) < len(processes):
            try:
                collected.append(results.get(timeout=max(0.05, next_sample - time.monotonic())))
            except Exception:  # noqa: BLE001 - queue.Empty: time for a sample
                pass
            if time.monotonic() >= next_sample:
                rss.append((time.monotonic() - began, server.rss_kib()))
                next_sample += args.rss_interval
            if time.monotonic() - began > args.seconds + args.timeout + 60:
                failures.append("clients did not finish in time")
                break
        wall = time.monotonic() - began
        cpu_used = cpu_seconds(server.pid) - cpu_before
        rss.append((wall, server.rss_kib()))
        for process in processes:
            process.join(timeout=10)
        status, body = server.health()
        if status != 200:
            failures.append(f"/health after the run: {status} {body!r}")
    finally:
        exit_status = server.stop()
    if exit_status != 0:
        failures.append(f"mcp-server exited {exit_status} on SIGTERM after the run")

    # Report.
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    verdicts: Counter = Counter()
    samples: list[str] = []
    for result in collected:
        for tool, values in result.latencies.items():
            latencies[tool].extend(values)
        errors.update(result.errors)
        verdicts.update(result.verdicts)
        samples.extend(f"{result.name}: {s}" for s in result.error_samples)
    run_seconds = max((r.elapsed for r in collected), default=args.seconds)
    every = sorted(v for values in latencies.values() for v in values)
    total = len(every)
    print()
    roles = ", ".join(f"{n} {role}s" for role, n in Counter(role for _, role in clients).items())
    sessions = sum(r.sessions for r in collected)
    print(f"clients {len(collected)}/{args.clients} ({roles}; era {args.era}; {sessions} MCP clients opened), "
          f"{run_seconds:.1f}s, total calls {total}, throughput {total / run_seconds:.0f} calls/s")
    print(f"server CPU {cpu_used:.1f}s over {wall:.1f}s wall = {cpu_used / wall:.2f} of {os.cpu_count()} cores; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'tool':24} {'calls':>7} {'calls/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    rows = [(tool, sorted(values)) for tool, values in sorted(latencies.items(), key=lambda kv: -len(kv[1]))]
    for tool, values in [*rows, ("overall", every)]:
        print(f"{tool:24} {len(values):7} {len(values) / run_seconds:8.1f} {ms(percentile(values, 50)):>8} "
              f"{ms(percentile(values, 90)):>8} {ms(percentile(values, 99)):>8} {ms(values[-1] if values else 0):>8}")
    print(f"verdicts: {dict(verdicts)}")
    known = [kib for _, kib in rss if kib is not None]
    print(f"server RSS (KiB): start {rss[0][1]}, max {max(known) if known else None}, end {rss[-1][1]} "
          f"(after start {rss_boot}, after setup {rss_setup})")
    print("  samples: " + ", ".join(f"{t:.0f}s {kib}" for t, kib in rss))
    if known and total:
        growth = rss[-1][1] - rss[0][1]
        print(f"  growth start→end {growth:+} KiB over {total} calls = {growth * 1024 / total:+.0f} bytes per call")
        # The second half alone: past the warm-up (caches, allocator arenas), a leak still grows here.
        middle, middle_kib = min(rss, key=lambda sample: abs(sample[0] - wall / 2))
        later = sum(1 for result in collected for t in result.finished if t + result.began - began_wall >= middle)
        if later and middle_kib is not None and rss[-1][1] is not None:
            late_growth = rss[-1][1] - middle_kib
            print(f"  growth {middle:.0f}s→end {late_growth:+} KiB over {later} calls = "
                  f"{late_growth * 1024 / later:+.0f} bytes per call")
    # Throughput over time, per RSS interval: steady throughput next to the memory samples.
    bins: Counter = Counter()
    for result in collected:
        offset = result.began - began_wall
        for t in result.finished:
            bins[int((t + offset) // args.rss_interval)] += 1
    print("  calls/s per interval: " + ", ".join(
        f"{n * args.rss_interval:.0f}s {bins[n] / min(args.rss_interval, run_seconds - n * args.rss_interval):.0f}"
        for n in sorted(bins) if run_seconds - n * args.rss_interval > 0.5))
    error_total = sum(errors.values()) + len(failures)
    print(f"errors: {error_total} {dict(errors) if errors else ''}")
    for line in [*failures, *samples[:20]]:
        print(f"  {line}")
    if error_total or args.keep:
        print(f"kept {home} (server.log, data/tmws.db)")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return 1 if error_total or len(collected) < args.clients else 0


if __name__ == "__main__":
    sys.exit(main())
