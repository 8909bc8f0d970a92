"""The Simulator: in-memory store keyed by company, auth, the public operations, the lifecycle
engine (queue, slots, sessions, retries, post-call, tombstones), the journal and the control
plane. Every method assumes the caller holds `sim.lock`; a failing call changes nothing."""
from __future__ import annotations

import collections
import datetime as dt
import math
import threading
from typing import Any, Callable, Mapping

from attrs import define, field, frozen

from simulator.core import inputs, lifecycle
from simulator.core.clock import Clock, iso, parse_timestamp
from simulator.core.entities import (
    Actor, Agent, ApiKey, CallAttempt, Candidate, Company, Event, Interview, Job, Page,
    Principal, RateInfo, Session, hash_key,
)
from simulator.core.enums import (
    AgentFocus, AgentType, AttemptStatus, ClockMode, CompanyMode, EventType, InterviewStatus,
    KeyKind, Outcome, PostCallState, QueueKind, ReasonCode, TranscriptRole, WebhookEvent,
)
from simulator.core.errors import (
    ApiKeySuspended, InsufficientPermissions, InvalidApiKey, InvalidState,
    InvalidStateTransition, NotImplementedYet, RateLimitExceeded, ResourceAccessDenied,
    ResourceNotFound, ValidationError,
)
from simulator.core.ids import IdGenerator
from simulator.core.lifecycle import Event as LE
from simulator.core.operations import OPERATIONS
from simulator.core.queue import DueQueue, QueueItem

ET = EventType
S = InterviewStatus

# queue items that take a concurrency slot when they start
_SLOT_KINDS = frozenset({QueueKind.ATTEMPT.value, QueueKind.AUTO_JOIN.value})


@frozen
class SimConfig:
    clock_mode: str = "manual"
    start: Any = None  # datetime or ISO string; None = the wall clock at start
    seed: Any = None
    auto_end_calls: int | None = None  # default autoEndCallSeconds for new companies
    max_body_bytes: int = 1 << 20
    request_log_size: int = 1000
    ticker: bool = True  # `real` mode: run due work on a background thread (~every 200 ms)


@define
class Tenant:
    """All state of one company: tenancy is the first key of every lookup."""

    company: Company
    candidates: dict[str, Candidate] = field(factory=dict)
    jobs: dict[str, Job] = field(factory=dict)
    agents: dict[str, Agent] = field(factory=dict)
    interviews: dict[str, Interview] = field(factory=dict)
    live: set[str] = field(factory=set)  # interview ids with a live session (= slots taken)
    waiting: list[QueueItem] = field(factory=list)  # due but blocked for lack of a slot

    def free_slot(self) -> bool:
        return len(self.live) < self.company.concurrency_limit

    def live_waiting(self) -> list[QueueItem]:
        self.waiting = [i for i in self.waiting if i.live and i.waiting]
        return sorted(self.waiting, key=lambda i: i.key)


_COLLECTION = {"Candidate": "candidates", "Job": "jobs", "Agent": "agents",
               "Interview": "interviews"}


class _NoWebhooks:
    """Stand-in until simulator.core.webhooks exists: emits nothing, its endpoints answer 501."""

    def __init__(self, sim: "Simulator"):
        self.sim = sim

    def emit(self, event_name: str, interview: Interview, extra: dict) -> None:
        return None

    def reset(self) -> None:
        return None

    def deliveries(self, query: Any) -> list:
        return []

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedYet("Webhooks")

    create_webhook = list_webhooks = get_webhook = update_webhook = _refuse
    delete_webhook = test_webhook = reset_webhook_circuit = _refuse


