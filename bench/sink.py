"""python -m bench.sink TOKEN API_BASE FIRST_CHAT COUNT IN_FLIGHT: the yardstick of the
benchmarks that measure what the bot sends on its own (reminders, broadcast).

Sends COUNT messages, one to each chat from FIRST_CHAT on, IN_FLIGHT at a time (the bot's
SEND_IN_FLIGHT), to the Bot API at API_BASE with aiohttp and nothing else: no database, no
templates, no pacing. What the sandbox receives from it a second is the most any sender can
get through on this machine in the same run; the bot's unlimited rate is reported as a
share of it (bench/botrun.py BotRun.sink).
"""

from __future__ import annotations

import asyncio
import sys

import aiohttp


async def send_all(token: str, api_base: str, first: int, count: int, in_flight: int) -> None:
    url = f"{api_base}{token}/sendMessage"
    chats = iter(range(first, first + count))  # shared: each sender takes the next chat

    async with aiohttp.ClientSession() as session:

        async def sender() -> None:
            for chat in chats:
                async with session.post(url, json={"chat_id": chat, "text": "알림"}) as answer:
                    await answer.read()

        await asyncio.gather(*(sender() for _ in range(in_flight)))


if __name__ == "__main__":
    token, api_base, first, count, in_flight = sys.argv[1:6]
    asyncio.run(send_all(token, api_base, int(first), int(count), int(in_flight)))
