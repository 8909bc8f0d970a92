"""Control-plane methods: events filters, state, invariants (and that they can fail), lists."""
from __future__ import annotations

import pytest

from simulator.core.enums import AttemptStatus
from simulator.core.errors import (
    InvalidStateTransition, ResourceNotFound, ValidationError,
)


def test_events_filters_and_last_seq(world):
    _, a = world.company()
    _, b = world.company()
    ia, ib = world.phone_interview(a), world.phone_interview(b)
    everything = world.sim.events({})
    assert [e["seq"] for e in everything["events"]] == list(range(1, everything["lastSeq"] + 1))
    only = world.sim.events({"interviewId": ib.id, "after": "1"})
    assert only["lastSeq"] == everything["lastSeq"]  # decisions 35
    assert {e["interviewId"] for e in only["events"]} == {ib.id}
    assert all(e["seq"] > 1 for e in only["events"])
    created = world.sim.events({"type": "interview.created", "companyId": a.company_id})
    assert [e["interviewId"] for e in created["events"]] == [ia.id]
    for bad in ({"type": "nope"}, {"after": "-1"}, {"interviewId": "x"}):
        with pytest.raises(ValidationError):
            world.sim.events(bad)


def test_internal_interview_unknown_is_404(world):
    with pytest.raises(ResourceNotFound):
        world.sim.internal_interview("00000000-0000-4000-8000-000000000000")
    with pytest.raises(ValidationError):
        world.sim.internal_interview("nope")


def test_join_cancel_deleted_interview_is_409(world):
    _, actor = world.company()
    iv = world.online_interview(actor)
    world.sim.delete_interview(actor, iv.id, query={})
    for call in (world.sim.join, world.sim.cancel):
        with pytest.raises(InvalidStateTransition):
            call(iv.id)
    with pytest.raises(InvalidStateTransition):
        world.sim.end_call(iv.id, {"outcome": "COMPLETED"})


def test_invariants_detect_broken_state(world):
    _, actor = world.company(concurrencyLimit=1)
    iv = world.phone_interview(actor)
    world.assert_ok()
    # break it on purpose: a queued attempt that claims to be cancelled
    iv.attempts[0].status = AttemptStatus.CANCELLED
    report = world.sim.invariants()
    assert not report["ok"]
    assert {v["invariant"] for v in report["violations"]} == {"queue_matches_attempts"}
    iv.attempts[0].status = AttemptStatus.SCHEDULED
    world.advance(0)
    world.sim._tenants[actor.company_id].company.concurrency_limit = 0  # behind the core's back
    assert "slots" in {v["invariant"] for v in world.sim.invariants()["violations"]}


def test_state_counts_live_and_waiting(world):
    company, actor = world.company(concurrencyLimit=1)
    world.phone_interview(actor), world.phone_interview(actor)
    world.phone_interview(actor, scheduleTime="2026-01-02T00:00:00Z")
    world.advance(0)
    c = world.sim.state()["companies"][0]
    assert (c["liveSessions"], c["waiting"], c["queued"]) == (1, 1, 2)
    assert c["concurrencyLimit"] == 1


def test_list_interviews_paging_order_and_filters(world):
    _, actor = world.company()
    ivs = []
    for n in range(5):
        ivs.append(world.online_interview(actor))
        world.advance(1)
    page = world.sim.list_interviews(actor, query={"page": 2, "limit": 2}).to_dict()
    assert page["total"] == 5 and page["totalPages"] == 3 and page["page"] == 2
    assert [i["id"] for i in page["data"]] == [ivs[2].id, ivs[1].id]  # newest first
    world.sim.delete_interview(actor, ivs[4].id, query={})
    world.sim.cancel(ivs[0].id)
    from simulator.core.inputs import parse_query
    q = parse_query("list_interviews", {"status": "CANCELED"})
    assert [i.id for i in world.sim.list_interviews(actor, query=q).items] == [ivs[0].id]
    q = parse_query("list_interviews", {"status": "UNDEFINED"})
    assert world.sim.list_interviews(actor, query=q).total == 0
    q = parse_query("list_interviews", {"page": "9"})
    assert world.sim.list_interviews(actor, query=q).to_dict()["data"] == []
    for bad in ({"page": "0"}, {"limit": "101"}, {"status": "DONE"}, {"candidateId": "1"},
                {"page": "x"}):
        with pytest.raises(ValidationError):
            parse_query("list_interviews", bad)


