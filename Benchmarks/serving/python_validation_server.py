"""The end-to-end HTTP reference: the official Python SDK's stateless Streamable HTTP server doing
the same validation as TMWS on a SQLite file (WAL): parse the key, check its HMAC-SHA256 checksum,
read the license, write one usage row and bump the counter in one transaction. It checks no API
key (TMWS authenticates one per call), which favours the reference.

Usage: python_validation_server.py PORT DB SECRET_FILE
(DB is a TMWS SQLite database created by `tmwsctl init`; SECRET_FILE its tmws_secret.key.)
"""
import hashlib
import hmac
import re
import sqlite3
import sys
import threading
from datetime import datetime, timezone

from mcp.server.mcpserver import MCPServer

PORT, DB, SECRET_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(SECRET_FILE, "rb") as f:
    SECRET = f.read().strip()
KEY = re.compile(r"^TMWS-(FREE|PRO|ENTERPRISE)-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9a-f]{16})$")
local = threading.local()
with sqlite3.connect(DB) as first:
    AGENT = first.execute("SELECT id FROM agents ORDER BY created_at LIMIT 1").fetchone()[0]


def connection():
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(DB, isolation_level=None, check_same_thread=False)
        local.db.execute("PRAGMA journal_mode=WAL")
        local.db.execute("PRAGMA synchronous=NORMAL")
        local.db.execute("PRAGMA busy_timeout=5000")
    return local.db


server = MCPServer("python-validation", log_level="WARNING")


@server.tool()
def validate_license_key(key: str) -> dict:
    """Validates a TMWS license key and records the attempt."""
    db = connection()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    match = KEY.match(key)
    if not match:
        return {"valid": False, "code": "MALFORMED"}
    tier, license_id, checksum = match.groups()
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT tier, expires_at, is_active FROM license_keys WHERE id = ?", (license_id,)).fetchone()
        if row is None:
            code = "NOT_FOUND"
        else:
            expiry = "PERPETUAL" if row[1] is None else str(int(datetime.strptime(row[1][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()))
            expected = hmac.new(SECRET, f"{tier}:{license_id}:{expiry}".encode(), hashlib.sha256).hexdigest()[:16]
            code = "VALID" if hmac.compare_digest(expected, checksum) and row[2] else "BAD_SIGNATURE"
        db.execute(
            "INSERT INTO license_usage_history (license_id, agent_id, validated_at, valid, feature_accessed, failure_reason) VALUES (?, ?, ?, ?, NULL, ?)",
            (license_id if row else None, AGENT, now, 1 if code == "VALID" else 0, None if code == "VALID" else code))
        if row is not None:
            db.execute("UPDATE license_keys SET validation_count = validation_count + 1, last_validated_at = ? WHERE id = ?", (now, license_id))
        db.execute("COMMIT")
    except Exception:
        db.execute("ROLLBACK")
        raise
    return {"valid": code == "VALID", "code": code}


if __name__ == "__main__":
    server.run("streamable-http", host="127.0.0.1", port=PORT, stateless_http=True, json_response=True)
