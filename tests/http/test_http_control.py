"""The control plane /_sim: every endpoint, its errors, the control token, and switching it off;
plus serve_in_thread under concurrent requests and the CLI's --config loader."""
from __future__ import annotations

import concurrent.futures
import json

import pytest
import requests
from click.testing import CliRunner

from simulator.cli import is_loopback_host, load_config, main
from simulator.testing import serve_in_thread
from http_world import MISSING, bearer, data, error, make_app


def test_reset_drops_everything(client, world):
    world.interview()
    now = data(client.post("/_sim/reset", json={"now": "2026-03-01T00:00:00Z"}))["now"]
    assert now == "2026-03-01T00:00:00.000Z"
    state = data(client.get("/_sim/state"))
    assert state["companies"] == [] and state["counts"]["apiKeys"] == 0
    error(client.get("/interviews", headers=world.auth()), 401, "INVALID_API_KEY")
    assert data(client.get("/_sim/events"))["lastSeq"] == 0


@pytest.mark.parametrize("body", [{"now": "never"}, [1], {"now": 5}])
def test_reset_bad_body_is_400(client, world, body):
    error(client.post("/_sim/reset", json=body), 400, "VALIDATION_ERROR")
    assert len(data(client.get("/_sim/state"))["companies"]) == 2


def test_sim_create_company_settings(client):
    made = data(client.post("/_sim/companies", json={"name": "Acme", "concurrencyLimit": 1,
                                                     "maxCallAttempts": 2}), 201)
    assert made["concurrencyLimit"] == 1 and made["maxCallAttempts"] == 2
    assert len(made["phoneNumberIds"]) == 1


@pytest.mark.parametrize("body", [{"concurrencyLimit": -1}, {"maxCallAttempts": 0},
                                  {"retryDelaySeconds": "soon"}, {"name": ""}, "x"])
def test_sim_create_company_bad_body_is_400(client, body):
    error(client.post("/_sim/companies", json=body), 400, "VALIDATION_ERROR")
    assert data(client.get("/_sim/state"))["companies"] == []


def test_sim_update_company(client, world):
    got = data(client.patch(f"/_sim/companies/{world.a['id']}", json={"concurrencyLimit": 5}))
    assert got["concurrencyLimit"] == 5
    error(client.patch(f"/_sim/companies/{MISSING}", json={}), 404, "RESOURCE_NOT_FOUND")
    error(client.patch("/_sim/companies/nope", json={}), 400, "VALIDATION_ERROR")
    error(client.patch(f"/_sim/companies/{world.a['id']}", json={"concurrencyLimit": "x"}),
          400, "VALIDATION_ERROR")


def test_sim_create_api_key_shows_plaintext_once(client, world):
    key = data(client.post("/_sim/api-keys", json={"kind": "COMPANY", "companyId": world.a["id"],
                                                    "scopes": ["read:interviews"]}), 201)
    assert key["key"].startswith("sk_") and len(key["key"]) == 46
    assert set(key) >= {"id", "key", "kind", "companyId", "managedCompanyIds", "scopes"}
    suspended = data(client.post(f"/_sim/api-keys/{key['id']}/suspend", json={}))
    assert "key" not in suspended


@pytest.mark.parametrize("body", [
    {}, {"kind": "ROOT", "scopes": "*"}, {"kind": "COMPANY", "scopes": "*"},
    {"kind": "COMPANY", "companyId": "nope", "scopes": "*"},
    {"kind": "COMPANY", "companyId": MISSING, "scopes": "*"},
    {"kind": "ATS", "managedCompanyIds": [MISSING], "scopes": "*"},
    {"kind": "ATS", "scopes": 7}, {"kind": "ATS", "scopes": "*", "rateLimit": {"perMinute": 0}},
])
def test_sim_create_api_key_bad_body_is_400(client, world, body):
    before = data(client.get("/_sim/state"))["counts"]["apiKeys"]
    error(client.post("/_sim/api-keys", json=body), 400, "VALIDATION_ERROR")
    assert data(client.get("/_sim/state"))["counts"]["apiKeys"] == before


@pytest.mark.parametrize("action", ["suspend", "revoke"])
def test_sim_api_key_actions_unknown_and_bad_id(client, action):
    error(client.post(f"/_sim/api-keys/{MISSING}/{action}"), 404, "RESOURCE_NOT_FOUND")
    error(client.post(f"/_sim/api-keys/nope/{action}"), 400, "VALIDATION_ERROR")


def test_clock_get_and_advance(client):
    assert data(client.get("/_sim/clock")) == {"now": "2026-01-01T10:00:00.000Z",
                                               "mode": "manual"}
    moved = data(client.post("/_sim/clock/advance", json={"seconds": 90.5}))
    assert moved == {"now": "2026-01-01T10:01:30.500Z", "ran": []}


@pytest.mark.parametrize("body", [{}, {"seconds": -1}, {"seconds": "1"}, {"seconds": None}])
def test_clock_advance_bad_body_is_400(client, body):
    error(client.post("/_sim/clock/advance", json=body), 400, "VALIDATION_ERROR")
    assert data(client.get("/_sim/clock"))["now"] == "2026-01-01T10:00:00.000Z"


