"""Hostile input over a real `mcp-server --http` on a SQLite file: malformed JSON-RPC, wrong types,
missing and extra arguments, megabyte strings, bad and uppercase UUIDs, injection strings, control
characters and unicode, out-of-range limits, forged and tampered cursors, unknown tools and methods,
oversized bodies, bad bearer tokens, foreign Host and Origin headers; the MCP 2026-07-28 surface
(missing and mismatched MCP-Protocol-Version / Mcp-Method / Mcp-Name headers, malformed and huge
`params._meta`, unknown versions, base64-encoded names, huge method names); and attacks on legacy
(2025-11-25) sessions: another key or none on a victim's session, id reuse, key-less initialize,
session caps, GET and Last-Event-ID, DELETE with another key.

Requests go out as raw HTTP (`http.client`), since the official client refuses to send most of
them. Everything but the legacy section goes over the modern surface: each POST carries `_meta` and
the three headers and needs no session. Every input gets a clear answer (an HTTP status, a JSON-RPC
error, or an isError tool result with its documented code); after every one the process is alive,
`GET /health` is healthy and a normal call works; and the database changed by exactly the rows that
input should write — compared table by table and row by row with Python's sqlite3 before and after.

The row snapshot helpers here are shared with test_hostile_stdio.py."""

import base64
import copy
import http.client
import json
import socket
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest

from conftest import (
    LEGACY, META_CAPABILITIES, META_CLIENT, META_LOG_LEVEL, META_SERVER, META_VERSION, MODERN, SUPPORTED_VERSIONS,
    HTTPServer, modern_headers, modern_meta,
)

MAX_BODY = 1 << 20
MEGABYTE = "x" * 1_000_000
SESSIONS_PER_AGENT = 32  # mcp-server's default --max-sessions-per-agent

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


def with_meta(message, meta=None):
    """A copy of `message` whose params carry the modern `_meta` (params created when absent; left
    alone when they are not an object or already carry a `_meta`)."""
    message = copy.deepcopy(message)
    if "params" not in message:
        message["params"] = {}
    if isinstance(message["params"], dict) and "_meta" not in message["params"]:
        message["params"]["_meta"] = meta if meta is not None else modern_meta()
    return message


def merged(headers, extra):
    """`headers` with `extra` applied, names compared case-insensitively; a None value removes the field."""
    result = dict(headers)
    for name, value in extra.items():
        for existing in [k for k in result if k.lower() == name.lower()]:
            del result[existing]
        if value is not None:
            result[name] = value
    return result


