"""The receiver's checks pass on the simulator and catch a deliberately broken one
(STYLE.md 12): one that emits interview.completed after a deletion, one that signs badly,
one that delivers a completion twice."""
from __future__ import annotations

import attrs
import pytest

from simulator.core import Simulator
from simulator.core import webhooks as wh
from simulator.core.enums import WebhookEvent
from spec_tests.webhook_receiver import (
    check_webhook_none_after_delete, check_webhook_once_per_config, check_webhook_signed)


def _scenario(world, rx):
    """A phone interview deleted during its call, which then ends COMPLETED."""
    sim = world.sim
    a = world.actor(world.company())
    hook = world.webhook(a, rx.url("/h"), events=["interview.started", "interview.completed",
                                                  "analysis.completed"])
    done = world.online_interview(a, isTest=True)
    interview = world.phone_interview(a)
    world.advance(0)
    sim.delete_interview(a, interview.id, query={})
    deleted_at = sim.internal_interview(interview.id)["deletedAt"]
    world.advance(60)
    sim.end_call(interview.id, {"outcome": "COMPLETED"})
    world.advance(60)
    world.idle()
    return hook, deleted_at, interview.id, done.id


class _EmitsAfterDelete(Simulator):
    """Broken: a deleted interview's completed call still gets its completion webhook."""

    def _end_session(self, interview, outcome, duration):
        was_deleted = interview.deleted
        super()._end_session(interview, outcome, duration)
        if was_deleted:
            self.webhooks.emit(WebhookEvent.INTERVIEW_COMPLETED.value,
                               attrs.evolve(interview, deleted_at=None), {})


def test_checks_pass_on_the_simulator(world, rx):
    hook, deleted_at, iid, _ = _scenario(world, rx)
    got = rx.received()
    check_webhook_signed(got, {"/h": hook["signingSecret"]})
    check_webhook_once_per_config(got)
    check_webhook_none_after_delete(got, {iid: deleted_at})


def test_check_none_after_delete_catches_broken_simulator(make_sim, world_of, rx):
    _, deleted_at, iid, _ = _scenario(world_of(make_sim(_EmitsAfterDelete)), rx)
    with pytest.raises(AssertionError, match="after its deletion"):
        check_webhook_none_after_delete(rx.received(), {iid: deleted_at})


def test_check_signed_catches_bad_signature(world, rx, monkeypatch):
    monkeypatch.setattr(wh, "sign", lambda secret, ts, raw: wh.hmac.new(
        secret.encode(), raw, wh.hashlib.sha256).hexdigest())  # signs the body only
    hook, _, _, _ = _scenario(world, rx)
    with pytest.raises(AssertionError, match="not signed"):
        check_webhook_signed(rx.received(), {"/h": hook["signingSecret"]})


def test_check_once_per_config_catches_double_delivery(world, rx, monkeypatch):
    real_emit = wh.WebhookHub.emit

    def twice(self, event_name, interview, extra=None):
        return real_emit(self, event_name, interview, extra) + \
            real_emit(self, event_name, interview, extra)

    monkeypatch.setattr(wh.WebhookHub, "emit", twice)
    _scenario(world, rx)
    with pytest.raises(AssertionError, match="expected one"):
        check_webhook_once_per_config(rx.received())
