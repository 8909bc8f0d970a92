"""Candidates, jobs and agents (the same five operations each), company, webhooks, billing."""
from __future__ import annotations

import pytest

from http_world import MISSING, bearer, data, error, rejected

RESOURCES = {  # plural -> (singular, a valid create body maker, a valid update, a bad body)
    "candidates": ("candidate", {"firstName": "Grace"}, {"firstName": ""}),
    "jobs": ("job", {"title": "Senior backend engineer"}, {"title": "x"}),
    "agents": ("agent", {"name": "Renamed agent"}, {"type": "HOLOGRAM"}),
}


def _make(world, plural, who="a"):
    return getattr(world, RESOURCES[plural][0])(who)


@pytest.mark.parametrize("plural", RESOURCES)
def test_create_resource_success(client, world, plural):
    made = _make(world, plural)
    assert data(client.get(f"/{plural}/{made['id']}", headers=world.auth())) == made
    assert data(client.get(f"/v1/{plural}/{made['id']}/", headers=world.auth()))["id"] == \
        made["id"]


@pytest.mark.parametrize("plural", RESOURCES)
def test_list_resources_success_and_paging(client, world, plural):
    ids = {_make(world, plural)["id"] for _ in range(3)}
    _make(world, plural, "b")
    page = data(client.get(f"/{plural}?limit=2", headers=world.auth()))
    assert page["total"] == 3 and page["totalPages"] == 2 and len(page["data"]) == 2
    rest = data(client.get(f"/{plural}?limit=2&page=2", headers=world.auth()))["data"]
    assert {r["id"] for r in page["data"] + rest} == ids