class HTTP:
    def __init__(self, port):
        self.port = port

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

    @staticmethod
    def bearer(key):
        return {} if key is None else {"Authorization": f"Bearer {key}"}

    # The modern surface: no session; `_meta` and the three standard headers on every request.

    def post(self, message, key=None, **extra):
        """POSTs `message` the 2026-07-28 way. A dict gets `_meta` (see `with_meta`); bytes and str
        are sent as they are. The standard headers are derived from the body as sent; `extra`
        overrides them (a None value leaves the header out)."""
        if isinstance(message, dict):
            message = with_meta(message)
            body = json.dumps(message)
            parsed = message
        else:
            body = message
            try:
                parsed = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):
                parsed = None
        headers = {**self.base_headers(), **modern_headers(parsed), **self.bearer(key)}
        return self.send("POST", "/mcp", body, merged(headers, extra))

    def headers_for(self, message, key=None):
        """The headers `post` would send with `message`."""
        return {**self.base_headers(), **modern_headers(with_meta(message)), **self.bearer(key)}

    def call(self, tool, arguments, key, id=1, **extra):
        return self.post({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                          "params": {"name": tool, "arguments": arguments}}, key, **extra)

    # Legacy (2025-11-25) sessions.

    def initialize(self, key=None, headers=None, **extra):
        body = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "hostile-http", "version": "1"}}}
        sent = headers if headers is not None else {**self.base_headers(), **self.bearer(key)}
        return self.send("POST", "/mcp", json.dumps(body), merged(sent, extra))

    def open_session(self, key):
        reply = self.initialize(key)
        assert reply.status == 200, reply
        assert json.loads(reply.body)["result"]["protocolVersion"] == LEGACY
        session = reply.headers["mcp-session-id"]
        notified = self.legacy(session, {"jsonrpc": "2.0", "method": "notifications/initialized"}, key)
        assert notified.status == 202, notified
        return session

    def session_headers(self, session, key):
        return {**self.base_headers(), "Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY, **self.bearer(key)}

    def legacy(self, session, message, key, **extra):
        """POSTs `message` (no `_meta`) on a legacy session."""
        body = message if isinstance(message, (bytes, str)) else json.dumps(message)
        return self.send("POST", "/mcp", body, merged(self.session_headers(session, key), extra))

    def legacy_call(self, session, tool, arguments, key, id=1, **extra):
        return self.legacy(session, {"jsonrpc": "2.0", "id": id, "method": "tools/call",
                                     "params": {"name": tool, "arguments": arguments}}, key, **extra)

    def delete(self, session, key):
        return self.send("DELETE", "/mcp", None, {"Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY, **self.bearer(key)})


def answer(reply, id=1):
    assert reply.status == 200, f"HTTP {reply.status}: {reply.body[:300]!r}"
    # Answers are single JSON bodies in both eras, never an event stream.
    assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
    found = [m for m in reply.messages if m.get("id") == id]
    assert len(found) == 1, f"no single answer with id {id}: {reply.body[:300]!r}"
    return found[0]


def modern_result(reply, id=1):
    """The result of a modern answer: stamped `resultType: complete` and the server's identity."""
    result = answer(reply, id)["result"]
    assert result["resultType"] == "complete", result
    assert result["_meta"][META_SERVER]["name"] == "tmws-license", result
    return result


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


def success(predicate=lambda content: True, id=1):
    def verify(reply):
        result = answer(reply, id)["result"]
        assert result["isError"] is False, result
        assert predicate(result["structuredContent"]), result["structuredContent"]
    return verify


# Every JSON-RPC error this server sends is small: nothing a client sent is echoed but a bounded id
# (at most 256 bytes) or a bounded protocol version (at most 64 bytes).
SMALL = 1024


def refused(status, *codes, id=1):
    """An HTTP error status whose JSON body is one JSON-RPC error with one of `codes`, answering `id`."""
    def verify(reply):
        assert reply.status == status, f"HTTP {reply.status}, expected {status}: {reply.body[:300]!r}"
        assert reply.headers.get("content-type", "").startswith("application/json"), reply.headers
        assert len(reply.body) < SMALL, f"a {len(reply.body)}-byte error"
        [message] = reply.messages
        assert message["id"] == id, message
        assert not codes or message["error"]["code"] in codes, message
        assert message["error"]["message"]
    verify.__name__ = f"HTTP {status} {codes}"
    return verify


def http_error(*statuses, rpc=None):
    """An HTTP error status; with `rpc` (a code or a tuple of codes), a small JSON-RPC error body with that code."""
    def verify(reply):
        assert reply.status in statuses, f"HTTP {reply.status}: {reply.body[:300]!r}"
        if rpc is not None:
            assert len(reply.body) < SMALL, f"a {len(reply.body)}-byte error"
            [message] = reply.messages
            assert message["error"]["code"] in (rpc if isinstance(rpc, tuple) else (rpc,)), message
            assert message["error"]["message"]
    return verify


def accepted(reply):
    """A notification or a response from the client: 202, no body."""
    assert (reply.status, reply.body) == (202, b""), reply


def b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def sentinel(raw: bytes):
    """An `Mcp-Name` value in the `=?base64?...?=` form (standard alphabet, padded)."""
    return "=?base64?" + base64.b64encode(raw).decode() + "?="


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
        assert modern_result(who)["structuredContent"]["name"] == "viewer-1", f"{label}: whoami failed after it"

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
    # An agent with two keys, for the per-agent session cap (it counts agents, not keys).
    d.create_agent("sessions-1", "viewer")
    second = d.home / "sessions-1-second.key"
    d.ctl("agent", "key", "create", "sessions-1", "--out", str(second))
    d.keys["sessions-1 (second key)"] = second.read_text().strip()
    server = HTTPServer(d.env, d.log_path, "--max-body-bytes", str(MAX_BODY))
    b = Battery(d, server.process, server.port)
    yield b
    server.stop()


def agent_ids(db):
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return dict(connection.execute("SELECT agent_id, id FROM agents"))
    finally:
        connection.close()


class WriteLock:
    """Holds SQLite's write lock on the database (BEGIN IMMEDIATE) so that a request that writes
    waits inside the server (its busy timeout is 5 s), until `release()`."""

    def __init__(self, db):
        self.connection = sqlite3.connect(db, timeout=5, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")

    def release(self):
        if self.connection is not None:
            self.connection.execute("ROLLBACK")
            self.connection.close()
            self.connection = None


def in_thread(function):
    """Starts `function` in a thread; returns a callable that waits (at most `timeout`) for its result."""
    outcome = {}

    def run():
        try:
            outcome["value"] = function()
        except BaseException as error:  # re-raised in the caller
            outcome["error"] = error
    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result(timeout=30):
        thread.join(timeout)
        if thread.is_alive():
            return None
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]
    return result

def test_hostile_input_over_http(battery, capsys):
    b, d, http_ = battery, battery.deployment, battery.http
    keys = d.keys
    admin, editor, viewer = keys["admin"], keys["editor-1"], keys["viewer-1"]
    ids = agent_ids(d.db)
    admin_id, editor_id, viewer_id = ids["admin"], ids["editor-1"], ids["viewer-1"]

    # Setup, with normal calls: two licenses owned by the editor, two usage rows on the first.
    def generate(arguments):
        content = modern_result(http_.call("generate_license_key", arguments, editor))["structuredContent"]
        d.generated.append(content["license_key"])
        return content["license_id"], content["license_key"]

    l1, k1 = generate({"tier": "PRO", "expires_days": 365})
    # A checksum of all zeros, or all ones if the real one is all zeros: the forgery always differs.
    zeroed = k1[:-16] + ("0" * 16 if k1[-16:] != "0" * 16 else "1" * 16)
    assert zeroed != k1
    l2, _ = generate({"tier": "FREE"})
    # The legacy-session section works on a license of its own, so l1's counts stay exact.
    l3, k3 = generate({"tier": "PRO", "expires_days": 30})
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
        (editor, "generate_license_key", {"tier": "\uff30\uff32\uff2f"}, invalid, NOTHING),  # fullwidth "PRO"
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
        # checkout_license: every bound refused before anything is written
        (viewer, "checkout_license", {}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": MEGABYTE}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "ttl_seconds": 3599}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "ttl_seconds": 7_776_001}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "ttl_seconds": "7d"}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "audience": ""}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "audience": "a" * 257}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "fingerprint": "caf\u00e9"}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "fingerprint": "a\nb"}, invalid, NOTHING),
        (viewer, "checkout_license", {"key": "TMWS-PRO-x", "kid": "mine"}, invalid, NOTHING),
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
        # A forged key reads like an unknown one (NOT_FOUND), and is still recorded against the id it names.
        (viewer, "validate_license_key", {"key": zeroed}, verdict("NOT_FOUND"), attempt_row(viewer_id, l1, "NOT_FOUND")),
        (viewer, "validate_license_key", {"key": k1.replace("TMWS-PRO-", "TMWS-ENTERPRISE-")}, verdict("NOT_FOUND"), attempt_row(viewer_id, l1, "NOT_FOUND")),
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
    assert stored.execute("SELECT COUNT(*) FROM agents").fetchone()[0] == 6
    stored.close()


    # --- Unknown tools -------------------------------------------------------------------------
    # Mcp-Name carries each name exactly (base64-wrapped where a header could not), so the
    # headers match and the dispatcher refuses the name: -32602, HTTP 400.
    for name in ["no_such_tool", "", "WHOAMI", "whoami\u0000", "generate_license_key ", "../../etc/passwd", "wh\u00f6ami",
                 "=?base64?d2hvYW1p?=", "t" * 60_000]:
        b.run(f"unknown tool {name[:40]!r}", tool(name, {}, admin), refused(400, -32602))
    # A 100 KB name cannot travel in Mcp-Name: the HTTP parser refuses the header block before any MCP code runs.
    b.run("unknown tool of 100 KB", tool("t" * 100_000, {}, admin), http_error(400, 431))

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

    # --- Host and Origin: refused before anything runs (initialize with a valid key, too) --------
    port = http_.port

    def sessionless(verify):
        def check_(reply):
            verify(reply)
            assert "mcp-session-id" not in reply.headers, reply.headers
        return check_
    for host in ["evil.example", f"evil.example:{port}", f"localhost.evil.example:{port}", f"127.0.0.1.nip.io:{port}", "[::2]"]:
        b.run(f"initialize with Host {host}", lambda: http_.initialize(editor, Host=host), sessionless(http_error(403, 421, rpc=-32600)))
        b.run(f"call with Host {host}", lambda: http_.call("validate_license_key", {"key": k1}, viewer, Host=host),
              http_error(403, 421, rpc=-32600))
    for origin in ["http://evil.example", f"http://localhost.evil.example:{port}", "null", "file://"]:
        b.run(f"initialize with Origin {origin}", lambda: http_.initialize(editor, Origin=origin), sessionless(http_error(403, rpc=-32600)))
        b.run(f"call with Origin {origin}", lambda: http_.call("validate_license_key", {"key": k1}, viewer, Origin=origin),
              http_error(403, rpc=-32600))

    # --- The modern surface (2026-07-28): headers, _meta, versions, method names ---------------
    # Each probe is a validation of the live key k1 by the viewer: had it run, it would have
    # written a permission check and a usage row; NOTHING proves it did not.
    validate = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "validate_license_key", "arguments": {"key": k1}}}
    mismatch = refused(400, -32020)
    header_cases = [
        ("no MCP-Protocol-Version", {"MCP-Protocol-Version": None}),
        ("no Mcp-Method", {"Mcp-Method": None}),
        ("no Mcp-Name", {"Mcp-Name": None}),
        ("no standard header at all", {"MCP-Protocol-Version": None, "Mcp-Method": None, "Mcp-Name": None}),
        ("MCP-Protocol-Version 2025-11-25 (body says 2026-07-28)", {"MCP-Protocol-Version": LEGACY}),
        ("MCP-Protocol-Version 2026-7-28", {"MCP-Protocol-Version": "2026-7-28"}),
        ("MCP-Protocol-Version empty", {"MCP-Protocol-Version": ""}),
        ("Mcp-Method tools/list", {"Mcp-Method": "tools/list"}),
        ("Mcp-Method TOOLS/CALL", {"Mcp-Method": "TOOLS/CALL"}),
        ("Mcp-Method empty", {"Mcp-Method": ""}),
        ("Mcp-Method 8 KB", {"Mcp-Method": "m" * 8000}),
        ("Mcp-Name of another tool", {"Mcp-Name": "whoami"}),
        ("Mcp-Name in upper case", {"Mcp-Name": "VALIDATE_LICENSE_KEY"}),
        ("Mcp-Name empty", {"Mcp-Name": ""}),
        ("Mcp-Name with a suffix", {"Mcp-Name": "validate_license_key2"}),
        ("Mcp-Name latin-1 byte", {"Mcp-Name": "validate_license_k\u00e9y"}),
        ("Mcp-Name base64 of another tool", {"Mcp-Name": sentinel(b"whoami")}),
        ("Mcp-Name broken base64", {"Mcp-Name": "=?base64?!!!!?="}),
        ("Mcp-Name base64 without padding", {"Mcp-Name": "=?base64?" + base64.b64encode(b"validate_license_key").decode().rstrip("=") + "?="}),
        ("Mcp-Name base64 of invalid UTF-8", {"Mcp-Name": sentinel(b"\xff\xfe")}),
        ("Mcp-Name sentinel without its end", {"Mcp-Name": "=?base64?" + base64.b64encode(b"validate_license_key").decode()}),
        ("Mcp-Name empty sentinel", {"Mcp-Name": "=?base64??="}),
    ]
    for label, extra in header_cases:
        b.run(f"modern: {label}", lambda: http_.post(validate, viewer, **extra), mismatch)
    # The sentinel form is how a name that is not a plain header value travels; a valid one is
    # accepted even for a plain name (the SDK only wraps when it must; the server decodes either).
    whoami = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}
    b.run("modern: Mcp-Name as a valid base64 sentinel", lambda: http_.post(whoami, viewer, **{"Mcp-Name": sentinel(b"whoami")}),
          success(lambda c: c["name"] == "viewer-1"))
    b.run("modern: header names in lower case", lambda: http_.post(
        whoami, viewer, **{"MCP-Protocol-Version": None, "Mcp-Method": None, "Mcp-Name": None,
                           "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "whoami"}),
          success(lambda c: c["name"] == "viewer-1"))

    def meta_case(meta, method="tools/call", params=None):
        message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or copy.deepcopy(validate["params"])}
        message["params"]["_meta"] = meta
        return message

    bad_meta = refused(400, -32602)
    caps = {META_CAPABILITIES: {}}
    meta_cases = [
        ("_meta a string", "2026-07-28"),
        ("_meta an array", [MODERN]),
        ("_meta null", None),
        ("protocol version a number", {META_VERSION: 20260728, **caps}),
        ("protocol version null", {META_VERSION: None, **caps}),
        ("protocol version an object", {META_VERSION: {"v": MODERN}, **caps}),
        ("protocol version empty", {META_VERSION: "", **caps}),
        ("protocol version of 65 bytes", {META_VERSION: "9" * 65, **caps}),
        ("protocol version of 1 MB", {META_VERSION: MEGABYTE, **caps}),
        ("no clientCapabilities", {META_VERSION: MODERN}),
        ("clientCapabilities an array", {META_VERSION: MODERN, META_CAPABILITIES: []}),
        ("clientCapabilities null", {META_VERSION: MODERN, META_CAPABILITIES: None}),
        ("clientCapabilities a string", {META_VERSION: MODERN, META_CAPABILITIES: "{}"}),
        ("clientInfo a string", {**modern_meta(), META_CLIENT: "hostile"}),
        ("clientInfo without a version", {**modern_meta(), META_CLIENT: {"name": "hostile"}}),
        ("clientInfo name a number", {**modern_meta(), META_CLIENT: {"name": 7, "version": "1"}}),
        ("clientInfo with a 1 MB name", {**modern_meta(), META_CLIENT: {"name": MEGABYTE, "version": "1"}}),
        ("clientCapabilities with 30,000 keys", {META_VERSION: MODERN, META_CAPABILITIES: {f"k{i}": {} for i in range(30_000)}}),
        ("_meta with a 17 KB extra member", {**modern_meta(), "com.example/pad": "p" * 17_000}),
        ("logLevel verbose", {**modern_meta(), META_LOG_LEVEL: "verbose"}),
        ("logLevel a number", {**modern_meta(), META_LOG_LEVEL: 5}),
        # No protocol version in `_meta` makes a legacy request, and there is no session.
        ("_meta without a protocol version", {META_CAPABILITIES: {}}),
        ("empty _meta", {}),
        ("protocol version under a near-miss key", {"io.modelcontextprotocol/protocolversion": MODERN, **caps}),
    ]
    for label, meta in meta_cases:
        b.run(f"modern: {label}", lambda: http_.post(meta_case(meta), viewer, **{"MCP-Protocol-Version": MODERN}), bad_meta)
    for label, meta in [
        ("clientInfo with name and version", {**modern_meta(), META_CLIENT: {"name": "\u202eé🔑", "version": "0"}}),
        ("no clientInfo", {META_VERSION: MODERN, META_CAPABILITIES: {}}),
        ("logLevel debug", {**modern_meta(), META_LOG_LEVEL: "debug"}),
        ("declared capabilities", {META_VERSION: MODERN, META_CAPABILITIES: {"sampling": {}, "elicitation": {"form": {}}}}),
        ("unknown _meta members and a 15 KB one", {**modern_meta(), "com.example/trace": "t", "com.example/pad": "p" * 15_000}),
    ]:
        b.run(f"modern: {label} accepted", lambda: http_.post(meta_case(meta, params={"name": "whoami", "arguments": {}}), viewer),
              success(lambda c: c["name"] == "viewer-1"))

    def unsupported(requested):
        def verify(reply):
            refused(400, -32022)(reply)
            data = reply.messages[0]["error"]["data"]
            assert data == {"supported": SUPPORTED_VERSIONS, "requested": requested}, data
        return verify

    for version in ["2026-07-29", "2099-01-01", LEGACY, "2024-11-05", "1999-01-01", "draft", "9" * 64]:
        for method, params in [("tools/call", validate["params"]), ("server/discover", {}), ("tools/list", {})]:
            message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": copy.deepcopy(params)}
            message["params"]["_meta"] = modern_meta(version)
            b.run(f"modern: version {version[:20]} on {method}", lambda: http_.post(message, viewer), unsupported(version))

    # Method names are bounded before anything is echoed or routed: an answer never repeats one.
    def small_and_silent(verify, name):
        def check_(reply):
            verify(reply)
            assert name[:16].encode() not in reply.body, reply.body[:200]
        return check_

    for label, name, verify in [
        ("1 MB method name", "m" * 1_000_000, refused(400, -32600)),
        ("129-byte method name", "m" * 129, refused(400, -32600)),
        ("128-byte unknown method", "q" * 128, refused(404, -32601)),
        ("unknown method with an injection", "tools/call'; DROP TABLE agents; --", refused(404, -32601)),
    ]:
        message = {"jsonrpc": "2.0", "id": 1, "method": name, "params": {}}
        headers = {"Mcp-Method": "m"} if len(name) > 8000 else {}  # a 1 MB header could not be sent
        b.run(f"modern: {label}", lambda: http_.post(message, viewer, **headers), small_and_silent(verify, name))
    # Methods of other eras and other features are unknown on the modern path (404, -32601).
    for method in ["ping", "initialize/x", "notifications/initialized", "logging/setLevel", "resources/subscribe",
                   "prompts/list", "completion/complete", "subscriptions/listen"]:
        b.run(f"modern: method {method}", lambda: http_.post({"jsonrpc": "2.0", "id": 1, "method": method}, viewer), refused(404, -32601))

    # Notifications and responses need no answer: 202 and an empty body, with or without _meta.
    b.run("modern: notification", lambda: http_.post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                                                       "params": {"requestId": 1}}, viewer), accepted)
    b.run("notification without _meta or session", lambda: http_.post(b'{"jsonrpc":"2.0","method":"notifications/initialized"}', None),
          accepted)
    b.run("a response from the client", lambda: http_.post(b'{"jsonrpc":"2.0","id":5,"result":{}}', viewer), accepted)
    b.run("an error response from the client", lambda: http_.post(b'{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"x"}}', viewer),
          accepted)

    # The stateless reads: server/discover and tools/list, with their cache hints.
    def discovered(reply):
        result = modern_result(reply)
        assert result["supportedVersions"] == SUPPORTED_VERSIONS and result["capabilities"]["tools"] == {"listChanged": False}
        assert (result["ttlMs"], result["cacheScope"]) == (3_600_000, "public")
    b.run("modern: server/discover without a key", lambda: http_.post({"jsonrpc": "2.0", "id": 1, "method": "server/discover"}), discovered)

    def listed(reply):
        result = modern_result(reply)
        assert len(result["tools"]) == 9 and (result["ttlMs"], result["cacheScope"]) == (3_600_000, "public")
    b.run("modern: tools/list", lambda: http_.post({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, viewer), listed)

    # --- Sessions and HTTP framing --------------------------------------------------------------
    validate_body = json.dumps(with_meta(validate))
    legacy_validate = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "validate_license_key", "arguments": {"key": k1}}}
    # Changed with 2026-07-28: a request with neither `_meta` nor a session is not "missing a
    # session" (-32600) but missing its per-request protocol version (-32602).
    b.run("call without _meta or a session id", lambda: http_.send(
        "POST", "/mcp", json.dumps(legacy_validate), {**HTTP.base_headers(), **HTTP.bearer(viewer)}), refused(400, -32602))
    viewer_session = http_.open_session(viewer)
    for session in ["nope", "", "0" * 10_000, viewer_session.lower(), viewer_session + "0", viewer_session[:-1]]:
        b.run(f"call with session id {session[:20]!r}",
              lambda: http_.legacy(session, legacy_validate, viewer), refused(404, -32600))
    # A modern request never looks at Mcp-Session-Id, whatever it says.
    b.run("modern call with a bogus session id", lambda: http_.call("whoami", {}, viewer, **{"Mcp-Session-Id": "nope"}),
          success(lambda c: c["name"] == "viewer-1"))
    ended = http_.open_session(viewer)
    assert http_.delete(ended, viewer).status == 200
    b.run("call on an ended session", lambda: http_.legacy(ended, legacy_validate, viewer), refused(404, -32600))
    b.run("DELETE of an ended session", lambda: http_.delete(ended, viewer), http_error(404, rpc=-32600))
    # Changed: there is no standalone GET stream at all, with or without a session (405, was 400).
    b.run("GET without a session id", lambda: http_.send("GET", "/mcp", None, {"Accept": "text/event-stream"}), http_error(405, rpc=-32600))
    b.run("DELETE without a session id", lambda: http_.send("DELETE", "/mcp", None, {}), http_error(400, rpc=-32600))
    b.run("PUT", lambda: http_.send("PUT", "/mcp", validate_body, http_.headers_for(validate, viewer)), http_error(404, 405))
    b.run("unknown path", lambda: http_.send("POST", "/mcp/../admin", validate_body, http_.headers_for(validate, viewer)), http_error(404))
    b.run("text/plain body", lambda: http_.post(validate, viewer, **{"Content-Type": "text/plain"}), http_error(415, rpc=-32600))
    b.run("no Content-Type", lambda: http_.post(validate, viewer, **{"Content-Type": None}), http_error(415, rpc=-32600))
    # Changed: answers are always single JSON bodies, so a client accepting only JSON is served
    # (it got 406 when answers came as an event stream); one accepting only SSE is not.
    b.run("Accept: application/json only", lambda: http_.call("whoami", {}, viewer, Accept="application/json"),
          success(lambda c: c["name"] == "viewer-1"))
    b.run("no Accept header", lambda: http_.call("whoami", {}, viewer, Accept=None), success(lambda c: c["name"] == "viewer-1"))
    b.run("Accept: text/event-stream only", lambda: http_.post(validate, viewer, Accept="text/event-stream"), http_error(406, rpc=-32600))
    # Changed: a version header that disagrees with `_meta` is a header mismatch (-32020, was -32600).
    b.run("MCP-Protocol-Version 1999-01-01", lambda: http_.post(validate, viewer, **{"MCP-Protocol-Version": "1999-01-01"}), mismatch)
    # Changed: initialize never continues a session: with an existing session id it opens a new
    # one (the key is valid), and the existing session is untouched.
    def fresh_session(reply):
        assert reply.status == 200, reply
        fresh = reply.headers["mcp-session-id"]
        assert fresh != viewer_session
        assert http_.delete(fresh, viewer).status == 200
        assert answer(http_.legacy_call(viewer_session, "whoami", {}, viewer))["result"]["structuredContent"]["name"] == "viewer-1"
    b.run("initialize with an existing session id", lambda: http_.initialize(viewer, **{"Mcp-Session-Id": viewer_session}), fresh_session)
    assert http_.delete(viewer_session, viewer).status == 200

    # --- Oversized bodies ------------------------------------------------------------------------
    whoami_body = json.dumps(with_meta(whoami))
    at_limit = whoami_body + " " * (MAX_BODY - len(whoami_body))
    b.run("body of exactly --max-body-bytes", lambda: http_.post(at_limit, viewer), success(lambda c: c["name"] == "viewer-1"))
    b.run("body one byte over --max-body-bytes", lambda: http_.post(at_limit + " ", viewer), http_error(413))
    oversized = with_meta({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                           "params": {"name": "validate_license_key", "arguments": {"key": k1, "feature_accessed": "f" * (3 << 20)}}})
    b.run("3 MB body", lambda: http_.post(json.dumps(oversized), viewer), http_error(413))

    def chunked():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            chunks = (b" " * 65536 for _ in range(40))
            connection.request("POST", "/mcp", body=chunks, headers={**http_.headers_for(validate, viewer), "Transfer-Encoding": "chunked"},
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
    # Bytes go out as they are; dicts get the modern `_meta`. Every refusal is an HTTP error with
    # a JSON-RPC error body now (400, or 404 for an unknown method), where the old SSE transport
    # answered some of them on a 200 stream.
    parse_error = http_error(400, rpc=-32700)
    invalid_request = http_error(400, rpc=-32600)
    raw_cases = [
        ("broken JSON", b"{not json", parse_error),
        ("truncated JSON", validate_body[:-3].encode(), parse_error),
        ("empty body", b"", parse_error),
        # Invalid UTF-8 inside a string, or a lone surrogate, cannot be decoded: a parse error.
        ("invalid UTF-8", b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', parse_error),
        ("JSON scalar", b"42", parse_error),
        ("JSON null", b"null", parse_error),
        ("JSON string", b'"tools/call"', parse_error),
        ("empty batch", b"[]", parse_error),
        ("batch", ("[" + validate_body + "," + validate_body + "]").encode(), parse_error),
        # Changed: a JSON object without a usable method is an Invalid Request (-32600), as
        # JSON-RPC 2.0 defines it, not a parse error (the SDK's transport said -32700).
        ("missing method", b'{"jsonrpc":"2.0","id":1}', refused(400, -32600)),
        ("method not a string", b'{"jsonrpc":"2.0","id":1,"method":7}', refused(400, -32600)),
        ("lone surrogate escaped in JSON", validate_body.replace(k1, "TMWS-\\ud800-x").encode(), parse_error),
        # A member named twice could mean one method (or key) to one reader and another to the next.
        ("method named twice", b'{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call"}', parse_error),
        ("argument named twice", validate_body.replace('"arguments": {', '"arguments": {"key": "x", ').encode(), parse_error),
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
        ("id 2^63", validate_body.replace('"id": 1', f'"id": {2**63}').encode(), invalid_request),
        ("id of 257 bytes", validate_body.replace('"id": 1', '"id": "' + "x" * 257 + '"').encode(), refused(400, -32600, id=None)),
        ("id of 10,000 bytes", validate_body.replace('"id": 1', '"id": "' + "x" * 10_000 + '"').encode(), refused(400, -32600, id=None)),
        ("request with a result", validate_body.replace('"id": 1', '"id": 1, "result": {}').encode(), invalid_request),
        ("request with an error", validate_body.replace('"id": 1', '"id": 1, "error": {"code": 1, "message": "x"}').encode(), invalid_request),
        ("jsonrpc 1.0", validate_body.replace('"2.0"', '"1.0"').encode(), refused(400, -32600)),
        ("jsonrpc as a number", validate_body.replace('"2.0"', "2.0").encode(), refused(400, -32600)),
        ("no jsonrpc", validate_body.replace('"jsonrpc": "2.0", ', "").encode(), refused(400, -32600)),
        ("params a string", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": "validate_license_key"}, refused(400, -32600)),
        ("params an array", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": ["validate_license_key"]}, refused(400, -32600)),
        ("params a number", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": 5}, refused(400, -32600)),
        # No params, so no `_meta` and no session: -32602 (the per-request version is missing).
        ("params missing", b'{"jsonrpc":"2.0","id":1,"method":"tools/call"}', refused(400, -32602)),
        ("params null", b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}', refused(400, -32602)),
        # A tools/call without a string name cannot have a matching Mcp-Name: the header check refuses it first.
        ("params with only _meta", {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}, mismatch),
        ("tool name missing", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"arguments": {}}}, mismatch),
        ("tool name a number", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 5}}, mismatch),
        ("tool name null", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": None}}, mismatch),
        ("arguments an array", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": []}},
         refused(400, -32602)),
        ("arguments a string", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": "{}"}},
         refused(400, -32602)),
        ("arguments null", {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "whoami", "arguments": None}},
         success(lambda c: c["name"] == "viewer-1")),
        # Changed: an unknown method is 404 on the modern path (was a -32601 error on a 200 stream).
        ("unknown method", {"jsonrpc": "2.0", "id": 1, "method": "no/such/method"}, refused(404, -32601)),
        ("resources method", {"jsonrpc": "2.0", "id": 1, "method": "resources/list"}, refused(404, -32601)),
        ("empty method", {"jsonrpc": "2.0", "id": 1, "method": ""}, refused(404, -32601)),
    ]
    for label, body, verify in raw_cases:
        b.run(label, lambda: http_.post(body, viewer), verify)

    # The answers carry the right id even when it is unusual (string ids of up to 256 bytes).
    for request_id in [0, -1, 2**63 - 1, -(2**63), "", "x" * 256, "\u202e\u0000", "1"]:
        b.run(f"id {str(request_id)[:20]!r}", lambda: http_.call("whoami", {}, viewer, id=request_id),
              lambda reply: modern_result(reply, request_id))

    # --- Legacy sessions (2025-11-25): bound to the key that opened them ------------------------
    # (c) initialize needs a valid key: without one (or with a bad one) no session is created.
    def no_session(reply):
        refused(401, -32600, id=0)(reply)
        assert "mcp-session-id" not in reply.headers, reply.headers
        assert reply.headers.get("www-authenticate") == "Bearer", reply.headers
    for label, header in bearer_cases.items():
        extra = {} if header is None else {"Authorization": header}
        b.run(f"initialize, {label}", lambda: http_.initialize(None, **extra), no_session)

    # The victim: the editor's session, which may generate licenses and read usage.
    victim = http_.open_session(editor)
    assert answer(http_.legacy_call(victim, "whoami", {}, editor))["result"]["structuredContent"]["name"] == "editor-1"
    # (a) Another key, or none, on the victim's session is refused (403) before anything runs:
    # no permission check, no usage row, no license is written as (or by) the editor.
    not_yours = refused(403, -32600)
    intruders = {
        "no key": None,
        "the viewer's key": viewer,
        "the admin's key": admin,
        "the editor's key in upper case": editor.upper(),
        "the editor's key plus a character": editor + "x",
        "a revoked key": keys["revoked-1"],
        "a license key": k3,
    }
    for label, intruder in intruders.items():
        for name, arguments in [("validate_license_key", {"key": k3}), ("generate_license_key", {"tier": "PRO"}),
                                ("get_usage_history", {"license_id": l3}), ("revoke_license_key", {"license_id": l3})]:
            b.run(f"victim's session, {label}: {name}", lambda: http_.legacy_call(victim, name, arguments, intruder), not_yours)
        b.run(f"victim's session, {label}: tools/list",
              lambda: http_.legacy(victim, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, intruder), not_yours)
        b.run(f"victim's session, {label}: notification",
              lambda: http_.legacy(victim, {"jsonrpc": "2.0", "method": "notifications/initialized"}, intruder),
              refused(403, -32600, id=None))
        b.run(f"victim's session, {label}: DELETE", lambda: http_.delete(victim, intruder), refused(403, -32600, id=None))
    # A modern request carrying the victim's session id is stateless: it runs as its own bearer
    # (or as nobody), never as the session's owner.
    b.run("victim's session id on a modern call, no key", lambda: http_.call(
        "generate_license_key", {"tier": "PRO"}, None, **{"Mcp-Session-Id": victim}), unauthenticated)
    b.run("victim's session id on a modern call, the viewer's key", lambda: http_.call(
        "generate_license_key", {"tier": "PRO"}, viewer, **{"Mcp-Session-Id": victim}), denied, check(viewer_id, "DENY"))
    # (d) No GET stream and nothing to replay: 405, whatever Last-Event-ID says, and no data.
    for label, headers in [
        ("the owner's key", HTTP.bearer(editor)), ("no key", {}), ("the viewer's key", HTTP.bearer(viewer)),
    ]:
        for last_event in ["0", "1", f"{victim}/0", "9" * 40]:
            def replayed(reply):
                http_error(405, rpc=-32600)(reply)
                assert reply.headers.get("allow") == "POST, DELETE", reply.headers
                assert b"TMWS-" not in reply.body and k3.encode() not in reply.body and b"data:" not in reply.body, reply.body
            b.run(f"GET with the victim's session and Last-Event-ID {last_event[:12]}, {label}", lambda: http_.send(
                "GET", "/mcp", None, {"Accept": "text/event-stream", "Mcp-Session-Id": victim, "Last-Event-ID": last_event,
                                      "MCP-Protocol-Version": LEGACY, **headers}), replayed)
    # Every refusal above left the session to its owner: it still works, as the editor.
    b.run("victim's session, the owner validates", lambda: http_.legacy_call(victim, "validate_license_key", {"key": k3}, editor),
          verdict("VALID"), attempt_row(editor_id, l3, None) + Writes(licenses={l3}))

    def legacy_answer(reply, id=1):
        result = answer(reply, id)["result"]
        assert "resultType" not in result and "_meta" not in result, result  # 2025-11-25 results are not stamped
        return result
    def all_tools(reply):
        assert len(legacy_answer(reply)["tools"]) == 9
    b.run("victim's session, the owner lists tools",
          lambda: http_.legacy(victim, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, editor), all_tools)

    # 2025-11-25: a request on the session must name the negotiated version (or none).
    def wrong_version(reply):
        assert reply.status == 400 and reply.messages[0]["error"]["code"] == -32600, reply
    for version in ["1999-01-01", "2026-07-28", "2025-06-18"]:
        b.run(f"victim's session, MCP-Protocol-Version {version}",
              lambda: http_.legacy_call(victim, "whoami", {}, editor, **{"MCP-Protocol-Version": version}), wrong_version)

    def pong(reply):
        assert legacy_answer(reply) == {}
    b.run("victim's session, ping", lambda: http_.legacy(victim, {"jsonrpc": "2.0", "id": 1, "method": "ping"}, editor), pong)

    # On a session, an unknown method is a JSON-RPC error on 200, as 2025-11-25 had it.
    def not_found_on_200(reply):
        assert answer(reply)["error"]["code"] == -32601
    b.run("victim's session, unknown method",
          lambda: http_.legacy(victim, {"jsonrpc": "2.0", "id": 1, "method": "no/such"}, editor), not_found_on_200)
    def another_session(reply):
        assert reply.status == 200 and reply.headers["mcp-session-id"] != victim, reply
        assert http_.delete(reply.headers["mcp-session-id"], editor).status == 200
    b.run("victim's session, initialize again on it",
          lambda: http_.legacy(victim, {"jsonrpc": "2.0", "id": 1, "method": "initialize"}, editor), another_session)
    # (b) An id may be used again once its answer came back.
    def editor_7(reply):
        assert legacy_answer(reply, 7)["structuredContent"]["name"] == "editor-1"
    for attempt in range(3):
        b.run(f"victim's session, id 7 again ({attempt + 1})", lambda: http_.legacy_call(victim, "whoami", {}, editor, id=7), editor_7)

    # (b) The same id twice at once: the second is refused with 409 while the first is running. The
    # first is held inside the server by SQLite's write lock (its write waits), then released; it
    # then completes, exactly once.
    def duplicate_ids():
        lock = WriteLock(d.db)
        try:
            first = in_thread(lambda: http_.legacy_call(victim, "validate_license_key", {"key": k3}, editor, id=77))
            time.sleep(0.5)
            second = in_thread(lambda: http_.legacy_call(victim, "validate_license_key", {"key": k3}, editor, id=77))
            early = second(timeout=3) or first(timeout=0.1)
        finally:
            lock.release()
        replies = [first(), second()]
        assert early is not None and early.status == 409, f"no early 409: {early}"
        return replies

    def one_ran(replies):
        assert sorted(r.status for r in replies) == [200, 409], replies
        conflict = next(r for r in replies if r.status == 409)
        refused(409, -32600, id=77)(conflict)
        done = next(r for r in replies if r.status == 200)
        assert legacy_answer(done, 77)["structuredContent"]["code"] == "VALID"
    b.run("victim's session, id 77 twice at once", duplicate_ids, one_ran, attempt_row(editor_id, l3, None) + Writes(licenses={l3}))

    # (d) DELETE by its owner ends it; it is gone for everyone, the owner too.
    def ended_ok(reply):
        assert (reply.status, reply.body) == (200, b""), reply
    b.run("victim's session, DELETE by its owner", lambda: http_.delete(victim, editor), ended_ok)
    b.run("ended session, the owner calls", lambda: http_.legacy_call(victim, "whoami", {}, editor), refused(404, -32600))

    # (c) At most 32 sessions per agent, whichever of its keys opens them; other agents are not affected.
    mine, second_key = keys["sessions-1"], keys["sessions-1 (second key)"]
    opened = []

    def opens(key):
        def verify(reply):
            assert reply.status == 200, reply
            opened.append((reply.headers["mcp-session-id"], key))
        return verify
    for index in range(SESSIONS_PER_AGENT):
        b.run(f"session {index + 1} of sessions-1", lambda: http_.initialize(mine if index % 2 else second_key),
              opens(mine if index % 2 else second_key))
    assert len({session for session, _ in opened}) == SESSIONS_PER_AGENT
    over = refused(429, -32600, id=0)
    b.run("session 33 of sessions-1", lambda: http_.initialize(mine), over)
    b.run("session 33 of sessions-1, second key", lambda: http_.initialize(second_key), over)
    b.run("a session of another agent meanwhile", lambda: http_.initialize(viewer), opens(viewer))
    # Ending one frees a place, for that agent only.
    session, key = opened.pop(0)
    assert http_.delete(session, key).status == 200
    b.run("session 32 of sessions-1 again", lambda: http_.initialize(mine), opens(mine))
    b.run("session 33 of sessions-1 again", lambda: http_.initialize(mine), over)
    for session, key in opened:
        assert http_.delete(session, key).status == 200

    # The license the battery never revoked was only validated, and by nobody it should not be;
    # the legacy section's license was validated exactly twice, both times by its session's owner.
    with sqlite3.connect(f"file:{d.db}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT is_active, validation_count FROM license_keys WHERE id = ?", (l1,)).fetchone() == (1, 3)
        assert connection.execute("SELECT is_active, validation_count FROM license_keys WHERE id = ?", (l3,)).fetchone() == (1, 2)
        assert connection.execute("SELECT agent_id, valid FROM license_usage_history WHERE license_id = ?", (l3,)).fetchall() == \
            [(editor_id, 1), (editor_id, 1)]
    # None of the hostile requests got a key or the secret into the (debug-level) log.
    log = d.log_path.read_text()
    secret = (d.db.parent / "tmws_secret.key").read_text().strip()
    for name, value in [*keys.items(), ("license key", k1), ("license key", k3), ("secret", secret)]:
        assert value not in log and value[-16:] not in log, f"{name} appears in a log line"
    with capsys.disabled():
        print(f"\nhostile inputs over HTTP: {b.count}, each answered, none crashed the server or wrote an unexpected row")
    assert b.count >= 490


def test_session_limits_of_a_small_server(deployment, battery):
    """The total cap (503, Retry-After) and idle expiry, on servers started with small limits."""
    d, keys = deployment, deployment.keys
    server = HTTPServer(d.env, d.log_path, "--max-sessions", "3", "--max-sessions-per-agent", "2")
    try:
        http_ = HTTP(server.port)
        first, second = http_.open_session(keys["editor-1"]), http_.open_session(keys["editor-1"])
        refused(429, -32600, id=0)(http_.initialize(keys["editor-1"]))
        third = http_.open_session(keys["viewer-1"])
        full = http_.initialize(keys["admin"])
        refused(503, -32600, id=0)(full)
        assert full.headers.get("retry-after") == "30", full.headers
        assert http_.delete(third, keys["viewer-1"]).status == 200
        fourth = http_.open_session(keys["admin"])
        for session, key in [(first, "editor-1"), (second, "editor-1"), (fourth, "admin")]:
            assert answer(http_.legacy_call(session, "whoami", {}, keys[key]))["result"]["structuredContent"]["name"] == key
        # Modern requests need no session, so a full session table does not affect them.
        assert modern_result(http_.call("whoami", {}, keys["viewer-1"]))["structuredContent"]["name"] == "viewer-1"
    finally:
        server.stop()

    # Idle expiry: with a 1 s idle timeout (swept every 0.5 s), a session used every 0.3 s lives on
    # while an untouched one ends.
    server = HTTPServer(d.env, d.log_path, "--session-idle-timeout", "1")
    try:
        http_ = HTTP(server.port)
        viewer = keys["viewer-1"]
        idle, busy = http_.open_session(viewer), http_.open_session(viewer)
        until = time.monotonic() + 3
        while time.monotonic() < until:
            assert answer(http_.legacy_call(busy, "whoami", {}, viewer))["result"]["structuredContent"]["name"] == "viewer-1"
            time.sleep(0.3)
        refused(404, -32600)(http_.legacy_call(idle, "whoami", {}, viewer))
        assert answer(http_.legacy_call(busy, "whoami", {}, viewer))["result"]["structuredContent"]["name"] == "viewer-1"
    finally:
        server.stop()