def test_clock_advance_wrong_content_type_is_415(client):
    error(client.post("/_sim/clock/advance", data='{"seconds": 1}', content_type="text/plain"),
          415, "UNSUPPORTED_MEDIA_TYPE")


def test_join_online_then_end_call(client, world):
    iv = world.interview(type="ONLINE")
    assert data(client.post(f"/_sim/interviews/{iv['id']}/join"))["sessionLive"] is True
    error(client.post(f"/_sim/interviews/{iv['id']}/join"), 409, "INVALID_STATE_TRANSITION")
    error(client.post(f"/_sim/interviews/{iv['id']}/end-call", json={"outcome": "BUSY"}), 400,
          "VALIDATION_ERROR")
    ended = data(client.post(f"/_sim/interviews/{iv['id']}/end-call",
                             json={"outcome": "COMPLETED", "durationSeconds": 60}))
    assert ended["sessionLive"] is False and ended["postCall"] == "PENDING"


def test_join_phone_is_400_invalid_state(client, world):
    iv = world.interview()
    error(client.post(f"/_sim/interviews/{iv['id']}/join"), 400, "INVALID_STATE")


@pytest.mark.parametrize("body", [{}, {"outcome": "MAYBE"}, {"outcome": "COMPLETED",
                                                              "durationSeconds": -5}])
def test_end_call_bad_body_is_400(client, world, body):
    iv = world.interview()
    world.advance(0)
    error(client.post(f"/_sim/interviews/{iv['id']}/end-call", json=body), 400,
          "VALIDATION_ERROR")
    assert world.internal(iv["id"])["sessionLive"] is True


def test_end_call_without_session_is_409(client, world):
    iv = world.interview()
    error(client.post(f"/_sim/interviews/{iv['id']}/end-call", json={"outcome": "COMPLETED"}),
          409, "INVALID_STATE_TRANSITION")


def test_cancel_scheduled_then_409(client, world):
    iv = world.interview()
    assert data(client.post(f"/_sim/interviews/{iv['id']}/cancel"))["status"] == "CANCELLED"
    error(client.post(f"/_sim/interviews/{iv['id']}/cancel"), 409, "INVALID_STATE_TRANSITION")


@pytest.mark.parametrize("path", ["/_sim/interviews/{id}", "/_sim/interviews/{id}/join",
                                  "/_sim/interviews/{id}/cancel"])
def test_sim_interview_unknown_and_bad_id(client, path):
    method = "GET" if path.endswith("{id}") else "POST"
    error(client.open(path.format(id=MISSING), method=method), 404, "RESOURCE_NOT_FOUND")
    error(client.open(path.format(id="nope"), method=method), 400, "VALIDATION_ERROR")


def test_internal_interview_shows_deleted(client, world):
    iv = world.interview()
    data(client.delete(f"/interviews/{iv['id']}", headers=world.auth()))
    inside = world.internal(iv["id"])
    assert inside["deleted"] is True and inside["deletedAt"] == "2026-01-01T10:00:00.000Z"
    assert inside["companyId"] == world.a["id"] and inside["postCall"] is None


def test_events_filters(client, world):
    one, two = world.interview(), world.interview("b")
    all_events = data(client.get("/_sim/events"))
    mine = data(client.get(f"/_sim/events?interviewId={one['id']}"))
    assert mine["lastSeq"] == all_events["lastSeq"]
    assert {e["interviewId"] for e in mine["events"]} == {one["id"]}
    after = data(client.get(f"/_sim/events?after={all_events['lastSeq'] - 1}"))["events"]
    assert [e["seq"] for e in after] == [all_events["lastSeq"]]
    typed = data(client.get("/_sim/events?type=interview.created"))["events"]
    assert {e["interviewId"] for e in typed} == {one["id"], two["id"]}
    by_company = data(client.get(f"/_sim/events?companyId={world.b['id']}"))["events"]
    assert {e["companyId"] for e in by_company} == {world.b["id"]}


@pytest.mark.parametrize("query", ["after=-1", "after=x", "interviewId=nope", "type=nope.never"])
def test_events_bad_query_is_400(client, query):
    error(client.get(f"/_sim/events?{query}"), 400, "VALIDATION_ERROR")


def test_state_invariants_model(client, world):
    world.interview()
    world.advance(0)
    state = data(client.get("/_sim/state"))
    acme = next(c for c in state["companies"] if c["id"] == world.a["id"])
    assert acme["liveSessions"] == 1 and state["now"] == "2026-01-01T10:00:00.000Z"
    assert data(client.get("/_sim/invariants")) == {"ok": True, "violations": []}
    model = data(client.get("/_sim/model"))
    assert "SCHEDULED" in json.dumps(model) and "CANCELLED" in json.dumps(model)


def test_requests_bad_limit_is_400(client):
    error(client.get("/_sim/requests?limit=0"), 400, "VALIDATION_ERROR")


