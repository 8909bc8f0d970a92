"""The linearizability checker on hand-made histories: a tiny register model (the checker is
generic) and the concurrency mode's own model of lifecycle.md."""
from __future__ import annotations

from datetime import UTC, datetime

from spec_tests.concurrency import ConcModel, MAttempt, MInterview, journal_problems, model_step
from spec_tests.drivers import Outcome
from spec_tests.linearize import Call, explain, linearize

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
A = "aaaaaaaa-0000-4000-8000-000000000001"


def call(branch: str, op: str, args: dict, start: int, end: int | None, outcome) -> Call:
    return Call(branch, 0, op, args, start, end, outcome)


def ok(status: int = 200, data=True) -> Outcome:
    return Outcome(ok=True, status=status, code=None, data=data)


def err(status: int, code: str) -> Outcome:
    return Outcome.failure(status, code, "")


# ---------------------------------------------------------------- a register (generic)

def register_step(value: int, c: Call) -> tuple[int, str | None]:
    if c.op == "write":
        return c.args["v"], None
    if c.outcome is None or c.outcome == value:
        return value, None
    return value, f"read {c.outcome}, the register holds {value}"


def test_linearize_register_read_of_concurrent_write_is_linearizable() -> None:
    history = [call("1", "write", {"v": 1}, 0, 10, None),
               call("2", "read", {}, 5, 8, 1)]
    verdict = linearize(history, 0, register_step, key=lambda v: v)
    assert verdict.ok
    assert [c.branch for c in verdict.order] == ["1", "2"]


def test_linearize_register_stale_read_after_write_returned_is_refused() -> None:
    history = [call("1", "write", {"v": 1}, 0, 10, None),
               call("2", "read", {}, 11, 12, 0)]
    verdict = linearize(history, 0, register_step, key=lambda v: v)
    assert not verdict.ok and not verdict.exhausted
    assert verdict.dead_ends and "read 0, the register holds 1" in verdict.dead_ends[0].complaint


def test_linearize_register_budget_is_reported_as_undecided() -> None:
    history = [call(str(i), "write", {"v": i}, 0, 100, None) for i in range(6)]
    history.append(call("r", "read", {}, 101, 102, 99))  # no write of 99: every order fails
    verdict = linearize(history, 0, register_step, key=lambda v: object(), budget=50)
    assert not verdict.ok and verdict.exhausted
    assert "without deciding" in explain(history, verdict)


# ---------------------------------------------------------------- the lifecycle model

def scheduled_model() -> ConcModel:
    model = ConcModel(now=T0, limit=1, max_attempts=2, retry_delay=600, postcall_delay=30)
    history = [call("prefix", "create_interview", {"kind": "PHONE"}, 0, 1,
                    ok(201, {"id": A, "status": "SCHEDULED",
                             "callAttempts": [{"status": "SCHEDULED"}]}))]
    verdict = linearize(history, model, model_step, key=ConcModel.key)
    assert verdict.ok
    return verdict.state


def test_linearize_delete_interview_only_in_the_order_against_invocation() -> None:
    # Branch 1 is invoked first but answers 404; only "branch 2 first" explains it.
    history = [call("1", "delete_interview", {"id": A}, 10, 50, err(404, "RESOURCE_NOT_FOUND")),
               call("2", "delete_interview", {"id": A}, 20, 40, ok())]
    verdict = linearize(history, scheduled_model(), model_step, key=ConcModel.key)
    assert verdict.ok
    assert [c.branch for c in verdict.order] == ["2", "1"]
    assert verdict.explored == 3  # 1 first (refused), then 2, then 1
    assert verdict.state.interviews[A].deleted


def test_linearize_delete_interview_twice_200_is_not_linearizable() -> None:
    history = [call("1", "delete_interview", {"id": A}, 10, 50, ok()),
               call("2", "delete_interview", {"id": A}, 20, 40, ok())]
    verdict = linearize(history, scheduled_model(), model_step, key=ConcModel.key)
    assert not verdict.ok and not verdict.exhausted
    text = explain(history, verdict, {A: "A"})
    assert "no linearization exists" in text
    assert "404 RESOURCE_NOT_FOUND (A was already deleted)" in text
    assert "the server answered 200 success" in text


