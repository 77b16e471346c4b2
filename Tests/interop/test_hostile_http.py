"""Hostile input over a real `mcp-server --http` on a SQLite file: malformed JSON-RPC, wrong types,
missing and extra arguments, megabyte strings, bad and uppercase UUIDs, injection strings, control
characters and unicode, out-of-range limits, forged and tampered cursors, unknown tools and methods,
oversized bodies, bad bearer tokens, foreign Host and Origin headers, bad session ids.

Requests go out as raw HTTP (`http.client`), since the official client refuses to send most of
them. Every input gets a clear answer (an HTTP status, a JSON-RPC error, or an isError tool result
with its documented code); after every one the process is alive, `GET /health` is healthy and a
normal call works; and the database changed by exactly the rows that input should write — compared
table by table and row by row with Python's sqlite3 before and after.

The row snapshot helpers here are shared with test_hostile_stdio.py."""

import base64
import http.client
import json
import socket
import sqlite3
import subprocess
import time
import uuid
from dataclasses import dataclass, field

import pytest

from conftest import MCP_SERVER, free_port

MAX_BODY = 1 << 20
PROTOCOL = "2025-06-18"
MEGABYTE = "x" * 1_000_000

# ---------------------------------------------------------------------------------------------
# Row snapshots (shared with test_hostile_stdio.py)

# Bookkeeping an authenticated call may write at any time: the API key's last use (at most once a
# minute). Nothing else may change without being expected.
IGNORED_COLUMNS = {("agent_api_keys", "last_used_at")}


