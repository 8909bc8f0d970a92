"""The harness's webhook rules catch broken simulators (issue #5 must-show, STYLE.md 12):
``spec_tests.webhook_rules.WebhookLifecycle`` driven through short fixed programs of its own
rules, as hypothesis prints them, so the result does not depend on hypothesis's search.
Each break is planted by patching the simulator for the duration of one test."""
from __future__ import annotations

import contextlib
import re
from typing import Any, Callable, Iterator
from unittest import mock

import attrs
import pytest

from simulator.core import webhooks as wh
from simulator.core.engine import Simulator
from simulator.core.enums import WebhookEvent
from spec_tests import machines
from spec_tests.machines import use_target
from spec_tests.targets import http_target, in_process_target
from spec_tests.webhook_rules import (INTERVIEW_EVENTS, WEBHOOK_RULES, WebhookLifecycle,
                                      receiver_reachable)

# ---------------------------------------------------------------- planted breaks


@contextlib.contextmanager
def completion_webhook_after_delete() -> Iterator[None]:
    """A call that ends COMPLETED after its interview was deleted still sends
    interview.completed (the deletion does not suppress the webhook)."""
    real = Simulator._end_session

    def _end_session(self: Any, interview: Any, outcome: Any, duration: Any) -> None:
        was_deleted = interview.deleted
        real(self, interview, outcome, duration)
        if was_deleted and outcome.value == "COMPLETED":
            self.webhooks.emit(WebhookEvent.INTERVIEW_COMPLETED.value,
                               attrs.evolve(interview, deleted_at=None), {})

    with mock.patch.object(Simulator, "_end_session", _end_session):
        yield


@contextlib.contextmanager
def signed_with_wrong_secret() -> Iterator[None]:
    real = wh.sign
    with mock.patch.object(wh, "sign", lambda secret, ts, raw: real(secret[::-1], ts, raw)):
        yield


@contextlib.contextmanager
def every_event_twice() -> Iterator[None]:
    """Each event is emitted twice: two deliveries (two deliveryIds) per config."""
    real = wh.WebhookHub.emit

    def emit(self: Any, event_name: Any, interview: Any, extra: Any = None) -> Any:
        return real(self, event_name, interview, extra) + real(self, event_name, interview,
                                                                extra)

    with mock.patch.object(wh.WebhookHub, "emit", emit):
        yield


@contextlib.contextmanager
def analysis_webhook_dropped() -> Iterator[None]:
    real = wh.WebhookHub.emit

    def emit(self: Any, event_name: Any, interview: Any, extra: Any = None) -> Any:
        if str(getattr(event_name, "value", event_name)) == "analysis.completed":
            return []
        return real(self, event_name, interview, extra)

    with mock.patch.object(wh.WebhookHub, "emit", emit):
        yield


@contextlib.contextmanager
def no_break() -> Iterator[None]:
    yield


# ---------------------------------------------------------------- programs


def step(state: WebhookLifecycle, rule: str, **kwargs: Any) -> Any:
    result = getattr(state, rule)(**kwargs)
    state.server_keeps_the_promises()
    return result


def run(plant: Callable[[], Any], program: Callable[[WebhookLifecycle], None]) -> str | None:
    """Run `program` with the machine's rules and checks against a fresh in-process
    simulator with `plant` in place; the first line of the failure, or None."""
    with plant():
        target = in_process_target()
        try:
            with use_target(target):
                state = WebhookLifecycle()
                try:
                    state.setup_tenants(limits=[1, 1, 1], max_attempts=1)
                    state.server_keeps_the_promises()
                    program(state)
                except AssertionError as exc:
                    return str(exc).splitlines()[0]
                finally:
                    state.teardown()
        finally:
            target.close()
    return None


def hook(state: WebhookLifecycle, events=INTERVIEW_EVENTS, owner="company:0",
         flaky=False) -> str:
    return step(state, "create_webhook", owner=owner, events=list(events), ping=False,
                flaky=flaky, name_company=False)


def deleted_during_call(outcome: str) -> Callable[[WebhookLifecycle], None]:
    def program(state: WebhookLifecycle) -> None:
        hook(state)
        iv = step(state, "create_interview", caller="own", company=0, is_test=False,
                  kind="PHONE", later=0)
        step(state, "advance_clock", seconds=1)  # the call starts: interview.started
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
        step(state, "end_call", interview=iv, outcome=outcome, duration=60)
        step(state, "advance_clock", seconds=60)
    return program


