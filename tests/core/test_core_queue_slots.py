"""The queue keyed by (due, seq), concurrency slots under contention, retries and their limit."""
from __future__ import annotations

import datetime as dt

import pytest

from simulator.core.errors import InvalidState, InvalidStateTransition, ValidationError
from simulator.core.queue import DueQueue

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_due_queue_orders_by_due_then_seq():
    q = DueQueue()
    b = q.push(T0 + dt.timedelta(seconds=5), "x", "b")
    a = q.push(T0, "x", "a")
    c = q.push(T0 + dt.timedelta(seconds=5), "x", "c")
    q.cancel(a)
    assert [i.ref for i in q.pending()] == ["b", "c"]
    assert b.seq < c.seq and len(q) == 2
    assert q.pop() is b and q.pop() is c and q.pop() is None


def _started(world, ivs):
    return [world.view(i.id)["sessionLive"] for i in ivs]


def test_advance_clock_slots_limit_and_waiting_order(world):
    _, actor = world.company(concurrencyLimit=2)
    late = world.phone_interview(actor, scheduleTime="2026-01-01T10:00:10Z")
    early = [world.phone_interview(actor) for _ in range(3)]
    world.advance(20)
    # the two earliest (due, seq) start; the third and the later one wait
    assert _started(world, early) == [True, True, False]
    assert not world.view(late.id)["sessionLive"]
    state = world.sim.state()["companies"][0]
    assert state["liveSessions"] == 2 and state["waiting"] == 2
    world.sim.end_call(early[1].id, {"outcome": "COMPLETED"})
    assert world.view(early[2].id)["sessionLive"]  # earliest waiting, same instant
    assert not world.view(late.id)["sessionLive"]
    att = world.view(early[2].id)["callAttempts"][0]
    assert att["calledAt"] == "2026-01-01T10:00:20.000Z"
    world.sim.end_call(early[0].id, {"outcome": "FAILED"})
    assert world.view(late.id)["sessionLive"]
    world.assert_ok()


def test_advance_clock_companies_do_not_share_slots(world):
    _, a = world.company(concurrencyLimit=1)
    _, b = world.company(concurrencyLimit=1)
    a1, a2 = world.phone_interview(a), world.phone_interview(a)
    b1 = world.phone_interview(b)
    world.advance(0)
    assert _started(world, [a1, a2, b1]) == [True, False, True]
    world.sim.end_call(b1.id, {"outcome": "COMPLETED"})
    assert not world.view(a2.id)["sessionLive"]  # b's free slot is not a's
    world.assert_ok()


def test_advance_clock_steps_to_each_due_time(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, scheduleTime="2026-01-01T10:05:00Z")
    out = world.advance(3600)
    assert out["now"] == "2026-01-01T11:00:00.000Z"
    started = [e for e in out["ran"] if e["type"] == "session.started"]
    assert started[0]["at"] == "2026-01-01T10:05:00.000Z"
    assert world.view(iv.id)["callAttempts"][0]["calledAt"] == "2026-01-01T10:05:00.000Z"


def test_advance_clock_rejects_negative_seconds(world):
    with pytest.raises(ValidationError) as exc:
        world.sim.advance_clock({"seconds": -1})
    assert (exc.value.status, exc.value.code) == (400, "VALIDATION_ERROR")
    for bad in ({}, {"seconds": "5"}, {"seconds": True}, [1]):
        with pytest.raises(ValidationError):
            world.sim.advance_clock(bad)


def test_sim_update_company_raising_limit_starts_waiting(world):
    company, actor = world.company(concurrencyLimit=0)
    ivs = [world.phone_interview(actor) for _ in range(2)]
    world.advance(0)
    assert _started(world, ivs) == [False, False]
    world.sim.sim_update_company(company["id"], {"concurrencyLimit": 1})
    assert _started(world, ivs) == [True, False]
    world.assert_ok()


def test_sim_update_company_lowering_limit_stops_nothing(world):
    company, actor = world.company(concurrencyLimit=2)
    ivs = [world.phone_interview(actor) for _ in range(3)]
    world.advance(0)
    world.sim.sim_update_company(company["id"], {"concurrencyLimit": 1})
    assert _started(world, ivs) == [True, True, False]
    world.assert_ok()
    world.sim.end_call(ivs[0].id, {"outcome": "COMPLETED"})
    assert _started(world, ivs) == [False, True, False]  # 1 live = the new limit: still waits
    world.sim.end_call(ivs[1].id, {"outcome": "COMPLETED"})
    assert _started(world, ivs) == [False, False, True]
    world.assert_ok()


def test_end_call_no_answer_retries_until_limit(world):
    _, actor = world.company(maxCallAttempts=3, retryDelaySeconds=100)
    iv = world.phone_interview(actor)
    for n in range(3):
        world.advance(100 if n else 0)
        assert world.view(iv.id)["sessionLive"], n
        world.sim.end_call(iv.id, {"outcome": "BUSY" if n == 1 else "NO_ANSWER"})
    view = world.view(iv.id)
    assert view["status"] == "FAILED" and view["finishedDate"]
    assert [a["retryNumber"] for a in view["callAttempts"]] == [0, 1, 2]
    assert [a["reasonCode"] for a in view["callAttempts"]] == ["NO_ANSWER", "BUSY", "NO_ANSWER"]
    assert view["callAttempts"][1]["scheduledAt"] == "2026-01-01T10:01:40.000Z"
    assert world.types(iv.id).count("interview.failed") == 1
    # decisions 25: a manual retry of an exhausted interview fails after one more miss
    world.sim.invoke_call_attempt(actor, iv.id, query={}, body={})
    assert world.view(iv.id)["finishedDate"] is None
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "NO_ANSWER"})
    view = world.view(iv.id)
    assert view["status"] == "FAILED" and len(view["callAttempts"]) == 4
    world.assert_ok()


