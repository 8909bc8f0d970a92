"""Every method of the reference client against the in-process simulator: results, statuses, error classes."""

from __future__ import annotations

import datetime as dt
import socket
import uuid

import pytest
import requests

from client_under_test import (
    APIConnectionError,
    AuthenticationError,
    InstaViewClient,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    RouteError,
    ServerError,
    StateError,
    ValidationError,
)
from client_under_test import records as r

NO_RETRY = RetryPolicy(max_attempts=1)
MISSING = "00000000-0000-4000-8000-000000000000"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _error(exc_info, status, code):
    assert (exc_info.value.status, exc_info.value.code) == (status, code), repr(exc_info.value)
    assert exc_info.value.request_id  # every answer carries X-Request-Id


# -- interviews ------------------------------------------------------------------------------


def test_create_interview_online_returns_scheduled_record(tenant):
    interview = tenant.interview("ONLINE", metadata={"externalId": "INT-1"})
    assert isinstance(interview, r.Interview)
    assert interview.status is r.InterviewStatus.SCHEDULED
    assert interview.call_attempts == () and interview.transcript is None
    assert interview.metadata == {"externalId": "INT-1"}
    assert interview.company_id == tenant.company["id"]
    assert isinstance(interview.created_at, dt.datetime) and interview.created_at.tzinfo


def test_create_interview_phone_has_first_call_attempt(tenant):
    interview = tenant.interview("PHONE")
    (attempt,) = interview.call_attempts
    assert attempt.status is r.CallAttemptStatus.SCHEDULED
    assert attempt.retry_number == 0 and attempt.direction == "OUTBOUND"


def test_create_interview_is_test_completes_with_transcript(tenant):
    interview = tenant.interview("ONLINE", is_test=True)
    assert interview.status is r.InterviewStatus.COMPLETED and interview.is_test
    assert interview.transcript and isinstance(interview.transcript[0], r.TranscriptLine)
    assert interview.analysis is not None


def test_create_interview_missing_candidate_is_validation_error(tenant):
    agent = tenant.agent()
    with pytest.raises(ValidationError) as exc:
        tenant.client.create_interview(candidateId=MISSING, agentId=agent.id)
    _error(exc, 400, "VALIDATION_ERROR")
    assert any(f["field"] == "candidateId" for f in exc.value.fields)


def test_create_interview_past_schedule_time_is_validation_error(tenant):
    past = tenant.sim.now() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        tenant.interview("ONLINE", schedule_time=past)
    _error(exc, 400, "VALIDATION_ERROR")


def test_get_interview_returns_same_record(tenant):
    created = tenant.interview()
    fetched = tenant.client.get_interview(created.id)
    assert fetched.id == created.id and fetched.status == created.status
    assert fetched.raw["id"] == created.id


def test_get_interview_missing_is_not_found(tenant):
    with pytest.raises(NotFoundError) as exc:
        tenant.client.get_interview(MISSING)
    _error(exc, 404, "RESOURCE_NOT_FOUND")


def test_get_interview_malformed_id_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.client.get_interview("not-a-uuid")
    _error(exc, 400, "VALIDATION_ERROR")


def test_get_interview_other_company_is_permission_denied(tenant, other_tenant):
    theirs = other_tenant.interview()
    with pytest.raises(PermissionDeniedError) as exc:
        tenant.client.get_interview(theirs.id)
    _error(exc, 403, "RESOURCE_ACCESS_DENIED")


def test_list_interviews_filters_and_pages(tenant):
    made = [tenant.interview() for _ in range(3)]
    page = tenant.client.list_interviews(limit=2)
    assert isinstance(page, r.Page) and page.total == 3 and page.total_pages == 2
    assert len(page) == 2 and all(isinstance(i, r.Interview) for i in page)
    assert {i.id for i in tenant.client.iter_interviews(limit=2)} == {i.id for i in made}
    only = tenant.client.list_interviews(candidate_id=made[0].candidate_id)
    assert [i.id for i in only] == [made[0].id]
    assert tenant.client.list_interviews(status=r.InterviewStatus.COMPLETED).total == 0


