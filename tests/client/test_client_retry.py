"""The retry policy, pure, and the client's retry loop over a scripted transport: no sleeping."""

from __future__ import annotations

import json
import random

import pytest
import requests

from client_under_test import (
    APIConnectionError,
    InstaViewClient,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ValidationError,
)
from client_under_test.retry import DELETE_OPS, READ_OPS

POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)
ID = "5f1c0000-0000-4000-8000-000000000001"


class FixedRng:
    def __init__(self, value: float) -> None:
        self.value = value

    def random(self) -> float:
        return self.value


# -- the pure policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("op", sorted(READ_OPS | DELETE_OPS))
def test_should_retry_safe_op_on_lost_answer(op):
    assert POLICY.should_retry(op, 1, None, APIConnectionError("gone"))


@pytest.mark.parametrize(
    "op",
    [
        "create_interview", "create_candidate", "create_job", "create_agent", "create_webhook",
        "create_company", "invoke_call_attempt", "reschedule_call_attempt", "update_candidate",
        "update_job", "update_agent", "update_webhook", "update_company", "test_webhook",
        "reset_webhook_circuit",
    ],
)  # fmt: skip
def test_should_retry_never_for_unsafe_op(op):
    for status in (None, 429, 500, 502, 503, 504):
        assert not POLICY.should_retry(op, 1, status, None), (op, status)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_should_retry_read_on_5xx(status):
    assert POLICY.should_retry("get_interview", 1, status, ServerError("x", status=status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 409, 413, 415, 501])
def test_should_retry_read_never_on_answers_that_will_not_change(status):
    assert not POLICY.should_retry("get_interview", 1, status, None)


def test_should_retry_stops_at_max_attempts():
    assert POLICY.should_retry("get_interview", 2, 503, None)
    assert not POLICY.should_retry("get_interview", 3, 503, None)
    assert not RetryPolicy(max_attempts=1).should_retry("get_interview", 1, None, None)


def test_should_retry_rate_limited_honours_retry_after_limit():
    short = RateLimitError("slow down", status=429, code="RATE_LIMIT_EXCEEDED", retry_after=5)
    long = RateLimitError("slow down", status=429, code="RATE_LIMIT_EXCEEDED", retry_after=3600)
    assert POLICY.should_retry("list_interviews", 1, 429, short)
    assert not POLICY.should_retry("list_interviews", 1, 429, long)
    assert not RetryPolicy(retry_rate_limited=False).should_retry("list_interviews", 1, 429, short)


def test_backoff_grows_exponentially_up_to_the_cap():
    top = FixedRng(0.999999)
    waits = [POLICY.backoff(a, None, top) for a in range(1, 8)]
    assert waits[0] == pytest.approx(0.5, rel=1e-3)
    assert waits[1] == pytest.approx(1.0, rel=1e-3)
    assert waits[2] == pytest.approx(2.0, rel=1e-3)
    assert max(waits) <= POLICY.max_delay
    assert waits[-1] == pytest.approx(POLICY.max_delay, rel=1e-3)


def test_backoff_is_jittered_within_zero_and_ceiling():
    rng = random.Random(1234)
    waits = [POLICY.backoff(3, None, rng) for _ in range(200)]
    assert all(0 <= w <= 2.0 for w in waits)
    assert len({round(w, 6) for w in waits}) > 100  # really random, not a constant


def test_backoff_never_shorter_than_retry_after():
    assert POLICY.backoff(1, 7.0, FixedRng(0.0)) == 7.0
    assert POLICY.backoff(5, 0.1, FixedRng(0.999999)) == pytest.approx(8.0, rel=1e-3)


# -- the client's loop over a scripted transport ------------------------------------------------


