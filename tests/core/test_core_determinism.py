"""--seed: two simulators with the same seed produce identical ids and generated content."""
from __future__ import annotations

from core_world import World

from simulator.core import SimConfig, Simulator


def _script(seed):
    sim = Simulator(SimConfig(start="2026-01-01T10:00:00Z", seed=seed))
    w = World(sim)
    company, actor = w.company()
    key = w.key(company["id"])
    iv = w.phone_interview(actor)
    w.advance(0)
    sim.end_call(iv.id, {"outcome": "COMPLETED", "durationSeconds": 200})
    w.advance(60)
    test = w.phone_interview(actor, isTest=True)
    return [company, key, w.view(iv.id), w.view(test.id), sim.events({})]


def test_seed_repeats_ids_and_content():
    assert _script(42) == _script(42)
    assert _script(42)[0]["id"] != _script(43)[0]["id"]


def test_reset_with_seed_repeats_a_fresh_run():
    sim = Simulator(SimConfig(start="2026-01-01T10:00:00Z", seed=5))
    first = sim.sim_create_company({})["id"]
    sim.sim_create_company({})
    assert sim.reset({}) == {"now": "2026-01-01T10:00:00.000Z"}
    assert sim.sim_create_company({})["id"] == first
    assert sim.state()["counts"]["companies"] == 1


def test_unseeded_simulators_differ():
    a, b = Simulator(), Simulator()
    assert a.sim_create_company({})["id"] != b.sim_create_company({})["id"]
