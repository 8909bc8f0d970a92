"""The seed document's deletion rules, one test per case (lifecycle.md, Deletion)."""
from __future__ import annotations

import pytest

from simulator.core.errors import ResourceAccessDenied, ResourceNotFound


def _gone(world, actor, interview_id):
    sim = world.sim
    for call in (sim.get_interview, sim.delete_interview):
        with pytest.raises(ResourceNotFound) as exc:
            call(actor, interview_id, query={})
        assert (exc.value.status, exc.value.code) == (404, "RESOURCE_NOT_FOUND")
    listed = sim.list_interviews(actor, query={"page": 1, "limit": 100}).to_dict()
    assert interview_id not in [i["id"] for i in listed["data"]]


def test_delete_interview_scheduled_cancels_attempts_and_no_call(world):
    company, actor = world.company()
    iv = world.phone_interview(actor, scheduleTime="2026-01-01T11:00:00Z")
    seq = world.last_seq()
    assert world.sim.delete_interview(actor, iv.id, query={}) is True
    view = world.view(iv.id)
    assert view["deleted"] and view["queued"] is False and view["status"] == "SCHEDULED"
    assert [a["status"] for a in view["callAttempts"]] == ["CANCELLED"]
    assert world.types(iv.id, after=seq) == ["interview.deleted", "attempt.cancelled"]
    world.advance(7200)
    assert world.types(iv.id, after=seq) == ["interview.deleted", "attempt.cancelled"]
    assert world.sim.state()["companies"][0]["liveSessions"] == 0
    _gone(world, actor, iv.id)
    world.assert_ok()


def test_delete_interview_between_retries_cancels_retry(world):
    company, actor = world.company(retryDelaySeconds=600)
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "NO_ANSWER"})
    view = world.view(iv.id)
    assert view["status"] == "SCHEDULED" and view["queued"]
    retry = view["callAttempts"][1]
    assert retry["retryNumber"] == 1 and retry["status"] == "SCHEDULED"
    seq = world.last_seq()
    world.sim.delete_interview(actor, iv.id, query={})
    world.advance(3600)
    view = world.view(iv.id)
    assert [a["status"] for a in view["callAttempts"]] == ["FAILED", "CANCELLED"]
    assert view["callAttempts"][1]["calledAt"] is None
    assert world.types(iv.id, after=seq) == ["interview.deleted", "attempt.cancelled"]
    _gone(world, actor, iv.id)
    world.assert_ok()


def test_delete_interview_live_call_goes_on_and_skips_postcall(world):
    company, actor = world.company(concurrencyLimit=1)
    iv = world.phone_interview(actor)
    other = world.phone_interview(actor)  # waits for the only slot
    world.advance(0)
    assert world.view(iv.id)["sessionLive"] and not world.view(other.id)["sessionLive"]
    seq = world.last_seq()
    world.sim.delete_interview(actor, iv.id, query={})
    view = world.view(iv.id)
    assert view["sessionLive"] and view["status"] == "IN_PROGRESS"
    assert world.sim.state()["companies"][0]["liveSessions"] == 1  # the slot stays taken
    assert not world.view(other.id)["sessionLive"]
    _gone(world, actor, iv.id)
    world.advance(120)
    world.sim.end_call(iv.id, {"outcome": "COMPLETED", "durationSeconds": 120})
    view = world.view(iv.id)
    assert view["postCall"] == "SKIPPED" and view["status"] == "IN_PROGRESS"  # frozen
    assert view["transcript"] is None and view["analysis"] is None
    assert view["callAttempts"][0]["status"] == "COMPLETED"
    assert view["callAttempts"][0]["duration"] == 120
    assert view["callAttempts"][0]["recordingUrl"] is None
    assert world.types(iv.id, after=seq) == [
        "interview.deleted", "session.ended", "slot.released", "postcall.skipped"]
    assert world.view(other.id)["sessionLive"]  # the freed slot went to the waiting call
    world.advance(3600)
    assert world.types(iv.id, after=seq)[-1] == "postcall.skipped"  # nothing after
    world.assert_ok()