@pytest.mark.parametrize("plural", RESOURCES)
@pytest.mark.parametrize("query", ["page=0", "limit=101", "limit=0", "page=x"])
def test_list_resources_bad_paging_is_400(client, world, plural, query):
    rejected(world, "GET", f"/{plural}?{query}", 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("plural", RESOURCES)
def test_update_resource_success(client, world, plural):
    made = _make(world, plural)
    update = RESOURCES[plural][1]
    got = data(client.patch(f"/{plural}/{made['id']}", headers=world.auth(), json=update))
    assert all(got[k] == v for k, v in update.items())


@pytest.mark.parametrize("plural", RESOURCES)
def test_update_resource_bad_body_is_400(client, world, plural):
    made = _make(world, plural)
    rejected(world, "PATCH", f"/{plural}/{made['id']}", 400, "VALIDATION_ERROR",
             json=RESOURCES[plural][2])
    rejected(world, "PATCH", f"/{plural}/{made['id']}", 400, "VALIDATION_ERROR", json=[1])
    rejected(world, "PATCH", f"/{plural}/{made['id']}", 400, "VALIDATION_ERROR",
             json={"metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}})


@pytest.mark.parametrize("plural", RESOURCES)
def test_update_resource_other_company_is_403(client, world, plural):
    made = _make(world, plural, "b")
    rejected(world, "PATCH", f"/{plural}/{made['id']}", 403, "RESOURCE_ACCESS_DENIED",
             json=RESOURCES[plural][1])


@pytest.mark.parametrize("plural", RESOURCES)
def test_delete_resource_success_then_404(client, world, plural):
    made = _make(world, plural)
    assert data(client.delete(f"/{plural}/{made['id']}", headers=world.auth())) is True
    for method in ("GET", "DELETE", "PATCH"):
        error(client.open(f"/{plural}/{made['id']}", method=method, headers=world.auth(),
                          json={}), 404, "RESOURCE_NOT_FOUND")
    assert data(client.get(f"/{plural}", headers=world.auth()))["total"] == 0


@pytest.mark.parametrize("plural", RESOURCES)
def test_delete_resource_other_company_is_403(client, world, plural):
    made = _make(world, plural, "b")
    rejected(world, "DELETE", f"/{plural}/{made['id']}", 403, "RESOURCE_ACCESS_DENIED")


@pytest.mark.parametrize("plural", RESOURCES)
def test_get_resource_missing_and_bad_id(client, world, plural):
    error(client.get(f"/{plural}/{MISSING}", headers=world.auth()), 404, "RESOURCE_NOT_FOUND")
    error(client.get(f"/{plural}/12", headers=world.auth()), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("plural", RESOURCES)
@pytest.mark.parametrize("verb", ["read", "write", "delete"])
def test_resource_missing_scope_is_403(client, world, plural, verb):
    made = _make(world, plural)
    others = [f"{v}:{plural}" for v in ("read", "write", "delete") if v != verb]
    key = world.key(world.a["id"], scopes=others)
    method, path = {"read": ("GET", f"/{plural}/{made['id']}"),
                    "write": ("POST", f"/{plural}"),
                    "delete": ("DELETE", f"/{plural}/{made['id']}")}[verb]
    err = rejected(world, method, path, 403, "INSUFFICIENT_PERMISSIONS", headers=bearer(key),
                   json={})
    assert f"{verb}:{plural}" in err["details"]["missingScopes"]


@pytest.mark.parametrize("plural", RESOURCES)
def test_create_resource_ats_company_selection(client, world, plural):
    rejected(world, "POST", f"/{plural}", 400, "VALIDATION_ERROR", who="ats", json={})
    rejected(world, "POST", f"/{plural}?companyId={world.b['id']}", 403,
             "RESOURCE_ACCESS_DENIED", who="ats", json={})


@pytest.mark.parametrize("plural,body", [
    ("candidates", {"firstName": "A", "lastName": "B"}),  # needs email or phone
    ("candidates", {"firstName": "A", "lastName": "B", "email": "nope"}),
    ("candidates", {"firstName": "A", "lastName": "B", "phoneNumber": "0900"}),
    ("candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co",
                    "gdprExpiryDate": "2020-01-01"}),
    ("candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co",
                    "status": "INTERVIEWING"}),
    ("candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co", "jobIds": ["x"]}),
    ("candidates", {"firstName": "A", "lastName": "B", "email": "a@b.co", "jobId": MISSING}),
    ("jobs", {"title": "abc", "description": "too short", "status": "OPEN"}),
    ("jobs", {"title": "Engineer", "description": "A long enough text.", "status": "MAYBE"}),
    ("agents", {"name": "Screener", "type": "PHONE"}),  # no companyPhoneNumberId
    ("agents", {"name": "Screener", "type": "PHONE", "companyPhoneNumberId": MISSING}),
    ("agents", {"name": "Screener", "type": "ONLINE", "language": "KLINGON"}),
    ("agents", {"name": "Screener", "type": "ONLINE", "duration": 0}),
    ("agents", {"name": "Screener", "type": "ONLINE", "duration": "30"}),
])
def test_create_resource_bad_body_is_400(client, world, plural, body):
    rejected(world, "POST", f"/{plural}", 400, "VALIDATION_ERROR", json=body)


# ------------------------------------------------------------------ company

def test_list_companies_company_key_sees_own(client, world):
    page = data(client.get("/company", headers=world.auth()))
    assert [c["id"] for c in page["data"]] == [world.a["id"]]


def test_get_company_own_other_missing(client, world):
    data(client.get(f"/company/{world.a['id']}", headers=world.auth()))
    error(client.get(f"/company/{world.b['id']}", headers=world.auth()), 403,
          "RESOURCE_ACCESS_DENIED")
    error(client.get(f"/company/{MISSING}", headers=world.auth()), 404, "RESOURCE_NOT_FOUND")
    error(client.get("/company/abc", headers=world.auth()), 400, "VALIDATION_ERROR")


def test_create_company_company_key_is_403_required_kind(client, world):
    err = rejected(world, "POST", "/company", 403, "INSUFFICIENT_PERMISSIONS",
                   json={"name": "Nope Inc"})
    assert err["details"]["requiredKeyKind"] == "ATS"


def test_create_company_ats_success_then_managed(client, world):
    made = data(client.post("/company", headers=world.auth("ats"),
                            json={"name": "Initech", "metadata": {"tier": "gold"}}), 201)
    assert made["phoneNumberIds"]
    ids = {c["id"] for c in data(client.get("/companies", headers=world.auth("ats")))["data"]}
    assert ids == {world.a["id"], made["id"]}
    data(client.post(f"/candidates?companyId={made['id']}", headers=world.auth("ats"),
                     json={"firstName": "A", "lastName": "B", "email": "a@b.co",
                           "gdprExpiryDate": "2030-01-01"}), 201)


@pytest.mark.parametrize("body", [{}, {"name": "X"}, {"name": 5}, {"name": "Initech",
                                                                  "ownerEmail": "nope"}])
def test_create_company_ats_bad_body_is_400(client, world, body):
    rejected(world, "POST", "/company", 400, "VALIDATION_ERROR", who="ats", json=body)


def test_update_company_merges_metadata(client, world):
    path = f"/company/{world.a['id']}"
    data(client.patch(path, headers=world.auth(), json={"metadata": {"a": 1}}))
    got = data(client.patch(path, headers=world.auth(), json={"metadata": {"b": 2}}))
    assert got["metadata"] == {"a": 1, "b": 2}


def test_update_company_other_is_403(client, world):
    rejected(world, "PATCH", f"/company/{world.b['id']}", 403, "RESOURCE_ACCESS_DENIED",
             json={"name": "Taken over"})


# ------------------------------------------------------------------ webhooks

HOOK = {"url": "https://hooks.example.com/x", "events": ["interview.completed", "ping"]}


def test_webhook_endpoints_lifecycle(client, world):
    made = data(client.post("/webhooks", headers=world.auth(), json=HOOK), 201)
    wid = made["id"]
    assert data(client.get("/webhooks", headers=world.auth()))["total"] == 1
    assert data(client.get(f"/webhooks/{wid}", headers=world.auth()))["url"] == HOOK["url"]
    assert data(client.patch(f"/webhooks/{wid}", headers=world.auth(),
                             json={"name": "renamed"}))["name"] == "renamed"
    assert data(client.post(f"/webhooks/{wid}/reset-circuit", headers=world.auth()))["id"] == wid
    error(client.get(f"/webhooks/{wid}", headers=world.auth("b")), 403, "RESOURCE_ACCESS_DENIED")
    resp = client.delete(f"/webhooks/{wid}", headers=world.auth())
    assert resp.status_code == 204 and resp.get_data() == b""
    error(client.get(f"/webhooks/{wid}", headers=world.auth()), 404, "RESOURCE_NOT_FOUND")


def test_test_webhook_answers_200(client, world):
    made = data(client.post("/webhooks", headers=world.auth(),
                            json={**HOOK, "url": "http://127.0.0.1:9/hook"}), 201)
    result = data(client.post(f"/webhooks/{made['id']}/test", headers=world.auth()))
    assert result["success"] is False  # nothing listens on port 9


@pytest.mark.parametrize("body", [
    {}, {"url": "https://x.example.com"}, {"url": "http://hooks.example.com/x", "events": ["ping"]},
    {"url": "https://x.example.com", "events": ["interview.exploded"]},
    {"url": "ftp://x", "events": ["ping"]}, {"url": 5, "events": "ping"},
])
def test_create_webhook_bad_body_is_400(client, world, body):
    rejected(world, "POST", "/webhooks", 400, "VALIDATION_ERROR", json=body)


def test_create_webhook_missing_scope_is_403(client, world):
    key = world.key(world.a["id"], scopes=["read:webhooks"])
    rejected(world, "POST", "/webhooks", 403, "INSUFFICIENT_PERMISSIONS", headers=bearer(key),
             json=HOOK)


def test_list_webhooks_ats_optional_company_id(client, world):
    data(client.get("/webhooks", headers=world.auth("ats")))
    error(client.get(f"/webhooks?companyId={world.b['id']}", headers=world.auth("ats")), 403,
          "RESOURCE_ACCESS_DENIED")


# ------------------------------------------------------------------ billing

def test_get_billing_usage_success(client, world):
    iv = world.interview()
    world.advance(0)
    data(client.post(f"/_sim/interviews/{iv['id']}/end-call",
                     json={"outcome": "COMPLETED", "durationSeconds": 61}))
    world.advance(30)
    usage = data(client.get("/billing/usage", headers=world.auth()))
    assert usage["billingSystem"] == "minutes" and usage["totalMinutesUsed"] == 2
    assert usage["totalInterviews"] == 1
    assert data(client.get("/billing/usage", headers=world.auth("b")))["totalMinutesUsed"] == 0


@pytest.mark.parametrize("query", ["start=yesterday", "end=2026-13-01",
                                   "start=2026-01-02&end=2026-01-01"])
def test_get_billing_usage_bad_query_is_400(client, world, query):
    rejected(world, "GET", f"/billing/usage?{query}", 400, "VALIDATION_ERROR")


def test_get_billing_usage_missing_scope_is_403(client, world):
    key = world.key(world.a["id"], scopes=["read:interviews"])
    error(client.get("/billing/usage?start=bad", headers=bearer(key)), 403,
          "INSUFFICIENT_PERMISSIONS")


@pytest.mark.parametrize("plural", RESOURCES)
def test_resource_ats_key_full_crud(client, world, plural):
    """The same five operations through an ATS key naming its managed company."""
    q, auth = f"?companyId={world.a['id']}", world.auth("ats")
    made = _make(world, plural)
    assert data(client.get(f"/{plural}{q}", headers=auth))["total"] == 1
    assert data(client.get(f"/{plural}/{made['id']}{q}", headers=auth))["id"] == made["id"]
    data(client.patch(f"/{plural}/{made['id']}{q}", headers=auth, json=RESOURCES[plural][1]))
    assert data(client.delete(f"/{plural}/{made['id']}{q}", headers=auth)) is True
    error(client.get(f"/{plural}/{made['id']}{q}", headers=auth), 404, "RESOURCE_NOT_FOUND")


@pytest.mark.parametrize("method,path", [("GET", "/candidates"), ("DELETE", "/jobs/{id}"),
                                         ("GET", "/billing/usage")])
def test_any_method_with_non_json_body_is_415(client, world, method, path):
    job = world.job()
    rejected(world, method, path.format(id=job["id"]), 415, "UNSUPPORTED_MEDIA_TYPE",
             data="hello", content_type="text/plain")


def test_delete_job_malformed_json_body_is_400(client, world):
    job = world.job()
    rejected(world, "DELETE", f"/jobs/{job['id']}", 400, "VALIDATION_ERROR", data="{",
             content_type="application/json")
    data(client.get(f"/jobs/{job['id']}", headers=world.auth()))
