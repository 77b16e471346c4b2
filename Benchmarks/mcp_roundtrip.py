"""MCP round trips with the official Python client (PyPI `mcp` 2.x) against a release build.

Measures, over stdio and over Streamable HTTP:
  - the time from process start to the `initialize` response;
  - median and p99 of N sequential `validate_license_key` calls;
and over stdio with the high-level `mcp.Client`, the same loop in `mode="legacy"` (initialize,
2025-11-25) and `mode="auto"` (server/discover, then stateless 2026-07-28 requests), side by side.

Usage (from the package root, after `swift build -c release`):
    .venv/bin/python Benchmarks/mcp_roundtrip.py [--calls 1000] [--bin .build/release]
It creates a throwaway deployment under a temporary HOME with `tmwsctl`.
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(name, values_ms):
    print(f"{name}: n={len(values_ms)} median={statistics.median(values_ms):.3f} ms "
          f"p99={percentile(values_ms, 0.99):.3f} ms min={min(values_ms):.3f} ms")


async def validate_loop(session, key, calls):
    timings = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await session.call_tool("validate_license_key", {"key": key})
        timings.append((time.perf_counter() - start) * 1000)
        assert not result.is_error and result.structured_content["code"] == "VALID", result
    return timings


async def stdio(bin_dir, env, key, api_key, calls):
    params = StdioServerParameters(command=str(bin_dir / "mcp-server"), args=[], env={**env, "TMWS_API_KEY": api_key})
    start = time.perf_counter()
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            initialized = (time.perf_counter() - start) * 1000
            await validate_loop(session, key, 20)  # warm-up
            timings = await validate_loop(session, key, calls)
    print(f"stdio: process start → initialize response: {initialized:.1f} ms")
    report("stdio validate_license_key", timings)


async def http(bin_dir, env, key, api_key, calls):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    process = subprocess.Popen([str(bin_dir / "mcp-server"), "--http", f"127.0.0.1:{port}"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.002)
        async with create_mcp_http_client(headers={"Authorization": f"Bearer {api_key}"}) as client:
            async with streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=client) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    initialized = (time.perf_counter() - start) * 1000
                    await validate_loop(session, key, 20)
                    timings = await validate_loop(session, key, calls)
        print(f"http: process start → initialize response: {initialized:.1f} ms")
        report("http validate_license_key", timings)
    finally:
        process.terminate()
        process.wait(timeout=10)


async def client_modes(bin_dir, env, key, api_key, calls):
    from mcp import Client

    medians = {}
    # Alternated, so drift of the machine's speed hits both modes alike; the ratio is the median
    # of each adjacent pair's ratio.
    for mode in ["legacy", "auto"] * 3:
        params = StdioServerParameters(command=str(bin_dir / "mcp-server"), args=[], env={**env, "TMWS_API_KEY": api_key})
        async with Client(params, mode=mode) as client:
            timings = []
            for i in range(calls + 20):
                start = time.perf_counter()
                result = await client.call_tool("validate_license_key", {"key": key})
                if i >= 20:
                    timings.append((time.perf_counter() - start) * 1000)
                assert not result.is_error and result.structured_content["code"] == "VALID", result
        report(f"stdio mcp.Client mode={mode}", timings)
        medians.setdefault(mode, []).append(statistics.median(timings))
    ratios = [auto / legacy for auto, legacy in zip(medians["auto"], medians["legacy"])]
    print(f"stdio mcp.Client: auto / legacy median, per pair: {', '.join(f'{r:.2f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.2f}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--bin", default=".build/release")
    args = parser.parse_args()
    bin_dir = Path(args.bin).resolve()
    with tempfile.TemporaryDirectory(prefix="tmws-roundtrip-") as home:
        db = Path(home) / "data" / "tmws.db"
        env = {**os.environ, "HOME": home, "TMWS_DATABASE_URL": f"sqlite:///{db}"}
        ctl = lambda *a: subprocess.run([str(bin_dir / "tmwsctl"), *a], env=env, check=True, capture_output=True, text=True)
        ctl("init")
        api_key = (db.parent / "admin.key").read_text().strip()
        key = ctl("license", "generate", "--tier", "PRO", "--days", "365", "--json").stdout
        import json
        key = json.loads(key)["license_key"]
        asyncio.run(stdio(bin_dir, env, key, api_key, args.calls))
        asyncio.run(client_modes(bin_dir, env, key, api_key, args.calls))
        asyncio.run(http(bin_dir, env, key, api_key, args.calls))


if __name__ == "__main__":
    main()
