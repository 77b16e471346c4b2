#!/usr/bin/env python3
"""Generates a TMWS database for the opt-in scale run: N licenses and M usage rows.

    Benchmarks/scale/generate.py --out /tmp/scale-1m --licenses 1000000 --usage 10000000
    Benchmarks/scale/generate.py --out /tmp/scale-1k --licenses 1000 --usage 110000

The schema, the signing secret and the `admin` agent come from `tmwsctl init` (so the database is
exactly what the product creates); licenses and usage rows are bulk-inserted with the sqlite3
module in large transactions. Every license key is signed with the deployment's secret, so any of
them validates. One "hot" license gets 100,000 usage rows (for the deep history page); the rest
are spread over the other licenses. A sidecar `fixture.json` names the admin API key, a valid key
and the hot license for the benchmarks (TMWS_BENCH_SCALE_DIR=<out>).
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path


def ts(seconds: float) -> str:
    whole = int(seconds)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole)) + ".%03d" % int((seconds - whole) * 1000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--licenses", type=int, default=1_000_000)
    parser.add_argument("--usage", type=int, default=10_000_000)
    parser.add_argument("--tmwsctl", default=os.environ.get("TMWSCTL", ".build/release/tmwsctl"))
    args = parser.parse_args()

    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "tmws.db"
    if db.exists():
        raise SystemExit(f"{db} exists; choose a new --out")
    env = {**os.environ, "HOME": str(out), "TMWS_DATABASE_URL": f"sqlite:///{db}"}
    env.pop("TMWS_SECRET_KEY", None)
    env.pop("TMWS_SECRET_KEY_FILE", None)
    subprocess.run([args.tmwsctl, "init"], env=env, check=True, capture_output=True)
    secret = (out / "tmws_secret.key").read_text().strip().encode()
    api_key = (out / "admin.key").read_text().strip()

    rng = random.Random(20261126)
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = OFF")
    admin_id = con.execute("SELECT id FROM agents WHERE agent_id = 'admin'").fetchone()[0]
    start = time.time() - 86_400 * 200
    expiry = int(time.time()) + 86_400 * 365
    started = time.time()

    ids = []
    hot_key = None
    batch = []
    for n in range(args.licenses):
        lid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        tier = ("FREE", "PRO", "ENTERPRISE")[n % 3]
        checksum = hmac.new(secret, f"{tier}:{lid}:{expiry}".encode(), hashlib.sha256).hexdigest()[:16]
        key = f"TMWS-{tier}-{lid}-{checksum}"
        created = ts(start + n * (86_400 * 199 / max(1, args.licenses)))
        batch.append((lid, admin_id, "default", tier, hashlib.sha256(key.encode()).hexdigest(), created, ts(expiry),
                      created, "{}"))
        ids.append(lid)
        if n == 0:
            hot_key = key
        if len(batch) == 50_000:
            con.executemany("INSERT INTO license_keys (id, agent_id, namespace, tier, license_key_hash, issued_at, "
                            "expires_at, is_active, created_at, validation_count, metadata) VALUES (?,?,?,?,?,?,?,1,?,0,?)", batch)
            con.commit()
            batch.clear()
    if batch:
        con.executemany("INSERT INTO license_keys (id, agent_id, namespace, tier, license_key_hash, issued_at, "
                        "expires_at, is_active, created_at, validation_count, metadata) VALUES (?,?,?,?,?,?,?,1,?,0,?)", batch)
        con.commit()
    print(f"{args.licenses} licenses in {time.time() - started:.1f}s", flush=True)

    hot = ids[0]
    hot_rows = min(100_000, args.usage)
    batch = []
    for n in range(args.usage):
        lid = hot if n < hot_rows else ids[rng.randrange(len(ids))]
        valid = rng.random() > 0.03
        batch.append((lid, admin_id, ts(start + n * (86_400 * 199 / max(1, args.usage))), 1 if valid else 0,
                      "bench", None if valid else "EXPIRED"))
        if len(batch) == 200_000:
            con.executemany("INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, "
                            "feature_accessed, failure_reason) VALUES (?,?,?,?,?,?)", batch)
            con.commit()
            batch.clear()
    if batch:
        con.executemany("INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, "
                        "feature_accessed, failure_reason) VALUES (?,?,?,?,?,?)", batch)
        con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    print(f"{args.usage} usage rows, total {time.time() - started:.1f}s", flush=True)
    (out / "fixture.json").write_text(json.dumps({"api_key": api_key, "license_key": hot_key, "license_id": hot}))


if __name__ == "__main__":
    main()
