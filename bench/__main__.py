"""python -m bench NAME: run one benchmark; its JSON result is the last line printed.

Every benchmark runs on the same city clock, a school-day Tuesday at 10:00 in Seoul, and so
does every bot process it starts (bench/clock.py): the figures do not depend on the hour or
the date of the run.
"""

from __future__ import annotations

import importlib
import sys

from bench.clock import city_clock

BENCHMARKS = (
    "updates",
    "search",
    "booking",
    "reminders",
    "broadcast",
    "cases",
    "webhook",
    "privacy",
    "scale",
)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{sys.argv[1]}")
    with city_clock():
        return module.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
