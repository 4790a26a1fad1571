"""Slow-header connections: how long does the server hold a request whose headers never end?

    .venv/bin/python -m bench.slow_headers --connections 1000

Starts `washline serve` on a throwaway SQLite database (or targets `--port` on 127.0.0.1),
opens N connections that each send a request line and half a header and then nothing, and
times each from connect until the server closes it (or `--give-up` seconds pass). While they
wait, one ordinary `GET /health` shows whether neighbours are still served. `--source` runs
the server from another checkout of the code (e.g. an older revision unpacked with
`git archive`), for a before/after comparison. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.common import LOCALHOST, free_port, percentile, raise_nofile

ROOT = Path(__file__).resolve().parents[1]
PARTIAL = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: "


async def _hold(port: int, give_up: float) -> tuple[float, bool]:
    """Seconds from connect until the server hung up; False if it never did."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(LOCALHOST, port)
    writer.write(PARTIAL)
    await writer.drain()
    closed = True
    try:
        async with asyncio.timeout(give_up):
            while await reader.read(4096):
                pass
    except TimeoutError:
        closed = False
    except OSError:
        pass
    held = time.monotonic() - started
    writer.close()
    return held, closed


async def measure(port: int, connections: int, give_up: float) -> None:
    holds = [asyncio.create_task(_hold(port, give_up)) for _ in range(connections)]
    await asyncio.sleep(1.0)
    async with httpx.AsyncClient(timeout=30) as client:
        started = time.monotonic()
        status = (await client.get(f"http://{LOCALHOST}:{port}/health")).status_code
        neighbour = time.monotonic() - started
    results = await asyncio.gather(*holds)
    held = sorted(seconds for seconds, _ in results)
    still_open = sum(1 for _, closed in results if not closed)

    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} s"

    print(
        f"{connections} slow-header connections: held min {show(held[0])}, "
        f"median {show(percentile(held, 0.5))}, p99 {show(percentile(held, 0.99))}, "
        f"max {show(held[-1])}; still open after {give_up:g} s: {still_open}; "
        f"neighbour GET /health during the attack: {status} in {neighbour * 1000:.0f} ms"
    )


def _serve(
    source: Path, port: int, database: Path, header_timeout: str | None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "WASHLINE_ENV": "development",
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    if header_timeout is not None:
        env["HTTP_HEADER_TIMEOUT_SECONDS"] = header_timeout
    command = [sys.executable, "-m", "app.cli"]
    subprocess.run(
        [*command, "db", "upgrade"], cwd=source, env=env, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port)],
        cwd=source,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{LOCALHOST}:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start within 60 s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.slow_headers", description=__doc__)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--give-up", type=float, default=120.0, help="stop waiting after this")
    parser.add_argument("--port", type=int, help="an already running server on 127.0.0.1")
    parser.add_argument("--source", type=Path, default=ROOT, help="code tree to serve from")
    parser.add_argument("--header-timeout", help="HTTP_HEADER_TIMEOUT_SECONDS for the server")
    args = parser.parse_args(argv)
    raise_nofile()
    if args.port:
        asyncio.run(measure(args.port, args.connections, args.give_up))
        return
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = _serve(
            args.source.resolve(), port, Path(directory) / "bench.db", args.header_timeout
        )
        try:
            asyncio.run(measure(port, args.connections, args.give_up))
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
