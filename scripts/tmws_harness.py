"""Shared pieces of scripts/crash_loop.py and scripts/load_test.py: a throwaway TMWS deployment
(a SQLite file in a temporary directory, agents and API keys made with the real `tmwsctl`), an
`mcp-server --http` process on a free loopback port, and MCP sessions over Streamable HTTP with the
official Python client (PyPI `mcp` 2.x).

Run the scripts with the project's venv, which has `mcp` installed:
    python3 -m venv .venv && .venv/bin/pip install "mcp>=2,<3"
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import asynccontextmanager
from pathlib import Path

try:
    import anyio
    from mcp import Client, ClientSession
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client
except ImportError as missing:  # pragma: no cover - a setup problem, not a test result
    sys.exit(f"{missing}: run this script with a Python that has the MCP client, e.g.\n"
             f"  python3 -m venv .venv && .venv/bin/pip install 'mcp>=2,<3' && .venv/bin/python {sys.argv[0]} ...")

ROOT = Path(__file__).resolve().parents[1]


def resolve_bin_dir(option: str | None) -> Path:
    """The directory holding `mcp-server` and `tmwsctl`: --bin-dir, else TMWS_BIN_DIR. Nothing is built here."""
    value = option or os.environ.get("TMWS_BIN_DIR")
    if not value:
        sys.exit("no binaries: pass --bin-dir DIR or set TMWS_BIN_DIR, e.g. to the output of\n"
                 "  swift build -c release --product mcp-server && swift build -c release --product tmwsctl\n"
                 "  swift build -c release --show-bin-path")
    path = Path(value).resolve()
    for name in ("mcp-server", "tmwsctl"):
        if not os.access(path / name, os.X_OK):
            sys.exit(f"{path / name} is missing or not executable; build it first (see --help)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Deployment:
    """A database file in `home/data/tmws.db`, set up with `tmwsctl init`, plus agents and their keys."""

    def __init__(self, home: Path, bin_dir: Path):
        self.home = home
        self.bin_dir = bin_dir
        self.db = home / "data" / "tmws.db"
        self.env = {**os.environ, "HOME": str(home), "TMWS_DATABASE_URL": f"sqlite:///{self.db}", "TMWS_LOG_LEVEL": "info"}
        self.env.pop("TMWS_SECRET_KEY", None)
        self.env.pop("TMWS_SECRET_KEY_FILE", None)
        self.env.pop("TMWS_API_KEY", None)
        self.keys: dict[str, str] = {}

    @property
    def tmwsctl(self) -> str:
        return str(self.bin_dir / "tmwsctl")

    @property
    def mcp_server(self) -> str:
        return str(self.bin_dir / "mcp-server")

    def ctl(self, *args: str) -> subprocess.CompletedProcess:
        result = subprocess.run([self.tmwsctl, *args], env=self.env, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"tmwsctl {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def init(self) -> None:
        self.ctl("init")
        self.keys["admin"] = (self.db.parent / "admin.key").read_text().strip()

    def create_agent(self, name: str, role: str, namespace: str = "default") -> str:
        self.ctl("agent", "create", name, "--namespace", namespace, "--role", role)
        key_file = self.home / f"{name}.key"
        self.ctl("agent", "key", "create", name, "--out", str(key_file))
        self.keys[name] = key_file.read_text().strip()
        return self.keys[name]


class Server:
    """One `mcp-server --http 127.0.0.1:PORT` process over a deployment; logs appended to `home/server.log`."""

    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.log_path = deployment.home / "server.log"
        self.process: subprocess.Popen | None = None
        self.base = ""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 60) -> float:
        """Starts the server on a new free port and waits for `GET /health` → 200. Returns the seconds it took."""
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        began = time.monotonic()
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [self.deployment.mcp_server, "--http", f"127.0.0.1:{port}"], env=self.deployment.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        while True:
            try:
                status, _ = self.health()
                if status == 200:
                    return time.monotonic() - began
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() - began > timeout:
                raise RuntimeError(f"mcp-server did not start (exit {self.process.poll()}); log tail:\n{self.log_tail()}")
            time.sleep(0.02)

    def health(self) -> tuple[int, bytes]:
        with urllib.request.urlopen(self.base + "/health", timeout=5) as response:
            return response.status, response.read()

    def kill9(self) -> None:
        """SIGKILL: no shutdown path runs, the process just stops."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM (graceful shutdown); SIGKILL after `timeout`. Returns the exit status."""
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def rss_kib(self) -> int | None:
        """The server's resident set size (VmRSS, KiB), or None once it has exited."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (OSError, AssertionError):
            return None
        return None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@asynccontextmanager
async def http_session(base: str, key: str | None, *, terminate_on_close: bool = True):
    """An initialized MCP session over Streamable HTTP, authenticated with `key` (a Bearer token)."""
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with streamable_http_client(base + "/mcp", http_client=client, terminate_on_close=terminate_on_close) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session


@asynccontextmanager
async def modern_http_client(base: str, key: str | None):
    """A stateless MCP client (`mcp.Client` in auto mode: 2026-07-28, no session) on `base/mcp`, sending
    `Authorization: Bearer <key>` on every request. It has `call_tool` like a session."""
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with create_mcp_http_client(headers=headers) as client:
        async with Client(streamable_http_client(base + "/mcp", http_client=client), mode="auto") as modern:
            yield modern


async def call(session: ClientSession, tool: str, timeout: float = 30, **arguments) -> tuple[bool, dict]:
    """Calls a tool; returns (is_error, structured content). Transport failures and timeouts raise."""
    with anyio.fail_after(timeout):
        result = await session.call_tool(tool, arguments)
    return bool(result.is_error), (result.structured_content or {})


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-p * len(sorted_values) // 100))))
    return sorted_values[rank - 1]
