"""The city clock every benchmark runs on, whatever the hour and the date it is started at.

Students hear the bot's news only between 08:00 and 21:00 in Seoul, teachers' digests come on
school days, "this week" in a search depends on the day: on the wall clock the same benchmark
measured different things at 04:00 and at 14:00 (at 04:00 in Seoul the reminders benchmark
counted 10,710 of 12,600 reminders lost: the students' waited for 08:00). So `python -m bench
NAME` runs in MOMENT, a school-day Tuesday at 10:00 in Seoul:

- `city_clock()` moves this process's clock there (time_machine, ticking on from there at the
  real pace; `time.monotonic`, which asyncio and the timings use, is left alone);
- `command(args)` is how a benchmark starts a Python process (the bot, the echo bot):
  `python -m bench.clock SHIFT -m MODULE ...` moves the child's clock SHIFT seconds ahead of
  the real one, as this process's is, before it runs the module as `python -m` would. The due
  times a benchmark writes and the bot's clock agree to the microsecond, and the bot's code
  knows nothing of it. CITY_ENV sets the bot's city (its TZ setting), which an inherited TZ
  would otherwise move.
"""

from __future__ import annotations

import contextlib
import runpy
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import time_machine

# Tuesday 1 December 2026, 10:00 in Seoul (01:00 UTC): a school day between two school days,
# far from any public holiday, outside students' quiet hours (21:00-08:00) for the whole run.
MOMENT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=9), "KST"))
CITY_ENV = {"TZ": "Asia/Seoul"}


@contextlib.contextmanager
def city_clock(moment: datetime = MOMENT) -> Iterator[None]:
    """This process's clock at `moment`, ticking on."""
    with _travel(moment.timestamp()):
        yield


def shift() -> float:
    """Seconds this process's clock is ahead of the real one (0 when it is not moved)."""
    return (time.time_ns() - _real_time_ns()) / 1e9


def command(args: list[str]) -> list[str]:
    """argv for `python ARGS` (e.g. ["-m", "bot", "run"]) on this process's clock."""
    if args[:1] != ["-m"]:
        raise ValueError(f"only `-m MODULE ...` can run on the benchmark's clock, not {args}")
    return [sys.executable, "-m", "bench.clock", f"{shift():.6f}", *args]


def _real_time_ns() -> int:
    hatch = time_machine.escape_hatch  # which only answers while the clock is moved
    return hatch.time.time_ns() if hatch.is_travelling() else time.time_ns()


@contextlib.contextmanager
def _travel(destination: float) -> Iterator[None]:
    # A destination given as a timestamp leaves the process's time zone alone (a ZoneInfo
    # would set TZ); the first reading starts the tick, so it is taken at once.
    with time_machine.travel(destination, tick=True):
        time.time()
        yield


def main(argv: list[str]) -> int:
    """python -m bench.clock SHIFT -m MODULE [ARGS ...]"""
    if len(argv) < 3 or argv[1] != "-m":
        print("usage: python -m bench.clock SHIFT_SECONDS -m MODULE [ARGS ...]", file=sys.stderr)
        return 2
    ahead, module = float(argv[0]), argv[2]
    with _travel(_real_time_ns() / 1e9 + ahead):
        sys.argv = [module, *argv[3:]]  # runpy puts the module's path first, as `-m` does
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
