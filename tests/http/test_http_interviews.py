"""Interviews: create, list, get, delete — success, each failure in the order of checks, and
every malformed input; a rejected request changes nothing."""
from __future__ import annotations

import json

import pytest

from http_world import MISSING, bearer, data, error, rejected

# ------------------------------------------------------------------ create_interview

def test_create_interview_phone_success(client, world):
    iv = world.interview()
    assert iv["status"] == "SCHEDULED" and iv["scheduledAt"] == "2026-01-01T10:00:00.000Z"
    assert [a["retryNumber"] for a in iv["callAttempts"]] == [0]
    assert iv["callAttempts"][0]["status"] == "SCHEDULED"
    assert data(client.get(f"/interviews/{iv['id']}", headers=world.auth())) == iv


def test_create_interview_online_success(client, world):
    iv = world.interview(type="ONLINE")
    assert iv["callAttempts"] == [] and iv["status"] == "SCHEDULED"


def test_create_interview_inline_resources_success(client, world):
    iv = data(client.post("/v1/interviews", headers=world.auth(), json={
        "candidate": {"firstName": "Ada", "lastName": "Lovelace", "phoneNumber": "+421900000009",
                      "gdprExpiryDate": "2030-01-01"},
        "agent": {"name": "Screener", "type": "PHONE",
                  "companyPhoneNumberId": world.phone_id()},
        "scheduleTime": "2026-01-02T10:00:00Z", "metadata": {"ref": "x"}}), 201)
    assert iv["scheduledAt"] == "2026-01-02T10:00:00.000Z" and iv["metadata"] == {"ref": "x"}
    data(client.get(f"/candidates/{iv['candidateId']}", headers=world.auth()))


def test_create_interview_is_test_completes_at_once(client, world):
    iv = world.interview(isTest=True)
    assert iv["status"] == "COMPLETED" and iv["transcript"] and iv["analysis"]


def test_create_interview_ats_key_with_company_id(client, world):
    cand = world.candidate()
    agent = world.agent()
    iv = data(client.post(f"/interviews?companyId={world.a['id'].upper()}",
                          headers=world.auth("ats"),
                          json={"candidateId": cand["id"], "agentId": agent["id"]}), 201)
    assert iv["companyId"] == world.a["id"]


def test_create_interview_company_key_ignores_company_id(client, world):
    cand, agent = world.candidate(), world.agent()
    data(client.post(f"/interviews?companyId={world.b['id']}", headers=world.auth(),
                     json={"candidateId": cand["id"], "agentId": agent["id"]}), 201)


def test_create_interview_no_key_is_401_before_everything(client, world):
    rejected(world, "POST", "/interviews", 401, "INVALID_API_KEY", headers={},
             data="{bad json", content_type="text/plain")


def test_create_interview_missing_scope_is_403_before_400(client, world):
    key = world.key(world.a["id"], scopes=["write:interviews", "read:candidates"])
    err = rejected(world, "POST", "/interviews", 403, "INSUFFICIENT_PERMISSIONS",
                   headers=bearer(key), data="{bad json", content_type="application/json")
    assert err["details"]["requiredScopes"] == ["write:interviews", "read:candidates",
                                                "read:agents"]
    assert err["details"]["missingScopes"] == ["read:agents"]
    assert "read:agents" in err["message"]


def test_create_interview_ats_without_company_id_is_400(client, world):
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR", who="ats",
                   json={})
    assert err["details"]["fields"][0]["field"] == "companyId"


@pytest.mark.parametrize("company_id,status,code", [
    ("not-a-uuid", 400, "VALIDATION_ERROR"),
    (MISSING, 403, "RESOURCE_ACCESS_DENIED"),
    ("B", 403, "RESOURCE_ACCESS_DENIED"),
])
def test_create_interview_ats_bad_company_id(client, world, company_id, status, code):
    cid = world.b["id"] if company_id == "B" else company_id
    rejected(world, "POST", f"/interviews?companyId={cid}", status, code, who="ats",
             data="{bad json", content_type="application/json")


def test_create_interview_ats_company_scope_checked_before_company(client, world):
    ats = data(client.post("/_sim/api-keys", json={
        "kind": "ATS", "managedCompanyIds": [world.a["id"]], "scopes": ["read:interviews"]}),
        201)
    rejected(world, "POST", "/interviews", 403, "INSUFFICIENT_PERMISSIONS",
             headers=bearer(ats["key"]), json={})


