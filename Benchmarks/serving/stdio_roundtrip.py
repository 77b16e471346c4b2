"""stdio round trips with a minimal JSON-RPC client (no SDK on the client side).

Sends N sequential 2026-07-28 `tools/call` requests (with `_meta`, no handshake) over a pipe and
reads each answer before sending the next; reports the median and p99. Targets:
  - ours: `validate_license_key` through `mcp-server` on a SQLite file;
  - reference: the Python SDK's MCPServer echo tool (`python_echo_server.py`), the same client.
With --strace, the server runs under `strace -c -f -e trace=futex` and the futex calls per
request are reported.

Usage (package root, after `swift build -c release`):
    .venv/bin/python Benchmarks/serving/stdio_roundtrip.py [--calls 2000] [--bin .build/release] [--strace]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "minimal", "version": "1"}}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def drive(command, env, tool, arguments, calls, legacy_handshake=False):
    process = subprocess.Popen(command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def roundtrip(message):
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    if legacy_handshake:
        roundtrip({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "minimal", "version": "1"}}})
        process.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    timings = []
    for i in range(calls + 50):
        params = {"name": tool, "arguments": arguments}
        if not legacy_handshake:
            params["_meta"] = META
        start = time.perf_counter()
        answer = roundtrip({"jsonrpc": "2.0", "id": i + 1, "method": "tools/call", "params": params})
        elapsed = (time.perf_counter() - start) * 1000
        assert "result" in answer and not answer["result"].get("isError"), answer
        if i >= 50:
            timings.append(elapsed)
    process.stdin.close()
    process.wait(timeout=30)
    return timings


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--ctl-bin", default=None, help="where tmwsctl is (default: --bin)")
    parser.add_argument("--strace", action="store_true")
    parser.add_argument("--eras", action="store_true",
                        help="instead: ours modern (2026-07-28) against ours legacy (initialize, 2025-11-25), alternated three times")
    args = parser.parse_args()
    bin_dir = Path(args.bin).resolve()
    ctl = Path(args.ctl_bin or args.bin).resolve() / "tmwsctl"
    with tempfile.TemporaryDirectory(prefix="tmws-stdio-bench-") as home:
        db = Path(home) / "data" / "tmws.db"
        env = {**os.environ, "HOME": home, "TMWS_DATABASE_URL": f"sqlite:///{db}", "TMWS_LOG_LEVEL": "error"}
        subprocess.run([str(ctl), "init"], env=env, check=True, capture_output=True)
        admin = (db.parent / "admin.key").read_text().strip()
        generated = subprocess.run([str(ctl), "license", "generate", "--tier", "PRO", "--as", "admin", "--json"],
                                   env=env, check=True, capture_output=True, text=True)
        key = json.loads(generated.stdout)["license_key"]
        server_env = {**env, "TMWS_API_KEY": admin}
        command = [str(bin_dir / "mcp-server")]
        if args.strace:
            trace = Path(home) / "strace.txt"
            command = ["strace", "-c", "-f", "-e", "trace=futex", "-o", str(trace)] + command
        if args.eras:
            ratios = []
            for _ in range(3):
                legacy = drive(command, server_env, "validate_license_key", {"key": key}, args.calls, legacy_handshake=True)
                modern = drive(command, server_env, "validate_license_key", {"key": key}, args.calls)
                ratios.append(statistics.median(modern) / statistics.median(legacy))
                print(f"modern median={statistics.median(modern):.3f} ms, legacy median={statistics.median(legacy):.3f} ms, "
                      f"ratio {ratios[-1]:.2f}")
            print(f"modern / legacy, median of the three pairs: {statistics.median(ratios):.2f}")
            return
        ours = drive(command, server_env, "validate_license_key", {"key": key}, args.calls)
        reference = drive([sys.executable, str(Path(__file__).with_name("python_echo_server.py"))], os.environ, "echo",
                          {"text": "x"}, args.calls)
        for name, values in [("tmws validate_license_key (SQLite file)", ours), ("python SDK echo", reference)]:
            print(f"{name}: n={len(values)} median={statistics.median(values):.3f} ms p99={percentile(values, 0.99):.3f} ms")
        print(f"ratio of medians (ours / python echo): {statistics.median(ours) / statistics.median(reference):.2f}")
        if args.strace:
            text = trace.read_text()
            match = re.search(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?futex", text, re.M)
            calls = int(match.group(1)) if match else 0
            print(f"futex calls: {calls} for {args.calls + 50} requests plus start-up: {calls / (args.calls + 50):.1f} per request")


if __name__ == "__main__":
    main()