def test_list_interviews_limit_out_of_range_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.client.list_interviews(limit=101)
    _error(exc, 400, "VALIDATION_ERROR")


def test_delete_interview_returns_true_then_gone(tenant):
    interview = tenant.interview("PHONE")
    assert tenant.client.delete_interview(interview.id) is True
    assert not tenant.client.last_call.recovered_delete
    with pytest.raises(NotFoundError) as exc:
        tenant.client.get_interview(interview.id)
    _error(exc, 404, "RESOURCE_NOT_FOUND")
    with pytest.raises(NotFoundError):
        tenant.client.delete_interview(interview.id)
    assert interview.id not in {i.id for i in tenant.client.iter_interviews()}


def test_delete_interview_after_dropped_answer_reports_deleted(tenant, sim, base_url):
    # control-plane.md Faults: "drop" applies the request, then closes the connection.
    interview = tenant.interview()
    sim.fault(method="DELETE", path=f"/interviews/{interview.id}", action="drop", phase="after", times=1)
    sleeps: list[float] = []
    client = InstaViewClient(
        base_url, tenant.key["key"], retry_policy=RetryPolicy(max_attempts=3, base_delay=0.01),
        sleep=sleeps.append,
    )  # fmt: skip
    with client:
        assert client.delete_interview(interview.id) is True
        assert client.last_call.statuses == [None, 404] and client.last_call.recovered_delete
    with pytest.raises(NotFoundError):
        tenant.client.get_interview(interview.id)


# -- call attempts ---------------------------------------------------------------------------