def completed_test_interview(state: WebhookLifecycle) -> None:
    hook(state, events=("interview.completed", "analysis.completed"))
    step(state, "create_interview", caller="own", company=0, is_test=True, kind="ONLINE",
         later=0)


def full_online_lifecycle(state: WebhookLifecycle) -> None:
    """Every operation of the webhook rules and a whole online interview, a flaky receiver
    included (its first try answered 500 and retried 10 s later, as the same delivery)."""
    first = hook(state, flaky=True)
    ats = hook(state, owner="ats")  # routed to companies #0 and #1
    step(state, "test_webhook", webhook=first, caller="own")  # not subscribed to ping
    step(state, "test_webhook", webhook=first, caller="other")  # 403
    iv = step(state, "create_interview", caller="own", company=0, is_test=False,
              kind="ONLINE", later=0)
    step(state, "join", interview=iv)
    step(state, "end_call", interview=iv, outcome="COMPLETED", duration=120)
    step(state, "advance_clock", seconds=30)  # post-call: both completion events
    step(state, "update_webhook", webhook=ats, active=False, caller="own")
    step(state, "create_interview", caller="own", company=1, is_test=True, kind="ONLINE",
         later=0)  # the ATS config is inactive: nothing for it
    step(state, "delete_webhook", webhook=first, caller="own")
    step(state, "delete_webhook", webhook=first, caller="own")  # 404
    step(state, "create_interview", caller="own", company=0, is_test=True, kind="PHONE",
         later=0)  # no active config left for company #0


# ---------------------------------------------------------------- the must-show and friends


def test_harness_catches_completion_webhook_after_delete():
    first = run(completion_webhook_after_delete, deleted_during_call("COMPLETED"))
    assert first is not None, "the harness did not notice the webhook after the deletion"
    assert first.startswith("6. No post-call data after delete:"), first
    assert "webhook interview.completed" in first and "arrived at the receiver" in first, first


@pytest.mark.parametrize("outcome", ["COMPLETED", "NO_ANSWER", "BUSY", "FAILED"])
def test_harness_passes_interview_deleted_during_call_on_the_simulator(outcome):
    assert run(no_break, deleted_during_call(outcome)) is None


def test_harness_catches_delivery_signed_with_wrong_secret():
    first = run(signed_with_wrong_secret, completed_test_interview)
    assert first is not None and first.startswith("Webhooks: delivery "), first
    assert "is not signed with that config's signingSecret" in first, first


def test_harness_catches_duplicate_completion_delivery():
    first = run(every_event_twice, completed_test_interview)
    assert first is not None and first.startswith("8. Completion is complete:"), first
    assert re.search(r"completed in step create_interview, .* expected 1 "
                     r"(interview|analysis)\.completed delivery, got 2 \(", first), first


def test_harness_catches_missing_analysis_delivery():
    first = run(analysis_webhook_dropped, completed_test_interview)
    assert first is not None and first.startswith("8. Completion is complete:"), first
    assert "expected 1 analysis.completed delivery, got 0" in first, first


def test_harness_passes_full_online_lifecycle_on_the_simulator():
    assert run(no_break, full_online_lifecycle) is None


def test_harness_catches_duplicate_started_delivery():
    def program(state: WebhookLifecycle) -> None:
        hook(state, events=("interview.started",))
        iv = step(state, "create_interview", caller="own", company=0, is_test=False,
                  kind="ONLINE", later=0)
        step(state, "join", interview=iv)
    first = run(every_event_twice, program)
    assert first is not None and first.startswith("Webhooks: "), first
    assert "expected 1 interview.started delivery, got 2" in first, first


# ---------------------------------------------------------------- when the rules skip


def test_receiver_reachable_only_on_loopback_or_in_process():
    assert receiver_reachable("http://instaview-sim.local")
    assert receiver_reachable("http://127.0.0.1:8080")
    assert receiver_reachable("http://localhost:8080/")
    assert not receiver_reachable("https://api.instaview.sk")
    assert not receiver_reachable("http://10.0.0.7:8080")


def test_webhook_rules_skip_for_a_server_off_loopback(monkeypatch):
    monkeypatch.setattr(machines, "SKIPPED_RULES", {})
    target = http_target("http://192.0.2.10:9")  # never contacted
    try:
        with use_target(target):
            state = WebhookLifecycle()
            state.teardown()
    finally:
        target.close()
    assert not state.webhooks_on
    assert set(WEBHOOK_RULES) <= set(machines.SKIPPED_RULES)
    assert "loopback" in machines.SKIPPED_RULES["create_webhook"]
