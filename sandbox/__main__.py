"""Serve the sandbox on its own: `python -m sandbox --host 127.0.0.1 --port 8080 --delay-ms 0`."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from pathlib import Path

from sandbox.server import start_sandbox


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--delay-ms", type=int, default=0, help="latency added to every Bot API call"
    )
    parser.add_argument("--token", help="the bot the test API and chat page talk to by default")
    parser.add_argument("--personas", type=Path, help="a JSON file with a list of demo personas")
    return parser.parse_args()


async def serve(args: argparse.Namespace) -> None:
    personas = json.loads(args.personas.read_text(encoding="utf-8")) if args.personas else None
    running = await start_sandbox(
        args.host, args.port, delay_ms=args.delay_ms, personas=personas, token=args.token
    )
    print(f"Sandbox chat page: {running.url}/")
    print(f"Bot API base URL:  {running.api_base}   (BOT_API_URL)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await running.stop()


def main() -> None:
    asyncio.run(serve(parse_args()))


if __name__ == "__main__":
    main()
