"""``instaview-sim check [pytest and harness options]``: run the harness suite through pytest
and print a readable summary (harness.md "Targets")."""

from __future__ import annotations

import json
import os
import tempfile
import time

import pytest

from .model import INVARIANTS

USAGE = """usage: instaview-sim check [options]  (any pytest option works too)
  --base-url URL                 a server with the control plane (env INSTAVIEW_BASE_URL)
  --control-token TOKEN          bearer token for /_sim
  --black-box --api-key-a K --api-key-b K   a server without the control plane
  --client MODULE:FACTORY        a Python client adapter (env INSTAVIEW_CLIENT)
  --client-cmd "COMMAND"         a JSON-lines client adapter (env INSTAVIEW_CLIENT_CMD)
  --lenient-errors               accept a client that loses error status/code
  --hypothesis-profile ci|dev|thorough   (default ci)
  --hypothesis-seed N            reproduce a run
  --spec-coverage-json PATH      coverage table as JSON (default spec-coverage.json)
  -n 2                           run the shards in parallel (pytest-xdist)
  --concurrency [--base-url URL] [--runs N] [--seed S] [--scenario NAME]
                                 parallel branches against a threaded server, histories
                                 checked for linearizability (docs/concurrency.md); with no
                                 URL it starts `instaview-sim serve --clock manual` itself
With no target option the in-process simulator is checked."""


def check(args: list[str]) -> int:
    """Run ``pytest --pyargs spec_tests`` with ``args``; print a summary; return the exit code."""
    if "--help" in args or "-h" in args:
        print(USAGE)
        return 0
    if "--concurrency" in args:
        from .concurrency import main as concurrency_main

        return concurrency_main([a for a in args if a != "--concurrency"])
    coverage_path = None
    if "--spec-coverage-json" not in args:
        handle, coverage_path = tempfile.mkstemp(suffix=".json", prefix="spec-coverage-")
        os.close(handle)
        args = [*args, "--spec-coverage-json", coverage_path]
    path = args[args.index("--spec-coverage-json") + 1]
    started = time.monotonic()
    code = int(pytest.main(["--pyargs", "spec_tests", "-p", "no:cacheprovider", "-q", *args]))
    elapsed = time.monotonic() - started
    summary = {}
    try:
        with open(path, encoding="utf-8") as fh:
            summary = json.load(fh)
    except (OSError, ValueError):
        pass
    finally:
        if coverage_path:
            os.unlink(coverage_path)
    print()
    print("instaview-sim check: " + ("PASSED" if code == 0 else f"FAILED (pytest exit {code})")
          + f" in {elapsed:.1f}s")
    if summary:
        rules = summary.get("rules", {})
        print(f"  steps run: {sum(rules.values())}  "
              f"transitions seen: {len(summary.get('transitions', {}))}")
        inv = summary.get("invariants", {})
        for number, name in INVARIANTS.items():
            n = inv.get(str(number), 0)
            mark = "-- " if n == 0 else ("ok " if code == 0 else "   ")
            print(f"  {mark} {number:2d}. {name:34s} checked {n} times"
                  + ("  (not exercised: raise the profile)" if n == 0 else ""))
        for rule, why in sorted(summary.get("skipped_rules", {}).items()):
            print(f"  skipped: {rule} ({why})")
    if code != 0:
        print("  The failing sequence is printed above as a program: paste it after\n"
              "  `from spec_tests.machines import InterviewLifecycle`, or rerun with the\n"
              "  printed --hypothesis-seed.")
    return code
