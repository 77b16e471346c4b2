#!/usr/bin/env python3
"""Crash safety (issue #8, item 2): acknowledged writes survive `kill -9` of `mcp-server`.

Sets up a SQLite file database in a temporary directory (`tmwsctl init`, an editor, a viewer and
two "churn" agents whose roles keep changing), then repeats for --cycles cycles:

  1. start `mcp-server --http 127.0.0.1:<free port>` on the database;
  2. check the database and the server (below);
  3. drive a mixed load from several concurrent MCP clients over HTTP — two editors generating and
     validating, two viewers validating (real, forged, malformed and unknown keys), an admin revoking
     (and re-revoking), and a role changer running `tmwsctl agent set-role` whose churn agent then
     calls `generate_license_key` — recording every acknowledged operation (a response received);
  4. `kill -9` the server (and any `tmwsctl` still running) at a random moment.

After each restart, against everything acknowledged in all cycles so far:
  - `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` finds nothing;
  - every acknowledged generate is a row with the key's hash, owner and tier, and its
    `license_generated` audit row;
  - every acknowledged revoke is still revoked, with the acknowledged time and reason, and its
    `license_revoked` audit row; no license is revoked that nobody asked to revoke;
  - every acknowledged validation has its usage row: per license, usage rows >= acknowledged
    validations and VALID rows >= acknowledged VALID verdicts; `validation_count` equals the VALID
    rows; no VALID row is dated after the license's revocation; rows without a license (malformed and
    unknown keys) >= those acknowledged, per validating agent;
  - every acknowledged role change is in place (or a later, unacknowledged one) with its
    `role_changed` audit row;
  - nothing is present that was never sent (more licenses, usage rows or revocations than requests);
  - the server serves again: /health, whoami for every agent (the role it reports is the stored
    one), a validation with the expected verdict, and get_license_info.
During the load, every answer is checked too: a VALID verdict for a license whose revocation was
acknowledged before the validation was sent, a forged key that validates, or a churn agent's
generate that does not follow its last acknowledged role is a violation.

Durability: the server opens SQLite in WAL mode with `synchronous=NORMAL` (the default,
`SQLiteStore.Configuration.durability = .normal`), which keeps every committed transaction across a
crash of the process; it does not claim to survive a power loss (that is `.full`). `kill -9` is a
process crash, so no acknowledged write may be lost.

Usage (the binaries are not built here):
    swift build -c release --scratch-path .build-helper2 --product mcp-server
    swift build -c release --scratch-path .build-helper2 --product tmwsctl
    .venv/bin/python scripts/crash_loop.py --bin-dir "$(swift build -c release --scratch-path .build-helper2 --show-bin-path)"

Prints counts per cycle and a summary; exits 1 on any violation (keeping the temporary directory),
0 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import anyio

from tmws_harness import Deployment, Server, call, http_session, resolve_bin_dir

ROLES = ("viewer", "editor", "admin")
TIERS = ("FREE", "PRO", "ENTERPRISE")
GENERATING = {"editor", "admin"}
KINDS = ("generate", "validate", "revoke", "role_change")


@dataclass
class License:
    key: str
    owner: str
    tier: str
    revoked_at: str | None = None   # ISO text, as acknowledged (or found after a restart)
    reason: str | None = None
    revoked_since: float | None = None   # monotonic time from which the license is known revoked
    validations: int = 0   # acknowledged validations that resolve to this license (any verdict)
    valid: int = 0         # acknowledged VALID verdicts


class Ledger:
    """What was sent and what was acknowledged, over all cycles."""

    def __init__(self) -> None:
        self.licenses: dict[str, License] = {}
        self.orphans: set[str] = set()          # licenses present after a restart whose generate was not acknowledged
        self.revoke_sent: set[str] = set()      # every license a revoke was ever sent for
        self.pending_revokes: dict[str, str] = {}   # sent, not acknowledged: license id -> reason
        self.unresolved: Counter[str] = Counter()   # acknowledged validations recorded without a license, per agent
        self.roles: dict[str, str] = {}         # acknowledged role per agent
        self.pending_roles: dict[str, str] = {}  # role change sent (tmwsctl started), not acknowledged
        self.role_acks: Counter[tuple[str, str]] = Counter()   # (agent, role) -> acknowledged changes to it
        self.sent: Counter[str] = Counter()
        self.acked: Counter[str] = Counter()
        self.cycle_acked: Counter[str] = Counter()
        self.unacked_present: Counter[str] = Counter()
        self.violations: list[str] = []
        self.killed = False
        self.live_processes: set = set()

    def violation(self, text: str) -> None:
        self.violations.append(text)
        print(f"  VIOLATION: {text}", flush=True)

    def ack(self, kind: str) -> None:
        self.acked[kind] += 1
        self.cycle_acked[kind] += 1

    def record_generate(self, owner: str, content: dict) -> None:
        self.ack("generate")
        self.licenses[content["license_id"]] = License(key=content["license_key"], owner=owner, tier=content["tier"])


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def seconds(timestamp: str | None) -> str | None:
    """A stored (`YYYY-MM-DD HH:MM:SS.SSS`) or ISO (`…THH:MM:SSZ`) time, to the whole second, as `YYYY-MM-DD HH:MM:SS`."""
    return None if timestamp is None else timestamp.replace("T", " ").rstrip("Z")[:19]


def forge(key: str) -> str:
    """The same key with the last checksum digit changed: well-formed, names a real license, must not validate."""
    last = key[-1]
    return key[:-1] + ("0" if last != "0" else "1")


class CrashLoop:
    def __init__(self, args: argparse.Namespace, deployment: Deployment):
        self.args = args
        self.rng = random.Random(args.seed)
        self.deployment = deployment
        self.server = Server(deployment)
        self.ledger = Ledger()
        self.churn_agents = [f"churn-{i}" for i in range(args.churn_agents)]
        self.generators = ["editor-0", "editor-1", "admin", *self.churn_agents]

    # MARK: Load

    async def validate(self, session, agent: str) -> None:
        """One validation of a random kind of key, checked against what is known."""
        ledger = self.ledger
        roll = self.rng.random()
        lid = None
        if ledger.licenses and roll < 0.8:
            lid = self.rng.choice(list(ledger.licenses))
            kind, key = "real", ledger.licenses[lid].key
        elif ledger.licenses and roll < 0.9:
            lid = self.rng.choice(list(ledger.licenses))
            kind, key = "forged", forge(ledger.licenses[lid].key)
        elif roll < 0.95:
            kind, key = "malformed", "TMWS-PRO-not-a-key-" + str(self.rng.randrange(10**6))
        else:
            kind, key = "unknown", f"TMWS-PRO-{uuid.uuid4()}-{'0' * 16}"
        arguments = {"key": key}
        if self.rng.random() < 0.5:
            arguments["feature_accessed"] = self.rng.choice(["export", "sync", "report"])
        ledger.sent["validate"] += 1
        sent_at = time.monotonic()
        is_error, content = await call(session, "validate_license_key", **arguments)
        ledger.ack("validate")
        if is_error:
            ledger.violation(f"{agent}: validate_license_key failed: {content}")
            return
        code = content.get("code")
        if kind in ("malformed", "unknown"):
            ledger.unresolved[agent] += 1
            expected = "MALFORMED" if kind == "malformed" else "NOT_FOUND"
            if code != expected:
                ledger.violation(f"{agent}: a {kind} key gave {code}, not {expected}")
            return
        license = ledger.licenses[lid]
        license.validations += 1
        if kind == "forged":
            if code != "NOT_FOUND":
                ledger.violation(f"{agent}: a forged key for {lid} gave {code}, not NOT_FOUND")
            return
        if code == "VALID":
            license.valid += 1
            if license.revoked_since is not None and license.revoked_since < sent_at:
                ledger.violation(f"{agent}: VALID for {lid}, whose revocation was acknowledged before the validation was sent")
        elif code == "REVOKED":
            if lid not in ledger.revoke_sent:
                ledger.violation(f"{agent}: REVOKED for {lid}, which nobody revoked")
        else:
            ledger.violation(f"{agent}: a real key for {lid} gave {code}")

    async def generate(self, session, agent: str) -> dict | None:
        arguments: dict = {"tier": self.rng.choice(TIERS)}
        if self.rng.random() < 0.7:
            arguments["expires_days"] = self.rng.randint(30, 3650)
        self.ledger.sent["generate"] += 1
        is_error, content = await call(session, "generate_license_key", **arguments)
        if is_error:
            self.ledger.ack("generate_denied")
            return content
        self.ledger.record_generate(agent, content)
        return None

    async def revoke(self, session, lid: str) -> None:
        ledger = self.ledger
        license = ledger.licenses[lid]
        reason = f"crash-loop {self.rng.randrange(10**9)}"
        ledger.revoke_sent.add(lid)
        if license.revoked_at is None:
            ledger.pending_revokes.setdefault(lid, reason)
        ledger.sent["revoke"] += 1
        is_error, content = await call(session, "revoke_license_key", license_id=lid, reason=reason)
        ledger.ack("revoke")
        if is_error:
            ledger.violation(f"revoke_license_key {lid} failed: {content}")
            return
        if license.revoked_at is None:
            # The first acknowledged revocation. (An earlier unacknowledged one that committed was
            # adopted at the last restart and set `revoked_at`, so `already_revoked` must be false.)
            if content["already_revoked"]:
                ledger.violation(f"revoke of {lid} says already revoked, but no earlier revoke is known")
            license.revoked_at, license.reason = content["revoked_at"], content["reason"]
            license.revoked_since = time.monotonic()
            ledger.pending_revokes.pop(lid, None)
        elif not content["already_revoked"] or seconds(content["revoked_at"]) != seconds(license.revoked_at) \
                or content["reason"] != license.reason:
            ledger.violation(f"a second revoke of {lid} did not keep the first revocation: {content}, first {license.revoked_at} {license.reason!r}")

    async def editor_load(self, session, agent: str) -> None:
        while True:
            if self.rng.random() < 0.6 or not self.ledger.licenses:
                denied = await self.generate(session, agent)
                if denied is not None:
                    self.ledger.violation(f"{agent}: generate_license_key failed: {denied}")
            else:
                await self.validate(session, agent)

    async def viewer_load(self, session, agent: str) -> None:
        while True:
            await self.validate(session, agent)

    async def admin_load(self, session, agent: str) -> None:
        while True:
            roll = self.rng.random()
            active = [lid for lid, lic in self.ledger.licenses.items() if lid not in self.ledger.revoke_sent]
            revoked = [lid for lid, lic in self.ledger.licenses.items() if lic.revoked_at is not None]
            if roll < 0.3 and len(active) > 3:
                await self.revoke(session, self.rng.choice(active))
            elif roll < 0.4 and revoked:
                await self.revoke(session, self.rng.choice(revoked))
            else:
                await self.validate(session, agent)

    async def role_changer(self, sessions: dict) -> None:
        """`tmwsctl agent set-role` on a churn agent, then a generate by that agent: allowed iff its new role generates."""
        ledger = self.ledger
        while True:
            agent = self.rng.choice(self.churn_agents)
            role = self.rng.choice([r for r in ROLES if r != ledger.roles[agent]])
            ledger.sent["role_change"] += 1
            ledger.pending_roles[agent] = role
            with open(self.deployment.home / "tmwsctl.log", "a") as log:
                process = await anyio.open_process(
                    [self.deployment.tmwsctl, "agent", "set-role", agent, role], env=self.deployment.env,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
            ledger.live_processes.add(process)
            try:
                status = await process.wait()
            finally:
                ledger.live_processes.discard(process)
            if status != 0:
                if not ledger.killed:
                    ledger.violation(f"tmwsctl agent set-role {agent} {role} exited {status}")
                return
            ledger.pending_roles.pop(agent, None)
            ledger.roles[agent] = role
            ledger.role_acks[(agent, role)] += 1
            ledger.ack("role_change")
            denied = await self.generate(sessions[agent], agent)
            allowed = denied is None
            if allowed != (role in GENERATING):
                code = denied and denied.get("error", {}).get("code")
                ledger.violation(f"{agent} with role {role} (acknowledged) got {'a license' if allowed else code} from generate_license_key")

    async def client(self, name: str, agents: list[str], body, ready: list) -> None:
        """Opens a session per agent, then runs `body` until the kill (any failure before it is a violation)."""
        try:
            async with AsyncExitStack() as stack:
                sessions = {}
                for agent in agents:
                    sessions[agent] = await stack.enter_async_context(
                        http_session(self.server.base, self.deployment.keys[agent], terminate_on_close=False))
                ready.append(name)
                await body(sessions)
        except Exception as failure:  # noqa: BLE001 - after the kill every client fails; before it, none may
            if not self.ledger.killed:
                self.ledger.violation(f"client {name} failed before the kill: {describe(failure)}")

    # MARK: Cycle

    async def cycle(self, number: int) -> dict:
        ledger = self.ledger
        ledger.killed = False
        ledger.cycle_acked = Counter()
        started = self.server.start()
        checks = self.verify_database()
        await self.verify_serving()
        ready: list[str] = []
        clients = [
            ("editor-0", ["editor-0"], lambda s: self.editor_load(s["editor-0"], "editor-0")),
            ("editor-1", ["editor-1"], lambda s: self.editor_load(s["editor-1"], "editor-1")),
            ("viewer-0", ["viewer-0"], lambda s: self.viewer_load(s["viewer-0"], "viewer-0")),
            ("viewer-1", ["viewer-1"], lambda s: self.viewer_load(s["viewer-1"], "viewer-1")),
            ("admin", ["admin"], lambda s: self.admin_load(s["admin"], "admin")),
            ("role-changer", self.churn_agents, self.role_changer),
        ]
        async with anyio.create_task_group() as group:
            for name, agents, body in clients:
                group.start_soon(self.client, name, agents, body, ready)
            with anyio.fail_after(60):
                while len(ready) < len(clients) and not ledger.violations:
                    await anyio.sleep(0.01)
            load_for = self.rng.uniform(self.args.min_load, self.args.max_load)
            await anyio.sleep(load_for)
            # The crash: the server and any tmwsctl still running, SIGKILL, no shutdown path.
            ledger.killed = True
            in_flight_tmwsctl = len(ledger.live_processes)
            for process in list(ledger.live_processes):
                process.kill()
            self.server.kill9()
            # A response already on its way is still read (it counts as acknowledged); then stop waiting.
            await anyio.sleep(0.5)
            group.cancel_scope.cancel()
        return {"started": started, "load_for": load_for, "checks": checks, "in_flight_tmwsctl": in_flight_tmwsctl}

    # MARK: Checks

    def verify_database(self) -> dict:
        """The database checks after a restart; reconciles unacknowledged-but-present writes into the ledger."""
        ledger = self.ledger
        connection = sqlite3.connect(f"file:{self.deployment.db}?mode=ro", uri=True, timeout=30)
        try:
            integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                ledger.violation(f"PRAGMA integrity_check: {integrity[:5]}")
            foreign = connection.execute("PRAGMA foreign_key_check").fetchall()
            if foreign:
                ledger.violation(f"PRAGMA foreign_key_check: {foreign[:5]}")
            agents = {name: (agent_id, role) for agent_id, name, role in connection.execute("SELECT id, agent_id, role FROM agents")}
            names = {agent_id: name for name, (agent_id, _) in agents.items()}
            stored = {
                row[0]: row[1:] for row in connection.execute(
                    "SELECT id, license_key_hash, agent_id, tier, is_active, revoked_at, revoked_reason, validation_count FROM license_keys")
            }
            usage = {
                row[0]: row[1:] for row in connection.execute(
                    "SELECT license_id, COUNT(*), COALESCE(SUM(valid), 0) FROM license_usage_history "
                    "WHERE license_id IS NOT NULL GROUP BY license_id")
            }
            unresolved = dict(connection.execute(
                "SELECT agent_id, COUNT(*) FROM license_usage_history WHERE license_id IS NULL GROUP BY agent_id").fetchall())
            total_rows = connection.execute("SELECT COUNT(*) FROM license_usage_history").fetchone()[0]
            valid_after_revocation = connection.execute(
                "SELECT COUNT(*) FROM license_usage_history u JOIN license_keys l ON u.license_id = l.id "
                "WHERE u.valid = 1 AND l.revoked_at IS NOT NULL AND u.validated_at > l.revoked_at").fetchone()[0]
            audit: dict[str, Counter] = {"license_generated": Counter(), "license_revoked": Counter(), "role_changed": Counter()}
            for event, details in connection.execute(
                    "SELECT event_type, details FROM security_audit_logs "
                    "WHERE event_type IN ('license_generated', 'license_revoked', 'role_changed')"):
                data = json.loads(details)
                subject = (data.get("agent"), data.get("to")) if event == "role_changed" else data.get("license_id")
                audit[event][subject] += 1
        finally:
            connection.close()

        # Generates.
        for lid, license in ledger.licenses.items():
            row = stored.get(lid)
            if row is None:
                ledger.violation(f"lost write: acknowledged generate {lid} is not in license_keys")
                continue
            key_hash, owner_id, tier = row[0], row[1], row[2]
            if key_hash != sha256(license.key) or names.get(owner_id) != license.owner or tier != license.tier:
                ledger.violation(f"license {lid} does not match its acknowledged generate (hash/owner/tier)")
        for lid, row in stored.items():
            # The license row and its audit row are one transaction, acknowledged or not.
            if audit["license_generated"][lid] < 1:
                ledger.violation(f"{'lost write: acknowledged ' if lid in ledger.licenses else 'unacknowledged '}"
                                 f"generate {lid} has no license_generated audit row")
            if row[4] is not None and audit["license_revoked"][lid] < 1:
                ledger.violation(f"revoked license {lid} has no license_revoked audit row")
            if lid in ledger.licenses or lid in ledger.orphans:
                continue
            ledger.orphans.add(lid)
            ledger.unacked_present["generate"] += 1
            if names.get(row[1]) not in self.generators:
                ledger.violation(f"license {lid} is owned by {names.get(row[1])}, who never generated")
        unacked_generates = ledger.sent["generate"] - ledger.acked["generate"] - ledger.acked["generate_denied"]
        if len(ledger.orphans) > unacked_generates:
            ledger.violation(f"{len(ledger.orphans)} unacknowledged licenses present, but only {unacked_generates} generates went unanswered")

        # Revokes.
        for lid, license in ledger.licenses.items():
            row = stored.get(lid)
            if row is None:
                continue
            is_active, revoked_at, reason = row[3], row[4], row[5]
            if license.revoked_at is not None:
                if revoked_at is None or is_active:
                    ledger.violation(f"lost write: acknowledged revoke of {lid} is not in place (revoked_at {revoked_at}, is_active {is_active})")
                elif seconds(revoked_at) != seconds(license.revoked_at) or reason != license.reason:
                    ledger.violation(f"revocation of {lid} changed: stored {revoked_at} {reason!r}, acknowledged {license.revoked_at} {license.reason!r}")
            elif revoked_at is not None:
                if lid not in ledger.pending_revokes:
                    ledger.violation(f"{lid} is revoked, but no revoke was sent for it")
                else:
                    # An unacknowledged revoke that committed: from now on the license is revoked.
                    ledger.unacked_present["revoke"] += 1
                    license.revoked_at, license.reason, license.revoked_since = revoked_at, reason, time.monotonic()
        ledger.pending_revokes.clear()

        # Validations.
        acknowledged_rows = 0
        for lid, license in ledger.licenses.items():
            rows, valid_rows = usage.get(lid, (0, 0))
            acknowledged_rows += license.validations
            if rows < license.validations:
                ledger.violation(f"lost write: {lid} has {rows} usage rows for {license.validations} acknowledged validations")
            if valid_rows < license.valid:
                ledger.violation(f"lost write: {lid} has {valid_rows} VALID rows for {license.valid} acknowledged VALID verdicts")
            if lid in stored and stored[lid][6] != valid_rows:
                ledger.violation(f"{lid}: validation_count {stored[lid][6]} != {valid_rows} VALID usage rows")
        for agent, count in ledger.unresolved.items():
            found = unresolved.get(agents[agent][0], 0)
            if found < count:
                ledger.violation(f"lost write: {agent} has {found} usage rows without a license for {count} acknowledged")
        acknowledged_rows += sum(ledger.unresolved.values())
        if total_rows > ledger.sent["validate"]:
            ledger.violation(f"{total_rows} usage rows, but only {ledger.sent['validate']} validations were sent")
        ledger.unacked_present["validate"] = total_rows - acknowledged_rows
        if valid_after_revocation:
            ledger.violation(f"{valid_after_revocation} VALID usage rows are dated after their license's revocation")

        # Role changes.
        for agent in self.churn_agents:
            role = agents[agent][1]
            pending = ledger.pending_roles.pop(agent, None)
            if role != ledger.roles[agent]:
                if role == pending:
                    ledger.unacked_present["role_change"] += 1
                    ledger.roles[agent] = role
                else:
                    ledger.violation(f"lost write: {agent} has role {role}, acknowledged {ledger.roles[agent]}")
        for (agent, role), count in ledger.role_acks.items():
            if audit["role_changed"][(agent, role)] < count:
                ledger.violation(f"lost write: {count} acknowledged changes of {agent} to {role}, "
                                 f"{audit['role_changed'][(agent, role)]} role_changed audit rows")
        return {"integrity": integrity[0] if len(integrity) == 1 else integrity, "licenses": len(stored), "usage_rows": total_rows}

    async def verify_serving(self) -> None:
        """The restarted server answers: health, whoami for every agent, a validation, license info."""
        ledger = self.ledger
        status, body = self.server.health()
        if status != 200 or json.loads(body) != {"status": "healthy"}:
            ledger.violation(f"/health after restart: {status} {body!r}")
        for agent in ["admin", "editor-0", "editor-1", "viewer-0", "viewer-1", *self.churn_agents]:
            async with http_session(self.server.base, self.deployment.keys[agent]) as session:
                is_error, me = await call(session, "whoami")
                if is_error or me.get("name") != agent or me.get("role") != ledger.roles[agent]:
                    ledger.violation(f"whoami for {agent} after restart: {me} (expected role {ledger.roles[agent]})")
                if agent != "admin" or not ledger.licenses:
                    continue
                await self.validate(session, agent)
                lid = self.rng.choice(list(ledger.licenses))
                license = ledger.licenses[lid]
                is_error, info = await call(session, "get_license_info", license_id=lid)
                expected = "revoked" if license.revoked_at else "active"
                if is_error or info.get("status") != expected or info.get("validation_count", -1) < license.valid:
                    ledger.violation(f"get_license_info {lid} after restart: {info} (expected {expected}, >= {license.valid} validations)")


def describe(failure: BaseException) -> str:
    if isinstance(failure, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in failure.exceptions)
    return f"{type(failure).__name__}: {failure}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", help="directory with mcp-server and tmwsctl (else TMWS_BIN_DIR)")
    parser.add_argument("--cycles", type=int, default=25, help="kill/restart cycles (default 25; at least 20 for the issue)")
    parser.add_argument("--min-load", type=float, default=0.3, help="shortest load before the kill, seconds (default 0.3)")
    parser.add_argument("--max-load", type=float, default=4.0, help="longest load before the kill, seconds (default 4)")
    parser.add_argument("--churn-agents", type=int, default=2, help="agents whose roles keep changing (default 2)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time-based; printed)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory even when everything passes")
    args = parser.parse_args()
    if args.seed is None:
        args.seed = int(time.time())
    bin_dir = resolve_bin_dir(args.bin_dir)
    logging.basicConfig(level=logging.CRITICAL)   # the MCP client logs every dead connection; the checks report instead

    home = Path(tempfile.mkdtemp(prefix="tmws-crash-loop-"))
    deployment = Deployment(home, bin_dir)
    print(f"crash loop: {args.cycles} cycles, seed {args.seed}, binaries {bin_dir}, directory {home}", flush=True)
    deployment.init()
    loop = CrashLoop(args, deployment)
    ledger = loop.ledger
    for name, role in [("editor-0", "editor"), ("editor-1", "editor"), ("viewer-0", "viewer"), ("viewer-1", "viewer"),
                       *((agent, "viewer") for agent in loop.churn_agents)]:
        deployment.create_agent(name, role)
        ledger.roles[name] = role
    ledger.roles["admin"] = "admin"

    began = time.monotonic()
    kills = 0
    try:
        for number in range(1, args.cycles + 1):
            report = anyio.run(loop.cycle, number)
            kills += 1
            acked = ledger.cycle_acked
            print(f"cycle {number:2}: start {report['started']:.2f}s, checks {report['checks']['integrity']} "
                  f"({report['checks']['licenses']} licenses, {report['checks']['usage_rows']} usage rows), "
                  f"kill -9 after {report['load_for']:.2f}s of load; acknowledged: "
                  f"{acked['generate']} generates, {acked['validate']} validations, {acked['revoke']} revokes, "
                  f"{acked['role_change']} role changes ({acked['generate_denied']} generates denied by role); "
                  f"tmwsctl killed in flight: {report['in_flight_tmwsctl']}", flush=True)
            if ledger.violations:
                break
        # The restart after the last kill, with its checks.
        if not ledger.violations:
            loop.server.start()
            checks = loop.verify_database()
            anyio.run(loop.verify_serving)
            print(f"final restart: checks {checks['integrity']} ({checks['licenses']} licenses, {checks['usage_rows']} usage rows)")
            status = loop.server.stop()
            if status != 0:
                ledger.violation(f"mcp-server exited {status} on SIGTERM after the last restart")
    finally:
        loop.server.kill9()

    lost = sum(1 for v in ledger.violations if v.startswith("lost write"))
    unacked = {kind: ledger.sent[kind] - ledger.acked[kind] for kind in KINDS}
    unacked["generate"] -= ledger.acked["generate_denied"]
    print()
    print(f"summary: {kills} cycles (kill -9 each), {time.monotonic() - began:.0f}s, seed {args.seed}")
    print(f"  acknowledged writes: {ledger.acked['generate']} generates, {ledger.acked['validate']} validations, "
          f"{ledger.acked['revoke']} revokes, {ledger.acked['role_change']} role changes "
          f"(+ {ledger.acked['generate_denied']} generates denied by role)")
    print(f"  sent but unacknowledged (in flight at a kill): {dict(unacked)}")
    print(f"  unacknowledged but present after restart: {dict(ledger.unacked_present)}")
    print(f"  lost writes: {lost}")
    print(f"  integrity_check: ok after every restart" if not any("integrity" in v for v in ledger.violations)
          else "  integrity_check: FAILED")
    print(f"  violations: {len(ledger.violations)}")
    for violation in ledger.violations[:50]:
        print(f"    {violation}")
    if ledger.violations or args.keep:
        print(f"  kept {home} (server.log, data/tmws.db)")
    else:
        shutil.rmtree(home, ignore_errors=True)
    return 1 if ledger.violations else 0


if __name__ == "__main__":
    sys.exit(main())
