"""Faults against the real simulator app: applied or not (read back through /_sim), company
matching with real keys, /_sim untouched, reset, and `drop` over werkzeug and waitress."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests

from simulator.web.faults import DroppedConnection, install_faults

app_module = pytest.importorskip("simulator.web.app")


def build_app():
    app = app_module.create_app(clock_mode="manual", start="2026-01-01T10:00:00Z")
    sim = app.extensions["instaview_sim"]
    if "sim_faults" not in app.blueprints:  # until the lead wires faults into create_app
        install_faults(app, sim)
    return app, sim


class Tenant:
    """One company with a full-scope COMPANY key, a PHONE agent and a candidate."""

    def __init__(self, client) -> None:
        self.client = client
        self.company = self.sim("POST", "/companies", {"name": "Acme"})
        self.key = self.sim("POST", "/api-keys", {"kind": "COMPANY", "scopes": "*",
                                                  "companyId": self.company["id"]})["key"]
        self.auth = {"Authorization": f"Bearer {self.key}"}
        self.agent = self.api("POST", "/agents", {
            "name": "Agent", "type": "PHONE",
            "companyPhoneNumberId": self.company["phoneNumberIds"][0]}).get_json()["data"]
        self.candidate = self.api("POST", "/candidates", {
            "firstName": "Ada", "lastName": "Lovelace",
            "phoneNumber": "+421900000001"}).get_json()["data"]

    def sim(self, method: str, path: str, body=None):
        resp = self.client.open(f"/_sim{path}", method=method, json=body)
        assert resp.status_code < 300, (path, resp.get_json())
        return resp.get_json()["data"]

    def api(self, method: str, path: str, body=None, query: str = ""):
        return self.client.open(path + query, method=method, json=body, headers=self.auth)

    def create_interview(self) -> str:
        resp = self.api("POST", "/interviews", {"candidateId": self.candidate["id"],
                                                "agentId": self.agent["id"]})
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()["data"]["id"]

    def deleted(self, interview_id: str) -> bool:
        return self.sim("GET", f"/interviews/{interview_id}")["deleted"]


@pytest.fixture
def real():
    app, sim = build_app()
    client = app.test_client()
    return app, sim, client, Tenant(client)


def arm(client, **body) -> dict:
    resp = client.post("/_sim/faults", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["data"]


def test_delete_interview_error_before_not_applied(real):
    app, sim, client, t = real
    iid = t.create_interview()
    fault = arm(client, action="error", method="DELETE", path="/interviews/*")
    resp = t.api("DELETE", f"/interviews/{iid}")
    assert resp.status_code == 503
    assert resp.get_json()["error"]["code"] == "INJECTED_FAULT"
    assert resp.get_json()["error"]["details"] == {"faultId": fault["id"], "phase": "before"}
    assert t.deleted(iid) is False
    assert t.api("GET", f"/interviews/{iid}").status_code == 200


def test_delete_interview_error_after_applied(real):
    app, sim, client, t = real
    iid = t.create_interview()
    arm(client, action="error", phase="after", status=502, path="/v1/interviews/*")
    resp = t.api("DELETE", f"/interviews/{iid}")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (502, "INJECTED_FAULT")
    assert t.deleted(iid) is True
    resp = t.api("GET", f"/interviews/{iid}")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_delete_interview_drop_before_not_applied(real):
    app, sim, client, t = real
    iid = t.create_interview()
    arm(client, action="drop", method="DELETE")
    with pytest.raises(DroppedConnection):
        t.api("DELETE", f"/v1/interviews/{iid}")
    assert t.deleted(iid) is False


def test_delete_interview_drop_after_applied(real):
    app, sim, client, t = real
    iid = t.create_interview()
    arm(client, action="drop", method="DELETE", phase="after")
    with pytest.raises(DroppedConnection):
        t.api("DELETE", f"/interviews/{iid}")
    assert t.deleted(iid) is True


def test_create_interview_error_after_created(real):
    app, sim, client, t = real
    arm(client, action="error", method="POST", path="/interviews", phase="after")
    resp = t.api("POST", "/interviews", {"candidateId": t.candidate["id"],
                                         "agentId": t.agent["id"]})
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (503, "INJECTED_FAULT")
    listed = t.api("GET", "/interviews").get_json()["data"]
    assert listed["total"] == 1  # the create happened although its answer was an error


def test_get_interview_delay_real_answer(real):
    app, sim, client, t = real
    iid = t.create_interview()
    arm(client, action="delay", delayMs=50, phase="after")
    resp = t.api("GET", f"/interviews/{iid}")
    assert resp.status_code == 200 and resp.get_json()["data"]["id"] == iid


def test_delete_interview_delay_before_then_applied(real):
    app, sim, client, t = real
    iid = t.create_interview()
    arm(client, action="delay", delayMs=50, method="DELETE")
    resp = t.api("DELETE", f"/interviews/{iid}")
    assert resp.status_code == 200 and resp.get_json()["data"] is True
    assert t.deleted(iid) is True


def test_fault_company_matching_real_keys(real):
    app, sim, client, a = real
    b = Tenant(client)
    ia, ib = a.create_interview(), b.create_interview()
    arm(client, action="error", companyId=a.company["id"], times=None)
    assert b.api("GET", f"/interviews/{ib}").status_code == 200
    assert a.api("GET", f"/interviews/{ia}").status_code == 503
    bad = client.get(f"/interviews/{ia}", headers={"Authorization": "Bearer sk_nope"})
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (401, "INVALID_API_KEY")


def test_fault_company_matching_ats_key(real):
    app, sim, client, a = real
    ats = a.sim("POST", "/api-keys", {"kind": "ATS", "scopes": "*"})
    headers = {"Authorization": f"Bearer {ats['key']}"}
    created = client.post("/company", json={"name": "Managed Co"}, headers=headers)
    assert created.status_code == 201, created.get_json()
    managed = created.get_json()["data"]["id"]
    arm(client, action="error", companyId=managed, times=None)
    assert client.get("/company", headers=headers).status_code == 200  # acts on no company
    resp = client.get(f"/interviews?companyId={managed}", headers=headers)
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (503, "INJECTED_FAULT")


def test_sim_never_faulted_real(real):
    app, sim, client, t = real
    arm(client, action="error", times=None)
    arm(client, action="drop", phase="after", times=None)
    assert client.get("/_sim/clock").status_code == 200
    assert client.post("/_sim/clock/advance", json={"seconds": 1}).status_code == 200
    assert client.get("/_sim/state").status_code == 200
    assert client.get("/_sim/faults").status_code == 200
    resp = t.api("GET", "/interviews")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (503, "INJECTED_FAULT")


def test_reset_clears_faults(real):
    app, sim, client, t = real
    arm(client, action="error", times=None)
    assert client.post("/_sim/reset", json={}).status_code == 200
    assert client.get("/_sim/faults").get_json()["data"] == []


def test_create_fault_invalid_real(real):
    app, sim, client, t = real
    resp = client.post("/_sim/faults", json={"action": "drop", "phase": "later"})
    body = resp.get_json()
    assert (resp.status_code, body["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert [f["field"] for f in body["error"]["details"]["fields"]] == ["phase"]


def test_delete_fault_unknown_real(real):
    app, sim, client, t = real
    resp = client.delete(f"/_sim/faults/{uuid.uuid4()}")
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize("server", ["werkzeug", "waitress"])
def test_delete_interview_drop_after_over_http(real, serve, server):
    app, sim, client, t = real
    iid = t.create_interview()
    base = serve(app, server)
    requests.post(f"{base}/_sim/faults", json={"action": "drop", "phase": "after"}, timeout=5)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.delete(f"{base}/interviews/{iid}", headers=t.auth, timeout=5)
    assert t.deleted(iid) is True
    resp = requests.delete(f"{base}/interviews/{iid}", headers=t.auth, timeout=5)
    assert (resp.status_code, resp.json()["error"]["code"]) == (404, "RESOURCE_NOT_FOUND")


def test_delete_interview_delay_after_applied_before_answer(real, serve):
    """The change is visible while its answer is held back: the delay runs outside the lock."""
    app, sim, client, t = real
    iid = t.create_interview()
    base = serve(app, "werkzeug")
    requests.post(f"{base}/_sim/faults", json={"action": "delay", "delayMs": 700,
                                               "phase": "after"}, timeout=5)
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(
        requests.delete(f"{base}/interviews/{iid}", headers=t.auth, timeout=5)))
    t0 = time.monotonic()
    thread.start()
    deadline = t0 + 0.6
    while not t.deleted(iid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert t.deleted(iid) is True and answers == []  # applied, answer not yet sent
    assert requests.get(f"{base}/_sim/clock", timeout=5).status_code == 200
    thread.join()
    assert time.monotonic() - t0 >= 0.7
    assert answers[0].status_code == 200 and answers[0].json()["data"] is True


def test_create_fault_needs_control_token():
    app = app_module.create_app(clock_mode="manual", control_token="tok")
    client = app.test_client()
    resp = client.post("/_sim/faults", json={"action": "error"})
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (401, "INVALID_API_KEY")
    resp = client.post("/_sim/faults", json={"action": "error"},
                       headers={"Authorization": "Bearer tok"})
    assert resp.status_code == 201


def test_create_fault_without_control_plane():
    app = app_module.create_app(clock_mode="manual", control_plane=False)
    resp = app.test_client().post("/_sim/faults", json={"action": "error"})
    assert (resp.status_code, resp.get_json()["error"]["code"]) == (404, "ROUTE_NOT_FOUND")