def test_webhook_deliveries_lists_outbox(client, world):
    assert data(client.get("/_sim/webhooks/deliveries")) == []


# ------------------------------------------------------------------ token and switch-off

def test_control_token_required_when_set():
    app = make_app(control_token="s3cret")
    c = app.test_client()
    error(c.get("/_sim/clock"), 401, "INVALID_API_KEY")
    error(c.get("/_sim/clock", headers=bearer("wrong")), 401, "INVALID_API_KEY")
    error(c.get("/_sim/faults", headers=bearer("wrong")), 401, "INVALID_API_KEY")
    assert "s3cret" not in c.get("/_sim/clock").get_data(as_text=True)
    data(c.get("/_sim/clock", headers=bearer("s3cret")))
    company = data(c.post("/_sim/companies", json={}, headers=bearer("s3cret")), 201)
    key = data(c.post("/_sim/api-keys", headers=bearer("s3cret"), json={
        "kind": "COMPANY", "companyId": company["id"], "scopes": "*"}), 201)["key"]
    data(c.get("/interviews", headers=bearer(key)))  # the public API needs no control token
    app.extensions["instaview_sim"].close()


@pytest.mark.parametrize("path", ["/_sim/clock", "/_sim/state", "/_sim/faults", "/_sim/reset"])
def test_control_plane_off_is_404(path):
    app = make_app(control_plane=False)
    error(app.test_client().get(path), 404, "ROUTE_NOT_FOUND")
    app.extensions["instaview_sim"].close()


def test_cli_is_loopback_host():
    assert is_loopback_host("127.0.0.1") and is_loopback_host("localhost")
    assert is_loopback_host("::1") and not is_loopback_host("0.0.0.0")
    assert not is_loopback_host("192.168.1.4")


# ------------------------------------------------------------------ real server, threads

def test_serve_in_thread_concurrent_creates_are_atomic():
    app = make_app()
    sim = app.extensions["instaview_sim"]
    with serve_in_thread(app) as base:
        s = requests.Session()
        company = s.post(f"{base}/_sim/companies", json={"concurrencyLimit": 1},
                         timeout=10).json()["data"]
        key = s.post(f"{base}/_sim/api-keys", json={"kind": "COMPANY", "scopes": "*",
                                                     "companyId": company["id"]},
                     timeout=10).json()["data"]["key"]
        auth = bearer(key)
        agent = s.post(f"{base}/agents", headers=auth, timeout=10, json={
            "name": "Screener", "type": "PHONE",
            "companyPhoneNumberId": company["phoneNumberIds"][0]}).json()["data"]

        def create(i: int) -> int:
            body = {"candidate": {"firstName": "Ada", "lastName": f"N{i}",
                                  "phoneNumber": f"+4219000{i:05d}",
                                  "gdprExpiryDate": "2030-01-01"}, "agentId": agent["id"]}
            return requests.post(f"{base}/interviews", headers=auth, json=body,
                                 timeout=10).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(create, range(24)))
        assert statuses == [201] * 24
        ran = s.post(f"{base}/_sim/clock/advance", json={"seconds": 0}, timeout=10).json()
        assert sum(e["type"] == "session.started" for e in ran["data"]["ran"]) == 1
        assert requests.get(f"{base}/_sim/invariants", timeout=10).json()["data"]["ok"] is True
        total = requests.get(f"{base}/interviews?limit=100", headers=auth,
                             timeout=10).json()["data"]["total"]
        assert total == 24
    sim.close()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/_sim/clock", timeout=2)


def test_serve_config_loader_creates_companies_and_keys(tmp_path):
    app = make_app()
    sim = app.extensions["instaview_sim"]
    lines = load_config(sim, "examples/sim-config.json")
    assert sum(line.startswith("company ") for line in lines) == 2
    keys = [line.rsplit(": ", 1)[1] for line in lines if "key" in line]
    assert len(keys) == 3 and all(k.startswith("sk_") for k in keys)
    c = app.test_client()
    for k in keys[:2]:
        assert data(c.get("/company", headers=bearer(k)))["total"] == 1
    assert data(c.get("/company", headers=bearer(keys[2])))["total"] == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"companies": [{"name": "x", "concurrencyLimit": -3}]}')
    result = CliRunner().invoke(main, ["serve", "--config", str(bad), "--port", "0"])
    assert result.exit_code == 2 and "concurrencyLimit" in result.output
    sim.close()


def test_check_forwards_unknown_options(monkeypatch):
    import sys
    import types
    seen = {}
    fake = types.ModuleType("spec_tests.cli")
    fake.check = lambda args: seen.setdefault("args", args) and 3
    monkeypatch.setitem(sys.modules, "spec_tests.cli", fake)
    result = CliRunner().invoke(main, ["check", "--base-url", "http://x", "-k", "delete",
                                       "--help"])
    assert result.exit_code == 3 and seen["args"] == ["--base-url", "http://x", "-k",
                                                      "delete", "--help"]