def test_end_call_failed_is_final_without_retry(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "FAILED", "durationSeconds": 5})
    view = world.view(iv.id)
    assert view["status"] == "FAILED" and not view["queued"]
    assert view["callAttempts"][0]["reasonCode"] == "TECHNICAL_ERROR"
    assert view["callAttempts"][0]["duration"] == 5


def test_end_call_completed_then_postcall(world):
    _, actor = world.company(postCallDelaySeconds=30)
    iv = world.phone_interview(actor)
    world.advance(0)
    seq = world.last_seq()
    world.advance(59)
    world.sim.end_call(iv.id, {"outcome": "COMPLETED"})
    view = world.view(iv.id)
    assert view["status"] == "IN_PROGRESS" and view["postCall"] == "PENDING"
    assert view["callAttempts"][0]["duration"] == 59
    world.advance(29)
    assert world.view(iv.id)["status"] == "IN_PROGRESS"
    world.advance(1)
    view = world.view(iv.id)
    assert view["status"] == "COMPLETED" and view["durationMinutes"] == 1
    assert view["finishedDate"] == "2026-01-01T10:01:29.000Z"
    assert view["transcript"][0]["role"] == "AGENT" and view["analysis"]["general"]
    assert world.types(iv.id, after=seq) == [
        "session.ended", "slot.released", "postcall.queued", "postcall.done",
        "interview.completed"]


def test_end_call_without_session_is_409(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    with pytest.raises(InvalidStateTransition) as exc:
        world.sim.end_call(iv.id, {"outcome": "COMPLETED"})
    assert (exc.value.status, exc.value.code) == (409, "INVALID_STATE_TRANSITION")
    with pytest.raises(ValidationError):
        world.sim.end_call(iv.id, {"outcome": "HANGUP"})


def test_auto_end_call_seconds_ends_sessions_and_joins_online(world):
    _, actor = world.company(autoEndCallSeconds=60, postCallDelaySeconds=10)
    phone = world.phone_interview(actor)
    online = world.online_interview(actor, scheduleTime="2026-01-01T10:00:30Z")
    world.advance(200)
    for iv in (phone, online):
        view = world.view(iv.id)
        assert view["status"] == "COMPLETED", view
        assert view["durationMinutes"] == 1
    assert world.sim.events({"interviewId": online.id, "type": "session.started"})[
        "events"][0]["at"] == "2026-01-01T10:00:30.000Z"
    world.assert_ok()


def test_join_online_rules(world):
    _, actor = world.company(concurrencyLimit=1)
    a, b = world.online_interview(actor), world.online_interview(actor)
    phone = world.phone_interview(actor)
    with pytest.raises(InvalidState):
        world.sim.join(phone.id)
    assert world.sim.join(a.id)["sessionLive"]
    with pytest.raises(InvalidStateTransition):  # no free slot
        world.sim.join(b.id)
    with pytest.raises(InvalidStateTransition):  # not SCHEDULED
        world.sim.join(a.id)
    with pytest.raises(ValidationError):  # decisions 24
        world.sim.end_call(a.id, {"outcome": "NO_ANSWER"})
    world.sim.end_call(a.id, {"outcome": "FAILED"})
    assert world.view(a.id)["status"] == "FAILED"
    # the phone call was due (created for now): the freed slot goes to it at once
    assert world.view(phone.id)["status"] == "IN_PROGRESS"
    with pytest.raises(InvalidStateTransition):
        world.sim.join(b.id)
    world.sim.end_call(phone.id, {"outcome": "FAILED"})
    assert world.sim.join(b.id)["status"] == "IN_PROGRESS"


def test_slot_freed_goes_to_due_attempt_no_advance_reached_yet(world):
    """lifecycle.md invariant 7: a due attempt waits only while every slot is busy. An
    attempt created due now while the slot is taken starts when the slot frees, without
    waiting for the clock to move."""
    _, actor = world.company(concurrencyLimit=1)
    first = world.phone_interview(actor)
    world.advance(0)
    assert world.view(first.id)["status"] == "IN_PROGRESS"
    second = world.phone_interview(actor)  # due now, never reached by an advance
    assert world.view(second.id)["status"] == "SCHEDULED"  # nothing starts in a request
    world.sim.end_call(first.id, {"outcome": "COMPLETED"})
    assert world.view(second.id)["status"] == "IN_PROGRESS"
    world.assert_ok()


def test_cancel_only_from_scheduled(world):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    view = world.sim.cancel(iv.id)
    assert view["status"] == "CANCELLED" and not view["queued"]
    assert view["callAttempts"][0]["status"] == "CANCELLED"
    with pytest.raises(InvalidStateTransition):
        world.sim.cancel(iv.id)
    world.advance(10)
    assert world.view(iv.id)["status"] == "CANCELLED"
    world.assert_ok()
