"""create_interview: xor rules, job resolution (decisions 19-20), dates, metadata, isTest."""
from __future__ import annotations

import pytest

from simulator.core.errors import ResourceAccessDenied, ValidationError


def _fields(exc):
    return [f["field"] for f in exc.value.details["fields"]]


def _reject(world, actor, body, field):
    before = world.sim.state()
    seq = world.last_seq()
    with pytest.raises(ValidationError) as exc:
        world.sim.create_interview(actor, body=body)
    assert (exc.value.status, exc.value.code) == (400, "VALIDATION_ERROR")
    assert field in _fields(exc), _fields(exc)
    assert world.sim.state() == before and world.last_seq() == seq  # nothing changed
    return exc


def test_create_interview_phone_queues_attempt_zero(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, metadata={"externalId": "INT-1"})
    d = iv.to_dict()
    assert d["status"] == "SCHEDULED" and d["metadata"] == {"externalId": "INT-1"}
    attempt = d["callAttempts"][0]
    assert attempt["retryNumber"] == 0 and attempt["direction"] == "OUTBOUND"
    assert d["transcript"] is None and d["analysis"] is None
    assert world.types(iv.id) == ["interview.created", "attempt.queued"]
    assert not world.view(iv.id)["sessionLive"]  # nothing starts inside a request


def test_create_interview_online_has_no_attempts(world):
    _, actor = world.company()
    iv = world.online_interview(actor)
    assert iv.to_dict()["callAttempts"] == [] and world.types(iv.id) == ["interview.created"]


def test_create_interview_is_test_completes_at_once(world):
    _, actor = world.company()
    iv = world.phone_interview(actor, isTest=True)
    d = iv.to_dict()
    assert d["status"] == "COMPLETED" and d["durationMinutes"] == 0 and d["callAttempts"] == []
    assert d["transcript"] and d["analysis"] and d["finishedDate"]
    assert world.types(iv.id) == ["interview.created", "interview.completed"]
    assert world.sim.get_billing_usage(actor, query={})["totalInterviews"] == 0


def test_create_interview_phone_needs_candidate_phone(world):
    _, actor = world.company()
    agent = world.phone_agent(actor)
    cand = world.candidate(actor, phoneNumber=None, email="a@example.com")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id}, "candidateId")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id, "isTest": True},
            "candidateId")
    _reject(world, actor, {"candidate": {"firstName": "A", "lastName": "B",
                                         "email": "a@example.com",
                                         "gdprExpiryDate": "2027-01-01"},
                           "agentId": agent.id}, "candidate.phoneNumber")


def test_create_interview_xor_and_required_fields(world):
    _, actor = world.company()
    agent, cand = world.online_agent(actor), world.candidate(actor)
    job = world.job(actor)
    _reject(world, actor, {"agentId": agent.id}, "candidateId")
    _reject(world, actor, {"candidateId": cand.id}, "agentId")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id, "jobId": job.id,
                           "job": {"title": "Title x", "description": "Long enough text"}},
            "jobId")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id,
                           "scheduleTime": "2026-01-01T11:00:00Z",
                           "scheduledAt": "2026-01-01T11:00:00Z"}, "scheduledAt")
    _reject(world, actor, {"candidate": {"firstName": "A", "lastName": "B",
                                         "phoneNumber": "+421900000001",
                                         "gdprExpiryDate": "2027-01-01", "jobId": job.id},
                           "agentId": agent.id, "jobId": job.id}, "candidate.jobId")
    _reject(world, actor, {"candidateId": "nope", "agentId": agent.id}, "candidateId")
    _reject(world, actor, [1, 2], "body")


@pytest.mark.parametrize("when,ok", [
    ("2026-01-01T10:00:00Z", True),            # now itself is fine
    ("2026-01-01T09:59:59.999Z", False),       # strictly before now
    ("2026-01-31T10:00:00Z", True),            # 30 days ahead inclusive
    ("2026-01-31T10:00:00.001Z", False),
    ("2026-01-05", True),                      # a date alone: midnight UTC
    ("2026-01-01T12:00:00", True),             # no offset: UTC
    ("2026-01-01T12:00:00+05:00", False),      # an offset is honoured: 07:00Z is past
    ("2026-01-01T15:00:00+05:00", True),       # 10:00Z: now
    ("not a date", False),
])
def test_create_interview_schedule_time_bounds(world, when, ok):
    _, actor = world.company()
    agent, cand = world.online_agent(actor), world.candidate(actor)
    body = {"candidateId": cand.id, "agentId": agent.id, "scheduleTime": when}
    if ok:
        world.sim.create_interview(actor, body=body)
    else:
        _reject(world, actor, body, "scheduleTime")


def test_create_interview_metadata_limits(world):
    _, actor = world.company()
    agent, cand = world.online_agent(actor), world.candidate(actor)
    base = {"candidateId": cand.id, "agentId": agent.id}
    deep = {"a": {"b": {"c": {"d": {"e": 1}}}}}  # 5 levels: allowed
    world.sim.create_interview(actor, body={**base, "metadata": deep})
    _reject(world, actor, {**base, "metadata": {"x": deep}}, "metadata")  # 6 levels
    world.sim.create_interview(actor, body={**base, "metadata": {f"k{i}": i for i in range(50)}})
    _reject(world, actor, {**base, "metadata": {f"k{i}": i for i in range(51)}}, "metadata")
    _reject(world, actor, {**base, "metadata": {"a": {f"k{i}": i for i in range(50)}}},
            "metadata")  # keys count at every level
    big = {"s": "x" * (10240 - len('{"s":""}'))}
    world.sim.create_interview(actor, body={**base, "metadata": big})
    _reject(world, actor, {**base, "metadata": {"s": big["s"] + "x"}}, "metadata")
    _reject(world, actor, {**base, "metadata": [1]}, "metadata")
    iv = world.sim.create_interview(actor, body={**base, "metadata": None})
    assert iv.metadata == {}