def snapshot(db):
    """Every row of every table, by rowid, as a dict of columns."""
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        result = {}
        for table in tables:
            cursor = connection.execute(f'SELECT rowid AS "__rowid__", * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            rows = {}
            for values in cursor:
                row = dict(zip(names, values))
                rowid = row.pop("__rowid__")
                rows[rowid] = {k: v for k, v in row.items() if (table, k) not in IGNORED_COLUMNS}
            result[table] = rows
        return result
    finally:
        connection.close()


@dataclass
class Writes:
    """The rows an input may write. `audit` lists (event_type, result or None, user_id) of new
    security_audit_logs rows in order; `usage` lists dicts that new license_usage_history rows must
    match; `licenses` names license_keys rows (by id) allowed to change."""
    audit: list = field(default_factory=list)
    usage: list = field(default_factory=list)
    licenses: set = field(default_factory=set)

    def __add__(self, other):
        return Writes(self.audit + other.audit, self.usage + other.usage, self.licenses | other.licenses)


NOTHING = Writes()


def check(agent_id, result):
    """One permission check by an agent, ALLOW or DENY."""
    return Writes(audit=[("permission_check", result, agent_id)])


def attempt_row(agent_id, license_id, reason, feature=None):
    """An allowed validation: its permission check and its usage row."""
    usage = {"license_id": license_id, "agent_id": agent_id, "valid": 0 if reason else 1, "failure_reason": reason}
    if feature is not None:
        usage["feature_accessed"] = feature
    return check(agent_id, "ALLOW") + Writes(usage=[usage])


def assert_writes(before, after, writes, label):
    """Compares two snapshots: no row removed anywhere; new rows only in security_audit_logs and
    license_usage_history, exactly as expected; changed rows only in license_keys, as allowed."""
    assert set(before) == set(after), f"{label}: tables changed: {set(before) ^ set(after)}"
    for table in before:
        old, new = before[table], after[table]
        removed = set(old) - set(new)
        assert not removed, f"{label}: rows removed from {table}: {removed}"
        changed = {rowid for rowid in old if old[rowid] != new[rowid]}
        added = [new[rowid] for rowid in sorted(set(new) - set(old))]
        if table == "license_keys":
            assert not added, f"{label}: licenses added: {added}"
            changed_ids = {new[rowid]["id"] for rowid in changed}
            assert changed_ids <= writes.licenses, f"{label}: licenses changed: {changed_ids - writes.licenses}"
            continue
        assert not changed, f"{label}: rows changed in {table}: {[(old[r], new[r]) for r in changed]}"
        if table == "security_audit_logs":
            got = [(row["event_type"], json.loads(row["details"]).get("result"), row["user_id"]) for row in added]
            assert got == writes.audit, f"{label}: audit rows {got}, expected {writes.audit}"
        elif table == "license_usage_history":
            assert len(added) == len(writes.usage), f"{label}: usage rows {added}, expected {writes.usage}"
            for row, expected in zip(added, writes.usage):
                assert {k: row[k] for k in expected} == expected, f"{label}: usage row {row}, expected {expected}"
        else:
            assert not added, f"{label}: rows added to {table}: {added}"


# ---------------------------------------------------------------------------------------------
# Raw HTTP


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def messages(self):
        """The JSON-RPC messages of the reply: the SSE events' data, or a JSON body."""
        if self.headers.get("content-type", "").startswith("text/event-stream"):
            found = []
            for line in self.body.decode().splitlines():
                if line.startswith("data:") and line[5:].strip():
                    found.append(json.loads(line[5:]))
            return found
        if self.body and self.headers.get("content-type", "").startswith("application/json"):
            return [json.loads(self.body)]
        return []


class HTTP:
    def __init__(self, port):
        self.port = port
        self.session = None

    def send(self, method, path, body=None, headers=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, str):
                body = body.encode()
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            connection.close()

    @staticmethod
    def base_headers():
        return {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}

    def headers(self, key=None, session=True, **extra):
        headers = self.base_headers()
        if session and self.session:
            headers["Mcp-Session-Id"] = self.session
            headers["MCP-Protocol-Version"] = PROTOCOL
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        headers.update(extra)
        return headers

    def initialize(self, headers=None):
        body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "hostile-http", "version": "1"}}}
        return self.send("POST", "/mcp", json.dumps(body), headers or self.base_headers())

    def open_session(self):
        reply = self.initialize()
        assert reply.status == 200, reply
        session = reply.headers["mcp-session-id"]
        notified = self.send("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
                             {**self.base_headers(), "Mcp-Session-Id": session, "MCP-Protocol-Version": PROTOCOL})
        assert notified.status == 202, notified
        return session

    def post(self, body, key=None, **extra):
        return self.send("POST", "/mcp", body if isinstance(body, (bytes, str)) else json.dumps(body),
                         self.headers(key, **extra))

    def call(self, tool, arguments, key, id=1, **extra):
        return self.post({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": tool, "arguments": arguments}}, key, **extra)


def answer(reply, id=1):
    assert reply.status == 200, f"HTTP {reply.status}: {reply.body[:300]!r}"
    found = [m for m in reply.messages if m.get("id") == id]
    assert len(found) == 1, f"no single answer with id {id}: {reply.body[:300]!r}"
    return found[0]


# Outcome checks: each takes the reply and raises on a mismatch.

def tool_error(code):
    def verify(reply):
        result = answer(reply)["result"]
        assert result["isError"] is True, result
        assert result["structuredContent"] == {"error": {"code": code, "message": result["structuredContent"]["error"]["message"]}}
        assert result["structuredContent"]["error"]["message"]
        assert result["content"][0]["text"].startswith(code + ": ")
    verify.__name__ = f"tool error {code}"
    return verify


def verdict(code):
    def verify(reply):
        result = answer(reply)["result"]
        assert result["isError"] is False, result
        assert result["structuredContent"]["code"] == code and result["structuredContent"]["valid"] is (code == "VALID")
    verify.__name__ = f"verdict {code}"
    return verify


def success(predicate=lambda content: True):
    def verify(reply):
        result = answer(reply)["result"]
        assert result["isError"] is False, result
        assert predicate(result["structuredContent"]), result["structuredContent"]
    return verify


def rpc_error(*codes):
    """A JSON-RPC error answering the request's id (over a 200 SSE stream)."""
    def verify(reply):
        error = answer(reply)["error"]
        assert not codes or error["code"] in codes, error
        assert error["message"]
    return verify


def http_error(*statuses, rpc=None):
    """An HTTP error status; with `rpc`, a JSON-RPC error body with that code."""
    def verify(reply):
        assert reply.status in statuses, f"HTTP {reply.status}: {reply.body[:300]!r}"
        if rpc is not None:
            [message] = reply.messages
            assert message["error"]["code"] == rpc, message
            assert message["error"]["message"]
    return verify


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


# ---------------------------------------------------------------------------------------------
# The server and the battery


class Battery:
    """Runs hostile inputs one by one against the server, checking each as described above."""

    def __init__(self, deployment, process, port):
        self.deployment = deployment
        self.process = process
        self.http = HTTP(port)
        self.count = 0

    def alive(self, label):
        assert self.process.poll() is None, f"{label}: the server exited with {self.process.returncode}"
        health = self.http.send("GET", "/health")
        assert (health.status, json.loads(health.body)) == (200, {"status": "healthy"}), f"{label}: {health}"
        who = self.http.call("whoami", {}, self.deployment.keys["viewer-1"])
        assert answer(who)["result"]["structuredContent"]["name"] == "viewer-1", f"{label}: whoami failed after it"

    def run(self, label, send, verify, writes=NOTHING):
        before = snapshot(self.deployment.db)
        started = time.monotonic()
        try:
            reply = send()
        except (TimeoutError, socket.timeout) as error:
            raise AssertionError(f"{label}: no answer within {time.monotonic() - started:.0f}s") from error
        try:
            verify(reply)
        except AssertionError as error:
            raise AssertionError(f"{label}: {error}") from error
        assert_writes(before, snapshot(self.deployment.db), writes, label)
        self.alive(label)
        self.count += 1
        return reply


@pytest.fixture(scope="module")
def battery(deployment):
    d = deployment
    revoked = d.create_agent("revoked-1", "viewer")
    d.ctl("agent", "key", "revoke", "revoked-1", revoked[:16])
    d.create_agent("suspended-1", "viewer")
    d.ctl("agent", "suspend", "suspended-1")
    port = free_port()
    log = open(d.log_path, "a")
    process = subprocess.Popen(
        [MCP_SERVER, "--http", f"127.0.0.1:{port}", "--max-body-bytes", str(MAX_BODY)], env=d.env,
        stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + 30
    while True:
        try:
            if HTTP(port).send("GET", "/health", timeout=1).status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("mcp-server --http did not start: " + d.log_path.read_text()[-2000:])
        time.sleep(0.05)
    b = Battery(d, process, port)
    b.http.session = b.http.open_session()
    yield b
    process.terminate()
    try:
        assert process.wait(timeout=15) == 0, "mcp-server did not shut down cleanly on SIGTERM"
    finally:
        if process.poll() is None:
            process.kill()
        log.close()


def agent_ids(db):
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(connection.execute("SELECT agent_id, id FROM agents"))
    finally:
        connection.close()


def test_hostile_input_over_http(battery, capsys):
    b, d, http_ = battery, battery.deployment, battery.http
    keys = d.keys
    admin, editor, viewer = keys["admin"], keys["editor-1"], keys["viewer-1"]
    ids = agent_ids(d.db)
    admin_id, editor_id, viewer_id = ids["admin"], ids["editor-1"], ids["viewer-1"]

    # Setup, with normal calls: two licenses owned by the editor, two usage rows on the first.
    def generate(arguments):
        content = answer(http_.call("generate_license_key", arguments, editor))["result"]["structuredContent"]
        d.generated.append(content["license_key"])
        return content["license_id"], content["license_key"]

    l1, k1 = generate({"tier": "PRO", "expires_days": 365})
    # A checksum of all zeros, or all ones if the real one is all zeros: the forgery always differs.
    zeroed = k1[:-16] + ("0" * 16 if k1[-16:] != "0" * 16 else "1" * 16)
    assert zeroed != k1
    l2, _ = generate({"tier": "FREE"})
    for _ in range(2):
        assert answer(http_.call("validate_license_key", {"key": k1}, editor))["result"]["structuredContent"]["valid"]
    page = answer(http_.call("get_usage_history", {"license_id": l1, "limit": 1}, editor))["result"]["structuredContent"]
    real_cursor = page["next_cursor"]
    kind, millis, row = unb64(real_cursor).split(".", 2)
    assert kind == "u"
    licenses_page = answer(http_.call("list_licenses", {"limit": 1}, editor))["result"]["structuredContent"]
    license_cursor = licenses_page["next_cursor"]
    b.alive("setup")

    missing = str(uuid.uuid4())
    tool = lambda name, arguments, key: (lambda: http_.call(name, arguments, key))  # noqa: E731
    invalid = tool_error("INVALID_ARGUMENT")
    denied = tool_error("PERMISSION_DENIED")
    unauthenticated = tool_error("UNAUTHENTICATED")
    not_found = tool_error("NOT_FOUND")

    # --- Tool arguments: wrong types, missing and extra, sizes, UUIDs, injection, unicode -------
    # Argument errors found by the schema check come before authorization: nothing is written.
    # Those the service finds after its permission check leave that check's audit row.
    argument_cases = [
        # generate_license_key
        (editor, "generate_license_key", {"tier": 3}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": None}, invalid, NOTHING),
        (editor, "generate_license_key", {}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "owner": "admin"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "pro"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO'; DROP TABLE license_keys; --"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "ENTERPRISE\u202e"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": MEGABYTE}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": "ten"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": True}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": 30.5}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": -1}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": 29}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": 3651}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": 10**12}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "expires_days": 10**30}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": "x"}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": {"k": 1}}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": {str(i): "v" for i in range(33)}}, invalid, NOTHING),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": {"": "v"}}, invalid, check(editor_id, "ALLOW")),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": {"k" * 65: "v"}}, invalid, check(editor_id, "ALLOW")),
        (editor, "generate_license_key", {"tier": "PRO", "metadata": {"k": "v" * 1025}}, invalid, check(editor_id, "ALLOW")),
        (viewer, "generate_license_key", {"tier": "PRO"}, denied, check(viewer_id, "DENY")),
        # validate_license_key: garbage that fits the schema is a verdict, recorded like any attempt.
        (viewer, "validate_license_key", {}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": MEGABYTE}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": "k" * 257}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": ["TMWS"]}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": 12}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": {"key": k1}}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": k1, "feature_accessed": "f" * 257}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": k1, "feature_accessed": 5}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": k1, "valid": True}, invalid, NOTHING),
        (viewer, "validate_license_key", {"key": ""}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": "k" * 256}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": "TMWS-PRO-' OR 1=1 --"}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": "'; DELETE FROM license_keys; --"}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": "TMWS-PRO-\u0000\u001b[31m-é🔑"}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": k1 + "\u0000"}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": "\u202e" + k1}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": k1.upper()}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": k1[:-1] + "G"}, verdict("MALFORMED"), attempt_row(viewer_id, None, "MALFORMED")),
        (viewer, "validate_license_key", {"key": zeroed}, verdict("BAD_SIGNATURE"), attempt_row(viewer_id, l1, "BAD_SIGNATURE")),
        (viewer, "validate_license_key", {"key": k1.replace("TMWS-PRO-", "TMWS-ENTERPRISE-")}, verdict("BAD_SIGNATURE"), attempt_row(viewer_id, l1, "BAD_SIGNATURE")),
        (viewer, "validate_license_key", {"key": f"TMWS-PRO-{missing}-{'0' * 16}"}, verdict("NOT_FOUND"), attempt_row(viewer_id, None, "NOT_FOUND")),
        # revoke_license_key
        (admin, "revoke_license_key", {}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": 12345}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1.upper()}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": "'; DROP TABLE license_keys; --"}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1 + "\u0000"}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1[:-1] + "g"}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": "{" + l1 + "}"}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1.replace("-", "")}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": MEGABYTE}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1, "reason": "r" * 1025}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1, "reason": 7}, invalid, NOTHING),
        (admin, "revoke_license_key", {"license_id": l1, "revoked_by": admin_id}, invalid, NOTHING),
        (viewer, "revoke_license_key", {"license_id": l1}, denied, check(viewer_id, "DENY")),
        (editor, "revoke_license_key", {"license_id": l1}, denied, check(editor_id, "DENY")),
        (admin, "revoke_license_key", {"license_id": missing}, not_found, check(admin_id, "ALLOW")),
        (admin, "revoke_license_key", {"license_id": "00000000-0000-0000-0000-000000000000"}, not_found, check(admin_id, "ALLOW")),
        # get_usage_history: limits and cursor sizes are schema errors; a cursor that does not
        # decode is found after the permission check.
        (editor, "get_usage_history", {}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": -5}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": 0}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": 1001}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": 10**12}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": 2**70}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": "10"}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "limit": 1.5}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "cursor": "A" * 513}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "cursor": 42}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1.upper()}, invalid, NOTHING),
        (editor, "get_usage_history", {"license_id": l1, "cursor": "not base64!!"}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": real_cursor + "é"}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": real_cursor[::-1]}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"a.{millis}.{row}")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"u.{millis}.1 OR 1=1")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"u.{millis}.")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"u.99999999999999999999.{row}")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"u.9223372036854775807.{row}")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64(f"u.-9223372036854775808.{row}")}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": license_cursor}, invalid, check(editor_id, "ALLOW")),
        (editor, "get_usage_history", {"license_id": l1, "cursor": b64("u.0.1")}, success(lambda c: c["items"] == []), check(editor_id, "ALLOW")),
        (viewer, "get_usage_history", {"license_id": l1}, denied, check(viewer_id, "DENY")),
        (viewer, "get_usage_history", {"license_id": missing, "cursor": real_cursor}, denied, check(viewer_id, "DENY")),
        (admin, "get_usage_history", {"license_id": missing}, not_found, check(admin_id, "ALLOW")),
        # get_license_info
        (editor, "get_license_info", {}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": None}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": ""}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": l1.upper()}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": "' OR '1'='1"}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": MEGABYTE}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": [l1]}, invalid, NOTHING),
        (editor, "get_license_info", {"license_id": l1, "verbose": True}, invalid, NOTHING),
        (viewer, "get_license_info", {"license_id": l1}, denied, check(viewer_id, "DENY")),
        (viewer, "get_license_info", {"license_id": missing}, denied, check(viewer_id, "DENY")),
        (admin, "get_license_info", {"license_id": missing}, not_found, check(admin_id, "ALLOW")),
        # list_licenses
        (editor, "list_licenses", {"limit": -1}, invalid, NOTHING),
        (editor, "list_licenses", {"limit": 10**12}, invalid, NOTHING),
        (editor, "list_licenses", {"owner_agent_id": "ADMIN"}, invalid, NOTHING),
        (editor, "list_licenses", {"owner_agent_id": admin_id.upper()}, invalid, NOTHING),
        (editor, "list_licenses", {"tier": "GOLD"}, invalid, NOTHING),
        (editor, "list_licenses", {"status": "'; --"}, invalid, NOTHING),
        (editor, "list_licenses", {"namespace": "default"}, invalid, NOTHING),
        (editor, "list_licenses", {"cursor": "garbage!!"}, invalid, check(editor_id, "ALLOW")),
        (editor, "list_licenses", {"cursor": real_cursor}, invalid, check(editor_id, "ALLOW")),
        (editor, "list_licenses", {"cursor": b64("l.0.not-a-uuid")}, invalid, check(editor_id, "ALLOW")),
        (editor, "list_licenses", {"cursor": b64(f"l.9223372036854775807.{l1}")}, invalid, check(editor_id, "ALLOW")),
        (viewer, "list_licenses", {"cursor": b64(f"l.{10**13}.{'f' * 8}-ffff-4fff-bfff-{'f' * 12}")},
         success(lambda c: c["items"] == []), check(viewer_id, "ALLOW")),
        (editor, "list_licenses", {"owner_agent_id": admin_id}, denied, check(editor_id, "DENY")),
        # whoami
        (viewer, "whoami", {"agent_id": admin_id}, invalid, NOTHING),
        # query_audit_log
        (admin, "query_audit_log", {"since": "yesterday"}, invalid, NOTHING),
        (admin, "query_audit_log", {"until": "2026-13-45T99:00:00Z"}, invalid, NOTHING),
        (admin, "query_audit_log", {"since": "2026-01-01T00:00:00+05:00"}, invalid, NOTHING),
        (admin, "query_audit_log", {"since": 1767225600}, invalid, NOTHING),
        (admin, "query_audit_log", {"agent_id": "NOT-A-UUID"}, invalid, NOTHING),
        (admin, "query_audit_log", {"result": "MAYBE"}, invalid, NOTHING),
        (admin, "query_audit_log", {"event_type": "x" * 65}, invalid, NOTHING),
        (admin, "query_audit_log", {"limit": -1}, invalid, NOTHING),
        (admin, "query_audit_log", {"limit": 10**12}, invalid, NOTHING),
        (admin, "query_audit_log", {"cursor": "forged"}, invalid, check(admin_id, "ALLOW")),
        (admin, "query_audit_log", {"cursor": b64("a.9223372036854775807.1")}, invalid, check(admin_id, "ALLOW")),
        (admin, "query_audit_log", {"event_type": "' OR 1=1 --"}, success(lambda c: c["items"] == []), check(admin_id, "ALLOW")),
        (viewer, "query_audit_log", {}, denied, check(viewer_id, "DENY")),
        (editor, "query_audit_log", {"event_type": "permission_check"}, denied, check(editor_id, "DENY")),
    ]
    for index, (key, name, arguments, verify, writes) in enumerate(argument_cases):
        shown = json.dumps(arguments)[:80]
        b.run(f"#{index} {name} {shown}", tool(name, arguments, key), verify, writes)

    # A NUL would be cut off by SQLite text: refused, before the attempt is recorded (validate) or
    # after the permission check (revoke).
    b.run("validate with a NUL in the feature", tool("validate_license_key", {"key": k1, "feature_accessed": "export\u0000x"}, viewer),
          invalid)
    b.run("revoke with a NUL in the reason", tool("revoke_license_key", {"license_id": l2, "reason": "fraud\u0000x"}, admin),
          invalid, check(admin_id, "ALLOW"))

    # Other hostile text that is accepted is stored verbatim, never interpreted.
    injection = "'); DROP TABLE agents; --\u202e\u0007\u001bé🔑"
    b.run("validate with an injection feature", tool("validate_license_key", {"key": k1, "feature_accessed": injection}, viewer),
          verdict("VALID"), attempt_row(viewer_id, l1, None, feature=injection) + Writes(licenses={l1}))
    b.run("revoke with an injection reason", tool("revoke_license_key", {"license_id": l2, "reason": injection}, admin),
          success(lambda c: c["already_revoked"] is False and c["reason"] == injection),
          check(admin_id, "ALLOW") + Writes(audit=[("license_revoked", None, admin_id)], licenses={l2}))
    stored = sqlite3.connect(f"file:{d.db}?mode=ro", uri=True)
    assert stored.execute("SELECT revoked_reason, is_active, revoked_by FROM license_keys WHERE id = ?", (l2,)).fetchone() == (injection, 0, admin_id)
    assert stored.execute("SELECT COUNT(*) FROM agents").fetchone()[0] == 5
    stored.close()

    # --- Unknown tools -------------------------------------------------------------------------
    for name in ["no_such_tool", "", "WHOAMI", "whoami\u0000", "generate_license_key ", "../../etc/passwd", "t" * 100_000]:
        b.run(f"unknown tool {name[:40]!r}", tool(name, {}, admin), rpc_error(-32602))

    # --- Bearer tokens: every bad credential is UNAUTHENTICATED and writes nothing ---------------
    # (validate_license_key with a good key would otherwise write a usage row.)
    bearer_cases = {
        "no Authorization": None,
        "empty bearer": "Bearer ",
        "bare scheme": "Bearer",
        "basic auth": "Basic YWRtaW46YWRtaW4=",
        "malformed token": "Bearer tmws_ak_short",
        "unknown well-formed token": "Bearer tmws_ak_" + "A" * 43,
        "revoked token": "Bearer " + keys["revoked-1"],
        "suspended agent's token": "Bearer " + keys["suspended-1"],
        "token plus one character": "Bearer " + viewer + "x",
        "token with its last character changed": "Bearer " + viewer[:-1] + ("A" if viewer[-1] != "A" else "B"),
        "token in upper case": "Bearer " + viewer.upper(),
        "8 KB token": "Bearer " + "a" * 8000,
        "license key as token": "Bearer " + k1,
        "token with an injection": "Bearer ' OR 1=1 --",
        "token as a second word": "Bearer x " + viewer,
    }
    for label, header in bearer_cases.items():
        extra = {} if header is None else {"Authorization": header}
        for name, arguments in [("validate_license_key", {"key": k1}), ("generate_license_key", {"tier": "PRO"}), ("whoami", {})]:
            b.run(f"{label}: {name}", lambda: http_.call(name, arguments, None, **extra), unauthenticated)

    # --- Host and Origin: refused before anything runs ----------------------------------------
    port = http_.port
    for host in ["evil.example", f"evil.example:{port}", f"localhost.evil.example:{port}", f"127.0.0.1.nip.io:{port}", "[::2]"]:
        b.run(f"initialize with Host {host}", lambda: http_.initialize({**HTTP.base_headers(), "Host": host}), http_error(403, 421, rpc=-32600))
        b.run(f"call with Host {host}", lambda: http_.call("validate_license_key", {"key": k1}, viewer, Host=host),
              http_error(403, 421, rpc=-32600))
    for origin in ["http://evil.example", f"http://localhost.evil.example:{port}", "null", "file://"]:
        b.run(f"initialize with Origin {origin}", lambda: http_.initialize({**HTTP.base_headers(), "Origin": origin}), http_error(403, rpc=-32600))
        b.run(f"call with Origin {origin}", lambda: http_.call("validate_license_key", {"key": k1}, viewer, Origin=origin),
              http_error(403, rpc=-32600))

    # --- Sessions and HTTP framing --------------------------------------------------------------
    validate_body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                "params": {"name": "validate_license_key", "arguments": {"key": k1}}})
    without_session = {**HTTP.base_headers(), "Authorization": f"Bearer {viewer}"}
    b.run("call without a session id", lambda: http_.send("POST", "/mcp", validate_body, without_session), http_error(400, rpc=-32600))
    for session in ["nope", "", "0" * 10_000, http_.session.lower(), http_.session + "0"]:
        b.run(f"call with session id {session[:20]!r}",
              lambda: http_.send("POST", "/mcp", validate_body, {**without_session, "Mcp-Session-Id": session}), http_error(404, rpc=-32600))
    ended = http_.open_session()
    assert http_.send("DELETE", "/mcp", None, {**HTTP.base_headers(), "Mcp-Session-Id": ended}).status == 200
    b.run("call on an ended session", lambda: http_.send("POST", "/mcp", validate_body, {**without_session, "Mcp-Session-Id": ended}),
          http_error(404, rpc=-32600))
    b.run("GET without a session id", lambda: http_.send("GET", "/mcp", None, {"Accept": "text/event-stream"}), http_error(400, rpc=-32600))
    b.run("DELETE without a session id", lambda: http_.send("DELETE", "/mcp", None, {}), http_error(400, rpc=-32600))
    b.run("PUT", lambda: http_.send("PUT", "/mcp", validate_body, http_.headers(viewer)), http_error(404, 405))
    b.run("unknown path", lambda: http_.send("POST", "/mcp/../admin", validate_body, http_.headers(viewer)), http_error(404))
    b.run("text/plain body", lambda: http_.post(validate_body, viewer, **{"Content-Type": "text/plain"}), http_error(415, rpc=-32600))
    b.run("no event-stream in Accept", lambda: http_.post(validate_body, viewer, Accept="application/json"), http_error(406, rpc=-32600))
    b.run("unknown protocol version", lambda: http_.post(validate_body, viewer, **{"MCP-Protocol-Version": "1999-01-01"}),
          http_error(400, rpc=-32600))
    b.run("initialize again in a session", lambda: http_.post(
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": PROTOCOL, "capabilities": {},
                                                                      "clientInfo": {"name": "again", "version": "1"}}}),
          http_error(400, rpc=-32600))

    # --- Oversized bodies ------------------------------------------------------------------------
    whoami_body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}})
    at_limit = whoami_body + " " * (MAX_BODY - len(whoami_body))
    b.run("body of exactly --max-body-bytes", lambda: http_.post(at_limit, viewer), success(lambda c: c["name"] == "viewer-1"))
    b.run("body one byte over --max-body-bytes", lambda: http_.post(at_limit + " ", viewer), http_error(413))
    oversized = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                            "params": {"name": "validate_license_key", "arguments": {"key": k1, "feature_accessed": "f" * (3 << 20)}}})
    b.run("3 MB body", lambda: http_.post(oversized, viewer), http_error(413))

    def chunked():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            chunks = (b" " * 65536 for _ in range(40))
            connection.request("POST", "/mcp", body=chunks, headers={**http_.headers(viewer), "Transfer-Encoding": "chunked"},
                               encode_chunked=True)
            response = connection.getresponse()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            connection.close()
    b.run("2.5 MB chunked body", chunked, http_error(413))

    def huge_header():
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer "
                      + b"a" * 200_000 + b"\r\nContent-Length: 2\r\n\r\n{}")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        return Reply(int(data.split(b" ", 2)[1]), {}, data)
    b.run("200 KB Authorization header", huge_header, http_error(400, 431))

    # --- Malformed JSON-RPC ------------------------------------------------------------------
    parse_error = http_error(400, rpc=-32700)
    invalid_request = http_error(400, rpc=-32600)
    raw_cases = [
        ("broken JSON", b"{not json", parse_error),
        ("truncated JSON", validate_body[:-3].encode(), parse_error),
        ("empty body", b"", parse_error),
        ("invalid UTF-8", b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', parse_error),
        ("JSON scalar", b"42", parse_error),
        ("JSON null", b"null", parse_error),
        ("JSON string", b'"tools/call"', parse_error),
        ("empty batch", b"[]", parse_error),
        ("batch", ("[" + validate_body + "," + validate_body + "]").encode(), parse_error),
        ("missing method", b'{"jsonrpc":"2.0","id":1}', parse_error),
        ("method not a string", b'{"jsonrpc":"2.0","id":1,"method":7}', parse_error),
        ("lone surrogate escaped in JSON", ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"validate_license_key",'
                                            '"arguments":{"key":"TMWS-\\ud800-x"}}}').encode(), parse_error),
        ("200,000-deep nesting", ('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"x":'
                                  + "[" * 200_000 + "]" * 200_000 + "}}}").encode(), parse_error),
        ("id true", validate_body.replace('"id": 1', '"id": true').encode(), invalid_request),
        ("id false", validate_body.replace('"id": 1', '"id": false').encode(), invalid_request),
        ("id null", validate_body.replace('"id": 1', '"id": null').encode(), invalid_request),
        ("id object", validate_body.replace('"id": 1', '"id": {"a": 1}').encode(), invalid_request),
        ("id array", validate_body.replace('"id": 1', '"id": [1]').encode(), invalid_request),
        ("id 1.5", validate_body.replace('"id": 1', '"id": 1.5').encode(), invalid_request),
        ("id 1e400", validate_body.replace('"id": 1', '"id": 1e400').encode(), invalid_request),
        ("id beyond Int64", validate_body.replace('"id": 1', '"id": 18446744073709551616').encode(), invalid_request),
        ("request with a result", validate_body.replace('"id": 1', '"id": 1, "result": {}').encode(), invalid_request),
        ("request with an error", validate_body.replace('"id": 1', '"id": 1, "error": {"code": 1, "message": "x"}').encode(), invalid_request),
        ("jsonrpc 1.0", validate_body.replace('"2.0"', '"1.0"').encode(), rpc_error()),
        ("jsonrpc as a number", validate_body.replace('"2.0"', "2.0").encode(), rpc_error()),
        ("no jsonrpc", validate_body.replace('"jsonrpc": "2.0", ', "").encode(), rpc_error()),
        ("params a string", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"validate_license_key"}', rpc_error()),
        ("params an array", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":["validate_license_key"]}', rpc_error()),
        ("params missing", b'{"jsonrpc":"2.0","id":1,"method":"tools/call"}', rpc_error()),
        ("tool name missing", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}', rpc_error()),
        ("tool name a number", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":5}}', rpc_error()),
        ("arguments an array", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":[]}}', rpc_error()),
        ("arguments a string", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":"{}"}}', rpc_error()),
        ("unknown method", b'{"jsonrpc":"2.0","id":1,"method":"no/such/method"}', rpc_error(-32601)),
        ("resources method", b'{"jsonrpc":"2.0","id":1,"method":"resources/list"}', rpc_error(-32601)),
        ("empty method", b'{"jsonrpc":"2.0","id":1,"method":""}', rpc_error(-32601)),
    ]
    for label, body, verify in raw_cases:
        b.run(label, lambda: http_.post(body, viewer), verify)

    # The answers carry the right id even when it is unusual.
    for request_id in [0, -1, 2**63 - 1, "", "x" * 10_000, "\u202e\u0000"]:
        b.run(f"id {str(request_id)[:20]!r}", lambda: http_.call("whoami", {}, viewer, id=request_id),
              lambda reply: answer(reply, request_id))

    # The license the battery never revoked was only validated, and by nobody it should not be.
    with sqlite3.connect(f"file:{d.db}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT is_active, validation_count FROM license_keys WHERE id = ?", (l1,)).fetchone() == (1, 3)
    # None of the hostile requests got a key or the secret into the (debug-level) log.
    log = d.log_path.read_text()
    secret = (d.db.parent / "tmws_secret.key").read_text().strip()
    for name, value in [*keys.items(), ("license key", k1), ("secret", secret)]:
        assert value not in log and value[-16:] not in log, f"{name} appears in a log line"
    with capsys.disabled():
        print(f"\nhostile inputs over HTTP: {b.count}, each answered, none crashed the server or wrote an unexpected row")
    assert b.count >= 200
