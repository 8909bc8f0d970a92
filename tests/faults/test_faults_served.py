"""`drop`, `error` and `delay` over real HTTP, under werkzeug's threaded server and waitress."""
from __future__ import annotations

import time

import pytest
import requests

SERVERS = ["werkzeug", "waitress"]


def items(base: str) -> list:
    return requests.get(f"{base}/_sim/items", timeout=5).json()["data"]


@pytest.mark.parametrize("server", SERVERS)
def test_create_interview_drop_before_lost_connection(fake, serve, server):
    app, sim, _ = fake
    base = serve(app, server)
    requests.post(f"{base}/_sim/faults", json={"action": "drop"}, timeout=5)
    t0 = time.monotonic()
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(f"{base}/interviews", json={"a": 1}, timeout=5)
    assert time.monotonic() - t0 < 2  # closed at once, not a timeout
    assert items(base) == []


@pytest.mark.parametrize("server", SERVERS)
def test_create_interview_drop_after_applied_and_lost(fake, serve, server):
    app, sim, _ = fake
    base = serve(app, server)
    requests.post(f"{base}/_sim/faults", json={"action": "drop", "phase": "after"}, timeout=5)
    with requests.Session() as session:  # keep-alive: the next request needs a new connection
        with pytest.raises(requests.exceptions.ConnectionError):
            session.post(f"{base}/v1/interviews", json={"a": 2}, timeout=5)
        assert session.post(f"{base}/interviews", json={"a": 3}, timeout=5).status_code == 201
    assert [i["body"] for i in items(base)] == [{"a": 2}, {"a": 3}]


@pytest.mark.parametrize("server", SERVERS)
def test_create_interview_error_after_over_http(fake, serve, server):
    app, sim, _ = fake
    base = serve(app, server)
    fault = requests.post(f"{base}/_sim/faults", json={"action": "error", "status": 500,
                                                       "phase": "after"}, timeout=5).json()
    resp = requests.post(f"{base}/interviews", json={}, timeout=5)
    assert resp.status_code == 500
    assert resp.json()["error"]["code"] == "INJECTED_FAULT"
    assert resp.json()["error"]["details"]["faultId"] == fault["data"]["id"]
    assert resp.headers["X-Request-Id"]
    assert len(items(base)) == 1


@pytest.mark.parametrize("server", SERVERS)
def test_create_interview_delay_does_not_block_others(fake, serve, server):
    app, sim, _ = fake
    base = serve(app, server)
    requests.post(f"{base}/_sim/faults", json={"action": "delay", "delayMs": 600}, timeout=5)
    import threading

    slow: list = []
    thread = threading.Thread(
        target=lambda: slow.append(requests.post(f"{base}/interviews", json={}, timeout=5)))
    t0 = time.monotonic()
    thread.start()
    time.sleep(0.1)
    assert len(items(base)) == 0  # the delayed create has not run yet, and /_sim answers
    assert time.monotonic() - t0 < 0.5
    thread.join()
    assert time.monotonic() - t0 >= 0.6 and slow[0].status_code == 201