def test_create_interview_job_resolution_only_job(world):
    _, actor = world.company()
    job = world.job(actor)
    cand = world.candidate(actor, jobIds=[job.id])
    agent = world.online_agent(actor, focus="SCREENING")
    iv = world.sim.create_interview(actor, body={"candidateId": cand.id, "agentId": agent.id})
    assert iv.job_id == job.id


def test_create_interview_job_resolution_several_jobs_needs_job_id(world):
    _, actor = world.company()
    j1, j2 = world.job(actor), world.job(actor)
    cand = world.candidate(actor, jobIds=[j1.id, j2.id])
    agent = world.online_agent(actor, focus="SCREENING")
    exc = _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id}, "jobId")
    assert "jobId" in exc.value.message
    iv = world.sim.create_interview(actor, body={"candidateId": cand.id, "agentId": agent.id,
                                                 "jobId": j2.id})
    assert iv.job_id == j2.id


def test_create_interview_job_resolution_no_job(world):
    _, actor = world.company()
    cand = world.candidate(actor)
    agent = world.online_agent(actor, focus="OUTREACH")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id}, "jobId")


def test_create_interview_generic_agent_never_resolves_job(world):
    _, actor = world.company()
    job = world.job(actor)
    cand = world.candidate(actor, jobIds=[job.id])
    agent = world.online_agent(actor)  # focus defaults to GENERIC
    iv = world.sim.create_interview(actor, body={"candidateId": cand.id, "agentId": agent.id})
    assert iv.job_id is None


def test_create_interview_job_not_assigned_to_candidate(world):
    _, actor = world.company()
    job = world.job(actor)
    cand = world.candidate(actor)
    agent = world.online_agent(actor, focus="SCREENING")
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id, "jobId": job.id},
            "jobId")


def test_create_interview_inline_job_links_existing_candidate(world):
    _, actor = world.company()
    cand = world.candidate(actor)
    agent = world.online_agent(actor, focus="SCREENING")
    iv = world.sim.create_interview(actor, body={
        "candidateId": cand.id, "agentId": agent.id,
        "job": {"jobTitle": "Night nurse", "description": "Caring for patients at night."}})
    job = world.sim.get_job(actor, iv.job_id, query={})
    assert job.title == "Night nurse" and cand.job_ids == [job.id]


def test_create_interview_inline_everything(world):
    company, actor = world.company()
    iv = world.sim.create_interview(actor, body={
        "candidate": {"firstName": "Bo", "lastName": "Li", "phoneNumber": "+421900000002",
                      "gdprExpiryDate": "2026-06-01"},
        "agent": {"name": "Caller", "type": "PHONE",
                  "companyPhoneNumberId": company["phoneNumberIds"][0], "focus": "SCREENING"},
        "job": {"title": "Warehouse lead", "description": "Leads the night shift team."},
    })
    cand = world.sim.get_candidate(actor, iv.candidate_id, query={})
    assert cand.job_ids == [iv.job_id] and iv.is_phone and cand.interview_count == 1


def test_create_interview_deleted_or_foreign_references(world):
    _, actor = world.company()
    _, other = world.company()
    agent = world.online_agent(actor)
    cand = world.candidate(actor)
    foreign = world.candidate(other)
    world.sim.delete_candidate(actor, cand.id, query={})
    _reject(world, actor, {"candidateId": cand.id, "agentId": agent.id}, "candidateId")
    with pytest.raises(ResourceAccessDenied) as exc:
        world.sim.create_interview(actor, body={"candidateId": foreign.id, "agentId": agent.id})
    assert (exc.value.status, exc.value.code) == (403, "RESOURCE_ACCESS_DENIED")
    world.sim.delete_agent(actor, agent.id, query={})
    cand2 = world.candidate(actor)
    _reject(world, actor, {"candidateId": cand2.id, "agentId": agent.id}, "agentId")


def test_create_agent_phone_needs_company_phone_number(world):
    _, actor = world.company()
    with pytest.raises(ValidationError) as exc:
        world.sim.create_agent(actor, body={"name": "X1", "type": "PHONE"})
    assert _fields(exc) == ["companyPhoneNumberId"]
    with pytest.raises(ValidationError):
        world.sim.create_agent(actor, body={"name": "X1", "type": "PHONE",
                                            "companyPhoneNumberId": actor.key_id})
    with pytest.raises(ValidationError) as exc:
        world.sim.create_agent(actor, body={"name": "X", "type": "ROBOT", "duration": 181})
    assert set(_fields(exc)) == {"name", "type", "duration"}


def test_create_candidate_validation(world):
    _, actor = world.company()
    with pytest.raises(ValidationError) as exc:
        world.sim.create_candidate(actor, body={"firstName": "", "lastName": "B" * 101,
                                                "phoneNumber": "0900", "status": "HIRED",
                                                "gdprExpiryDate": "2026-01-01"})
    assert set(_fields(exc)) == {"firstName", "lastName", "phoneNumber", "status",
                                 "gdprExpiryDate"}
    with pytest.raises(ValidationError) as exc:
        world.sim.create_candidate(actor, body={"firstName": "A", "lastName": "B"})
    assert _fields(exc) == ["email"]
    c = world.sim.create_candidate(actor, body={"firstName": "A", "lastName": "B",
                                                "email": "a@b.co", "gdprExpiryDate": "2026-01-02"})
    assert c.status.value == "APPLIED"