def test_sim_create_api_key_validation(world):
    company, _ = world.company()
    for bad in ({}, {"kind": "ADMIN"}, {"kind": "COMPANY"},
                {"kind": "COMPANY", "companyId": "00000000-0000-4000-8000-000000000000"},
                {"kind": "COMPANY", "companyId": company["id"], "scopes": "all"},
                {"kind": "ATS", "managedCompanyIds": ["00000000-0000-4000-8000-000000000000"]},
                {"kind": "COMPANY", "companyId": company["id"], "rateLimit": {"perMinute": 0}}):
        with pytest.raises(ValidationError):
            world.sim.sim_create_api_key(bad)
    assert world.sim.state()["counts"]["apiKeys"] == 1  # only the World's own key


def test_sim_create_company_settings_validation(world):
    for bad in ({"concurrencyLimit": -1}, {"maxCallAttempts": 0}, {"retryDelaySeconds": "1"},
                {"autoEndCallSeconds": 0}):
        with pytest.raises(ValidationError):
            world.sim.sim_create_company(bad)
    c = world.sim.sim_create_company({"concurrencyLimit": 0})
    assert c["concurrencyLimit"] == 0 and c["maxCallAttempts"] == 3
    assert c["retryDelaySeconds"] == 3600 and c["postCallDelaySeconds"] == 30
    assert c["autoEndCallSeconds"] is None and len(c["phoneNumberIds"]) == 1
    c = world.sim.sim_update_company(c["id"], {"autoEndCallSeconds": 60})
    assert c["autoEndCallSeconds"] == 60
    assert world.sim.sim_update_company(c["id"], {"autoEndCallSeconds": None})[
        "autoEndCallSeconds"] is None


def test_reset_drops_everything(world):
    _, actor = world.company()
    world.phone_interview(actor)
    world.advance(100)
    assert world.sim.reset({"now": "2027-03-01T00:00:00Z"}) == {"now": "2027-03-01T00:00:00.000Z"}
    state = world.sim.state()
    assert state["companies"] == [] and state["counts"]["queueItems"] == 0
    assert world.sim.events({}) == {"events": [], "lastSeq": 0}


def test_model_is_data(world):
    model = world.sim.model()
    assert {"from": "SCHEDULED", "event": "cancel", "to": "CANCELLED"} in model["transitions"]


def test_soft_delete_candidate_job_agent(world):
    _, actor = world.company()
    job = world.job(actor)
    cand = world.candidate(actor, jobIds=[job.id])
    agent = world.online_agent(actor, focus="SCREENING")
    iv = world.sim.create_interview(actor, body={"candidateId": cand.id, "agentId": agent.id})
    for kind, ent in (("candidate", cand), ("job", job), ("agent", agent)):
        assert getattr(world.sim, f"delete_{kind}")(actor, ent.id, query={}) is True
        with pytest.raises(ResourceNotFound):
            getattr(world.sim, f"get_{kind}")(actor, ent.id, query={})
        with pytest.raises(ResourceNotFound):
            getattr(world.sim, f"delete_{kind}")(actor, ent.id, query={})
        assert getattr(world.sim, f"list_{kind}s")(actor, query={}).total == 0
    kept = world.sim.get_interview(actor, iv.id, query={})
    assert (kept.candidate_id, kept.agent_id, kept.job_id) == (cand.id, agent.id, job.id)
    with pytest.raises(ValidationError):  # a deleted job cannot be assigned
        world.candidate(actor, jobIds=[job.id])
