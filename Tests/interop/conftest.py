"""Fixtures for the interop tests: a temporary TMWS deployment with admin, editor and viewer
agents, created with the real `tmwsctl`, served by the real `mcp-server` binary.

Also the two protocol eras the server speaks, as the tests build them by hand: a modern (MCP
2026-07-28) request carries its protocol version and client capabilities in `params._meta` and,
over HTTP, the `MCP-Protocol-Version`, `Mcp-Method` and (for `tools/call`) `Mcp-Name` headers; a
legacy (2025-11-25) client opens a session with `initialize`."""

import base64
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from mcp.shared.exceptions import MCPError

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TMWS_BIN_DIR", ROOT / ".build" / "debug"))
MCP_SERVER = str(BIN / "mcp-server")
TMWSCTL = str(BIN / "tmwsctl")

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
SUPPORTED_VERSIONS = [MODERN, "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
META_VERSION = "io.modelcontextprotocol/protocolVersion"
META_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL = "io.modelcontextprotocol/logLevel"
META_SERVER = "io.modelcontextprotocol/serverInfo"
# Method -> the params member that `Mcp-Name` mirrors (2026-07-28 streamable-http.mdx).
NAMED_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}


def modern_meta(version: str = MODERN) -> dict:
    """The `_meta` every modern request carries (clientInfo is optional)."""
    return {META_VERSION: version, META_CAPABILITIES: {}, META_CLIENT: {"name": "tmws-interop", "version": "1"}}


def modern_request(id, method: str, params: dict | None = None, version: str = MODERN) -> dict:
    """A modern JSON-RPC request: `params._meta` names the protocol version."""
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": {**(params or {}), "_meta": modern_meta(version)}}


def encode_header_value(value: str) -> str:
    """A header value as Streamable HTTP carries it (2026-07-28 "Value Encoding", as the SDK does):
    printable ASCII without edge whitespace as is, anything else as `=?base64?<base64 of UTF-8>?=`."""
    plain = re.fullmatch(r"[\x20-\x7E]*", value) and value == value.strip() and not re.fullmatch(r"=\?base64\?.*\?=", value)
    return value if plain else "=?base64?" + base64.b64encode(value.encode("utf-8", "surrogatepass")).decode("ascii") + "?="


def _header_safe(value) -> bool:
    return isinstance(value, str) and len(value) <= 200_000 and all(0x20 <= ord(c) <= 0x7E for c in value)


def modern_headers(message) -> dict:
    """The standard headers a modern POST of `message` must carry, derived from its body the way a
    client does: MCP-Protocol-Version from params._meta (2026-07-28 when it names none usable),
    Mcp-Method, and Mcp-Name for tools/call (with the SDK's `=?base64?...?=` encoding where needed).
    Parts that cannot be derived (no method, a name that is not a string) are left out."""
    headers = {"MCP-Protocol-Version": MODERN}
    if not isinstance(message, dict):
        return headers
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    if isinstance(meta, dict) and _header_safe(meta.get(META_VERSION)) and meta.get(META_VERSION):
        headers["MCP-Protocol-Version"] = meta[META_VERSION]
    method = message.get("method")
    if _header_safe(method):
        headers["Mcp-Method"] = method
    if method in NAMED_METHODS and isinstance(params, dict) and isinstance(params.get(NAMED_METHODS[method]), str):
        headers["Mcp-Name"] = encode_header_value(params[NAMED_METHODS[method]])
    return headers


def mcp_error(error: BaseException) -> MCPError | None:
    """The MCPError inside `error`, which anyio may have wrapped in (nested) exception groups."""
    if isinstance(error, MCPError):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            if (found := mcp_error(inner)) is not None:
                return found
    return None


class Deployment:
    def __init__(self, home: Path, log_format: str = "text"):
        self.home = home
        self.db = home / "data" / "tmws.db"
        self.env = {**os.environ, "HOME": str(home), "TMWS_DATABASE_URL": f"sqlite:///{self.db}"}
        self.env.pop("TMWS_SECRET_KEY", None)
        self.env.pop("TMWS_SECRET_KEY_FILE", None)
        self.keys: dict[str, str] = {}
        # Every server this suite starts logs at debug level to here; test_no_secrets_in_logs reads it.
        self.log_path = home / "server.log"
        self.env["TMWS_LOG_LEVEL"] = "debug"
        # A test module may set LOG_FORMAT = "json": its servers and tmwsctl then log JSON lines.
        self.log_format = log_format
        self.env["TMWS_LOG_FORMAT"] = log_format
        # License keys the lifecycles generated (checked against the logs).
        self.generated: list[str] = []

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([TMWSCTL, *args], env=self.env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"tmwsctl {' '.join(args)} failed: {result.stderr}"
        return result

    def create_agent(self, name: str, role: str, namespace: str = "default") -> str:
        self.ctl("agent", "create", name, "--namespace", namespace, "--role", role)
        key_file = self.home / f"{name}.key"
        self.ctl("agent", "key", "create", name, "--out", str(key_file))
        key = key_file.read_text().strip()
        self.keys[name] = key
        return key


@pytest.fixture(scope="module")
def deployment(request):
    with tempfile.TemporaryDirectory(prefix="tmws-interop-") as tmp:
        home = Path(tmp)
        d = Deployment(home, log_format=getattr(request.module, "LOG_FORMAT", "text"))
        d.ctl("init")
        d.keys["admin"] = (d.db.parent / "admin.key").read_text().strip()
        d.create_agent("editor-1", "editor")
        d.create_agent("viewer-1", "viewer")
        yield d


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base: str, process: subprocess.Popen, log_path: Path, seconds: float = 30) -> None:
    """Waits for GET /health to answer 200; fails with the server's log if it exits or times out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("mcp-server --http did not start: " + log_path.read_text())
            time.sleep(0.05)


class HTTPServer:
    """One `mcp-server --http 127.0.0.1:PORT` process, logging to `log_path`."""

    def __init__(self, env: dict, log_path: Path, *args: str, port: int | None = None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "a")
        self.process = subprocess.Popen(
            [MCP_SERVER, "--http", f"127.0.0.1:{self.port}", *args], env=env,
            stdout=subprocess.DEVNULL, stderr=self._log)
        try:
            wait_until_healthy(self.base, self.process, log_path)
        except BaseException:
            self.process.kill()
            self.process.wait(timeout=10)
            self._log.close()
            raise

    def stop(self) -> None:
        """SIGTERM; the server must exit 0 within 15 s (killed otherwise)."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError("mcp-server did not shut down within 15 s of SIGTERM")
        finally:
            self._log.close()
        assert code == 0, f"mcp-server did not shut down cleanly on SIGTERM (exit {code})"


@pytest.fixture(scope="module")
def http_server(deployment):
    server = HTTPServer(deployment.env, deployment.log_path)
    yield server.base
    server.stop()