BAD_BODIES = [
    ("not json", "{", "body"),
    ("trailing garbage", '{"isTest": true} x', "body"),
    ("NaN constant", '{"metadata": {"a": NaN}}', "body"),
    ("array body", "[]", "body"),
    ("string body", '"hello"', "body"),
    ("number body", "42", "body"),
    ("invalid utf-8", b'{"a": "\xff"}', "body"),
    ("deep nesting", "[" * 100000 + "]" * 100000, "body"),
]


@pytest.mark.parametrize("name,raw,field", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_create_interview_malformed_json_is_400(client, world, name, raw, field):
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR", data=raw,
                   content_type="application/json")
    assert err["details"]["fields"][0]["field"] == field


def _ids(world):
    return {"candidateId": world.candidate()["id"], "agentId": world.agent()["id"]}


BAD_FIELDS = [
    ("candidateId", 123), ("candidateId", "nope"), ("agentId", ["x"]), ("jobId", "zzz"),
    ("scheduleTime", "tomorrow"), ("scheduleTime", 1234567890),
    ("scheduleTime", "2025-12-31T23:59:59Z"),
    ("scheduleTime", "2026-02-01T10:00:00.001Z"), ("scheduleTime", "2026-13-01T00:00:00Z"),
    ("scheduledAt", "2026-01-01T09:59:59.999Z"), ("isTest", "yes"), ("isTest", 1),
    ("metadata", "string"), ("metadata", [1, 2]),
    ("metadata", {"k": "x" * 10241}), ("metadata", {f"k{i}": i for i in range(51)}),
    ("metadata", {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
    ("candidate", "inline?"), ("agent", {"name": "A", "type": "HOLOGRAM"}),
]


@pytest.mark.parametrize("field,value", BAD_FIELDS,
                         ids=[f"{f}={str(v)[:20]}" for f, v in BAD_FIELDS])
def test_create_interview_bad_field_is_400(client, world, field, value):
    body = {**_ids(world), field: value}
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR", json=body)
    assert any(f["field"].split(".")[0] == field for f in err["details"]["fields"]), err


def test_create_interview_both_schedule_fields_is_400(client, world):
    body = {**_ids(world), "scheduleTime": "2026-01-02T00:00:00Z",
            "scheduledAt": "2026-01-02T00:00:00Z"}
    rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR", json=body)


def test_create_interview_thirty_days_ahead_inclusive(client, world):
    body = {**_ids(world), "scheduleTime": "2026-01-31T10:00:00Z"}
    data(client.post("/interviews", headers=world.auth(), json=body), 201)


def test_create_interview_uppercase_ids_accepted(client, world):
    body = {k: v.upper() for k, v in _ids(world).items()}
    iv = data(client.post("/interviews", headers=world.auth(), json=body), 201)
    assert iv["candidateId"] == body["candidateId"].lower()


def test_create_interview_null_fields_are_absent_and_unknown_ignored(client, world):
    body = {**_ids(world), "scheduleTime": None, "metadata": None, "isTest": None,
            "surprise": {"x": 1}}
    iv = data(client.post("/interviews", headers=world.auth(), json=body), 201)
    assert iv["metadata"] == {} and iv["isTest"] is False


def test_create_interview_metadata_at_limits_accepted(client, world):
    body = {**_ids(world), "metadata": {f"k{i}": i for i in range(50)}}
    data(client.post("/interviews", headers=world.auth(), json=body), 201)


def test_create_interview_body_over_1mib_is_413(client, world):
    body = json.dumps({**_ids(world), "metadata": {"k": "x" * (1 << 20)}})
    rejected(world, "POST", "/interviews", 413, "PAYLOAD_TOO_LARGE", data=body,
             content_type="application/json")


def test_create_interview_413_before_415(client, world):
    rejected(world, "POST", "/interviews", 413, "PAYLOAD_TOO_LARGE", data="x" * ((1 << 20) + 1),
             content_type="text/plain")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x", None])
def test_create_interview_wrong_content_type_is_415(client, world, ctype):
    kw = {"data": json.dumps(_ids(world))}
    if ctype:
        kw["content_type"] = ctype
    rejected(world, "POST", "/interviews", 415, "UNSUPPORTED_MEDIA_TYPE", **kw)


def test_create_interview_json_with_charset_accepted(client, world):
    data(client.post("/interviews", headers=world.auth(), data=json.dumps(_ids(world)),
                     content_type="application/json; charset=utf-8"), 201)


def test_create_interview_empty_body_is_400_missing_fields(client, world):
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR")
    assert {f["field"] for f in err["details"]["fields"]} >= {"candidateId", "agentId"} or \
        err["details"]["fields"]


def test_create_interview_other_company_candidate_is_403(client, world):
    body = {"candidateId": world.candidate("b")["id"], "agentId": world.agent()["id"]}
    rejected(world, "POST", "/interviews", 403, "RESOURCE_ACCESS_DENIED", json=body)


def test_create_interview_deleted_candidate_is_400(client, world):
    cand = world.candidate()
    data(client.delete(f"/candidates/{cand['id']}", headers=world.auth()))
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR",
                   json={"candidateId": cand["id"], "agentId": world.agent()["id"]})
    assert err["details"]["fields"][0]["field"] == "candidateId"


def test_create_interview_missing_agent_is_400(client, world):
    err = rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR",
                   json={"candidateId": world.candidate()["id"], "agentId": MISSING})
    assert err["details"]["fields"][0]["field"] == "agentId"


