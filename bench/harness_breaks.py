"""How many planted breaks (tests/harness/planted_breaks.py) the harness catches with the
`ci` profile, and how long each took to find. A benchmark, not a test.

    python bench/harness_breaks.py [--runs N]

Each break is run N times (default 1) with fresh random seeds and the `ci` profile's budget
(all its examples in one go, no shrinking); a break counts as caught when the harness fails
with a message naming the planted invariant.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests", "harness")]

from planted_breaks import BREAKS, find_break  # noqa: E402

from spec_tests.model import INVARIANTS  # noqa: E402
from spec_tests.plugin import PROFILES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    ci = PROFILES["ci"]
    print(f"ci profile: {ci['max_examples']} examples x {ci['stateful_step_count']} steps; "
          f"{args.runs} run(s) per break")
    print(f"{'inv':>3}  {'break':36s} {'caught':>7}  {'median s':>8}  first line")
    caught_total = 0
    for name, (number, _) in sorted(BREAKS.items(), key=lambda kv: kv[1][0]):
        times, caught, line = [], 0, ""
        for _ in range(args.runs):
            started = time.perf_counter()
            exc = find_break(name, max_examples=ci["max_examples"],
                             steps=ci["stateful_step_count"], derandomize=False)
            times.append(time.perf_counter() - started)
            first = str(exc).splitlines()[0] if exc else ""
            if first.startswith(f"{number}. {INVARIANTS[number]}"):
                caught += 1
            line = line or first[:70]
        caught_total += caught == args.runs
        print(f"{number:>3}  {name:36s} {caught:>3}/{args.runs:<3} {statistics.median(times):8.2f}"
              f"  {line}", flush=True)
    print(f"caught {caught_total}/{len(BREAKS)} planted breaks in every run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
