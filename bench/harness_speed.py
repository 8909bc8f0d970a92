"""Harness steps per second, in-process (WSGI transport) and over HTTP (a real
``instaview-sim serve --clock manual`` process on a free loopback port). A benchmark.

    python bench/harness_speed.py [--examples N]

A step is one rule plus the checks after it.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import requests  # noqa: E402
from hypothesis import HealthCheck, Phase, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

from spec_tests import machines  # noqa: E402
from spec_tests.targets import http_target, in_process_target  # noqa: E402


def measure(target, examples: int) -> tuple[int, float]:
    machines.COVERAGE["rules"].clear()
    config = settings(max_examples=examples, stateful_step_count=30, deadline=None,
                      phases=[Phase.generate], database=None,
                      suppress_health_check=list(HealthCheck))
    started = time.perf_counter()
    with machines.use_target(target):
        run_state_machine_as_test(machines.InterviewLifecycle, settings=config)
    elapsed = time.perf_counter() - started
    return sum(machines.COVERAGE["rules"].values()), elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20)
    args = parser.parse_args()
    target = in_process_target()
    steps, secs = measure(target, args.examples)
    target.close()
    print(f"in-process: {steps} steps in {secs:.1f}s = {steps / secs:.0f} steps/s")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--clock", "manual"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if requests.get(url + "/_sim/clock", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        target = http_target(url)
        steps, secs = measure(target, args.examples)
        target.close()
        print(f"over HTTP:  {steps} steps in {secs:.1f}s = {steps / secs:.0f} steps/s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