def test_invoke_call_attempt_replaces_scheduled_attempt(tenant):
    interview = tenant.interview("PHONE")
    later = tenant.sim.now() + dt.timedelta(hours=2)
    attempt = tenant.client.invoke_call_attempt(interview.id, scheduled_at=later)
    assert isinstance(attempt, r.CallAttempt) and attempt.retry_number == 1
    assert attempt.scheduled_at == later.replace(microsecond=later.microsecond // 1000 * 1000)
    statuses = {a.id: a.status for a in tenant.client.get_interview(interview.id).call_attempts}
    assert statuses == {interview.call_attempts[0].id: r.CallAttemptStatus.CANCELLED,
                        attempt.id: r.CallAttemptStatus.SCHEDULED}  # fmt: skip


def test_invoke_call_attempt_online_interview_is_state_error(tenant):
    interview = tenant.interview("ONLINE")
    with pytest.raises(StateError) as exc:
        tenant.client.invoke_call_attempt(interview.id)
    _error(exc, 400, "INVALID_STATE")


def test_invoke_call_attempt_completed_interview_is_conflict(tenant):
    interview = tenant.interview("PHONE", is_test=True)
    with pytest.raises(StateError) as exc:
        tenant.client.invoke_call_attempt(interview.id)
    _error(exc, 409, "INVALID_STATE_TRANSITION")


def test_reschedule_call_attempt_moves_time(tenant):
    interview = tenant.interview("PHONE")
    attempt = interview.call_attempts[0]
    when = tenant.sim.now() + dt.timedelta(days=1)
    assert tenant.client.reschedule_call_attempt(interview.id, attempt.id, when) is None
    (moved,) = tenant.client.get_interview(interview.id).call_attempts
    assert abs((moved.scheduled_at - when).total_seconds()) < 0.001


def test_reschedule_call_attempt_past_time_is_validation_error(tenant):
    interview = tenant.interview("PHONE")
    past = _iso(tenant.sim.now() - dt.timedelta(hours=1))
    with pytest.raises(ValidationError) as exc:
        tenant.client.reschedule_call_attempt(interview.id, interview.call_attempts[0].id, past)
    _error(exc, 400, "VALIDATION_ERROR")


def test_delete_call_attempt_removes_it(tenant):
    interview = tenant.interview("PHONE")
    attempt_id = interview.call_attempts[0].id
    assert tenant.client.delete_call_attempt(interview.id, attempt_id) is None
    after = tenant.client.get_interview(interview.id)
    assert after.call_attempts == () and after.status is r.InterviewStatus.SCHEDULED
    with pytest.raises(NotFoundError) as exc:
        tenant.client.delete_call_attempt(interview.id, attempt_id)
    _error(exc, 404, "RESOURCE_NOT_FOUND")


# -- candidates, jobs, agents ----------------------------------------------------------------


def test_create_candidate_returns_record_with_defaults(tenant):
    candidate = tenant.candidate()
    assert isinstance(candidate, r.Candidate)
    assert candidate.status is r.CandidateStatus.APPLIED
    assert candidate.gdpr_expiry_date == dt.date(2099, 12, 31)


def test_create_candidate_without_contact_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.client.create_candidate(first_name="No", last_name="Contact", gdpr_expiry_date="2099-01-01")
    _error(exc, 400, "VALIDATION_ERROR")


def test_get_update_list_delete_candidate(tenant):
    candidate = tenant.candidate()
    assert tenant.client.get_candidate(candidate.id).first_name == "Ada"
    updated = tenant.client.update_candidate(candidate.id, status=r.CandidateStatus.IN_PROCESS)
    assert updated.status is r.CandidateStatus.IN_PROCESS
    assert candidate.id in {c.id for c in tenant.client.iter_candidates()}
    assert tenant.client.list_candidates().total >= 1
    assert tenant.client.delete_candidate(candidate.id) is True
    with pytest.raises(NotFoundError) as exc:
        tenant.client.get_candidate(candidate.id)
    _error(exc, 404, "RESOURCE_NOT_FOUND")


def test_get_update_list_delete_job(tenant):
    job = tenant.job()
    assert isinstance(job, r.Job) and job.status == "OPEN"
    assert tenant.client.get_job(job.id).title == "Backend engineer"
    assert tenant.client.update_job(job.id, title="Senior backend engineer").title == "Senior backend engineer"
    assert [j.id for j in tenant.client.iter_jobs()] == [job.id]
    assert tenant.client.list_jobs().total == 1
    assert tenant.client.delete_job(job.id) is True
    with pytest.raises(NotFoundError):
        tenant.client.delete_job(job.id)


def test_create_job_short_title_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.job(title="abc")
    _error(exc, 400, "VALIDATION_ERROR")


def test_get_update_list_delete_agent(tenant):
    agent = tenant.agent("PHONE")
    assert agent.type is r.AgentType.PHONE and agent.company_phone_number_id == tenant.phone_number_id
    assert tenant.client.get_agent(agent.id).focus is r.AgentFocus.GENERIC
    assert tenant.client.update_agent(agent.id, duration=45).duration == 45
    assert [a.id for a in tenant.client.iter_agents()] == [agent.id]
    assert tenant.client.list_agents().total == 1
    assert tenant.client.delete_agent(agent.id) is True
    with pytest.raises(NotFoundError):
        tenant.client.get_agent(agent.id)


def test_create_agent_phone_without_number_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.client.create_agent(name="Caller", type="PHONE", focus="GENERIC")
    _error(exc, 400, "VALIDATION_ERROR")


# -- company ---------------------------------------------------------------------------------


def test_list_get_update_company(tenant):
    companies = tenant.client.list_companies()
    assert [c.id for c in companies] == [tenant.company["id"]]
    company = tenant.client.get_company(tenant.company["id"])
    assert isinstance(company, r.Company) and company.phone_number_ids == (tenant.phone_number_id,)
    tenant.client.update_company(company.id, metadata={"a": 1})
    merged = tenant.client.update_company(company.id, metadata={"b": 2})
    assert merged.metadata == {"a": 1, "b": 2}  # api.md: metadata is merged


def test_create_company_with_company_key_is_permission_denied(tenant):
    with pytest.raises(PermissionDeniedError) as exc:
        tenant.client.create_company(name="Nope Inc", description="A company")
    _error(exc, 403, "INSUFFICIENT_PERMISSIONS")


def test_create_company_with_ats_key_then_company_id_selects_it(sim, base_url):
    ats = sim.key(kind="ATS", managedCompanyIds=[])
    with InstaViewClient(base_url, ats["key"], retry_policy=NO_RETRY) as partner:
        company = partner.create_company(name="Partner Co", description="Made by an ATS key")
        assert isinstance(company, r.Company) and company.phone_number_ids
        with pytest.raises(ValidationError) as exc:
            partner.list_jobs()  # decisions.md 9: companyId required for jobs
        _error(exc, 400, "VALIDATION_ERROR")
        assert any(f["field"] == "companyId" for f in exc.value.fields)
    with InstaViewClient(base_url, ats["key"], company_id=company.id, retry_policy=NO_RETRY) as scoped:
        job = scoped.create_job(title="Data engineer", description="Moves data around.", status="OPEN")
        assert job.company_id == company.id
        assert scoped.get_company(company.id).id == company.id  # /company needs no companyId


def test_list_jobs_ats_key_unmanaged_company_is_permission_denied(sim, base_url, other_tenant):
    ats = sim.key(kind="ATS", managedCompanyIds=[])
    with InstaViewClient(base_url, ats["key"], company_id=other_tenant.company["id"], retry_policy=NO_RETRY) as c:
        with pytest.raises(PermissionDeniedError) as exc:
            c.list_jobs()
    _error(exc, 403, "RESOURCE_ACCESS_DENIED")


# -- webhooks --------------------------------------------------------------------------------


def test_create_get_update_delete_webhook(tenant):
    hook = tenant.client.create_webhook(url="https://hooks.example.com/iv", events=["interview.completed", "ping"])
    assert isinstance(hook, r.WebhookConfig) and hook.signing_secret and len(hook.signing_secret) == 64
    assert hook.signing_secret not in repr(hook)
    fetched = tenant.client.get_webhook(hook.id)
    assert fetched.events == ("interview.completed", "ping") and fetched.signing_secret is None
    assert [w.id for w in tenant.client.list_webhooks()] == [hook.id]
    assert tenant.client.update_webhook(hook.id, is_active=False).is_active is False
    assert tenant.client.reset_webhook_circuit(hook.id).is_active is True
    assert tenant.client.delete_webhook(hook.id) is None
    with pytest.raises(NotFoundError) as exc:
        tenant.client.get_webhook(hook.id)
    _error(exc, 404, "RESOURCE_NOT_FOUND")


def test_test_webhook_unreachable_reports_failure_in_result(tenant):
    # Port 9 (discard) on loopback refuses: the test endpoint still answers 200 with success false.
    hook = tenant.client.create_webhook(url="http://127.0.0.1:9/hook", events=["ping"])
    result = tenant.client.test_webhook(hook.id)
    assert isinstance(result, r.WebhookTestResult) and result.success is False and result.message


def test_create_webhook_plain_http_is_validation_error(tenant):
    with pytest.raises(ValidationError) as exc:
        tenant.client.create_webhook(url="http://hooks.example.com/iv", events=["ping"])
    _error(exc, 400, "VALIDATION_ERROR")


# -- billing, auth, transport ----------------------------------------------------------------


def test_get_billing_usage_counts_completed_minutes(tenant):
    interview = tenant.interview("PHONE")
    tenant.sim.advance(0)  # the due attempt starts
    tenant.sim.end_call(interview.id, "COMPLETED", duration=90)
    tenant.sim.advance(60)  # post-call processing
    usage = tenant.client.get_billing_usage()
    assert isinstance(usage, r.BillingUsage)
    (mine,) = [c for c in usage.companies if c.company_id == tenant.company["id"]]
    assert mine.billing_system == "minutes" and mine.total_minutes_used == 2


def test_get_interview_unknown_key_is_authentication_error(base_url):
    with InstaViewClient(base_url, "sk_" + "x" * 43, retry_policy=NO_RETRY) as client:
        with pytest.raises(AuthenticationError) as exc:
            client.get_interview(MISSING)
    _error(exc, 401, "INVALID_API_KEY")
    assert "x" * 43 not in str(exc.value) and "x" * 43 not in repr(client)


def test_get_interview_suspended_key_is_authentication_error(sim, base_url, tenant):
    key = sim.key(company_id=tenant.company["id"])
    sim.suspend(key["id"])
    with InstaViewClient(base_url, key["key"], retry_policy=NO_RETRY) as client:
        with pytest.raises(AuthenticationError) as exc:
            client.list_interviews()
    _error(exc, 401, "API_KEY_SUSPENDED")
    assert "reason" in exc.value.details


def test_list_interviews_missing_scope_is_permission_denied(sim, base_url, tenant):
    key = sim.key(company_id=tenant.company["id"], scopes=["read:interviews"])
    with InstaViewClient(base_url, key["key"], retry_policy=NO_RETRY) as client:
        with pytest.raises(PermissionDeniedError) as exc:
            client.list_interviews()
    _error(exc, 403, "INSUFFICIENT_PERMISSIONS")
    assert exc.value.required_scopes == ["read:interviews", "read:candidates", "read:agents"]


def test_list_jobs_rate_limited_is_rate_limit_error(sim, base_url, tenant):
    key = sim.key(company_id=tenant.company["id"], rateLimit={"perMinute": 1, "perHour": 100})
    policy = RetryPolicy(max_attempts=1)
    with InstaViewClient(base_url, key["key"], retry_policy=policy) as client:
        client.list_jobs()
        with pytest.raises(RateLimitError) as exc:
            client.list_jobs()
    _error(exc, 429, "RATE_LIMIT_EXCEEDED")
    assert exc.value.retry_after is not None and exc.value.retry_after > 0


def test_get_job_injected_5xx_is_retried(sim, base_url, tenant):
    job = tenant.job()
    sim.fault(method="GET", path=f"/jobs/{job.id}", action="error", status=503, times=1)
    sleeps: list[float] = []
    with InstaViewClient(base_url, tenant.key["key"], retry_policy=RetryPolicy(base_delay=0.01),
                         sleep=sleeps.append) as client:  # fmt: skip
        assert client.get_job(job.id).id == job.id
        assert client.last_call.statuses == [503, 200] and len(sleeps) == 1


def test_create_job_injected_5xx_is_server_error_not_retried(sim, base_url, tenant):
    sim.fault(method="POST", path="/jobs", action="error", status=502, times=1, companyId=tenant.company["id"])
    with InstaViewClient(base_url, tenant.key["key"], retry_policy=RetryPolicy(base_delay=0.01),
                         sleep=lambda s: None) as client:  # fmt: skip
        with pytest.raises(ServerError) as exc:
            client.create_job(title="Never twice", description="Must not be created twice.", status="OPEN")
        assert client.last_call.attempts == 1
    _error(exc, 502, "INJECTED_FAULT")


def test_get_interview_refused_connection_is_api_connection_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once the socket closes
    with InstaViewClient(f"http://127.0.0.1:{port}", "sk_test", retry_policy=NO_RETRY) as client:
        with pytest.raises(APIConnectionError) as exc:
            client.get_interview(MISSING)
    assert exc.value.status is None and exc.value.code is None
    assert isinstance(exc.value.__cause__, requests.ConnectionError)


def test_unknown_route_is_route_error(tenant):
    with pytest.raises(RouteError) as exc:
        tenant.client._request("get_interview", "GET", "/no-such-thing")
    _error(exc, 404, "ROUTE_NOT_FOUND")


def test_client_context_manager_closes_own_session(base_url):
    client = InstaViewClient(base_url, "sk_test")
    closed = []
    client.session.close = lambda: closed.append(True)
    with client:
        pass
    assert closed == [True]
    shared = requests.Session()
    with InstaViewClient(base_url, "sk_test", session=shared) as c2:
        assert c2.session is shared
    shared.close()


def test_request_id_is_uuid(tenant):
    with pytest.raises(NotFoundError) as exc:
        tenant.client.get_job(MISSING)
    uuid.UUID(exc.value.request_id)
