"""Fixtures for the webhook tests: a manual-clock Simulator driven through its core API and
a real receiver on 127.0.0.1 (spec_tests.webhook_receiver)."""
from __future__ import annotations

import pytest

from simulator.core import Simulator
from spec_tests.webhook_receiver import WebhookReceiver

START = "2026-01-01T10:00:00Z"


class World:
    def __init__(self, sim: Simulator):
        self.sim = sim

    def company(self, **settings) -> str:
        return self.sim.sim_create_company({"name": "Acme", **settings})["id"]

    def actor(self, company_id, scopes="*", op="create_webhook", company_param=None):
        key = self.sim.sim_create_api_key({"kind": "COMPANY", "companyId": company_id,
                                           "scopes": scopes})
        return self.sim.authorize(self.sim.authenticate("Bearer " + key["key"]), op,
                                  company_param)

    def ats_actor(self, managed, op="create_webhook", company_param=None):
        key = self.sim.sim_create_api_key({"kind": "ATS", "managedCompanyIds": list(managed),
                                           "scopes": "*"})
        return self.sim.authorize(self.sim.authenticate("Bearer " + key["key"]), op,
                                  company_param)

    def webhook(self, actor, url, events=("interview.completed", "analysis.completed"), **body):
        return self.sim.create_webhook(actor, query={}, body={"url": url, "events": list(events),
                                                              **body}).to_dict()

    def online_interview(self, actor, **body):
        agent = self.sim.create_agent(actor, body={"name": "Web", "type": "ONLINE"})
        cand = self.sim.create_candidate(actor, body={"firstName": "Ada", "lastName": "L",
                                                      "email": "ada@example.com"})
        return self.sim.create_interview(actor, body={"candidateId": cand.id,
                                                      "agentId": agent.id, **body})

    def phone_interview(self, actor, **body):
        phone = self.sim.company(actor.company_id).phone_number_ids[0]
        agent = self.sim.create_agent(actor, body={"name": "Caller", "type": "PHONE",
                                                   "companyPhoneNumberId": phone})
        cand = self.sim.create_candidate(actor, body={"firstName": "Ada", "lastName": "L",
                                                      "phoneNumber": "+421900123456"})
        return self.sim.create_interview(actor, body={"candidateId": cand.id,
                                                      "agentId": agent.id, **body})

    def advance(self, seconds=0):
        return self.sim.advance_clock({"seconds": seconds})

    def deliveries(self, **query):
        return self.sim.webhook_deliveries(query)

    def idle(self):
        assert self.sim.webhooks.wait_idle(10), "the webhook sender did not drain"


@pytest.fixture
def sim():
    s = Simulator(clock_mode="manual", start=START, seed=7)
    yield s
    s.webhooks.close()


@pytest.fixture
def world(sim):
    return World(sim)


@pytest.fixture
def world_of():
    """World(sim) for a simulator a test builds itself (e.g. a deliberately broken one)."""
    return World


@pytest.fixture
def make_sim():
    """Build a (sub)class of Simulator like the `sim` fixture; its sender is closed after."""
    made = []

    def make(cls=Simulator):
        s = cls(clock_mode="manual", start=START, seed=7)
        made.append(s)
        return s

    yield make
    for s in made:
        s.webhooks.close()


@pytest.fixture
def rx():
    with WebhookReceiver() as receiver:
        yield receiver
