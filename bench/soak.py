"""A bounded soak: N client threads of mixed traffic against a real `instaview-sim serve`.

    python bench/soak.py                    # 8 threads, 60 s
    python bench/soak.py --seconds 10       # shorter
    python bench/soak.py --base-url URL     # against a server that is already running

It starts `serve` itself on 127.0.0.1 (a free port) unless --base-url is given, and stops it
by PID. It reports requests served, requests/s, latency percentiles, answers by status, 5xx
seen and `/_sim/invariants` at the end; it exits 1 when a 5xx or a lost connection was seen
or the invariants are not ok (issue #6, "A load figure").
"""
from __future__ import annotations

import argparse
import contextlib
import collections
import json
import random
import subprocess
import sys
import threading
import time
import uuid
from typing import Any

import requests

from simulator.testing import serve_process

OUTCOMES = ("COMPLETED", "NO_ANSWER", "BUSY", "FAILED")
# (operation, weight): the public operations of a phone interview's life, plus the
# control-plane moves that drive it (clock advance, the candidate's end-call).
MIX = (
    ("create_interview", 20), ("get_interview", 20), ("list_interviews", 8),
    ("delete_interview", 12), ("invoke_call_attempt", 12), ("advance_clock", 8),
    ("end_call", 20),
)


def wait_ready(base: str, proc: subprocess.Popen | None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise SystemExit(f"serve exited with {proc.returncode} before answering:\n{err}")
        try:
            if requests.get(f"{base}/_sim/clock", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"serve did not answer on {base} within {timeout:.0f} s")


def sim_call(base: str, method: str, path: str, body: Any = None) -> Any:
    resp = requests.request(method, f"{base}/_sim{path}", json=body, timeout=30)
    if resp.status_code >= 300:
        raise SystemExit(f"setup {method} /_sim{path} answered {resp.status_code}: {resp.text}")
    return resp.json()["data"]


class Stats:
    """Shared counters; one lock, touched once per request."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.by_status: collections.Counter = collections.Counter()
        self.by_op: collections.Counter = collections.Counter()
        self.transport_errors: list[str] = []
        self.server_errors: list[str] = []

    def record(self, op: str, status: int | None, seconds: float, detail: str = "") -> None:
        with self.lock:
            self.by_op[op] += 1
            if status is None:
                self.transport_errors.append(f"{op}: {detail}")
                return
            self.latencies.append(seconds)
            self.by_status[status] += 1
            if status >= 500:
                self.server_errors.append(f"{op}: {status} {detail[:300]}")


class Worker(threading.Thread):
    """One client thread: its own company, key, agent and candidate, so threads share only
    the server (and its lock), as separate tenants would."""

    def __init__(self, base: str, stats: Stats, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.stats, self.deadline = base, stats, deadline
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.interviews: list[str] = []
        company = sim_call(base, "POST", "/companies", {
            "name": f"Soak {seed}", "concurrencyLimit": 2, "retryDelaySeconds": 60,
            "postCallDelaySeconds": 5})
        key = sim_call(base, "POST", "/api-keys", {
            "kind": "COMPANY", "companyId": company["id"], "scopes": "*"})
        self.http.headers["Authorization"] = f"Bearer {key['key']}"
        self.agent = self._setup("/agents", {
            "name": "Soak agent", "type": "PHONE", "focus": "GENERIC",
            "companyPhoneNumberId": company["phoneNumberIds"][0]})
        self.candidate = self._setup("/candidates", {
            "firstName": "Soak", "lastName": f"Tester{seed}",
            "phoneNumber": f"+4219{self.rng.randrange(10**7, 10**8)}"})

    def _setup(self, path: str, body: dict) -> str:
        resp = self.http.post(f"{self.base}{path}", json=body, timeout=30)
        if resp.status_code != 201:
            raise SystemExit(f"setup POST {path} answered {resp.status_code}: {resp.text}")
        return resp.json()["data"]["id"]

    def _request(self, op: str, method: str, url: str, body: Any = None) -> Any:
        t0 = time.perf_counter()
        try:
            resp = self.http.request(method, url, json=body, timeout=30)
        except requests.RequestException as exc:
            self.stats.record(op, None, time.perf_counter() - t0, repr(exc))
            return None
        self.stats.record(op, resp.status_code, time.perf_counter() - t0, resp.text)
        return resp

    def _some_interview(self) -> str:
        return self.rng.choice(self.interviews) if self.interviews else str(uuid.uuid4())

    def step(self, op: str) -> None:
        base = self.base
        if op == "create_interview":
            resp = self._request(op, "POST", f"{base}/interviews", {
                "candidateId": self.candidate, "agentId": self.agent})
            if resp is not None and resp.status_code == 201:
                self.interviews.append(resp.json()["data"]["id"])
                del self.interviews[:-200]  # bounded working set
        elif op == "get_interview":
            self._request(op, "GET", f"{base}/interviews/{self._some_interview()}")
        elif op == "list_interviews":
            self._request(op, "GET", f"{base}/interviews?limit=20&page={self.rng.randint(1, 3)}")
        elif op == "delete_interview":
            iid = self._some_interview()
            resp = self._request(op, "DELETE", f"{base}/interviews/{iid}")
            if resp is not None and resp.status_code == 200 and iid in self.interviews:
                self.interviews.remove(iid)
        elif op == "invoke_call_attempt":
            self._request(op, "POST", f"{base}/interviews/{self._some_interview()}/call-attempts",
                          {"scheduledAt": None})
        elif op == "advance_clock":
            self._request(op, "POST", f"{base}/_sim/clock/advance",
                          {"seconds": self.rng.choice([0, 1, 5, 30, 90])})
        elif op == "end_call":
            self._request(op, "POST", f"{base}/_sim/interviews/{self._some_interview()}/end-call",
                          {"outcome": self.rng.choice(OUTCOMES),
                           "durationSeconds": self.rng.randint(1, 600)})

    def run(self) -> None:
        ops, weights = zip(*MIX)
        while time.monotonic() < self.deadline:
            self.step(self.rng.choices(ops, weights)[0])


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--base-url", help="use a running server instead of starting serve")
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="extra argument for `instaview-sim serve` (repeatable)")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.base_url:
            base = args.base_url.rstrip("/")
        else:  # a real `instaview-sim serve` on 127.0.0.1, stopped by its PID on exit
            base = stack.enter_context(serve_process(*args.serve_arg)).url
        wait_ready(base, None)
        stats = Stats()
        setup_deadline = time.monotonic() + 3600
        workers = [Worker(base, stats, setup_deadline, args.seed * 1000 + i)
                   for i in range(args.threads)]
        started = time.monotonic()
        for w in workers:
            w.deadline = started + args.seconds
            w.start()
        for w in workers:
            w.join()
        elapsed = time.monotonic() - started
        invariants = requests.get(f"{base}/_sim/invariants", timeout=30).json()["data"]

    lat = sorted(stats.latencies)
    served = len(lat)
    report = {
        "threads": args.threads, "seconds": round(elapsed, 1), "requestsServed": served,
        "requestsPerSecond": round(served / elapsed, 1) if elapsed else 0.0,
        "latencyMs": {name: round(percentile(lat, q) * 1000, 1)
                      for name, q in (("p50", .5), ("p90", .9), ("p99", .99), ("max", 1.0))},
        "byStatus": dict(sorted(stats.by_status.items())),
        "byOperation": dict(sorted(stats.by_op.items())),
        "serverErrors5xx": len(stats.server_errors),
        "lostConnections": len(stats.transport_errors),
        "invariants": invariants,
    }
    ok = not stats.server_errors and not stats.transport_errors and invariants.get("ok") is True
    report["ok"] = ok
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"soak: {args.threads} threads for {report['seconds']} s against {base}")
        print(f"  requests served  {served}  ({report['requestsPerSecond']}/s)")
        print("  latency ms       " + "  ".join(f"{k} {v}" for k, v in report["latencyMs"].items()))
        print(f"  by status        {report['byStatus']}")
        print(f"  by operation     {report['byOperation']}")
        print(f"  5xx seen         {report['serverErrors5xx']}  (must be 0)")
        print(f"  lost connections {report['lostConnections']}  (must be 0)")
        print(f"  invariants ok    {invariants.get('ok')}  {invariants.get('violations') or ''}")
        print("  result           " + ("OK" if ok else "FAILED"))
    for line in (stats.server_errors + stats.transport_errors)[:10]:
        print("  ! " + line, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