class Simulator:
    def __init__(self, config: SimConfig | None = None, **overrides: Any):
        if config is None:
            config = SimConfig(**overrides)
        elif overrides:
            config = SimConfig(**{**{a: getattr(config, a) for a in
                                     ("clock_mode", "start", "seed", "auto_end_calls",
                                      "max_body_bytes", "request_log_size", "ticker")},
                                  **overrides})
        self.config = config
        self.lock = threading.RLock()
        start = config.start
        if isinstance(start, str):
            start = parse_timestamp(start)
        self._start = start
        self.clock = Clock(ClockMode(config.clock_mode), start)
        self.ids = IdGenerator(config.seed)
        self.request_log: collections.deque = collections.deque(maxlen=config.request_log_size)
        self._handlers: dict[str, Callable[[QueueItem], None]] = {
            QueueKind.ATTEMPT.value: self._due_attempt,
            QueueKind.AUTO_JOIN.value: self._due_auto_join,
            QueueKind.AUTO_END.value: self._due_auto_end,
            QueueKind.POSTCALL.value: self._due_postcall,
        }
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()
        self._clear()
        try:
            from simulator.core.webhooks import WebhookHub  # issue #5
            self.webhooks = WebhookHub(self)
        except ImportError:
            self.webhooks = _NoWebhooks(self)
        if self.clock.mode is ClockMode.REAL and config.ticker:
            self.start_ticker()

    def _clear(self) -> None:
        self._tenants: dict[str, Tenant] = {}
        self._owner: dict[str, str] = {}  # resource id -> company id
        self._keys: dict[str, ApiKey] = {}
        self._key_by_hash: dict[str, str] = {}
        self.queue = DueQueue()
        self._events: list[Event] = []

    # ------------------------------------------------------------ seams for other modules

    def register_due_handler(self, kind: str, fn: Callable[[QueueItem], None]) -> None:
        self._handlers[str(kind)] = fn

    def schedule(self, due: dt.datetime, kind: str, ref: Any) -> QueueItem:
        return self.queue.push(due, str(kind), ref)

    def unschedule(self, item: QueueItem | None) -> None:
        self.queue.cancel(item)

    def journal(self, type: str | EventType, company_id: str | None,
                interview_id: str | None = None, attempt_id: str | None = None,
                **data: Any) -> Event:
        ev = Event(seq=len(self._events) + 1, at=self.clock.now(),
                   type=str(getattr(type, "value", type)), company_id=company_id, interview_id=interview_id, attempt_id=attempt_id,
                   data=data)
        self._events.append(ev)
        return ev

    def _emit(self, event: WebhookEvent, interview: Interview, extra: dict | None = None) -> None:
        if interview.deleted:  # lifecycle.md: nothing new is emitted after a deletion
            return
        self.webhooks.emit(event.value, interview, dict(extra or {}))

    def company(self, company_id: str) -> Company | None:
        t = self._tenants.get(company_id)
        return t.company if t else None

    def api_key(self, key_id: str) -> ApiKey | None:
        """The key record (never the plaintext): for the webhooks hub's ownership rules."""
        return self._keys.get(key_id)

    def interview_by_id(self, interview_id: str) -> Interview | None:
        owner = self._owner.get(interview_id)
        return self._tenants[owner].interviews.get(interview_id) if owner else None

    # ------------------------------------------------------------ auth pipeline

    def authenticate(self, authorization: str | None) -> Principal:
        if not authorization or not isinstance(authorization, str):
            raise InvalidApiKey()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidApiKey()
        key = self._keys.get(self._key_by_hash.get(hash_key(token), ""))
        if key is None or not key.matches(token) or key.revoked_at is not None:
            raise InvalidApiKey()
        if key.suspended_at is not None:
            raise ApiKeySuspended(iso(key.suspended_at), key.suspend_reason)
        return key.principal()

    def count_request(self, principal: Principal) -> RateInfo | None:
        """decisions 37: fixed minute/hour windows on the virtual clock; 429s count too."""
        key = self._keys[principal.key_id]
        if not key.rate_limited:
            return None
        ts = self.clock.now().timestamp()
        mw, hw = int(ts // 60), int(ts // 3600)
        if key.minute_window != mw:
            key.minute_window, key.minute_count = mw, 0
        if key.hour_window != hw:
            key.hour_window, key.hour_count = hw, 0
        key.minute_count += 1
        key.hour_count += 1
        reset_m, reset_h = (mw + 1) * 60, (hw + 1) * 3600
        info = RateInfo(
            key.rate_per_minute, key.rate_per_hour,
            None if key.rate_per_minute is None else max(0, key.rate_per_minute - key.minute_count),
            None if key.rate_per_hour is None else max(0, key.rate_per_hour - key.hour_count),
            reset_m, reset_h)
        for limit, count, reset in ((key.rate_per_minute, key.minute_count, reset_m),
                                    (key.rate_per_hour, key.hour_count, reset_h)):
            if limit is not None and count > limit:
                raise RateLimitExceeded(max(1, math.ceil(reset - ts)), limit, reset,
                                        info.headers())
        return info

    def authorize(self, principal: Principal, op_name: str,
                  company_id_param: str | None = None) -> Actor:
        op = OPERATIONS[op_name]
        key = self._keys[principal.key_id]
        scopes = key.scopes
        missing = [s for s in op.scopes if not _has_scope(scopes, s)]
        if missing:
            raise InsufficientPermissions(op.scopes, missing)
        if op.ats_only and key.kind is not KeyKind.ATS:
            raise InsufficientPermissions(op.scopes, [], required_key_kind="ATS")
        managed = frozenset(key.managed_company_ids)
        if key.kind is KeyKind.COMPANY:
            company_id = key.company_id  # a companyId query parameter is ignored
            managed = frozenset({key.company_id})
        elif op.company is CompanyMode.NONE:
            company_id = None
        elif company_id_param is None or company_id_param == "":
            if op.company is CompanyMode.REQUIRED:
                raise ValidationError([("companyId", "is required with an ATS key")])
            company_id = None
        else:
            company_id = inputs.parse_uuid("companyId", company_id_param)
            if company_id not in managed or company_id not in self._tenants:
                raise ResourceAccessDenied("Company", company_id)
        return Actor(key.id, key.kind, company_id, managed, frozenset(scopes))

    # ------------------------------------------------------------ lookups

    def _tenant(self, actor: Actor) -> Tenant:
        return self._tenants[actor.company_id]

    def _find(self, kind: str, rid: str) -> tuple[str | None, Any]:
        owner = self._owner.get(rid)
        if owner is None:
            return None, None
        return owner, getattr(self._tenants[owner], _COLLECTION[kind]).get(rid)

    def _get(self, actor: Actor, kind: str, rid: str, body_field: str | None = None) -> Any:
        """api.md step 7 (path ids) / decisions 4 (ids named in a body)."""
        owner, ent = self._find(kind, rid)
        if ent is None or ent.deleted_at is not None:
            if body_field:
                raise ValidationError([(body_field, f"{kind} {rid} does not exist or was deleted")])
            raise ResourceNotFound(kind, rid)
        if owner != actor.company_id:
            raise ResourceAccessDenied(kind, rid)
        return ent

    def _index(self, company_id: str, kind: str, ent: Any) -> None:
        self._owner[ent.id] = company_id
        getattr(self._tenants[company_id], _COLLECTION[kind])[ent.id] = ent

    @staticmethod
    def _page(items: list, query: dict) -> Page:
        items = sorted(items, key=lambda e: e.id)
        items.sort(key=lambda e: e.created_at, reverse=True)  # decisions 13
        page, limit = query.get("page", 1), query.get("limit", 20)
        return Page(items[(page - 1) * limit: page * limit], len(items), page, limit)

    # ------------------------------------------------------------ companies

    def _new_company(self, name: str | None, settings: dict | None = None,
                     created_by: str | None = None, **fields: Any) -> Company:
        now = self.clock.now()
        cid = self.ids.uuid()
        company = Company(
            id=cid, name=name or f"Company {len(self._tenants) + 1}", created_at=now,
            updated_at=now, phone_number_ids=[self.ids.uuid()], created_by_key_id=created_by,
            auto_end_call_seconds=self.config.auto_end_calls, **fields)
        for k, v in (settings or {}).items():
            setattr(company, k, v)
        self._tenants[cid] = Tenant(company)
        return company

    def list_companies(self, actor: Actor, *, query: dict, body: Any = None) -> Page:
        items = [self._tenants[c].company for c in actor.managed_company_ids if c in self._tenants]
        if query.get("search"):
            items = [c for c in items if query["search"].lower() in c.name.lower()]
        return self._page(items, query)

    def _company_for(self, actor: Actor, company_id: str) -> Company:
        company = self.company(company_id)
        if company is None:
            raise ResourceNotFound("Company", company_id)
        if company_id not in actor.managed_company_ids:
            raise ResourceAccessDenied("Company", company_id)
        return company

    def get_company(self, actor: Actor, company_id: str, *, query: dict | None = None,
                    body: Any = None) -> Company:
        return self._company_for(actor, company_id)

    def create_company(self, actor: Actor, *, query: dict | None = None, body: Any) -> Company:
        v = inputs.parse_company(body)
        name = v.pop("name")
        company = self._new_company(name, created_by=actor.key_id, **v)
        self._keys[actor.key_id].managed_company_ids.add(company.id)
        return company

    def update_company(self, actor: Actor, company_id: str, *, query: dict | None = None,
                       body: Any) -> Company:
        v = inputs.parse_company(body, partial=True)
        company = self._company_for(actor, company_id)
        if "metadata" in v:  # merged, not replaced (api.md); the result must fit the limits
            merged = {**company.metadata, **v["metadata"]}
            problem = inputs.metadata_problem(merged)
            if problem:
                raise ValidationError([("metadata", "merged metadata " + problem)])
            v["metadata"] = merged
        for k, val in v.items():
            setattr(company, k, val)
        company.updated_at = self.clock.now()
        return company

    # ------------------------------------------------------------ candidates, jobs, agents

    def _check_job_refs(self, actor: Actor, job_ids: list[str], field_name: str) -> None:
        for jid in job_ids:
            self._get(actor, "Job", jid, body_field=field_name)

    def create_candidate(self, actor: Actor, *, query: dict | None = None, body: Any) -> Candidate:
        v = inputs.parse_candidate(body, today=self.clock.now().date())
        self._check_job_refs(actor, v.get("job_ids", []),
                             "jobIds" if isinstance(body, dict) and body.get("jobIds") else "jobId")
        now = self.clock.now()
        cand = Candidate(id=self.ids.uuid(), company_id=actor.company_id, created_at=now,
                         updated_at=now, **v)
        self._index(actor.company_id, "Candidate", cand)
        return cand

    def list_candidates(self, actor: Actor, *, query: dict, body: Any = None) -> Page:
        items = [c for c in self._tenant(actor).candidates.values() if c.deleted_at is None]
        if query.get("job_id"):
            items = [c for c in items if query["job_id"] in c.job_ids]
        if query.get("status"):
            items = [c for c in items if c.status is query["status"]]
        if query.get("search"):
            s = query["search"].lower()
            items = [c for c in items if s in f"{c.first_name} {c.last_name}".lower()
                     or s in (c.email or "").lower()]
        return self._page(items, query)

    def get_candidate(self, actor: Actor, candidate_id: str, *, query: dict | None = None,
                      body: Any = None) -> Candidate:
        return self._get(actor, "Candidate", candidate_id)

    def update_candidate(self, actor: Actor, candidate_id: str, *, query: dict | None = None,
                         body: Any) -> Candidate:
        v = inputs.parse_candidate(body, today=self.clock.now().date(), partial=True)
        cand = self._get(actor, "Candidate", candidate_id)
        self._check_job_refs(actor, v.get("job_ids", []), "jobIds")
        for k, val in v.items():
            setattr(cand, k, val)
        cand.updated_at = self.clock.now()
        return cand

    def delete_candidate(self, actor: Actor, candidate_id: str, *, query: dict | None = None,
                         body: Any = None) -> bool:
        cand = self._get(actor, "Candidate", candidate_id)
        cand.deleted_at = self.clock.now()
        return True

    def create_job(self, actor: Actor, *, query: dict | None = None, body: Any) -> Job:
        v = inputs.parse_job(body)
        return self._make_job(actor.company_id, v)

    def _make_job(self, company_id: str, v: dict) -> Job:
        now = self.clock.now()
        job = Job(id=self.ids.uuid(), company_id=company_id, created_at=now, updated_at=now, **v)
        self._index(company_id, "Job", job)
        return job

    def list_jobs(self, actor: Actor, *, query: dict, body: Any = None) -> Page:
        items = [j for j in self._tenant(actor).jobs.values() if j.deleted_at is None]
        if query.get("status"):
            items = [j for j in items if j.status is query["status"]]
        if query.get("search"):
            items = [j for j in items if query["search"].lower() in j.title.lower()]
        return self._page(items, query)

    def get_job(self, actor: Actor, job_id: str, *, query: dict | None = None,
                body: Any = None) -> Job:
        return self._get(actor, "Job", job_id)

    def update_job(self, actor: Actor, job_id: str, *, query: dict | None = None,
                   body: Any) -> Job:
        v = inputs.parse_job(body, partial=True)
        job = self._get(actor, "Job", job_id)
        for k, val in v.items():
            setattr(job, k, val)
        job.updated_at = self.clock.now()
        return job

    def delete_job(self, actor: Actor, job_id: str, *, query: dict | None = None,
                   body: Any = None) -> bool:
        self._get(actor, "Job", job_id).deleted_at = self.clock.now()
        return True

    def _check_phone_number(self, company: Company, agent_type: AgentType | None,
                            phone_id: str | None, field_name: str) -> None:
        if phone_id is not None and phone_id not in company.phone_number_ids:
            raise ValidationError([(field_name, "is not a phone number of this company")])
        if agent_type is AgentType.PHONE and phone_id is None:
            raise ValidationError([(field_name, "is required for a PHONE agent")])

    def create_agent(self, actor: Actor, *, query: dict | None = None, body: Any) -> Agent:
        v = inputs.parse_agent(body)
        self._check_phone_number(self._tenant(actor).company, v["type"],
                                 v.get("company_phone_number_id"), "companyPhoneNumberId")
        return self._make_agent(actor.company_id, v)

    def _make_agent(self, company_id: str, v: dict) -> Agent:
        now = self.clock.now()
        agent = Agent(id=self.ids.uuid(), company_id=company_id, created_at=now, updated_at=now,
                      **v)
        self._index(company_id, "Agent", agent)
        return agent

    def list_agents(self, actor: Actor, *, query: dict, body: Any = None) -> Page:
        items = [a for a in self._tenant(actor).agents.values() if a.deleted_at is None]
        for k in ("type", "focus"):
            if query.get(k):
                items = [a for a in items if getattr(a, k) is query[k]]
        if query.get("search"):
            items = [a for a in items if query["search"].lower() in a.name.lower()]
        return self._page(items, query)

    def get_agent(self, actor: Actor, agent_id: str, *, query: dict | None = None,
                  body: Any = None) -> Agent:
        return self._get(actor, "Agent", agent_id)

    def update_agent(self, actor: Actor, agent_id: str, *, query: dict | None = None,
                     body: Any) -> Agent:
        v = inputs.parse_agent(body, partial=True)
        agent = self._get(actor, "Agent", agent_id)
        self._check_phone_number(self._tenant(actor).company, v.get("type", agent.type),
                                 v.get("company_phone_number_id", agent.company_phone_number_id),
                                 "companyPhoneNumberId")
        for k, val in v.items():
            setattr(agent, k, val)
        agent.updated_at = self.clock.now()
        return agent

    def delete_agent(self, actor: Actor, agent_id: str, *, query: dict | None = None,
                     body: Any = None) -> bool:
        self._get(actor, "Agent", agent_id).deleted_at = self.clock.now()
        return True

    # ------------------------------------------------------------ interviews

    def create_interview(self, actor: Actor, *, query: dict | None = None,
                         body: Any) -> Interview:
        now = self.clock.now()
        v = inputs.parse_create_interview(body, now=now)
        tenant = self._tenant(actor)
        # -- step 7: everything named in the body (decisions 4)
        cand = self._get(actor, "Candidate", v["candidate_id"], "candidateId") \
            if "candidate_id" in v else None
        agent = self._get(actor, "Agent", v["agent_id"], "agentId") if "agent_id" in v else None
        job = self._get(actor, "Job", v["job_id"], "jobId") if "job_id" in v else None
        inline_c, inline_a, inline_j = v.get("candidate"), v.get("agent"), v.get("job")
        cand_job = None
        if inline_c and "job_id" in inline_c:
            cand_job = self._get(actor, "Job", inline_c["job_id"], "candidate.jobId")
        # -- step 8: rules
        if inline_a is not None:
            self._check_phone_number(tenant.company, inline_a["type"],
                                     inline_a.get("company_phone_number_id"),
                                     "agent.companyPhoneNumberId")
        agent_type = agent.type if agent else inline_a["type"]
        focus = agent.focus if agent else inline_a.get("focus", AgentFocus.GENERIC)
        is_phone = agent_type is AgentType.PHONE
        phone = cand.phone_number if cand else inline_c.get("phone_number")
        if is_phone and not phone:  # decisions 20
            raise ValidationError([("candidateId" if cand else "candidate.phoneNumber",
                                    "a PHONE interview needs a candidate with a phoneNumber")])
        if job is not None and cand is not None and job.id not in cand.job_ids:
            raise ValidationError([("jobId", "the candidate is not assigned to this job; "
                                             "assign it first or pass one of its jobs")])
        resolved = job or cand_job
        if inline_j is None and resolved is None and focus is not AgentFocus.GENERIC:
            live_jobs = [] if cand is None else [
                j for j in cand.job_ids if (self._find("Job", j)[1] is not None
                                            and self._find("Job", j)[1].deleted_at is None)]
            if len(live_jobs) == 1:
                resolved = tenant.jobs[live_jobs[0]]
            elif len(live_jobs) > 1:
                raise ValidationError([("jobId", "the candidate has several jobs: pass jobId "
                                                 "to choose one")])
            else:
                raise ValidationError([("jobId", f"a {focus.value} agent needs a job: pass "
                                                 "jobId or job")])
        # -- every check passed: apply
        if inline_j is not None:
            resolved = self._make_job(actor.company_id, inline_j)
        if cand is None:
            c = {k: val for k, val in inline_c.items() if k != "job_id"}
            c["job_ids"] = [resolved.id] if resolved is not None else []
            cand = Candidate(id=self.ids.uuid(), company_id=actor.company_id, created_at=now,
                             updated_at=now, **c)
            self._index(actor.company_id, "Candidate", cand)
        elif resolved is not None and resolved.id not in cand.job_ids:
            cand.job_ids.append(resolved.id)  # decisions 19: inline job links the candidate
            cand.updated_at = now
        if agent is None:
            agent = self._make_agent(actor.company_id, inline_a)
        interview = Interview(
            id=self.ids.uuid(), company_id=actor.company_id, candidate_id=cand.id,
            agent_id=agent.id, job_id=resolved.id if resolved else None, is_phone=is_phone,
            scheduled_at=v.get("scheduled_at", now), created_at=now, updated_at=now,
            is_test=v.get("is_test", False), metadata=v.get("metadata", {}))
        self._index(actor.company_id, "Interview", interview)
        self.journal(ET.INTERVIEW_CREATED, interview.company_id, interview.id,
                     isTest=interview.is_test, kind="PHONE" if is_phone else "ONLINE")
        if interview.is_test:  # lifecycle.md, Creation: completes at once, no session/slot
            interview.status = lifecycle.apply(interview.status, LE.TEST_COMPLETED)
            interview.transcript = self._gen_transcript(now, 60)
            interview.analysis = self._gen_analysis(now)
            interview.duration_minutes = 0
            interview.finished_date = now
            interview.post_call = PostCallState.DONE
            self.journal(ET.INTERVIEW_COMPLETED, interview.company_id, interview.id)
            self._emit(WebhookEvent.INTERVIEW_COMPLETED, interview)
            self._emit(WebhookEvent.ANALYSIS_COMPLETED, interview,
                       {"analysis": interview.analysis})
        elif is_phone:
            self._queue_attempt(interview, 0, interview.scheduled_at)
        elif tenant.company.auto_end_call_seconds is not None:
            interview.auto_join_item = self.schedule(
                interview.scheduled_at, QueueKind.AUTO_JOIN, (interview.company_id, interview.id))
        self._recount(cand)
        return interview

    def list_interviews(self, actor: Actor, *, query: dict, body: Any = None) -> Page:
        items = [i for i in self._tenant(actor).interviews.values() if not i.deleted]
        for q, attr in (("candidate_id", "candidate_id"), ("agent_id", "agent_id")):
            if query.get(q):
                items = [i for i in items if getattr(i, attr) == query[q]]
        if query.get("status"):
            items = [i for i in items if i.status is query["status"]]
        return self._page(items, query)

    def get_interview(self, actor: Actor, interview_id: str, *, query: dict | None = None,
                      body: Any = None) -> Interview:
        return self._get(actor, "Interview", interview_id)

    def delete_interview(self, actor: Actor, interview_id: str, *, query: dict | None = None,
                         body: Any = None) -> bool:
        interview = self._get(actor, "Interview", interview_id)
        now = self.clock.now()
        interview.deleted_at = now
        self.journal(ET.INTERVIEW_DELETED, interview.company_id, interview.id,
                     status=interview.status.value, sessionLive=interview.session is not None)
        # lifecycle.md, Deletion: scheduled attempts are cancelled and leave the queue
        for attempt in interview.attempts:
            if attempt.status is AttemptStatus.SCHEDULED:
                self._cancel_attempt(interview, attempt)
        self.unschedule(interview.auto_join_item)
        interview.auto_join_item = None
        # post-call processing pending: cancelled at the deletion (decisions 27)
        if interview.post_call is PostCallState.PENDING:
            self.unschedule(interview.postcall_item)
            interview.postcall_item = None
            interview.post_call = PostCallState.SKIPPED
            self.journal(ET.POSTCALL_SKIPPED, interview.company_id, interview.id,
                         reason="deleted")
        self._purge(interview)
        cand = self._find("Candidate", interview.candidate_id)[1]
        if cand is not None:
            self._recount(cand)
        return True

    def _purge(self, interview: Interview) -> None:
        """decisions 28: transcript, analysis and every recordingUrl go; minutes stay."""
        interview.transcript = None
        interview.analysis = None
        for a in interview.attempts:
            a.recording_url = None

    def _recount(self, cand: Candidate) -> None:
        live = [i for i in self._tenants[cand.company_id].interviews.values()
                if i.candidate_id == cand.id and not i.deleted]
        cand.interview_count = len(live)
        cand.analysis_count = sum(1 for i in live if i.analysis is not None)

    # ------------------------------------------------------------ call attempts

    def _phone_interview(self, actor: Actor, interview_id: str) -> Interview:
        interview = self._get(actor, "Interview", interview_id)
        if not interview.is_phone:  # decisions 3
            raise InvalidState("Call attempts exist only for PHONE interviews; this one is "
                               "ONLINE", {"interviewId": interview.id})
        return interview

    def _attempt_of(self, interview: Interview, attempt_id: str) -> CallAttempt:
        attempt = interview.attempt(attempt_id)
        if attempt is None:
            raise ResourceNotFound("CallAttempt", attempt_id)
        return attempt

    def invoke_call_attempt(self, actor: Actor, interview_id: str, *, query: dict | None = None,
                            body: Any = None) -> CallAttempt:
        now = self.clock.now()
        v = inputs.parse_invoke(body, now=now)
        interview = self._phone_interview(actor, interview_id)
        new_status = lifecycle.apply(interview.status, LE.INVOKE)
        for attempt in interview.attempts:
            if attempt.status is AttemptStatus.SCHEDULED:
                self._cancel_attempt(interview, attempt)
        if interview.status is S.FAILED:
            interview.finished_date = None  # decisions 25
        interview.status = new_status
        interview.updated_at = now
        # decisions 25: retryNumber = number of earlier attempts, cancelled/deleted included
        return self._queue_attempt(interview, len(interview.attempts),
                                   v.get("scheduled_at", now))

    def reschedule_call_attempt(self, actor: Actor, interview_id: str, attempt_id: str, *,
                                query: dict | None = None, body: Any) -> None:
        v = inputs.parse_reschedule(body, now=self.clock.now())
        interview = self._phone_interview(actor, interview_id)
        attempt = self._attempt_of(interview, attempt_id)
        if attempt.status is not AttemptStatus.SCHEDULED:
            raise InvalidState(f"Only a SCHEDULED call attempt can be rescheduled; this one is "
                               f"{attempt.status.value}", {"status": attempt.status.value})
        self.unschedule(attempt.queue_item)  # decisions 21: a new sequence number
        attempt.scheduled_at = v["scheduled_at"]
        attempt.queue_item = self.schedule(attempt.scheduled_at, QueueKind.ATTEMPT,
                                           (interview.company_id, interview.id, attempt.id))
        self.journal(ET.ATTEMPT_QUEUED, interview.company_id, interview.id, attempt.id,
                     scheduledAt=iso(attempt.scheduled_at), retryNumber=attempt.retry_number,
                     rescheduled=True)
        return None

    def delete_call_attempt(self, actor: Actor, interview_id: str, attempt_id: str, *,
                            query: dict | None = None, body: Any = None) -> None:
        interview = self._phone_interview(actor, interview_id)
        attempt = self._attempt_of(interview, attempt_id)
        if attempt.status is AttemptStatus.IN_PROGRESS:
            raise InvalidState("A call attempt cannot be deleted while its call is live",
                               {"status": attempt.status.value})
        if attempt.status is AttemptStatus.SCHEDULED:
            self._cancel_attempt(interview, attempt)
        attempt.removed = True  # decisions 26: the interview itself is untouched
        return None

    def _queue_attempt(self, interview: Interview, retry_number: int,
                       due: dt.datetime) -> CallAttempt:
        attempt = CallAttempt(id=self.ids.uuid(), interview_id=interview.id,
                              retry_number=retry_number, scheduled_at=due,
                              created_at=self.clock.now())
        interview.attempts.append(attempt)
        attempt.queue_item = self.schedule(due, QueueKind.ATTEMPT,
                                           (interview.company_id, interview.id, attempt.id))
        self.journal(ET.ATTEMPT_QUEUED, interview.company_id, interview.id, attempt.id,
                     scheduledAt=iso(due), retryNumber=retry_number)
        return attempt

    def _cancel_attempt(self, interview: Interview, attempt: CallAttempt) -> None:
        attempt.status = lifecycle.apply_attempt(attempt.status, "cancel")
        self.unschedule(attempt.queue_item)
        attempt.queue_item = None
        self.journal(ET.ATTEMPT_CANCELLED, interview.company_id, interview.id, attempt.id)

    # ------------------------------------------------------------ due work

    def run_due(self) -> list[dict]:
        """Run every item due now, in (due, seq) order; returns the events produced."""
        with self.lock:
            return self._run_until(self.clock.now(), step=False)

    def _run_until(self, target: dt.datetime, step: bool) -> list[dict]:
        first = len(self._events)
        while True:
            item = self.queue.peek()
            if item is None or item.due > target:
                break
            if step:
                self.clock.step_to(item.due)
            self.queue.pop()
            item.done = True
            handler = self._handlers.get(item.kind)
            if handler is not None:
                handler(item)
        return [e.to_dict() for e in self._events[first:]]

    def _due_attempt(self, item: QueueItem) -> None:
        company_id, interview_id, attempt_id = item.ref
        tenant = self._tenants[company_id]
        if tenant.free_slot():
            self._start_attempt(item)
        else:  # lifecycle.md: waits until a slot of its company frees
            item.done, item.waiting = False, True
            tenant.waiting.append(item)

    def _due_auto_join(self, item: QueueItem) -> None:
        company_id, interview_id = item.ref
        tenant = self._tenants[company_id]
        interview = tenant.interviews[interview_id]
        interview.auto_join_item = None
        if interview.deleted or interview.status is not S.SCHEDULED:
            return
        if tenant.free_slot():
            self._start_session(interview, None)
        else:
            item.done, item.waiting = False, True
            interview.auto_join_item = item
            tenant.waiting.append(item)

    def _start_waiting(self, item: QueueItem) -> None:
        item.waiting, item.done = False, True
        if item.kind == QueueKind.ATTEMPT.value:
            self._start_attempt(item)
        else:
            company_id, interview_id = item.ref
            interview = self._tenants[company_id].interviews[interview_id]
            interview.auto_join_item = None
            self._start_session(interview, None)

    def _fill_slots(self, tenant: Tenant) -> None:
        """A freed slot goes at once to the company's earliest waiting item (due, seq): one an
        advance found blocked, or one already due that no advance has reached yet (invariant
        7 of lifecycle.md: a due attempt waits only while every slot is busy)."""
        while tenant.free_slot():
            waiting = tenant.live_waiting() + self._due_unreached(tenant)
            if not waiting:
                return
            self._start_waiting(min(waiting, key=lambda i: i.key))

    def _due_unreached(self, tenant: Tenant) -> list[QueueItem]:
        now = self.clock.now()
        out = []
        for item in self.queue.pending():
            if item.due > now:
                break  # pending() is in (due, seq) order
            if item.ref[0] != tenant.company.id or item.kind not in _SLOT_KINDS:
                continue
            if item.kind == QueueKind.AUTO_JOIN.value:
                interview = tenant.interviews[item.ref[1]]
                if interview.deleted or interview.status is not S.SCHEDULED:
                    continue
            out.append(item)
        return out

    def _start_attempt(self, item: QueueItem) -> None:
        company_id, interview_id, attempt_id = item.ref
        interview = self._tenants[company_id].interviews[interview_id]
        attempt = interview.attempt(attempt_id)
        attempt.queue_item = None
        self._start_session(interview, attempt)

    def _start_session(self, interview: Interview, attempt: CallAttempt | None) -> None:
        now = self.clock.now()
        tenant = self._tenants[interview.company_id]
        interview.status = lifecycle.apply(interview.status, LE.SESSION_STARTED)
        if attempt is not None:
            attempt.status = lifecycle.apply_attempt(attempt.status, "start")
            attempt.called_at = now
            interview.placed_count += 1
        interview.updated_at = now
        tenant.live.add(interview.id)
        interview.session = Session(started_at=now, attempt_id=attempt.id if attempt else None)
        aid = attempt.id if attempt else None
        self.journal(ET.SLOT_ACQUIRED, interview.company_id, interview.id, aid,
                     liveSessions=len(tenant.live), limit=tenant.company.concurrency_limit)
        self.journal(ET.SESSION_STARTED, interview.company_id, interview.id, aid)
        self._emit(WebhookEvent.INTERVIEW_STARTED, interview)
        auto = tenant.company.auto_end_call_seconds
        if auto is not None:
            interview.session.auto_end_item = self.schedule(
                now + dt.timedelta(seconds=auto), QueueKind.AUTO_END,
                (interview.company_id, interview.id))

    def _due_auto_end(self, item: QueueItem) -> None:
        company_id, interview_id = item.ref
        interview = self._tenants[company_id].interviews[interview_id]
        if interview.session is not None and interview.session.auto_end_item is item:
            interview.session.auto_end_item = None
            self._end_session(interview, Outcome.COMPLETED, None)

    def _end_session(self, interview: Interview, outcome: Outcome,
                     duration: int | None) -> None:
        now = self.clock.now()
        tenant = self._tenants[interview.company_id]
        company = tenant.company
        session = interview.session
        if duration is None:
            duration = max(0, int((now - session.started_at).total_seconds()))
        self.unschedule(session.auto_end_item)
        interview.session = None
        tenant.live.discard(interview.id)
        if company.grandfathered_live and len(tenant.live) <= company.concurrency_limit:
            company.grandfathered_live = 0
        attempt = interview.attempt(session.attempt_id) if session.attempt_id else None
        if attempt is None and session.attempt_id:  # deleted from history? keep its record
            attempt = next((a for a in interview.attempts if a.id == session.attempt_id), None)
        if attempt is not None:
            ok = outcome is Outcome.COMPLETED
            attempt.status = lifecycle.apply_attempt(attempt.status, "complete" if ok else "fail")
            attempt.duration = duration  # decisions 24: for every outcome
            attempt.reason_code = {Outcome.NO_ANSWER: ReasonCode.NO_ANSWER,
                                   Outcome.BUSY: ReasonCode.BUSY,
                                   Outcome.FAILED: ReasonCode.TECHNICAL_ERROR}.get(outcome)
            if ok and not interview.deleted:
                attempt.recording_url = f"https://recordings.instaview.local/{attempt.id}.mp3"
        interview.last_session_seconds = duration
        interview.last_session_started = session.started_at
        interview.updated_at = now
        aid = attempt.id if attempt else None
        self.journal(ET.SESSION_ENDED, interview.company_id, interview.id, aid,
                     outcome=outcome.value, durationSeconds=duration)
        self.journal(ET.SLOT_RELEASED, interview.company_id, interview.id, aid,
                     liveSessions=len(tenant.live))
        if interview.deleted:
            # lifecycle.md: the call went on; no post-call, no retry, no webhook (decisions 27)
            interview.post_call = PostCallState.SKIPPED
            self.journal(ET.POSTCALL_SKIPPED, interview.company_id, interview.id, aid,
                         reason="deleted")
        elif outcome is Outcome.COMPLETED:
            interview.status = lifecycle.apply(interview.status, LE.SESSION_COMPLETED)
            interview.post_call = PostCallState.PENDING
            due = now + dt.timedelta(seconds=company.post_call_delay_seconds)
            interview.postcall_item = self.schedule(due, QueueKind.POSTCALL,
                                                    (interview.company_id, interview.id))
            self.journal(ET.POSTCALL_QUEUED, interview.company_id, interview.id, aid,
                         dueAt=iso(due))
        elif outcome in (Outcome.NO_ANSWER, Outcome.BUSY):
            if interview.placed_count < company.max_call_attempts:
                interview.status = lifecycle.apply(interview.status, LE.CALL_RETRY)
                self._queue_attempt(interview, attempt.retry_number + 1,
                                    now + dt.timedelta(seconds=company.retry_delay_seconds))
            else:
                interview.status = lifecycle.apply(interview.status, LE.CALL_EXHAUSTED)
                self._fail(interview, f"The candidate did not answer after "
                                      f"{interview.placed_count} call attempts "
                                      f"(last: {outcome.value})")
        else:
            interview.status = lifecycle.apply(interview.status, LE.SESSION_FAILED)
            self._fail(interview, "The session failed with a technical error")
        self._fill_slots(tenant)

    def _fail(self, interview: Interview, error: str) -> None:
        interview.finished_date = self.clock.now()
        self.journal(ET.INTERVIEW_FAILED, interview.company_id, interview.id,
                     interview.last_placed_attempt_id(), error=error)
        self._emit(WebhookEvent.INTERVIEW_FAILED, interview, {"error": error})

    def _due_postcall(self, item: QueueItem) -> None:
        company_id, interview_id = item.ref
        interview = self._tenants[company_id].interviews[interview_id]
        if interview.postcall_item is not item or interview.deleted:
            return
        now = self.clock.now()
        interview.postcall_item = None
        seconds = interview.last_session_seconds or 0
        started = interview.last_session_started or now
        interview.transcript = self._gen_transcript(started, seconds)
        interview.analysis = self._gen_analysis(now)
        interview.finished_date = now
        interview.duration_minutes = math.ceil(seconds / 60)
        interview.status = lifecycle.apply(interview.status, LE.POSTCALL_DONE)
        interview.post_call = PostCallState.DONE
        interview.updated_at = now
        self.journal(ET.POSTCALL_DONE, interview.company_id, interview.id)
        self.journal(ET.INTERVIEW_COMPLETED, interview.company_id, interview.id,
                     interview.last_placed_attempt_id(),
                     durationMinutes=interview.duration_minutes)
        self._emit(WebhookEvent.INTERVIEW_COMPLETED, interview)
        self._emit(WebhookEvent.ANALYSIS_COMPLETED, interview, {"analysis": interview.analysis})
        cand = self._find("Candidate", interview.candidate_id)[1]
        if cand is not None:
            self._recount(cand)

    # ------------------------------------------------------------ generated content

    _LINES_AGENT = [
        "Hello, thank you for taking the time to talk with me today.",
        "Could you tell me a little about your most recent role?",
        "What made you interested in this position?",
        "How do you usually handle a tight deadline?",
        "Which of your skills would help you most in this job?",
        "Do you have any questions for us?",
        "Thank you, we will be in touch about the next steps.",
    ]
    _LINES_CANDIDATE = [
        "Thanks for having me.",
        "I spent the last three years leading a small support team.",
        "I like the product and the chance to grow with the team.",
        "I plan the work early and say so as soon as something slips.",
        "I am good at explaining technical things simply.",
        "What does a typical week look like in this role?",
        "Thank you, I look forward to hearing from you.",
    ]

    def _gen_transcript(self, started: dt.datetime, seconds: int) -> list[dict]:
        rng = self.ids.rng
        turns = rng.randint(2, len(self._LINES_AGENT)) * 2
        step = max(seconds, 1) / turns
        out = []
        for n in range(turns):
            i = min(n // 2, len(self._LINES_AGENT) - 1)
            role, lines = ((TranscriptRole.AGENT, self._LINES_AGENT) if n % 2 == 0
                           else (TranscriptRole.CANDIDATE, self._LINES_CANDIDATE))
            out.append({"role": role.value, "text": lines[i],
                        "at": iso(started + dt.timedelta(seconds=int(n * step)))})
        return out

    def _gen_analysis(self, now: dt.datetime) -> dict:
        rng = self.ids.rng
        strong = ["clear communication", "relevant experience", "motivation", "team work",
                  "problem solving"]
        weak = ["limited domain knowledge", "short answers", "no leadership examples"]
        return {
            "id": self.ids.uuid(),
            "general": {
                "overallRating": rng.randint(40, 98),
                "companyFitRating": rng.choice(["HIGH", "MEDIUM", "LOW"]),
                "education": rng.choice(["BACHELOR_LEVEL", "MASTER_LEVEL",
                                         "SECONDARY_WITH_DIPLOMA"]),
                "experience": rng.choice(["ONE_TO_3_YEARS", "THREE_TO_5_YEARS",
                                          "FIVE_TO_10_YEARS"]),
                "strongPoints": rng.sample(strong, 2),
                "weakPoints": rng.sample(weak, 1),
                "evaluation": ["The candidate answered every question."],
                "status": 3,
                "createdAt": iso(now), "updatedAt": iso(now),
            },
            "specific": None,
        }

    # ------------------------------------------------------------ billing

    def get_billing_usage(self, actor: Actor, *, query: dict, body: Any = None) -> dict:
        now = self.clock.now()
        end = query.get("end") or now
        start = query.get("start") or end - dt.timedelta(days=30)
        company_ids = ([actor.company_id] if actor.company_id
                       else sorted(c for c in actor.managed_company_ids if c in self._tenants))
        companies = []
        for cid in company_ids:
            t = self._tenants[cid]
            # decisions 29: minutes of later-deleted interviews still count
            done = [i for i in t.interviews.values()
                    if i.status is S.COMPLETED and not i.is_test and i.finished_date
                    and start <= i.finished_date <= end]
            minutes = sum(i.duration_minutes or 0 for i in done)
            companies.append(_usage(cid, t.company.name, len(done), minutes))
        total_n = sum(c["totalInterviews"] for c in companies)
        total_m = sum(c["totalMinutesUsed"] for c in companies)
        out = {"start": iso(start), "end": iso(end), **_usage(None, None, total_n, total_m)}
        out.pop("companyId"), out.pop("companyName")
        out["companies"] = companies
        return out

    # ------------------------------------------------------------ webhooks (issue #5)

    def create_webhook(self, actor: Actor, *, query: dict | None = None, body: Any = None):
        return self.webhooks.create_webhook(actor, query=query, body=body)

    def list_webhooks(self, actor: Actor, *, query: dict | None = None, body: Any = None):
        return self.webhooks.list_webhooks(actor, query=query, body=body)

    def get_webhook(self, actor: Actor, webhook_id: str, *, query: dict | None = None,
                    body: Any = None):
        return self.webhooks.get_webhook(actor, webhook_id, query=query, body=body)

    def update_webhook(self, actor: Actor, webhook_id: str, *, query: dict | None = None,
                       body: Any = None):
        return self.webhooks.update_webhook(actor, webhook_id, query=query, body=body)

    def delete_webhook(self, actor: Actor, webhook_id: str, *, query: dict | None = None,
                       body: Any = None):
        return self.webhooks.delete_webhook(actor, webhook_id, query=query, body=body)

    def test_webhook(self, actor: Actor, webhook_id: str, *, query: dict | None = None,
                     body: Any = None):
        return self.webhooks.test_webhook(actor, webhook_id, query=query, body=body)

    def reset_webhook_circuit(self, actor: Actor, webhook_id: str, *,
                              query: dict | None = None, body: Any = None):
        return self.webhooks.reset_webhook_circuit(actor, webhook_id, query=query, body=body)

    def webhook_deliveries(self, query: Any = None):
        return self.webhooks.deliveries(query)

    # ------------------------------------------------------------ control plane

    def reset(self, body: Any = None) -> dict:
        now = inputs.parse_reset(body)
        self._clear()
        self.request_log.clear()
        self.ids.reseed()  # with a seed, a reset run repeats a fresh one exactly
        self.clock.restart(now or self._start)
        self.webhooks.reset()
        faults = getattr(self, "faults", None)  # set by simulator.web.faults.install_faults
        if faults is not None:
            faults.clear()
        return {"now": iso(self.clock.now())}

    def _sim_company(self, company_id: str) -> Company:
        company_id = inputs.parse_uuid("id", company_id)
        company = self.company(company_id)
        if company is None:
            raise ResourceNotFound("Company", company_id)
        return company

    def sim_create_company(self, body: Any = None) -> dict:
        v = inputs.parse_sim_company(body)
        name = v.pop("name", None)
        return self._new_company(name, v).to_dict(with_settings=True)

    def sim_update_company(self, company_id: str, body: Any = None) -> dict:
        company_id = inputs.parse_uuid("id", company_id)  # decisions 1: path ids first
        v = inputs.parse_sim_company(body, partial=True)
        company = self._sim_company(company_id)
        tenant = self._tenants[company.id]
        for k, val in v.items():
            setattr(company, k, val)
        company.updated_at = self.clock.now()
        if len(tenant.live) > company.concurrency_limit:  # decisions 22: stops nothing
            company.grandfathered_live = len(tenant.live)
        self._fill_slots(tenant)  # raising the limit starts waiting work at once
        return company.to_dict(with_settings=True)

    def sim_create_api_key(self, body: Any = None) -> dict:
        v = inputs.parse_sim_api_key(body)
        kind = v["kind"]
        managed = set(v.get("managed_company_ids", []))
        if kind is KeyKind.COMPANY and v["company_id"] not in self._tenants:
            raise ValidationError([("companyId", f"company {v['company_id']} does not exist")])
        for cid in managed:
            if cid not in self._tenants:
                raise ValidationError([("managedCompanyIds", f"company {cid} does not exist")])
        plaintext = self.ids.api_key()
        key = ApiKey(id=self.ids.uuid(), kind=kind, key_hash=hash_key(plaintext),
                     created_at=self.clock.now(), scopes=v["scopes"],
                     company_id=v.get("company_id") if kind is KeyKind.COMPANY else None,
                     managed_company_ids=managed if kind is KeyKind.ATS else set(),
                     name=v.get("name"), rate_per_minute=v.get("rate_per_minute"),
                     rate_per_hour=v.get("rate_per_hour"))
        self._keys[key.id] = key
        self._key_by_hash[key.key_hash] = key.id
        return {**key.to_dict(), "key": plaintext}  # the plaintext is shown once

    def _sim_key(self, key_id: str) -> ApiKey:
        key_id = inputs.parse_uuid("id", key_id)
        key = self._keys.get(key_id)
        if key is None:
            raise ResourceNotFound("ApiKey", key_id)
        return key

    def sim_suspend_api_key(self, key_id: str, body: Any = None) -> dict:
        key_id = inputs.parse_uuid("id", key_id)
        reason = inputs.parse_suspend(body)
        key = self._sim_key(key_id)
        key.suspended_at = self.clock.now()
        key.suspend_reason = reason
        return key.to_dict()

    def sim_revoke_api_key(self, key_id: str, body: Any = None) -> dict:
        key = self._sim_key(key_id)
        key.revoked_at = key.revoked_at or self.clock.now()
        return key.to_dict()

    def get_clock(self) -> dict:
        return self.clock.to_dict()

    def advance_clock(self, body: Any = None) -> dict:
        seconds = inputs.parse_advance(body)
        with self.lock:
            target = self.clock.now() + dt.timedelta(seconds=seconds)
            ran = self._run_until(target, step=True)
            self.clock.step_to(target)
            return {"now": iso(self.clock.now()), "ran": ran}

    def _sim_interview(self, interview_id: str) -> Interview:
        interview_id = inputs.parse_uuid("id", interview_id)
        interview = self.interview_by_id(interview_id)
        if interview is None:
            raise ResourceNotFound("Interview", interview_id)
        return interview

    def join(self, interview_id: str, body: Any = None) -> dict:
        interview = self._sim_interview(interview_id)
        if interview.is_phone:
            raise InvalidState("Only an ONLINE interview can be joined; PHONE interviews "
                               "start from the queue")
        tenant = self._tenants[interview.company_id]
        if interview.deleted:
            raise InvalidStateTransition("The interview was deleted")
        lifecycle.apply(interview.status, LE.SESSION_STARTED)  # 409 unless SCHEDULED
        if not tenant.free_slot():
            raise InvalidStateTransition(
                "No free concurrency slot: every slot of the company is busy",
                {"liveSessions": len(tenant.live),
                 "concurrencyLimit": tenant.company.concurrency_limit})
        self.unschedule(interview.auto_join_item)
        interview.auto_join_item = None
        self._start_session(interview, None)
        return self.internal_view(interview)

    def end_call(self, interview_id: str, body: Any = None) -> dict:
        interview_id = inputs.parse_uuid("id", interview_id)
        v = inputs.parse_end_call(body)
        interview = self._sim_interview(interview_id)
        if not interview.is_phone and v["outcome"] in (Outcome.NO_ANSWER, Outcome.BUSY):
            raise ValidationError([("outcome", "NO_ANSWER and BUSY apply to PHONE interviews "
                                               "only")])
        if interview.session is None:
            raise InvalidStateTransition("No live session to end for this interview",
                                         {"status": interview.status.value})
        self._end_session(interview, v["outcome"], v.get("duration_seconds"))
        return self.internal_view(interview)

    def cancel(self, interview_id: str, body: Any = None) -> dict:
        interview = self._sim_interview(interview_id)
        if interview.deleted:
            raise InvalidStateTransition("The interview was deleted")
        interview.status = lifecycle.apply(interview.status, LE.CANCEL)
        interview.updated_at = self.clock.now()
        self.journal(ET.INTERVIEW_CANCELLED, interview.company_id, interview.id)
        for attempt in interview.attempts:
            if attempt.status is AttemptStatus.SCHEDULED:
                self._cancel_attempt(interview, attempt)
        self.unschedule(interview.auto_join_item)
        interview.auto_join_item = None
        return self.internal_view(interview)

    def internal_interview(self, interview_id: str) -> dict:
        return self.internal_view(self._sim_interview(interview_id))

    def internal_view(self, interview: Interview) -> dict:
        queued = any(a.queue_item is not None and a.queue_item.live for a in interview.attempts)
        return {
            **interview.to_dict(),
            "deleted": interview.deleted, "deletedAt": iso(interview.deleted_at),
            "queued": queued, "sessionLive": interview.session is not None,
            "postCall": interview.post_call.value if interview.post_call else None,
            "companyId": interview.company_id,
            "kind": "PHONE" if interview.is_phone else "ONLINE",
            "placedAttempts": interview.placed_count,
        }

    def events(self, query: Mapping | None = None) -> dict:
        q = inputs.parse_events_query(query or {})
        evs = [e for e in self._events[q["after"]:]]  # seq == index + 1; `after` exclusive
        if q["interview_id"]:
            evs = [e for e in evs if e.interview_id == q["interview_id"]]
        if q["company_id"]:
            evs = [e for e in evs if e.company_id == q["company_id"]]
        if q["type"]:
            evs = [e for e in evs if e.type == q["type"].value]
        if q["limit"]:
            evs = evs[: q["limit"]]
        return {"events": [e.to_dict() for e in evs], "lastSeq": len(self._events)}

    def state(self) -> dict:
        companies = []
        pending = self.queue.pending()
        for cid, t in self._tenants.items():
            waiting = t.live_waiting()
            queued = [i for i in pending if i.kind == QueueKind.ATTEMPT.value and i.ref[0] == cid]
            companies.append({
                "id": cid, "name": t.company.name, **t.company.settings(),
                "settings": t.company.settings(),
                "liveSessions": len(t.live), "liveInterviewIds": sorted(t.live),
                "waiting": len(waiting),
                "waitingAttemptIds": [i.ref[2] for i in waiting
                                      if i.kind == QueueKind.ATTEMPT.value],
                "queued": len(queued) + len(waiting),
                "interviews": sum(1 for i in t.interviews.values() if not i.deleted),
                "deletedInterviews": sum(1 for i in t.interviews.values() if i.deleted),
            })
        return {
            "now": iso(self.clock.now()), "mode": self.clock.mode.value,
            "companies": companies,
            "counts": {"companies": len(self._tenants), "apiKeys": len(self._keys),
                       "queueItems": len(self.queue), "events": len(self._events)},
        }

    def invariants(self) -> dict:
        violations: list[dict] = []

        def bad(name: str, msg: str) -> None:
            violations.append({"invariant": name, "message": msg})

        for cid, t in self._tenants.items():
            c = t.company
            allowed = max(c.concurrency_limit, c.grandfathered_live)
            if len(t.live) > allowed:
                bad("slots", f"company {cid}: {len(t.live)} live sessions > limit {allowed}")
            if t.live_waiting() and t.free_slot():
                bad("slots", f"company {cid}: work waits while a slot is free")
            for iid, i in t.interviews.items():
                live = i.session is not None
                if live != (iid in t.live):
                    bad("sessions", f"interview {iid}: session flag and slot set disagree")
                for a in i.attempts:
                    q = a.queue_item is not None and a.queue_item.live
                    if i.deleted and q:
                        bad("no_call_after_delete", f"interview {iid}: attempt {a.id} queued")
                    if q != (a.status is AttemptStatus.SCHEDULED):
                        bad("queue_matches_attempts",
                            f"attempt {a.id}: status {a.status.value}, queued={q}")
                    if a.status is AttemptStatus.IN_PROGRESS and (
                            i.session is None or i.session.attempt_id != a.id):
                        bad("sessions", f"attempt {a.id} IN_PROGRESS without its session")
                if i.deleted and (i.transcript or i.analysis or any(
                        a.recording_url for a in i.attempts)):
                    bad("purge", f"deleted interview {iid} keeps post-call data")
                if not i.deleted and i.status is S.COMPLETED and (
                        i.transcript is None or i.analysis is None):
                    bad("completion", f"interview {iid} COMPLETED without transcript/analysis")
                if (i.post_call is PostCallState.PENDING) != (
                        i.postcall_item is not None and i.postcall_item.live):
                    bad("postcall", f"interview {iid}: postCall state and queue disagree")
                if i.status in (S.COMPLETED, S.FAILED) and i.finished_date is None:
                    bad("terminal", f"interview {iid}: {i.status.value} without finishedDate")
        return {"ok": not violations, "violations": violations}

    def model(self) -> dict:
        return lifecycle.model()

    # ------------------------------------------------------------ request log

    def log_request(self, method: str, path: str, status: int, key_id: str | None,
                    duration_ms: float) -> None:
        self.request_log.append({"at": iso(self.clock.now()), "method": method, "path": path,
                                 "status": status, "keyId": key_id,
                                 "durationMs": round(duration_ms, 3)})

    def requests(self, query: Mapping | None = None) -> list[dict]:
        limit = inputs.parse_requests_query(query or {})
        return list(self.request_log)[-limit:][::-1]

    # ------------------------------------------------------------ real-mode ticker

    def start_ticker(self, interval: float = 0.2) -> None:
        """`real` clock: run due work about every `interval` seconds on a daemon thread."""
        if self._ticker is not None:
            return
        self._ticker_stop.clear()

        def loop() -> None:
            while not self._ticker_stop.wait(interval):
                with self.lock:
                    self.run_due()

        self._ticker = threading.Thread(target=loop, name="instaview-sim-ticker", daemon=True)
        self._ticker.start()

    def stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker_stop.set()
            self._ticker.join(timeout=2)
            self._ticker = None

    def close(self) -> None:
        """Stop background threads (ticker, webhook sender): for `serve` shutdown and tests."""
        self.stop_ticker()
        close = getattr(self.webhooks, "close", None)
        if close is not None:
            close()


def _has_scope(scopes: frozenset[str], needed: str) -> bool:
    if "*" in scopes or needed in scopes:
        return True
    action = needed.split(":", 1)[0]
    return f"{action}:*" in scopes


def _usage(company_id: str | None, name: str | None, n: int, minutes: int) -> dict:
    return {"companyId": company_id, "companyName": name, "billingSystem": "minutes",
            "totalInterviews": n, "totalMinutesUsed": minutes,
            "breakdownByCostKey": [{"costKey": "interview_minutes", "events": n,
                                    "minutesUsed": minutes}]}
