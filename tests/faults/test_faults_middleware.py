"""FaultMiddleware and the /_sim/faults routes, in process, over a minimal fake simulator app.

These pin the middleware's contract independently of the engine; test_faults_simulator.py
runs the same actions against the real app.
"""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from simulator.core.faults import FaultStore
from simulator.web.faults import DROPPED_ENVIRON_KEY, DroppedConnection, FaultMiddleware

COMPANY_A = "6f1c2f7e-0000-4000-8000-00000000000a"


def items(client) -> list:
    return client.get("/_sim/items").get_json()["data"]


def assert_injected(resp, status: int, fault_id: str, phase: str) -> None:
    body = resp.get_json()
    assert resp.status_code == status
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == "INJECTED_FAULT"
    assert body["error"]["details"] == {"faultId": fault_id, "phase": phase}
    assert body["timestamp"] == "2026-01-01T10:00:00.000Z"  # the virtual clock
    uuid.UUID(resp.headers["X-Request-Id"])


def test_create_interview_error_before_not_applied(fake, arm):
    app, sim, client = fake
    fault = arm(client, action="error", path="/interviews", status=502)
    resp = client.post("/interviews", json={"x": 1})
    assert_injected(resp, 502, fault["id"], "before")
    assert items(client) == [] and sim.applied == 0


def test_create_interview_error_after_applied(fake, arm):
    app, sim, client = fake
    fault = arm(client, action="error", phase="after")
    resp = client.post("/v1/interviews", json={"x": 1})
    assert_injected(resp, 503, fault["id"], "after")
    assert [i["body"] for i in items(client)] == [{"x": 1}]


def test_create_interview_drop_before_not_applied(fake, arm):
    app, sim, client = fake
    fault = arm(client, action="drop")
    with pytest.raises(DroppedConnection) as info:
        client.post("/interviews", json={})
    assert info.value.fault_id == fault["id"] and isinstance(info.value, ConnectionError)
    assert items(client) == []


def test_create_interview_drop_after_applied(fake, arm):
    app, sim, client = fake
    arm(client, action="drop", phase="after")
    with pytest.raises(DroppedConnection):
        client.post("/interviews", json={"y": 2})
    assert [i["body"] for i in items(client)] == [{"y": 2}]


@pytest.mark.parametrize("phase", ["before", "after"])
def test_create_interview_delay_real_answer_late(fake, arm, phase):
    app, sim, client = fake
    arm(client, action="delay", delayMs=200, phase=phase)
    t0 = time.monotonic()
    resp = client.post("/interviews", json={})
    assert time.monotonic() - t0 >= 0.2
    assert resp.status_code == 201 and resp.get_json()["success"] is True
    assert len(items(client)) == 1


def test_get_interview_fault_only_once_by_default(fake, arm):
    app, sim, client = fake
    arm(client, action="error", method="GET")
    assert client.get(f"/interviews/{uuid.uuid4()}").status_code == 503
    resp = client.get(f"/interviews/{uuid.uuid4()}")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_fault_times_counts_requests(fake, arm):
    app, sim, client = fake
    arm(client, action="error", times=3)
    codes = [client.post("/interviews", json={}).status_code for _ in range(5)]
    assert codes == [503, 503, 503, 201, 201]
    assert client.get("/_sim/faults").get_json()["data"] == []


def test_sim_routes_never_faulted(fake, arm):
    app, sim, client = fake
    arm(client, action="error", times=None)
    arm(client, action="drop", phase="after", times=None)
    assert client.get("/_sim/items").status_code == 200
    listed = client.get("/_sim/faults")
    assert listed.status_code == 200 and len(listed.get_json()["data"]) == 2
    assert client.delete("/_sim/faults").status_code == 200
    assert client.post("/interviews", json={}).status_code == 201


