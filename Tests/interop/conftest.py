"""Fixtures for the interop tests: a temporary TMWS deployment with admin, editor and viewer
agents, created with the real `tmwsctl`, served by the real `mcp-server` binary."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("TMWS_BIN_DIR", ROOT / ".build" / "debug"))
MCP_SERVER = str(BIN / "mcp-server")
TMWSCTL = str(BIN / "tmwsctl")


class Deployment:
    def __init__(self, home: Path):
        self.home = home
        self.db = home / "data" / "tmws.db"
        self.env = {**os.environ, "HOME": str(home), "TMWS_DATABASE_URL": f"sqlite:///{self.db}"}
        self.env.pop("TMWS_SECRET_KEY", None)
        self.env.pop("TMWS_SECRET_KEY_FILE", None)
        self.keys: dict[str, str] = {}
        # Every server this suite starts logs at debug level to here; test_no_secrets_in_logs reads it.
        self.log_path = home / "server.log"
        self.env["TMWS_LOG_LEVEL"] = "debug"
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
def deployment():
    with tempfile.TemporaryDirectory(prefix="tmws-interop-") as tmp:
        home = Path(tmp)
        d = Deployment(home)
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


@pytest.fixture(scope="module")
def http_server(deployment):
    port = free_port()
    log = open(deployment.log_path, "a")
    process = subprocess.Popen(
        [MCP_SERVER, "--http", f"127.0.0.1:{port}"], env=deployment.env,
        stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process, deployment.log_path)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    log.close()
    assert process.returncode == 0, "mcp-server did not shut down cleanly on SIGTERM"