def test_linearize_get_interview_after_returned_delete_must_be_404() -> None:
    # real time: the delete returned before the get was invoked
    history = [call("1", "delete_interview", {"id": A}, 10, 20, ok()),
               call("2", "get_interview", {"id": A}, 30, 40,
                    ok(200, {"status": "SCHEDULED", "callAttempts": [{"status": "CANCELLED"}]}))]
    verdict = linearize(history, scheduled_model(), model_step, key=ConcModel.key)
    assert not verdict.ok
    assert "404 RESOURCE_NOT_FOUND" in verdict.dead_ends[0].complaint


def test_linearize_delete_interview_without_answer_may_or_may_not_have_happened() -> None:
    lost = call("1", "delete_interview", {"id": A}, 10, None, None)
    gone = [lost, call("2", "get_interview", {"id": A}, 30, 40, err(404, "RESOURCE_NOT_FOUND"))]
    there = [lost, call("2", "get_interview", {"id": A}, 30, 40,
                        ok(200, {"status": "SCHEDULED",
                                 "callAttempts": [{"status": "SCHEDULED"}]}))]
    assert linearize(gone, scheduled_model(), model_step, key=ConcModel.key).ok
    assert linearize(there, scheduled_model(), model_step, key=ConcModel.key).ok


def test_advance_clock_start_order_follows_the_create_order() -> None:
    """Limit 1, two creates due now racing: the advance must start the one created first."""
    model = scheduled_model()
    b, c = A.replace("1", "2"), A.replace("1", "3")
    created = {"status": "SCHEDULED", "callAttempts": [{"status": "SCHEDULED"}]}
    now = "2026-12-01T10:00:00.000Z"
    history = [
        call("1", "create_interview", {"kind": "PHONE"}, 10, 40, ok(201, {"id": b, **created})),
        call("2", "create_interview", {"kind": "PHONE"}, 11, 41, ok(201, {"id": c, **created})),
        call("suffix", "delete_interview", {"id": A}, 50, 51, ok()),
        call("suffix", "advance_clock", {"seconds": 0}, 60, 61, ok(200, {"now": now, "ran": [
            {"type": "session.started", "interviewId": c}]})),
    ]
    verdict = linearize(history, model, model_step, key=ConcModel.key)
    assert verdict.ok  # c may have been created first: the creates overlap
    assert [x.branch for x in verdict.order][:2] == ["2", "1"]
    serial = [history[0], attrs_shift(history[1], 45), *history[2:]]
    assert not linearize(serial, model, model_step, key=ConcModel.key).ok


def attrs_shift(c: Call, start: int) -> Call:
    return Call(c.branch, c.index, c.op, c.args, start, start + 1, c.outcome)


def test_journal_problems_two_live_sessions_over_limit_is_named() -> None:
    events = [{"type": "slot.acquired", "interviewId": "x"},
              {"type": "slot.acquired", "interviewId": "y"},
              {"type": "interview.deleted", "interviewId": "z"},
              {"type": "session.started", "interviewId": "z"},
              {"type": "slot.released", "interviewId": "w"}]
    problems = " | ".join(journal_problems(events, 1))
    assert "2 sessions live at once (limit 1)" in problems
    assert "a session started for z after it was deleted" in problems
    assert "slot of w was released with no session live" in problems


def test_end_call_frees_the_slot_for_a_due_attempt_no_clock_move_reached_yet() -> None:
    """lifecycle.md invariant 7 (a due attempt waits only while every slot is busy): an
    attempt created due now while the slot is taken starts when the slot frees, inside
    end_call; so does one a clock move found blocked."""
    model = scheduled_model()
    a = model.interviews[A]
    assert model.advance(0) == [A]
    model.interviews["b"] = b = MInterview(kind="PHONE")
    b.attempts.append(MAttempt("SCHEDULED", model.now, model.next_seq()))
    started: list[str] = []
    model.end(a, "COMPLETED", started)
    assert started == ["b"] and b.status == "IN_PROGRESS" and model.free_slots() == 0
    model.interviews["c"] = c = MInterview(kind="PHONE")
    c.attempts.append(MAttempt("SCHEDULED", model.now, model.next_seq()))
    assert model.advance(0) == [] and c.attempts[0].waiting
    model.end(b, "FAILED", started)
    assert started == ["b", "c"] and c.live
