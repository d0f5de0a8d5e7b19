"""python -m bench NAME: run one benchmark; its JSON result is the last line printed."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("updates", "search", "booking", "reminders", "broadcast", "cases")


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in BENCHMARKS:
        print(f"usage: python -m bench {{{','.join(BENCHMARKS)}}}", file=sys.stderr)
        return 2
    module = importlib.import_module(f"bench.{sys.argv[1]}")
    return module.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
