"""Random interleavings over several companies with small limits: the self-checks always hold."""
from __future__ import annotations

from core_world import START, World
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core import SimConfig, Simulator
from simulator.core.errors import SimError

ACTIONS = st.lists(st.tuples(
    st.sampled_from(["create", "create_later", "advance", "end", "delete", "invoke", "cancel",
                     "limit"]),
    st.integers(0, 2),                                   # company
    st.integers(0, 7),                                   # interview pick
    st.sampled_from(["COMPLETED", "NO_ANSWER", "BUSY", "FAILED"]),
), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_advance_clock_slots_never_exceed_limits(actions):
    sim = Simulator(SimConfig(start=START, seed=1))
    w = World(sim)
    tenants = [w.company(concurrencyLimit=n, maxCallAttempts=2, retryDelaySeconds=30,
                         postCallDelaySeconds=5) for n in (1, 2, 1)]
    ivs: list[list] = [[], [], []]
    for action, c, pick, outcome in actions:
        company, actor = tenants[c]
        target = ivs[c][pick % len(ivs[c])] if ivs[c] else None
        try:
            if action == "create":
                ivs[c].append(w.phone_interview(actor))
            elif action == "create_later":
                ivs[c].append(w.phone_interview(actor, scheduleTime="2026-01-01T10:00:20Z"))
            elif action == "advance":
                w.advance(pick * 7)
            elif action == "limit":
                sim.sim_update_company(company["id"], {"concurrencyLimit": pick % 3})
            elif target is None:
                continue
            elif action == "end":
                sim.end_call(target.id, {"outcome": outcome})
            elif action == "delete":
                sim.delete_interview(actor, target.id, query={})
            elif action == "invoke":
                sim.invoke_call_attempt(actor, target.id, query={}, body={})
            elif action == "cancel":
                sim.cancel(target.id)
        except SimError as exc:
            assert exc.status in (400, 404, 409), exc
        report = sim.invariants()
        assert report["ok"], (action, report["violations"])
        for state in sim.state()["companies"]:
            if state["waiting"]:
                assert state["liveSessions"] >= state["concurrencyLimit"]