def test_create_interview_phone_candidate_without_phone_is_400(client, world):
    cand = data(client.post("/candidates", headers=world.auth(), json={
        "firstName": "Ed", "lastName": "Mail", "email": "ed@example.com",
        "gdprExpiryDate": "2030-01-01"}), 201)
    rejected(world, "POST", "/interviews", 400, "VALIDATION_ERROR",
             json={"candidateId": cand["id"], "agentId": world.agent()["id"]})


# ------------------------------------------------------------------ list_interviews

def test_list_interviews_paging_and_order(client, world):
    ids = [world.interview()["id"] for _ in range(3)]
    world.interview("b")
    page = data(client.get("/interviews?limit=2", headers=world.auth()))
    assert (page["total"], page["page"], page["limit"], page["totalPages"]) == (3, 1, 2, 2)
    page2 = data(client.get("/interviews?limit=2&page=2", headers=world.auth()))
    seen = [i["id"] for i in page["data"] + page2["data"]]
    assert sorted(seen) == sorted(ids)
    assert data(client.get("/interviews?page=3&limit=2", headers=world.auth()))["data"] == []


def test_list_interviews_filters(client, world):
    iv = world.interview()
    world.interview(type="ONLINE")
    by_cand = data(client.get(f"/interviews?candidateId={iv['candidateId']}",
                              headers=world.auth()))
    assert [i["id"] for i in by_cand["data"]] == [iv["id"]]
    assert data(client.get("/interviews?status=SCHEDULED", headers=world.auth()))["total"] == 2
    assert data(client.get("/interviews?status=CANCELED", headers=world.auth()))["total"] == 0
    assert data(client.get("/interviews?status=UNDEFINED", headers=world.auth()))["total"] == 0


@pytest.mark.parametrize("query", [
    "page=0", "page=10001", "page=-1", "page=abc", "page=1.5", "limit=0", "limit=101",
    "limit=x", "status=BOGUS", "status=scheduled?", "candidateId=nope", "agentId=123",
])
def test_list_interviews_bad_query_is_400(client, world, query):
    rejected(world, "GET", f"/interviews?{query}", 400, "VALIDATION_ERROR")


def test_list_interviews_extreme_page_in_range(client, world):
    page = data(client.get("/interviews?page=10000&limit=100", headers=world.auth()))
    assert page["data"] == [] and page["page"] == 10000


def test_list_interviews_ats_requires_company_id(client, world):
    error(client.get("/interviews", headers=world.auth("ats")), 400, "VALIDATION_ERROR")
    world.interview()
    assert data(client.get(f"/interviews?companyId={world.a['id']}",
                           headers=world.auth("ats")))["total"] == 1


def test_list_interviews_missing_one_scope_is_403(client, world):
    key = world.key(world.a["id"], scopes=["read:interviews", "read:candidates"])
    err = error(client.get("/interviews?page=0", headers=bearer(key)), 403,
                "INSUFFICIENT_PERMISSIONS")
    assert err["details"]["missingScopes"] == ["read:agents"]


# ------------------------------------------------------------------ get_interview

def test_get_interview_success_and_uppercase_id(client, world):
    iv = world.interview()
    assert data(client.get(f"/interviews/{iv['id'].upper()}", headers=world.auth()))["id"] == \
        iv["id"]


@pytest.mark.parametrize("bad", ["nope", "123", MISSING[:-1], MISSING + "0", "%20",
                                 MISSING.replace("-", "")])
def test_get_interview_bad_uuid_is_400(client, world, bad):
    err = error(client.get(f"/interviews/{bad}", headers=world.auth()), 400, "VALIDATION_ERROR")
    assert err["details"]["fields"][0]["field"] == "id"


def test_get_interview_missing_is_404(client, world):
    err = error(client.get(f"/interviews/{MISSING}", headers=world.auth()), 404,
                "RESOURCE_NOT_FOUND")
    assert err["details"] == {"resourceType": "Interview", "resourceId": MISSING}