def test_delete_interview_live_call_no_retry_after_no_answer(world):
    company, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.delete_interview(actor, iv.id, query={})
    world.sim.end_call(iv.id, {"outcome": "NO_ANSWER"})
    view = world.view(iv.id)
    assert len(view["callAttempts"]) == 1 and not view["queued"]
    assert view["postCall"] == "SKIPPED"
    world.assert_ok()


def test_delete_interview_postcall_pending_is_cancelled(world):
    company, actor = world.company(postCallDelaySeconds=30)
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "COMPLETED", "durationSeconds": 90})
    view = world.view(iv.id)
    assert view["postCall"] == "PENDING" and view["callAttempts"][0]["recordingUrl"]
    seq = world.last_seq()
    world.sim.delete_interview(actor, iv.id, query={})
    view = world.view(iv.id)
    assert view["postCall"] == "SKIPPED"
    assert view["callAttempts"][0]["recordingUrl"] is None
    world.advance(60)
    view = world.view(iv.id)
    assert view["transcript"] is None and view["analysis"] is None
    assert view["status"] == "IN_PROGRESS"
    assert world.types(iv.id, after=seq) == ["interview.deleted", "postcall.skipped"]
    world.assert_ok()


@pytest.mark.parametrize("end", ["completed", "failed", "cancelled"])
def test_delete_interview_terminal_is_removed_and_purged(world, end):
    company, actor = world.company()
    iv = world.phone_interview(actor)
    if end == "cancelled":
        world.sim.cancel(iv.id)
    else:
        world.advance(0)
        outcome = "COMPLETED" if end == "completed" else "FAILED"
        world.sim.end_call(iv.id, {"outcome": outcome, "durationSeconds": 61})
        world.advance(60)
    before = world.view(iv.id)
    assert before["status"] == end.upper()
    if end == "completed":
        assert before["transcript"] and before["analysis"] and before["durationMinutes"] == 2
    seq = world.last_seq()
    assert world.sim.delete_interview(actor, iv.id, query={}) is True
    view = world.view(iv.id)
    assert view["deleted"] and view["status"] == end.upper()
    assert view["transcript"] is None and view["analysis"] is None
    assert all(a["recordingUrl"] is None for a in view["callAttempts"])
    assert view["finishedDate"] == before["finishedDate"]  # decisions 28
    assert view["durationMinutes"] == before["durationMinutes"]
    world.advance(3600)
    assert world.types(iv.id, after=seq) == ["interview.deleted"]
    _gone(world, actor, iv.id)
    world.assert_ok()


def test_delete_interview_other_company_is_denied_and_unchanged(world):
    _, actor_a = world.company()
    _, actor_b = world.company()
    iv = world.phone_interview(actor_a)
    before = world.view(iv.id)
    seq = world.last_seq()
    with pytest.raises(ResourceAccessDenied) as exc:
        world.sim.delete_interview(actor_b, iv.id, query={})
    assert (exc.value.status, exc.value.code) == (403, "RESOURCE_ACCESS_DENIED")
    assert world.view(iv.id) == before and world.last_seq() == seq
    world.sim.delete_interview(actor_a, iv.id, query={})
    with pytest.raises(ResourceNotFound):  # deleted: 404 for everyone
        world.sim.delete_interview(actor_b, iv.id, query={})


def test_delete_interview_test_interview(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, isTest=True)
    assert iv.status.value == "COMPLETED" and iv.transcript and iv.analysis
    assert iv.attempts == [] and world.view(iv.id)["sessionLive"] is False
    world.sim.delete_interview(actor, iv.id, query={})
    view = world.view(iv.id)
    assert view["transcript"] is None and view["analysis"] is None and view["callAttempts"] == []


def test_delete_interview_billing_keeps_minutes(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "COMPLETED", "durationSeconds": 150})
    world.advance(30)
    world.sim.delete_interview(actor, iv.id, query={})
    usage = world.sim.get_billing_usage(actor, query={})
    assert usage["totalMinutesUsed"] == 3 and usage["totalInterviews"] == 1
