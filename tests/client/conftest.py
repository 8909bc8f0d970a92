"""Fixtures for the client tests: one in-process simulator served on loopback, tenants via /_sim."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import requests

from client_under_test import InstaViewClient, RetryPolicy

NO_RETRY = RetryPolicy(max_attempts=1)


class ControlPlane:
    """The few /_sim calls the client tests need (control-plane.md), straight over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        resp = self.http.request(method, f"{self.base_url}/_sim{path}", json=body, timeout=10)
        assert resp.status_code < 300, f"/_sim{path}: {resp.status_code} {resp.text}"
        return resp.json()["data"]

    def company(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/companies", {"name": "Acme " + uuid.uuid4().hex[:6], **settings})

    def key(self, kind: str = "COMPANY", company_id: str | None = None, scopes: Any = "*", **extra: Any) -> dict:
        body: dict[str, Any] = {"kind": kind, "scopes": scopes, **extra}
        if company_id is not None:
            body["companyId"] = company_id
        return self._call("POST", "/api-keys", body)

    def suspend(self, key_id: str) -> None:
        self._call("POST", f"/api-keys/{key_id}/suspend", {"reason": "tests"})

    def now(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self._call("GET", "/clock")["now"])

    def advance(self, seconds: float) -> Any:
        return self._call("POST", "/clock/advance", {"seconds": seconds})

    def end_call(self, interview_id: str, outcome: str = "COMPLETED", duration: int = 90) -> Any:
        return self._call(
            "POST", f"/interviews/{interview_id}/end-call", {"outcome": outcome, "durationSeconds": duration}
        )

    def fault(self, **body: Any) -> dict:
        return self._call("POST", "/faults", body)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")


@pytest.fixture(scope="session")
def base_url():
    from simulator.testing import serve_in_thread  # the tests, not the client, know the simulator
    from simulator.web.app import create_app

    with serve_in_thread(create_app()) as url:
        yield url


@pytest.fixture(scope="session")
def sim(base_url):
    control = ControlPlane(base_url)
    yield control
    control.http.close()


class Tenant:
    """A fresh company with a full-scope COMPANY key and a client for it."""

    def __init__(self, sim: ControlPlane, base_url: str) -> None:
        self.sim = sim
        self.base_url = base_url
        self.company = sim.company()
        self.key = sim.key(company_id=self.company["id"])
        self.client = InstaViewClient(base_url, self.key["key"], retry_policy=NO_RETRY)

    @property
    def phone_number_id(self) -> str:
        return self.company["phoneNumberIds"][0]

    def candidate(self, **fields: Any):
        body = {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
                "phoneNumber": "+421900000001", "gdprExpiryDate": "2099-12-31", **fields}  # fmt: skip
        return self.client.create_candidate(body)

    def job(self, **fields: Any):
        body = {"title": "Backend engineer", "description": "Builds the API we simulate.", "status": "OPEN", **fields}
        return self.client.create_job(body)

    def agent(self, type: str = "ONLINE", **fields: Any):
        body = {"name": "Screening bot", "type": type, "focus": "GENERIC", **fields}
        if type == "PHONE":
            body.setdefault("companyPhoneNumberId", self.phone_number_id)
        return self.client.create_agent(body)

    def interview(self, type: str = "ONLINE", **fields: Any):
        candidate = self.candidate()
        agent = self.agent(type)
        return self.client.create_interview(candidateId=candidate.id, agentId=agent.id, **fields)


@pytest.fixture
def tenant(sim, base_url):
    t = Tenant(sim, base_url)
    yield t
    t.client.close()


@pytest.fixture
def other_tenant(sim, base_url):
    t = Tenant(sim, base_url)
    yield t
    t.client.close()
