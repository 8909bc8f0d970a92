"""invoke / reschedule / delete call attempt (lifecycle.md, Call-attempt endpoints)."""
from __future__ import annotations

import pytest

from simulator.core.errors import (
    InvalidState, InvalidStateTransition, ResourceNotFound, ValidationError,
)


def test_invoke_call_attempt_replaces_scheduled(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, scheduleTime="2026-01-02T10:00:00Z")
    new = world.sim.invoke_call_attempt(actor, iv.id, query={},
                                        body={"scheduledAt": "2026-01-01T10:30:00Z"})
    view = world.view(iv.id)
    assert [a["status"] for a in view["callAttempts"]] == ["CANCELLED", "SCHEDULED"]
    assert new.retry_number == 1 and view["scheduledAt"] == "2026-01-02T10:00:00.000Z"
    world.advance(1800)
    assert world.view(iv.id)["sessionLive"]
    with pytest.raises(InvalidStateTransition) as exc:  # live call: 409
        world.sim.invoke_call_attempt(actor, iv.id, query={}, body={})
    assert exc.value.code == "INVALID_STATE_TRANSITION"
    world.assert_ok()


def test_invoke_call_attempt_rejects_bad_dates_before_lookup(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    seq = world.last_seq()
    for bad in ("2025-12-31T23:59:59Z", "2026-01-31T10:00:01Z", "yesterday", 5):
        with pytest.raises(ValidationError) as exc:
            world.sim.invoke_call_attempt(actor, iv.id, query={}, body={"scheduledAt": bad})
        assert exc.value.details["fields"][0]["field"] == "scheduledAt"
    world.sim.invoke_call_attempt(actor, iv.id, query={},
                                  body={"scheduledAt": "2026-01-31T10:00:00Z"})  # inclusive
    assert world.types(after=seq) == ["attempt.cancelled", "attempt.queued"]


def test_invoke_call_attempt_online_is_invalid_state(world):
    _, actor = world.company()
    iv = world.online_interview(actor)
    for call, args in ((world.sim.invoke_call_attempt, (iv.id,)),
                       (world.sim.delete_call_attempt, (iv.id, iv.id))):
        with pytest.raises(InvalidState) as exc:
            call(actor, *args, query={}, body={})
        assert (exc.value.status, exc.value.code) == (400, "INVALID_STATE")


def test_invoke_call_attempt_completed_or_cancelled_is_409(world):
    _, actor = world.company()
    done = world.phone_interview(actor, isTest=False)
    world.advance(0)
    world.sim.end_call(done.id, {"outcome": "COMPLETED"})
    with pytest.raises(InvalidStateTransition):  # post-call pending
        world.sim.invoke_call_attempt(actor, done.id, query={}, body={})
    world.advance(60)
    cancelled = world.phone_interview(actor, scheduleTime="2026-01-02T00:00:00Z")
    world.sim.cancel(cancelled.id)
    for iv in (done, cancelled):
        with pytest.raises(InvalidStateTransition):
            world.sim.invoke_call_attempt(actor, iv.id, query={}, body={})


def test_reschedule_call_attempt_moves_queue_entry(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, scheduleTime="2026-01-01T12:00:00Z")
    att = iv.attempts[0]
    assert world.sim.reschedule_call_attempt(
        actor, iv.id, att.id, query={}, body={"scheduledAt": "2026-01-01T10:10:00Z"}) is None
    world.advance(600)
    assert world.view(iv.id)["callAttempts"][0]["calledAt"] == "2026-01-01T10:10:00.000Z"
    with pytest.raises(InvalidState):  # IN_PROGRESS
        world.sim.reschedule_call_attempt(actor, iv.id, att.id, query={},
                                          body={"scheduledAt": "2026-01-01T11:00:00Z"})
    world.assert_ok()


def test_reschedule_call_attempt_time_must_be_strictly_future(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, scheduleTime="2026-01-01T12:00:00Z")
    att = iv.attempts[0]
    for bad in ({"scheduledAt": "2026-01-01T10:00:00Z"}, {}, {"scheduledAt": None}):
        with pytest.raises(ValidationError):
            world.sim.reschedule_call_attempt(actor, iv.id, att.id, query={}, body=bad)
    assert world.view(iv.id)["callAttempts"][0]["scheduledAt"] == "2026-01-01T12:00:00.000Z"


def test_delete_call_attempt_leaves_interview_scheduled(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    att = iv.attempts[0]
    world.sim.delete_call_attempt(actor, iv.id, att.id, query={})
    view = world.view(iv.id)
    assert view["status"] == "SCHEDULED" and view["callAttempts"] == [] and not view["queued"]
    with pytest.raises(ResourceNotFound) as exc:
        world.sim.delete_call_attempt(actor, iv.id, att.id, query={})
    assert exc.value.details["resourceType"] == "CallAttempt"
    world.advance(100)
    assert not world.view(iv.id)["sessionLive"]
    new = world.sim.invoke_call_attempt(actor, iv.id, query={}, body={})
    assert new.retry_number == 1  # deleted attempts count (decisions 25)
    world.assert_ok()


def test_delete_call_attempt_in_progress_is_invalid_state(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    with pytest.raises(InvalidState):
        world.sim.delete_call_attempt(actor, iv.id, iv.attempts[0].id, query={})


def test_delete_call_attempt_of_other_interview_is_404(world):
    _, actor = world.company()
    a, b = world.phone_interview(actor), world.phone_interview(actor)
    with pytest.raises(ResourceNotFound):
        world.sim.delete_call_attempt(actor, a.id, b.attempts[0].id, query={})


def test_reschedule_call_attempt_takes_new_sequence(world):
    _, actor = world.company(concurrencyLimit=1)
    first = world.phone_interview(actor, scheduleTime="2026-01-01T11:00:00Z")
    second = world.phone_interview(actor, scheduleTime="2026-01-01T11:00:00Z")
    # same due time: moving `first` to that same time again puts it behind `second`
    world.sim.reschedule_call_attempt(actor, first.id, first.attempts[0].id, query={},
                                      body={"scheduledAt": "2026-01-01T11:00:00Z"})
    world.advance(3600)
    assert world.view(second.id)["sessionLive"] and not world.view(first.id)["sessionLive"]
