"""A helper that builds tenants and resources through the core's own public calls."""
from __future__ import annotations

from simulator.core import Simulator

START = "2026-01-01T10:00:00Z"


class World:
    """Builds tenants and resources through the core's own public calls."""

    def __init__(self, sim: Simulator):
        self.sim = sim

    def company(self, **settings):
        company = self.sim.sim_create_company({"name": "Acme", **settings})
        return company, self.actor(company["id"])

    def key(self, company_id, scopes="*", **extra):
        return self.sim.sim_create_api_key(
            {"kind": "COMPANY", "companyId": company_id, "scopes": scopes, **extra})

    def actor(self, company_id, scopes="*", op="create_interview"):
        key = self.key(company_id, scopes)
        return self.sim.authorize(self.sim.authenticate("Bearer " + key["key"]), op, None)

    def phone_agent(self, actor, **fields):
        phone = self.sim.company(actor.company_id).phone_number_ids[0]
        return self.sim.create_agent(actor, body={"name": "Caller", "type": "PHONE",
                                                  "companyPhoneNumberId": phone, **fields})

    def online_agent(self, actor, **fields):
        return self.sim.create_agent(actor, body={"name": "Web", "type": "ONLINE", **fields})

    def job(self, actor, **fields):
        return self.sim.create_job(actor, body={"title": "Support engineer",
                                                "description": "Helps customers daily.",
                                                **fields})

    def candidate(self, actor, **fields):
        body = {"firstName": "Ada", "lastName": "Lovelace", "phoneNumber": "+421900123456"}
        body.update(fields)
        return self.sim.create_candidate(actor, body=body)

    def phone_interview(self, actor, **body):
        agent = self.phone_agent(actor)
        cand = self.candidate(actor)
        return self.sim.create_interview(
            actor, body={"candidateId": cand.id, "agentId": agent.id, **body})

    def online_interview(self, actor, **body):
        agent = self.online_agent(actor)
        cand = self.candidate(actor)
        return self.sim.create_interview(
            actor, body={"candidateId": cand.id, "agentId": agent.id, **body})

    def advance(self, seconds=0):
        return self.sim.advance_clock({"seconds": seconds})

    def view(self, interview_id):
        return self.sim.internal_interview(interview_id)

    def types(self, interview_id=None, after=0):
        query = {"after": str(after)}
        if interview_id:
            query["interviewId"] = interview_id
        return [e["type"] for e in self.sim.events(query)["events"]]

    def last_seq(self):
        return self.sim.events({})["lastSeq"]

    def assert_ok(self):
        inv = self.sim.invariants()
        assert inv["ok"], inv["violations"]
