"""The webhook endpoints through the Flask app (skipped until simulator.web.app exists)."""
from __future__ import annotations

import pytest

from client_under_test.signing import verify_signature

app_mod = pytest.importorskip("simulator.web.app")

START = "2026-01-01T10:00:00Z"


@pytest.fixture
def client():
    app = app_mod.create_app(clock_mode="manual", start=START, seed=11)
    yield app.test_client()
    app.extensions["instaview_sim"].webhooks.close()


def _ok(resp, status=200):
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()["data"]


def _tenant(client, scopes="*"):
    company = _ok(client.post("/_sim/companies", json={"name": "Acme"}), 201)
    key = _ok(client.post("/_sim/api-keys", json={"kind": "COMPANY", "companyId": company["id"],
                                                  "scopes": scopes}), 201)
    return company["id"], {"Authorization": "Bearer " + key["key"]}


def test_create_webhook_http_lifecycle(client):
    _, auth = _tenant(client)
    made = _ok(client.post("/v1/webhooks", headers=auth,
                           json={"url": "https://hooks.example.com/x", "events": ["PING", 2, 3]}),
               201)
    assert len(made["signingSecret"]) == 64 and made["events"] == ["ping", "interview.completed"]
    got = _ok(client.get(f"/webhooks/{made['id']}", headers=auth))
    assert "signingSecret" not in got
    page = _ok(client.get("/webhooks", headers=auth))
    assert page["total"] == 1 and page["data"][0]["id"] == made["id"]
    resp = client.delete(f"/webhooks/{made['id']}", headers=auth)
    assert resp.status_code == 204 and resp.get_data() == b""
    resp = client.get(f"/webhooks/{made['id']}", headers=auth)
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "RESOURCE_NOT_FOUND"


def test_create_webhook_http_missing_scope_is_403(client):
    _, auth = _tenant(client, scopes=["read:webhooks"])
    resp = client.post("/webhooks", headers=auth,
                       json={"url": "https://hooks.example.com/x", "events": ["ping"]})
    assert resp.status_code == 403
    err = resp.get_json()["error"]
    assert err["code"] == "INSUFFICIENT_PERMISSIONS" and "write:webhooks" in err["message"]


def test_create_webhook_http_unknown_event_is_400(client):
    _, auth = _tenant(client)
    resp = client.post("/webhooks", headers=auth,
                       json={"url": "https://hooks.example.com/x", "events": ["nope"]})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "VALIDATION_ERROR"


def test_create_webhook_http_plain_http_remote_is_400(client):
    _, auth = _tenant(client)
    resp = client.post("/webhooks", headers=auth,
                       json={"url": "http://hooks.example.com/x", "events": ["ping"]})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["details"]["fields"][0]["field"] == "url"


def test_test_webhook_http_and_deliveries(client, rx):
    _, auth = _tenant(client)
    made = _ok(client.post("/webhooks", headers=auth,
                           json={"url": rx.url("/h"), "events": ["ping", "interview.completed",
                                                                 "analysis.completed"]}), 201)
    res = _ok(client.post(f"/webhooks/{made['id']}/test", headers=auth))
    assert res["success"] is True and res["message"] == "Webhook test successful!"
    agent = _ok(client.post("/agents", headers=auth, json={"name": "Web", "type": "ONLINE"}),
                201)
    cand = _ok(client.post("/candidates", headers=auth,
                           json={"firstName": "Ada", "lastName": "L",
                                 "email": "ada@example.com"}), 201)
    interview = _ok(client.post("/interviews", headers=auth,
                                json={"candidateId": cand["id"], "agentId": agent["id"],
                                      "isTest": True}), 201)
    rows = _ok(client.get(f"/_sim/webhooks/deliveries?interviewId={interview['id']}"))
    assert [(r["event"], r["state"]) for r in rows] == [("interview.completed", "DELIVERED"),
                                                        ("analysis.completed", "DELIVERED")]
    got = rx.received("/h")
    assert [r.event for r in got] == ["ping", "interview.completed", "analysis.completed"]
    assert all(verify_signature(made["signingSecret"], r.headers, r.raw, tolerance=None)
               for r in got)
    reset = _ok(client.post(f"/webhooks/{made['id']}/reset-circuit", headers=auth))
    assert reset["consecutiveFailures"] == 0 and reset["circuitOpenedAt"] is None
