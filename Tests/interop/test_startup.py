"""What `mcp-server` does with the database it is given (#15, item 1).

A typo in the database URL used to create a second deployment silently (three slashes make a
relative path, `sqlite:/x` a directory named `sqlite:`). Now the server logs the database it
opens (saying when the path is relative), creates a database on its own only at the embedded
default `~/.tmws/data/tmws.db`, and refuses a missing database elsewhere, or a mistyped SQLite
URL, creating nothing.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from conftest import MCP_SERVER


def start(home: Path, url: str | None, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMWS_")}
    env["HOME"] = str(home)
    if url is not None:
        env["TMWS_DATABASE_URL"] = url
    # stdio: an immediately closed stdin ends the session at once.
    return subprocess.run([MCP_SERVER], stdin=subprocess.DEVNULL, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_a_database_is_created_only_at_the_default_and_typos_create_nothing():
    with tempfile.TemporaryDirectory(prefix="tmws-startup-") as tmp:
        root = Path(tmp)
        home, work = root / "home", root / "work"
        home.mkdir()
        work.mkdir()

        # Three slashes and a path without its leading slash: relative, under the working directory.
        for url in ["sqlite:///home/me/.tmws/data/tmws.db", f"sqlite:{root}/x.db", "sqlite://tmp/x.db", str(root / "other.db")]:
            run = start(home, url, work)
            assert run.returncode == 2, (url, run.stderr)
            assert "cannot start" in run.stderr, run.stderr
            assert "StorageError" not in run.stderr, "no Swift type names in messages"
        assert list(work.iterdir()) == [], "nothing was created under the working directory"
        assert not (root / "other.db").exists() and not (home / ".tmws").exists()

        relative = start(home, "sqlite:///data/tmws.db", work)
        assert "a relative path, under the working directory" in relative.stderr, relative.stderr
        assert "tmwsctl init" in relative.stderr and relative.returncode == 2

        typo = start(home, f"sqlite:{root}/x.db", work)
        assert "sqlite:////ABSOLUTE/PATH (four slashes)" in typo.stderr, typo.stderr

        default = start(home, None, work)
        assert default.returncode == 0, default.stderr
        assert f"database: {home}/.tmws/data/tmws.db (SQLite file)" in default.stderr, default.stderr
        assert (home / ".tmws" / "data" / "tmws.db").exists()
        # Reopened through an explicit URL naming the same file (four slashes: absolute), it is found.
        again = start(home, f"sqlite:///{home}/.tmws/data/tmws.db", work)
        assert again.returncode == 0, again.stderr


def test_start_up_errors_name_the_address_and_the_fix():
    import socket
    with tempfile.TemporaryDirectory(prefix="tmws-startup-") as tmp:
        home = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMWS_")}
        env["HOME"] = str(home)

        def serve(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([MCP_SERVER, "--db", ":memory:", *args], stdin=subprocess.DEVNULL, env=env,
                                  capture_output=True, text=True, timeout=60)

        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            busy = serve("--http", f"127.0.0.1:{port}")
        assert busy.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}: the address is already in use" in busy.stderr, busy.stderr
        assert "errno" not in busy.stderr and "bind(descriptor" not in busy.stderr

        scheme = serve("--http", "http://127.0.0.1:8000")
        assert scheme.returncode != 0 and "without a scheme, e.g. 127.0.0.1:8000" in scheme.stderr, scheme.stderr
        unknown = serve("--http", "nosuchhost.invalid:8000")
        assert unknown.returncode == 2 and "the host name nosuchhost.invalid cannot be resolved" in unknown.stderr, unknown.stderr
        assert "SocketAddressError" not in unknown.stderr


def test_one_product_version_everywhere():
    """`tmwsctl --version`, `mcp-server --version` and the MCP serverInfo agree (#15, item 8, versions)."""
    import json
    from conftest import TMWSCTL, modern_request
    ctl = subprocess.run([TMWSCTL, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    server = subprocess.run([MCP_SERVER, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="tmws-version-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMWS_")}
        env["HOME"] = tmp
        line = json.dumps(modern_request(1, "server/discover")) + "\n"
        run = subprocess.run([MCP_SERVER, "--db", ":memory:"], input=line, env=env, capture_output=True, text=True, timeout=30)
        answer = json.loads(run.stdout.splitlines()[0])
    info = answer["result"]["serverInfo"] if "serverInfo" in answer["result"] else answer["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]
    assert ctl == server == info["version"], (ctl, server, info)
    assert ctl.count(".") == 2


def test_a_server_with_another_secret_refuses_to_start():
    """The deployment keeps its signing secret's fingerprint; a server started with another secret
    says so and exits 2, instead of answering BAD_SIGNATURE for every key (#15, item 2). The log
    names the secret's source and fingerprint, never the secret."""
    from conftest import TMWSCTL
    with tempfile.TemporaryDirectory(prefix="tmws-secret-") as tmp:
        root = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TMWS_")}
        env["HOME"] = str(root)
        created = subprocess.run([TMWSCTL, "init"], env=env, capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        secret = (root / ".tmws" / "data" / "tmws_secret.key").read_text().strip()

        right = start(root, None, root)
        assert right.returncode == 0, right.stderr
        assert "signing secret" in right.stderr and f"file {root}/.tmws/data/tmws_secret.key" in right.stderr, right.stderr
        assert "fingerprint=" in right.stderr and secret not in right.stderr

        other = "another-secret-of-forty-bytes-0123456789"
        wrong = subprocess.run([MCP_SERVER], stdin=subprocess.DEVNULL, env={**env, "TMWS_SECRET_KEY": other}, cwd=root,
                               capture_output=True, text=True, timeout=60)
        assert wrong.returncode == 2, wrong.stderr
        assert "cannot start" in wrong.stderr and "not the one this deployment was created with" in wrong.stderr, wrong.stderr
        assert "source=TMWS_SECRET_KEY" in wrong.stderr, wrong.stderr
        assert other not in wrong.stderr and secret not in wrong.stderr

        refused = subprocess.run([TMWSCTL, "agent", "list"], env={**env, "TMWS_SECRET_KEY": other}, capture_output=True,
                                 text=True, timeout=60)
        assert refused.returncode == 2 and "not the one this deployment was created with" in refused.stderr, refused.stderr