def _answer(status: int, data=None, *, code=None, headers=None, details=None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers["X-Request-Id"] = "00000000-0000-4000-8000-0000000000aa"
    resp.headers.update(headers or {})
    if status != 204:
        if code is None:
            body = {"success": True, "data": data, "error": None, "timestamp": "2026-01-01T00:00:00.000Z"}
        else:
            body = {"success": False, "data": None, "timestamp": "2026-01-01T00:00:00.000Z",
                    "error": {"code": code, "message": f"{code} happened", "details": details or {}}}
        resp._content = json.dumps(body).encode()
    else:
        resp._content = b""
    return resp


class ScriptedSession:
    """Answers each request with the next scripted response, or raises the scripted exception."""

    def __init__(self, *script) -> None:
        self.script = list(script)
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    def close(self):
        pass


def _client(session, policy=POLICY):
    sleeps: list[float] = []
    client = InstaViewClient(
        "http://sim.invalid", "sk_test", retry_policy=policy, session=session,
        sleep=sleeps.append, rng=FixedRng(0.5),
    )  # fmt: skip
    return client, sleeps


def test_delete_interview_after_lost_answer_then_404_reports_deleted():
    session = ScriptedSession(
        requests.ConnectionError("connection reset"),
        _answer(404, code="RESOURCE_NOT_FOUND"),
    )
    client, sleeps = _client(session)
    assert client.delete_interview(ID) is True
    assert client.last_call.recovered_delete
    assert client.last_call.statuses == [None, 404]
    assert len(session.calls) == 2 and len(sleeps) == 1


def test_delete_interview_after_5xx_then_404_reports_deleted():
    session = ScriptedSession(_answer(502, code="INJECTED_FAULT"), _answer(404, code="RESOURCE_NOT_FOUND"))
    client, _ = _client(session)
    assert client.delete_interview(ID) is True
    assert client.last_call.recovered_delete


def test_delete_interview_first_404_is_not_found():
    session = ScriptedSession(_answer(404, code="RESOURCE_NOT_FOUND"))
    client, sleeps = _client(session)
    with pytest.raises(NotFoundError) as exc:
        client.delete_interview(ID)
    assert (exc.value.status, exc.value.code) == (404, "RESOURCE_NOT_FOUND")
    assert sleeps == [] and len(session.calls) == 1


def test_delete_interview_after_429_then_404_is_not_found():
    # A 429 is answered before anything is applied (api.md "Order of checks"), so the
    # later 404 is the truth: the interview was not there.
    session = ScriptedSession(
        _answer(429, code="RATE_LIMIT_EXCEEDED", headers={"Retry-After": "2"}),
        _answer(404, code="RESOURCE_NOT_FOUND"),
    )
    client, sleeps = _client(session)
    with pytest.raises(NotFoundError):
        client.delete_interview(ID)
    assert sleeps == [2.0]


def test_delete_call_attempt_after_lost_answer_then_404_returns_none():
    session = ScriptedSession(requests.ReadTimeout("slow"), _answer(404, code="RESOURCE_NOT_FOUND"))
    client, _ = _client(session)
    assert client.delete_call_attempt(ID, ID) is None
    assert client.last_call.recovered_delete


def test_get_interview_retries_5xx_then_succeeds():
    session = ScriptedSession(_answer(503, code="INJECTED_FAULT"), _answer(200, {"id": ID, "status": "SCHEDULED"}))
    client, sleeps = _client(session)
    assert client.get_interview(ID).id == ID
    assert sleeps == [POLICY.backoff(1, None, FixedRng(0.5))]


def test_get_interview_gives_up_after_max_attempts_with_server_error():
    session = ScriptedSession(*[_answer(503, code="INJECTED_FAULT") for _ in range(3)])
    client, sleeps = _client(session)
    with pytest.raises(ServerError) as exc:
        client.get_interview(ID)
    assert (exc.value.status, exc.value.code) == (503, "INJECTED_FAULT")
    assert len(session.calls) == 3 and len(sleeps) == 2


def test_get_interview_connection_error_wraps_requests_exception():
    cause = requests.ConnectionError("refused")
    client, _ = _client(ScriptedSession(cause), RetryPolicy(max_attempts=1))
    with pytest.raises(APIConnectionError) as exc:
        client.get_interview(ID)
    assert exc.value.__cause__ is cause
    assert (exc.value.status, exc.value.code) == (None, None)


def test_create_interview_never_retried_on_lost_answer():
    session = ScriptedSession(requests.ConnectionError("reset"), _answer(201, {"id": ID}))
    client, sleeps = _client(session)
    with pytest.raises(APIConnectionError):
        client.create_interview(candidateId=ID, agentId=ID)
    assert len(session.calls) == 1 and sleeps == []


def test_list_interviews_rate_limited_waits_retry_after():
    session = ScriptedSession(
        _answer(429, code="RATE_LIMIT_EXCEEDED", details={"retryAfter": 3}),
        _answer(200, {"data": [], "total": 0, "page": 1, "limit": 20, "totalPages": 0}),
    )
    client, sleeps = _client(session)
    assert client.list_interviews().total == 0
    assert sleeps == [3.0]


def test_update_job_validation_error_not_retried():
    session = ScriptedSession(
        _answer(400, code="VALIDATION_ERROR", details={"fields": [{"field": "title", "message": "too short"}]})
    )
    client, _ = _client(session)
    with pytest.raises(ValidationError) as exc:
        client.update_job(ID, title="x")
    assert exc.value.fields == [{"field": "title", "message": "too short"}]
    assert exc.value.request_id == "00000000-0000-4000-8000-0000000000aa"
