"""Routing answers (404/405/501 need no key), /v1, trailing slashes, HEAD, auth, rate limits,
the request log and the 500 handler."""
from __future__ import annotations

import pytest

from http_world import bearer, data, error, make_app


@pytest.mark.parametrize("method,path", [
    ("GET", "/nope"), ("GET", "/v1/nope"), ("DELETE", "/interviews/x/y/z"),
    ("GET", "/v1/_sim/clock"), ("POST", "/v1/_sim/reset"), ("GET", "/v2/interviews"),
])
def test_route_unknown_path_is_404_without_key(client, method, path):
    err = error(client.open(path, method=method), 404, "ROUTE_NOT_FOUND")
    assert err["details"]["path"] == path


@pytest.mark.parametrize("method,path", [
    ("PUT", "/interviews"), ("PATCH", "/interviews"), 
    ("POST", "/interviews/0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("PUT", "/v1/candidates"), ("OPTIONS", "/jobs"), ("GET", "/_sim/reset"),
    ("DELETE", "/billing/usage"), ("GET", "/webhooks/0f8fad5b-d9cb-469f-a165-70867728950e/test"),
])
def test_route_wrong_method_is_405_without_key(client, method, path):
    error(client.open(path, method=method), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("method,path", [
    ("GET", "/sourcing"), ("POST", "/sourcing/preview"), ("GET", "/v1/sourcing/preview/x/results"),
    ("POST", "/jobs/url"), ("POST", "/v1/jobs/url/"),
])
def test_route_not_simulated_is_501_without_key(client, method, path):
    error(client.open(path, method=method), 501, "NOT_IMPLEMENTED")


def test_route_get_jobs_url_is_a_job_id(client, world):
    error(client.get("/jobs/url", headers=world.auth()), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("path", ["/interviews", "/v1/interviews", "/interviews/",
                                  "/v1/interviews/"])
def test_list_interviews_every_prefix_and_trailing_slash(client, world, path):
    assert data(client.get(path, headers=world.auth()))["total"] == 0


def test_list_interviews_head_is_get_without_body(client, world):
    resp = client.head("/interviews", headers=world.auth())
    assert resp.status_code == 200 and resp.get_data() == b""
    assert client.head("/interviews").status_code == 401


def test_companies_alias_of_company(client, world):
    assert data(client.get("/companies", headers=world.auth())) == \
        data(client.get("/company", headers=world.auth()))
    assert data(client.get(f"/v1/companies/{world.a['id']}", headers=world.auth()))["id"] == \
        world.a["id"]


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Bearer ", "Basic abc", "Token sk_x", "bearer sk_unknown",
    "Bearer sk_" + "a" * 43, "Bearer " + "x" * 5000,
])
def test_list_interviews_bad_auth_is_401(client, header):
    headers = {} if header is None else {"Authorization": header}
    error(client.get("/interviews", headers=headers), 401, "INVALID_API_KEY")


def test_list_interviews_lowercase_bearer_scheme_accepted(client, world):
    data(client.get("/interviews", headers={"Authorization": "bearer " + world.key_a}))


def test_get_interview_suspended_key_is_401_with_details(client, world):
    key = data(client.post("/_sim/api-keys", json={
        "kind": "COMPANY", "companyId": world.a["id"], "scopes": "*"}), 201)
    data(client.post(f"/_sim/api-keys/{key['id']}/suspend", json={"reason": "billing"}))
    err = error(client.get("/interviews/bad", headers=bearer(key["key"])), 401,
                "API_KEY_SUSPENDED")
    assert err["details"]["reason"] == "billing" and err["details"]["suspendedAt"]
    assert key["key"] not in str(err)


def test_get_interview_revoked_key_is_401(client, world):
    key = data(client.post("/_sim/api-keys", json={
        "kind": "COMPANY", "companyId": world.a["id"], "scopes": "*"}), 201)
    data(client.post(f"/_sim/api-keys/{key['id']}/revoke"))
    error(client.get("/interviews", headers=bearer(key["key"])), 401, "INVALID_API_KEY")


def test_list_interviews_rate_limit_is_429_with_headers(client, world):
    key = world.key(world.a["id"], rateLimit={"perMinute": 2})
    first = client.get("/interviews", headers=bearer(key))
    assert first.headers["X-RateLimit-Limit-Minute"] == "2"
    assert first.headers["X-RateLimit-Remaining-Minute"] == "1"
    data(client.get("/interviews", headers=bearer(key)))
    resp = client.get("/interviews", headers=bearer(key))
    err = error(resp, 429, "RATE_LIMIT_EXCEEDED")
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["X-RateLimit-Remaining-Minute"] == "0"
    assert err["details"]["remaining"] == 0 and err["details"]["limit"] == 2
    assert set(err["details"]) == {"retryAfter", "limit", "remaining", "reset"}
    world.advance(60)  # a fixed minute window on the virtual clock
    data(client.get("/interviews", headers=bearer(key)))


def test_delete_interview_rate_limit_before_scope(client, world):
    key = world.key(world.a["id"], scopes=["read:interviews"], rateLimit={"perMinute": 1})
    error(client.delete("/interviews/bad", headers=bearer(key)), 403,
          "INSUFFICIENT_PERMISSIONS")
    error(client.delete("/interviews/bad", headers=bearer(key)), 429, "RATE_LIMIT_EXCEEDED")


def test_list_interviews_no_rate_headers_without_limit(client, world):
    resp = client.get("/interviews", headers=world.auth())
    assert not [h for h in resp.headers.keys() if h.startswith("X-RateLimit")]


def test_requests_log_has_key_id_never_key(client, world):
    client.get("/interviews", headers=world.auth())
    log = data(client.get("/_sim/requests?limit=5"))
    assert log[0]["path"] == "/interviews" and log[0]["status"] == 200
    assert log[0]["keyId"] and log[0]["method"] == "GET" and "durationMs" in log[0]
    assert world.key_a not in str(data(client.get("/_sim/requests?limit=1000")))


def test_request_id_differs_per_response(client):
    ids = {client.get("/nope").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_internal_error_handler_answers_envelope():
    """The one deliberate 500: a bug in the core still answers the envelope (and is logged)."""
    app = make_app()
    sim = app.extensions["instaview_sim"]
    sim.get_clock = lambda: 1 / 0
    app.test_client_class = None  # the plain client: a 500 is expected here
    resp = app.test_client().get("/_sim/clock")
    body = resp.get_json()
    assert resp.status_code == 500 and body["error"]["code"] == "INTERNAL_ERROR"
    assert body["success"] is False and resp.headers["X-Request-Id"]


def test_route_endpoint_names_are_operation_names(app):
    from simulator.core.operations import OPERATIONS

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(OPERATIONS) <= endpoints
    for op in OPERATIONS:
        prefixes = {r.rule.startswith("/v1/") for r in app.url_map.iter_rules(op)}
        assert prefixes == {True, False}, op