def test_fault_company_matching(fake, arm):
    app, sim, client = fake
    company_b = str(uuid.uuid4())
    sim.add_key("sk_a", company_id=COMPANY_A)
    sim.add_key("sk_b", company_id=company_b)
    sim.add_key("sk_ats", managed=(COMPANY_A,))
    arm(client, action="error", companyId=COMPANY_A, times=None)

    def post(key, query=""):
        return client.post(f"/interviews{query}", json={},
                           headers={"Authorization": f"Bearer {key}"}).status_code

    assert post("sk_b") == 201
    assert post("sk_unknown") == 201  # unknown key: no company, never a resolver 500
    assert post("sk_a") == 503
    assert post("sk_ats") == 201  # ATS key without companyId acts on no company
    assert post("sk_ats", f"?companyId={COMPANY_A.upper()}") == 503
    assert post("sk_ats", f"?companyId={company_b}") == 201  # not a managed company


def test_list_faults_shows_remaining_times(fake, arm):
    app, sim, client = fake
    fault = arm(client, action="error", times=2, path="/interviews")
    client.post("/interviews", json={})
    listed = client.get("/_sim/faults").get_json()["data"]
    assert [(f["id"], f["times"]) for f in listed] == [(fault["id"], 1)]


def test_create_fault_invalid_body(fake):
    app, sim, client = fake
    resp = client.post("/_sim/faults", json={"action": "explode", "times": 0})
    body = resp.get_json()
    assert (resp.status_code, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert {f["field"] for f in body["error"]["details"]["fields"]} == {"action", "times"}
    assert client.get("/_sim/faults").get_json()["data"] == []


def test_create_fault_bad_json(fake):
    app, sim, client = fake
    resp = client.post("/_sim/faults", data="{nope", content_type="application/json")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_create_fault_wrong_content_type(fake):
    app, sim, client = fake
    resp = client.post("/_sim/faults", data="action=error", content_type="text/plain")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


def test_delete_fault_unknown(fake):
    app, sim, client = fake
    resp = client.delete(f"/_sim/faults/{uuid.uuid4()}")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_delete_fault_disarms_it(fake, arm):
    app, sim, client = fake
    fault = arm(client, action="error", times=None)
    resp = client.delete(f"/_sim/faults/{fault['id']}")
    assert resp.status_code == 200 and resp.get_json()["data"] is True
    assert client.post("/interviews", json={}).status_code == 201


def test_drop_sets_environ_marker():
    store = FaultStore()
    fault = store.add({"action": "drop"})
    environ = {"PATH_INFO": "/interviews", "REQUEST_METHOD": "GET"}
    app = FaultMiddleware(lambda e, s: [b""], store)
    with pytest.raises(DroppedConnection):
        app(environ, lambda *a: None)
    assert environ[DROPPED_ENVIRON_KEY] == fault.id


def test_delay_sleeps_outside_simulator_lock(fake, arm):
    app, sim, client = fake
    arm(client, action="delay", delayMs=400, phase="after")
    started = threading.Event()
    done = []

    def slow():
        started.set()
        done.append(app.test_client().post("/interviews", json={}).status_code)

    thread = threading.Thread(target=slow)
    thread.start()
    started.wait()
    time.sleep(0.15)  # the request ran; its answer is being held back by the delay
    acquired = sim.lock.acquire(timeout=0.1)
    assert acquired, "the simulator lock was held during an injected delay"
    sim.lock.release()
    assert done == []
    thread.join()
    assert done == [201]


def test_resolver_errors_mean_no_company():
    store = FaultStore()
    store.add({"action": "error", "companyId": COMPANY_A, "times": None})

    def broken(environ):
        raise RuntimeError("bad key")

    seen = []
    app = FaultMiddleware(lambda e, s: (s("200 OK", []), seen.append(1), [b"ok"])[-1],
                          store, broken)
    assert app({"PATH_INFO": "/interviews", "REQUEST_METHOD": "GET"},
               lambda *a: None) == [b"ok"]
    assert seen == [1]
