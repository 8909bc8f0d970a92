"""Deliberately broken simulators, one break (at least) per invariant of lifecycle.md, made by
patching ``simulator.core.engine.Simulator`` (STYLE 12). ``BREAKS`` maps a name to
(invariant number, context manager that plants it); tests and bench/harness_breaks.py use it."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator
from unittest import mock

from simulator.core import engine
from simulator.core.engine import Simulator
from simulator.core.errors import (ResourceAccessDenied, ResourceNotFound, SimError)

S = Simulator


def _patch(name: str, make: Callable[[Any], Any]) -> Any:
    return mock.patch.object(S, name, make(getattr(S, name)))


def _interview(sim: Any, interview_id: str) -> Any:
    return sim._find("Interview", str(interview_id).lower())[1]


@contextlib.contextmanager
def second_delete_answers_200() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def delete_interview(self: Any, actor: Any, interview_id: str, **kw: Any) -> Any:
            iv = _interview(self, interview_id)
            if iv is not None and iv.deleted:
                return True
            return orig(self, actor, interview_id, **kw)
        return delete_interview
    with _patch("delete_interview", make):
        yield


@contextlib.contextmanager
def cross_company_404_instead_of_403() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def _get(self: Any, actor: Any, kind: str, rid: str, body_field: Any = None) -> Any:
            try:
                return orig(self, actor, kind, rid, body_field)
            except ResourceAccessDenied:
                if kind == "Interview":
                    raise ResourceNotFound(kind, rid) from None
                raise
        return _get
    with _patch("_get", make):
        yield


@contextlib.contextmanager
def rejected_request_cancels_attempts() -> Iterator[None]:
    """A request refused for its input or state (400, 409) still cancels the interview's
    scheduled attempts."""
    def make(orig: Any) -> Any:
        def op(self: Any, actor: Any, interview_id: str, *args: Any, **kw: Any) -> Any:
            try:
                return orig(self, actor, interview_id, *args, **kw)
            except SimError as exc:
                iv = _interview(self, interview_id) if exc.status in (400, 409) else None
                if iv is not None and not iv.deleted:
                    for a in list(iv.attempts):
                        if a.status.value == "SCHEDULED":
                            self._cancel_attempt(iv, a)
                raise
        return op
    with contextlib.ExitStack() as stack:
        for name in ("get_interview", "delete_interview", "invoke_call_attempt",
                     "reschedule_call_attempt", "delete_call_attempt"):
            stack.enter_context(_patch(name, make))
        yield


@contextlib.contextmanager
def call_placed_for_deleted_interview() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def _cancel_attempt(self: Any, interview: Any, attempt: Any) -> None:
            if interview.deleted:
                return  # the deletion forgets to take its attempts out of the queue
            orig(self, interview, attempt)
        return _cancel_attempt
    with _patch("_cancel_attempt", make):
        yield


@contextlib.contextmanager
def delete_hangs_up_live_call() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def delete_interview(self: Any, actor: Any, interview_id: str, **kw: Any) -> Any:
            result = orig(self, actor, interview_id, **kw)
            iv = _interview(self, interview_id)
            if iv is not None and iv.session is not None:
                self._end_session(iv, engine.Outcome.FAILED, None)
            return result
        return delete_interview
    with _patch("delete_interview", make):
        yield


@contextlib.contextmanager
def transcript_after_deletion() -> Iterator[None]:
    """Post-call processing runs for an interview deleted during its call."""
    def make(orig: Any) -> Any:
        def wrapper(self: Any, *args: Any) -> Any:
            target = args[0]
            iv = (target if hasattr(target, "deleted_at")
                  else self._tenants[target.ref[0]].interviews[target.ref[1]])
            deleted_at, iv.deleted_at = iv.deleted_at, None
            try:
                return orig(self, *args)
            finally:
                if deleted_at is not None:
                    iv.deleted_at = deleted_at
        return wrapper
    with _patch("_end_session", make), _patch("_due_postcall", make):
        yield


@contextlib.contextmanager
def slot_never_released() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def _end_session(self: Any, interview: Any, *args: Any) -> None:
            orig(self, interview, *args)
            if not interview.deleted:
                self._tenants[interview.company_id].live.add(interview.id)
        return _end_session
    with _patch("_end_session", make):
        yield


@contextlib.contextmanager
def completion_without_analysis() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def _due_postcall(self: Any, item: Any) -> None:
            orig(self, item)
            company_id, interview_id = item.ref
            self._tenants[company_id].interviews[interview_id].analysis = None
        return _due_postcall
    with _patch("_due_postcall", make):
        yield


@contextlib.contextmanager
def invoke_reopens_terminal() -> Iterator[None]:
    """invoke is let through on COMPLETED and CANCELLED interviews."""
    def make(orig: Any) -> Any:
        def invoke_call_attempt(self: Any, actor: Any, interview_id: str, **kw: Any) -> Any:
            owner, iv = self._find("Interview", str(interview_id).lower())
            if (iv is not None and owner == actor.company_id and not iv.deleted
                    and iv.is_phone and iv.status.value in ("COMPLETED", "CANCELLED")):
                status, iv.status = iv.status, type(iv.status)("FAILED")
                try:
                    return orig(self, actor, interview_id, **kw)
                except SimError:
                    iv.status = status  # refused for another reason: leave it as it was
                    raise
            return orig(self, actor, interview_id, **kw)
        return invoke_call_attempt
    with _patch("invoke_call_attempt", make):
        yield


@contextlib.contextmanager
def delete_touches_neighbour() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def delete_interview(self: Any, actor: Any, interview_id: str, **kw: Any) -> Any:
            result = orig(self, actor, interview_id, **kw)
            for other in self._tenants[actor.company_id].interviews.values():
                if other.id != str(interview_id).lower() and not other.deleted:
                    for a in list(other.attempts):
                        if a.status.value == "SCHEDULED":
                            self._cancel_attempt(other, a)
                            return result
            return result
        return delete_interview
    with _patch("delete_interview", make):
        yield


class _NotFoundWrongCode(SimError):
    status, code = 404, "NOT_FOUND"


@contextlib.contextmanager
def wrong_error_code_for_deleted() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def _get(self: Any, actor: Any, kind: str, rid: str, body_field: Any = None) -> Any:
            try:
                return orig(self, actor, kind, rid, body_field)
            except ResourceNotFound:
                raise _NotFoundWrongCode(f"{kind} {rid} is gone", {}) from None
        return _get
    with _patch("_get", make):
        yield


@contextlib.contextmanager
def list_drops_last_item() -> Iterator[None]:
    def make(orig: Any) -> Any:
        def list_interviews(self: Any, actor: Any, **kw: Any) -> Any:
            page = orig(self, actor, **kw)
            if page.total > 1 and page.items:
                page.items = page.items[:-1]
            return page
        return list_interviews
    with _patch("list_interviews", make):
        yield


BREAKS: dict[str, tuple[int, Callable[[], Any]]] = {
    "second_delete_answers_200": (1, second_delete_answers_200),
    "cross_company_404_instead_of_403": (2, cross_company_404_instead_of_403),
    "rejected_request_cancels_attempts": (3, rejected_request_cancels_attempts),
    "call_placed_for_deleted_interview": (4, call_placed_for_deleted_interview),
    "delete_hangs_up_live_call": (5, delete_hangs_up_live_call),
    "transcript_after_deletion": (6, transcript_after_deletion),
    "slot_never_released": (7, slot_never_released),
    "completion_without_analysis": (8, completion_without_analysis),
    "invoke_reopens_terminal": (9, invoke_reopens_terminal),
    "delete_touches_neighbour": (10, delete_touches_neighbour),
    "wrong_error_code_for_deleted": (11, wrong_error_code_for_deleted),
    "list_drops_last_item": (12, list_drops_last_item),
}


def find_break(name: str, max_examples: int = 200, steps: int = 30,
               derandomize: bool = True) -> AssertionError | None:
    """Run the harness against the broken simulator; the AssertionError it raised, or None."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import run_state_machine_as_test

    from spec_tests.machines import InterviewLifecycle, use_target
    from spec_tests.targets import in_process_target

    _, plant = BREAKS[name]
    config = settings(max_examples=max_examples, stateful_step_count=steps, deadline=None,
                      phases=[Phase.generate], derandomize=derandomize, database=None,
                      report_multiple_bugs=False, print_blob=False,
                      suppress_health_check=list(HealthCheck))
    with plant():
        target = in_process_target()
        try:
            with use_target(target):
                run_state_machine_as_test(InterviewLifecycle, settings=config)
        except AssertionError as exc:
            return exc
        finally:
            target.close()
    return None
