"""The engine's webhook seam: what `webhooks.emit` receives, and never after a deletion."""
from __future__ import annotations

import time

import pytest

from simulator.core import SimConfig, Simulator
from simulator.core.engine import _NoWebhooks
from simulator.core.errors import NotImplementedYet


class Recorder:
    def __init__(self):
        self.calls = []
        self.resets = 0

    def emit(self, event_name, interview, extra):
        self.calls.append((event_name, interview.id, interview.status.value, dict(extra)))

    def reset(self):
        self.resets += 1

    def deliveries(self, query):
        return ["q", query]


@pytest.fixture
def rec(world):
    world.sim.webhooks = Recorder()
    return world.sim.webhooks


def test_emit_started_completed_analysis(world, rec):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "COMPLETED", "durationSeconds": 30})
    world.advance(30)
    names = [(c[0], c[2]) for c in rec.calls]
    assert names == [("interview.started", "IN_PROGRESS"), ("interview.completed", "COMPLETED"),
                     ("analysis.completed", "COMPLETED")]
    assert rec.calls[2][3]["analysis"] == world.view(iv.id)["analysis"]


def test_emit_failed_with_error(world, rec):
    _, actor = world.company(maxCallAttempts=1)
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.end_call(iv.id, {"outcome": "NO_ANSWER"})
    assert rec.calls[-1][0] == "interview.failed" and rec.calls[-1][2] == "FAILED"
    assert isinstance(rec.calls[-1][3]["error"], str) and rec.calls[-1][3]["error"]


def test_emit_nothing_after_delete(world, rec):
    _, actor = world.company()
    iv = world.phone_interview(actor)
    world.advance(0)
    world.sim.delete_interview(actor, iv.id, query={})
    world.sim.end_call(iv.id, {"outcome": "COMPLETED"})
    world.advance(3600)
    assert [c[0] for c in rec.calls] == ["interview.started"]


def test_emit_is_test_interview(world, rec):
    _, actor = world.company()
    world.online_interview(actor, isTest=True)
    assert [c[0] for c in rec.calls] == ["interview.completed", "analysis.completed"]


def test_reset_and_deliveries_delegate(world, rec):
    world.sim.reset({})
    assert rec.resets == 1 and world.sim.webhook_deliveries({"a": 1}) == ["q", {"a": 1}]


def test_no_webhooks_fallback_answers_501(world):
    world.sim.webhooks = _NoWebhooks(world.sim)
    _, actor = world.company()
    with pytest.raises(NotImplementedYet) as exc:
        world.sim.list_webhooks(actor, query={})
    assert (exc.value.status, exc.value.code) == (501, "NOT_IMPLEMENTED")


def test_real_clock_ticker_runs_due_work():
    sim = Simulator(SimConfig(clock_mode="real", ticker=False))
    from core_world import World
    w = World(sim)
    with sim.lock:
        _, actor = w.company()
        iv = w.phone_interview(actor)
    sim.start_ticker(0.05)
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with sim.lock:
                if sim.internal_interview(iv.id)["sessionLive"]:
                    break
            time.sleep(0.02)
        with sim.lock:
            assert sim.internal_interview(iv.id)["sessionLive"]
    finally:
        sim.close()


def test_real_clock_starts_its_ticker_by_default():
    sim = Simulator(SimConfig(clock_mode="real"))
    try:
        assert sim._ticker is not None and sim._ticker.is_alive()
    finally:
        sim.close()
    assert sim._ticker is None
