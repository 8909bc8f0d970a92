"""authenticate, count_request (rate limits, decisions 37), authorize (scopes, ATS selection)."""
from __future__ import annotations

import pytest

from simulator.core.errors import (
    ApiKeySuspended, InsufficientPermissions, InvalidApiKey, RateLimitExceeded,
    ResourceAccessDenied, ValidationError,
)


def _principal(sim, key):
    return sim.authenticate("Bearer " + key["key"])


def test_authenticate_rejects_missing_wrong_and_revoked(world):
    company, _ = world.company()
    key = world.key(company["id"])
    assert key["key"].startswith("sk_") and len(key["key"]) == 46
    for header in (None, "", "Basic abc", "Bearer", "Bearer sk_" + "x" * 43, key["key"]):
        with pytest.raises(InvalidApiKey) as exc:
            world.sim.authenticate(header)
        assert (exc.value.status, exc.value.code) == (401, "INVALID_API_KEY")
    world.sim.sim_revoke_api_key(key["id"])
    with pytest.raises(InvalidApiKey):
        _principal(world.sim, key)


def test_authenticate_suspended_key(world):
    company, _ = world.company()
    key = world.key(company["id"])
    world.sim.sim_suspend_api_key(key["id"], {"reason": "unpaid"})
    with pytest.raises(ApiKeySuspended) as exc:
        _principal(world.sim, key)
    assert (exc.value.status, exc.value.code) == (401, "API_KEY_SUSPENDED")
    assert exc.value.details == {"suspendedAt": "2026-01-01T10:00:00.000Z", "reason": "unpaid"}


def test_api_key_never_in_repr_or_dict(world):
    company, _ = world.company()
    key = world.key(company["id"])
    record = world.sim._keys[key["id"]]
    assert key["key"] not in repr(record) and key["key"] not in str(record.to_dict())
    assert "key" not in world.sim.sim_suspend_api_key(key["id"], {})


def test_authorize_insufficient_permissions_lists_scopes(world):
    company, _ = world.company()
    key = world.key(company["id"], scopes=["read:interviews", "read:agents"])
    with pytest.raises(InsufficientPermissions) as exc:
        world.sim.authorize(_principal(world.sim, key), "list_interviews", None)
    assert (exc.value.status, exc.value.code) == (403, "INSUFFICIENT_PERMISSIONS")
    assert exc.value.details["requiredScopes"] == [
        "read:interviews", "read:candidates", "read:agents"]
    assert exc.value.details["missingScopes"] == ["read:candidates"]
    assert "read:candidates" in exc.value.message


def test_authorize_create_company_needs_ats_after_scopes(world):
    company, _ = world.company()
    key = world.key(company["id"], scopes=["read:companies"])
    with pytest.raises(InsufficientPermissions) as exc:
        world.sim.authorize(_principal(world.sim, key), "create_company", None)
    assert "requiredKeyKind" not in exc.value.details  # scopes first (decisions 7)
    key = world.key(company["id"])
    with pytest.raises(InsufficientPermissions) as exc:
        world.sim.authorize(_principal(world.sim, key), "create_company", None)
    assert exc.value.details["requiredKeyKind"] == "ATS"


def test_authorize_ats_company_selection(world):
    a, _ = world.company()
    b, _ = world.company()
    ats = world.sim.sim_create_api_key({"kind": "ATS", "managedCompanyIds": [a["id"]],
                                        "scopes": "*"})
    p = _principal(world.sim, ats)
    with pytest.raises(ValidationError) as exc:
        world.sim.authorize(p, "list_jobs", None)
    assert exc.value.details["fields"][0]["field"] == "companyId"
    with pytest.raises(ValidationError):
        world.sim.authorize(p, "list_jobs", "not-a-uuid")
    for cid in (b["id"], "00000000-0000-4000-8000-000000000000"):
        with pytest.raises(ResourceAccessDenied) as exc:
            world.sim.authorize(p, "list_jobs", cid)
        assert exc.value.code == "RESOURCE_ACCESS_DENIED"
    actor = world.sim.authorize(p, "list_jobs", a["id"].upper())
    assert actor.company_id == a["id"]
    assert world.sim.authorize(p, "get_billing_usage", None).company_id is None
    # an ATS key creates a company and manages it from then on
    actor = world.sim.authorize(p, "create_company", None)
    new = world.sim.create_company(actor, body={"name": "NewCo", "metadata": {"a": 1}})
    assert new.phone_number_ids and world.sim.authorize(p, "list_jobs", new.id)
    lister = world.sim.authorize(_principal(world.sim, ats), "list_companies")
    listed = world.sim.list_companies(lister, query={"page": 1, "limit": 20})
    assert {c.id for c in listed.items} == {a["id"], new.id}


def test_authorize_company_key_ignores_company_id(world):
    a, _ = world.company()
    b, _ = world.company()
    key = world.key(a["id"])
    actor = world.sim.authorize(_principal(world.sim, key), "list_jobs", b["id"])
    assert actor.company_id == a["id"]


def test_ats_key_acting_on_other_managed_company_resource_is_403(world):
    a, actor_a = world.company()
    b, _ = world.company()
    ats = world.sim.sim_create_api_key({"kind": "ATS", "managedCompanyIds": [a["id"], b["id"]],
                                        "scopes": "*"})
    job = world.job(actor_a)
    actor = world.sim.authorize(_principal(world.sim, ats), "get_job", b["id"])
    with pytest.raises(ResourceAccessDenied):  # decisions 10
        world.sim.get_job(actor, job.id, query={})


def test_count_request_rate_limit_windows(world):
    company, _ = world.company()
    key = world.key(company["id"], rateLimit={"perMinute": 2, "perHour": 3})
    p = _principal(world.sim, key)
    info = world.sim.count_request(p)
    assert info.headers()["X-RateLimit-Remaining-Minute"] == "1"
    world.sim.count_request(p)
    with pytest.raises(RateLimitExceeded) as exc:
        world.sim.count_request(p)
    assert (exc.value.status, exc.value.code) == (429, "RATE_LIMIT_EXCEEDED")
    assert exc.value.details == {"retryAfter": 60, "limit": 2, "remaining": 0,
                                 "reset": 1767261660}
    assert exc.value.headers["Retry-After"] == "60"
    world.advance(60)  # new minute window, but the hour window holds 3 (the 429 counted)
    with pytest.raises(RateLimitExceeded) as exc:
        world.sim.count_request(p)
    assert exc.value.details["limit"] == 3
    world.advance(3600)
    assert world.sim.count_request(p).remaining_hour == 2


def test_count_request_without_limit_returns_none(world):
    company, _ = world.company()
    key = world.key(company["id"])
    assert world.sim.count_request(_principal(world.sim, key)) is None


def test_update_company_merges_metadata(world):
    company, actor = world.company()
    actor = world.sim.authorize(world.sim.authenticate(
        "Bearer " + world.key(company["id"])["key"]), "update_company")
    world.sim.update_company(actor, company["id"], body={"metadata": {"a": 1}})
    c = world.sim.update_company(actor, company["id"], body={"metadata": {"b": 2}})
    assert c.metadata == {"a": 1, "b": 2}
    with pytest.raises(ValidationError):
        world.sim.update_company(actor, company["id"],
                                 body={"metadata": {f"k{i}": i for i in range(49)}})
    assert world.sim.get_company(actor, company["id"]).metadata == {"a": 1, "b": 2}
