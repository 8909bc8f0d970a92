"""Call attempts: invoke (201), reschedule (204), delete (204); decisions 3's order of checks."""
from __future__ import annotations

import pytest

from http_world import MISSING, bearer, data, error, rejected


def _attempt(iv):
    return iv["callAttempts"][0]["id"]


def test_invoke_call_attempt_success_replaces_scheduled(client, world):
    iv = world.interview()
    made = data(client.post(f"/interviews/{iv['id']}/call-attempts", headers=world.auth(),
                            json={"scheduledAt": "2026-01-01T12:00:00Z"}), 201)
    assert made["status"] == "SCHEDULED" and made["retryNumber"] == 1
    statuses = [a["status"] for a in world.internal(iv["id"])["callAttempts"]]
    assert statuses == ["CANCELLED", "SCHEDULED"]


def test_invoke_call_attempt_empty_body_means_now(client, world):
    iv = world.interview()
    made = data(client.post(f"/interviews/{iv['id']}/call-attempts", headers=world.auth()), 201)
    assert made["scheduledAt"] == "2026-01-01T10:00:00.000Z"


@pytest.mark.parametrize("when", ["2025-12-31T00:00:00Z", "2026-02-01T10:00:01Z", "soon", 5])
def test_invoke_call_attempt_bad_time_is_400(client, world, when):
    iv = world.interview()
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 400, "VALIDATION_ERROR",
             iv["id"], json={"scheduledAt": when})


def test_invoke_call_attempt_online_is_400_invalid_state(client, world):
    iv = world.interview(type="ONLINE")
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 400, "INVALID_STATE",
             iv["id"])


def test_invoke_call_attempt_live_session_is_409(client, world):
    iv = world.interview()
    world.advance(0)
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 409,
             "INVALID_STATE_TRANSITION", iv["id"])


def test_invoke_call_attempt_completed_is_409(client, world):
    iv = world.interview(isTest=True)
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 409,
             "INVALID_STATE_TRANSITION", iv["id"])


def test_invoke_call_attempt_other_company_is_403(client, world):
    iv = world.interview("b")
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 403,
             "RESOURCE_ACCESS_DENIED", iv["id"])


def test_invoke_call_attempt_missing_scope_is_403(client, world):
    key = world.key(world.a["id"], scopes=["read:interviews"])
    iv = world.interview()
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 403,
             "INSUFFICIENT_PERMISSIONS", iv["id"], headers=bearer(key), data="{",
             content_type="application/json")


def test_invoke_call_attempt_deleted_interview_is_404(client, world):
    iv = world.interview()
    data(client.delete(f"/interviews/{iv['id']}", headers=world.auth()))
    rejected(world, "POST", f"/interviews/{iv['id']}/call-attempts", 404, "RESOURCE_NOT_FOUND",
             iv["id"])


def test_reschedule_call_attempt_success_is_204(client, world):
    iv = world.interview()
    resp = client.patch(f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}",
                        headers=world.auth(), json={"scheduledAt": "2026-01-05T09:00:00Z"})
    assert resp.status_code == 204 and resp.get_data() == b""
    assert world.internal(iv["id"])["callAttempts"][0]["scheduledAt"] == \
        "2026-01-05T09:00:00.000Z"


@pytest.mark.parametrize("body", [{}, {"scheduledAt": None},
                                  {"scheduledAt": "2026-01-01T10:00:00Z"},
                                  {"scheduledAt": "2026-03-01T00:00:00Z"}, {"scheduledAt": True}])
def test_reschedule_call_attempt_bad_time_is_400(client, world, body):
    iv = world.interview()
    rejected(world, "PATCH", f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}", 400,
             "VALIDATION_ERROR", iv["id"], json=body)


def test_reschedule_call_attempt_in_progress_is_400_invalid_state(client, world):
    iv = world.interview()
    world.advance(0)
    rejected(world, "PATCH", f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}", 400,
             "INVALID_STATE", iv["id"], json={"scheduledAt": "2026-01-02T00:00:00Z"})


def test_reschedule_call_attempt_bad_attempt_uuid_is_400(client, world):
    iv = world.interview()
    err = rejected(world, "PATCH", f"/interviews/{iv['id']}/call-attempts/nope", 400,
                   "VALIDATION_ERROR", iv["id"], json={"scheduledAt": "2026-01-02T00:00:00Z"})
    assert err["details"]["fields"][0]["field"] == "attemptId"


def test_reschedule_call_attempt_unknown_attempt_is_404(client, world):
    iv = world.interview()
    rejected(world, "PATCH", f"/interviews/{iv['id']}/call-attempts/{MISSING}", 404,
             "RESOURCE_NOT_FOUND", iv["id"], json={"scheduledAt": "2026-01-02T00:00:00Z"})


def test_reschedule_call_attempt_attempt_of_other_interview_is_404(client, world):
    one, two = world.interview(), world.interview()
    rejected(world, "PATCH", f"/interviews/{one['id']}/call-attempts/{_attempt(two)}", 404,
             "RESOURCE_NOT_FOUND", one["id"], two["id"],
             json={"scheduledAt": "2026-01-02T00:00:00Z"})


def test_delete_call_attempt_online_before_attempt_lookup(client, world):
    """decisions 3: an online interview is 400 INVALID_STATE before the attempt's 404."""
    iv = world.interview(type="ONLINE")
    rejected(world, "DELETE", f"/interviews/{iv['id']}/call-attempts/{MISSING}", 400,
             "INVALID_STATE", iv["id"])


def test_delete_call_attempt_success_is_204_and_gone(client, world):
    iv = world.interview()
    resp = client.delete(f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}",
                         headers=world.auth())
    assert resp.status_code == 204 and resp.get_data() == b""
    inside = world.internal(iv["id"])
    assert inside["callAttempts"] == [] and inside["status"] == "SCHEDULED"
    error(client.delete(f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}",
                        headers=world.auth()), 404, "RESOURCE_NOT_FOUND")


def test_delete_call_attempt_in_progress_is_400(client, world):
    iv = world.interview()
    world.advance(0)
    rejected(world, "DELETE", f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}", 400,
             "INVALID_STATE", iv["id"])


def test_delete_call_attempt_other_company_is_403(client, world):
    iv = world.interview("b")
    rejected(world, "DELETE", f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}", 403,
             "RESOURCE_ACCESS_DENIED", iv["id"])


def test_delete_call_attempt_ats_without_company_id_is_400(client, world):
    iv = world.interview()
    rejected(world, "DELETE", f"/interviews/{iv['id']}/call-attempts/{_attempt(iv)}", 400,
             "VALIDATION_ERROR", iv["id"], who="ats")