def test_get_interview_other_company_is_403(client, world):
    iv = world.interview("b")
    error(client.get(f"/interviews/{iv['id']}", headers=world.auth()), 403,
          "RESOURCE_ACCESS_DENIED")


def test_get_interview_ats_other_managed_company_is_403(client, world):
    """decisions 10: companyId=A on a resource of B answers 403, even if it manages B."""
    ats = data(client.post("/_sim/api-keys", json={
        "kind": "ATS", "managedCompanyIds": [world.a["id"], world.b["id"]], "scopes": "*"}), 201)
    iv = world.interview("b")
    error(client.get(f"/interviews/{iv['id']}?companyId={world.a['id']}",
                     headers=bearer(ats["key"])), 403, "RESOURCE_ACCESS_DENIED")
    data(client.get(f"/interviews/{iv['id']}?companyId={world.b['id']}",
                    headers=bearer(ats["key"])))


def test_get_interview_order_401_403_400_404(client, world):
    key = world.key(world.a["id"], scopes=["read:candidates"])
    error(client.get("/interviews/bad"), 401, "INVALID_API_KEY")
    error(client.get("/interviews/bad", headers=bearer(key)), 403, "INSUFFICIENT_PERMISSIONS")
    error(client.get("/interviews/bad", headers=world.auth()), 400, "VALIDATION_ERROR")
    error(client.get(f"/interviews/{MISSING}", headers=world.auth()), 404, "RESOURCE_NOT_FOUND")


# ------------------------------------------------------------------ delete_interview

def test_delete_interview_scheduled_success_then_404(client, world):
    iv = world.interview()
    assert data(client.delete(f"/interviews/{iv['id']}", headers=world.auth())) is True
    for who in ("a", "b"):
        error(client.delete(f"/interviews/{iv['id']}", headers=world.auth(who)), 404,
              "RESOURCE_NOT_FOUND")
        error(client.get(f"/interviews/{iv['id']}", headers=world.auth(who)), 404,
              "RESOURCE_NOT_FOUND")
    assert data(client.get("/interviews", headers=world.auth()))["total"] == 0
    inside = world.internal(iv["id"])
    assert inside["deleted"] is True and inside["queued"] is False
    assert inside["callAttempts"][0]["status"] == "CANCELLED"


def test_delete_interview_live_call_goes_on(client, world):
    iv = world.interview()
    world.advance(0)
    assert world.internal(iv["id"])["sessionLive"] is True
    assert data(client.delete(f"/interviews/{iv['id']}", headers=world.auth())) is True
    assert world.internal(iv["id"])["sessionLive"] is True
    data(client.post(f"/_sim/interviews/{iv['id']}/end-call",
                     json={"outcome": "COMPLETED", "durationSeconds": 90}))
    inside = world.internal(iv["id"])
    assert inside["postCall"] == "SKIPPED" and inside["transcript"] is None
    types = [e["type"] for e in data(client.get(
        f"/_sim/events?interviewId={iv['id']}"))["events"]]
    assert "slot.released" in types and "postcall.skipped" in types
    assert data(client.get("/_sim/invariants"))["ok"] is True


def test_delete_interview_other_company_is_403_and_unchanged(client, world):
    iv = world.interview()
    rejected(world, "DELETE", f"/interviews/{iv['id']}", 403, "RESOURCE_ACCESS_DENIED",
             iv["id"], who="b")


def test_delete_interview_missing_scope_before_bad_uuid(client, world):
    key = world.key(world.a["id"], scopes=["read:interviews"])
    err = rejected(world, "DELETE", "/interviews/not-a-uuid", 403, "INSUFFICIENT_PERMISSIONS",
                   headers=bearer(key))
    assert err["details"]["requiredScopes"] == ["delete:interviews"]


def test_delete_interview_bad_uuid_is_400(client, world):
    iv = world.interview()
    rejected(world, "DELETE", "/interviews/xyz", 400, "VALIDATION_ERROR", iv["id"])


def test_delete_interview_ats_success(client, world):
    iv = world.interview()
    assert data(client.delete(f"/v1/interviews/{iv['id']}?companyId={world.a['id']}",
                              headers=world.auth("ats"))) is True


def test_delete_interview_terminal_states(client, world):
    done = world.interview(isTest=True)
    assert data(client.delete(f"/interviews/{done['id']}", headers=world.auth())) is True
    cancelled = world.interview()
    data(client.post(f"/_sim/interviews/{cancelled['id']}/cancel"))
    assert data(client.delete(f"/interviews/{cancelled['id']}", headers=world.auth())) is True
