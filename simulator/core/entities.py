"""attrs records for every entity, each with the one `to_dict()` that fixes its wire shape."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from attrs import define, field, frozen

from simulator.core.clock import iso, iso_date
from simulator.core.enums import (
    AgentFocus, AgentType, AttemptDirection, AttemptStatus, BackgroundSound, CandidateStatus,
    CefrLevel, InterviewStatus, JobStatus, KeyKind, Language, PostCallState, ReasonCode, Voice,
)


def _v(e: Any) -> Any:
    return None if e is None else e.value


def hash_key(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@frozen
class Principal:
    """The authenticated key, resolved once per request."""

    key_id: str
    kind: KeyKind
    company_id: str | None
    managed_company_ids: frozenset[str]
    scopes: frozenset[str]


@frozen
class Actor:
    """Who acts and on which company (`company_id`: the company the request acts on)."""

    key_id: str
    kind: KeyKind
    company_id: str | None
    managed_company_ids: frozenset[str]
    scopes: frozenset[str]


@frozen
class RateInfo:
    limit_minute: int | None
    limit_hour: int | None
    remaining_minute: int | None
    remaining_hour: int | None
    reset_minute: int
    reset_hour: int

    def headers(self) -> dict[str, str]:
        h = {}
        if self.limit_minute is not None:
            h["X-RateLimit-Limit-Minute"] = str(self.limit_minute)
            h["X-RateLimit-Remaining-Minute"] = str(self.remaining_minute)
            h["X-RateLimit-Reset-Minute"] = str(self.reset_minute)
        if self.limit_hour is not None:
            h["X-RateLimit-Limit-Hour"] = str(self.limit_hour)
            h["X-RateLimit-Remaining-Hour"] = str(self.remaining_hour)
            h["X-RateLimit-Reset-Hour"] = str(self.reset_hour)
        return h


@define
class Company:
    id: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    description: str | None = None
    owner_email: str | None = None
    metadata: dict = field(factory=dict)
    phone_number_ids: list[str] = field(factory=list)
    concurrency_limit: int = 2
    max_call_attempts: int = 3
    retry_delay_seconds: int = 3600
    post_call_delay_seconds: int = 30
    auto_end_call_seconds: int | None = None
    created_by_key_id: str | None = None
    # live sessions above a lowered limit are grandfathered (decisions 22)
    grandfathered_live: int = 0

    def settings(self) -> dict:
        return {
            "concurrencyLimit": self.concurrency_limit,
            "maxCallAttempts": self.max_call_attempts,
            "retryDelaySeconds": self.retry_delay_seconds,
            "postCallDelaySeconds": self.post_call_delay_seconds,
            "autoEndCallSeconds": self.auto_end_call_seconds,
        }

    def to_dict(self, with_settings: bool = False) -> dict:
        d = {
            "id": self.id, "name": self.name, "description": self.description,
            "ownerEmail": self.owner_email, "metadata": self.metadata,
            "phoneNumberIds": list(self.phone_number_ids),
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }
        if with_settings:
            d.update(self.settings())
            d["settings"] = self.settings()
        return d


@define
class ApiKey:
    id: str
    kind: KeyKind
    key_hash: str = field(repr=False)
    created_at: dt.datetime
    scopes: frozenset[str] = frozenset()
    company_id: str | None = None
    managed_company_ids: set[str] = field(factory=set)
    name: str | None = None
    rate_per_minute: int | None = None
    rate_per_hour: int | None = None
    suspended_at: dt.datetime | None = None
    suspend_reason: str | None = None
    revoked_at: dt.datetime | None = None
    minute_window: int = -1
    minute_count: int = 0
    hour_window: int = -1
    hour_count: int = 0

    def matches(self, plaintext: str) -> bool:
        return hmac.compare_digest(self.key_hash, hash_key(plaintext))

    @property
    def rate_limited(self) -> bool:
        return self.rate_per_minute is not None or self.rate_per_hour is not None

    def principal(self) -> Principal:
        managed = (frozenset(self.managed_company_ids) if self.kind is KeyKind.ATS
                   else frozenset({self.company_id}))
        return Principal(self.id, self.kind, self.company_id, managed, frozenset(self.scopes))

    def to_dict(self) -> dict:
        rate = None
        if self.rate_limited:
            rate = {"perMinute": self.rate_per_minute, "perHour": self.rate_per_hour}
        return {
            "id": self.id, "kind": self.kind.value, "name": self.name,
            "companyId": self.company_id,
            "managedCompanyIds": sorted(self.managed_company_ids),
            "scopes": "*" if "*" in self.scopes else sorted(self.scopes),
            "rateLimit": rate,
            "status": ("REVOKED" if self.revoked_at else
                       "SUSPENDED" if self.suspended_at else "ACTIVE"),
            "suspendedAt": iso(self.suspended_at), "reason": self.suspend_reason,
            "revokedAt": iso(self.revoked_at), "createdAt": iso(self.created_at),
        }


@define
class Candidate:
    id: str
    company_id: str
    first_name: str
    last_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    email: str | None = None
    phone_number: str | None = None
    status: CandidateStatus = CandidateStatus.APPLIED
    job_ids: list[str] = field(factory=list)
    gdpr_expiry_date: dt.date | None = None
    overall_rating: int | None = None
    metadata: dict = field(factory=dict)
    interview_count: int = 0
    analysis_count: int = 0
    deleted_at: dt.datetime | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "companyId": self.company_id,
            "firstName": self.first_name, "lastName": self.last_name,
            "status": self.status.value,
            "jobId": self.job_ids[0] if self.job_ids else None,
            "jobIds": list(self.job_ids),
            "email": self.email, "phoneNumber": self.phone_number,
            "gdprExpiryDate": iso_date(self.gdpr_expiry_date),
            "overallRating": self.overall_rating, "metadata": self.metadata,
            "analysisCount": self.analysis_count, "interviewCount": self.interview_count,
            "links": {"analyses": f"/v1/public/candidates/{self.id}/analyses",
                      "interviews": f"/v1/public/candidates/{self.id}/interviews"},
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }


@define
class Job:
    id: str
    company_id: str
    title: str
    description: str
    created_at: dt.datetime
    updated_at: dt.datetime
    status: JobStatus = JobStatus.OPEN
    job_url: str | None = None
    benefits: str | None = None
    required_skills: list[str] = field(factory=list)
    nice_to_have_skills: list[str] = field(factory=list)
    language_requirements: list[dict] = field(factory=list)
    education: list[str] = field(factory=list)
    experience: str | None = None
    contract_type: str | None = None
    location: dict | None = None
    salary: dict | None = None
    metadata: dict = field(factory=dict)
    deleted_at: dt.datetime | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "companyId": self.company_id, "title": self.title,
            "description": self.description, "jobUrl": self.job_url,
            "benefits": self.benefits, "requiredSkills": list(self.required_skills),
            "niceToHaveSkills": list(self.nice_to_have_skills),
            "languageRequirements": [dict(x) for x in self.language_requirements],
            "education": list(self.education), "experience": self.experience,
            "contractType": self.contract_type, "status": self.status.value,
            "location": self.location, "salary": self.salary, "metadata": self.metadata,
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }


@define
class Agent:
    id: str
    company_id: str
    name: str
    type: AgentType
    created_at: dt.datetime
    updated_at: dt.datetime
    focus: AgentFocus = AgentFocus.GENERIC
    language: Language = Language.EN
    duration: int = 30
    questions: list[str] = field(factory=list)
    instructions: str | None = None
    voice_id: Voice | None = None
    cefr_level: CefrLevel | None = None
    company_phone_number_id: str | None = None
    background_sound: BackgroundSound = BackgroundSound.OFFICE
    metadata: dict = field(factory=dict)
    deleted_at: dt.datetime | None = None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "companyId": self.company_id, "name": self.name,
            "type": self.type.value, "focus": self.focus.value,
            "language": self.language.value, "duration": self.duration,
            "questions": list(self.questions), "instructions": self.instructions,
            "voiceId": _v(self.voice_id), "cefrLevel": _v(self.cefr_level),
            "companyPhoneNumberId": self.company_phone_number_id,
            "backgroundSound": self.background_sound.value, "metadata": self.metadata,
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }


@define
class CallAttempt:
    id: str
    interview_id: str
    retry_number: int
    scheduled_at: dt.datetime
    created_at: dt.datetime
    status: AttemptStatus = AttemptStatus.SCHEDULED
    direction: AttemptDirection = AttemptDirection.OUTBOUND
    reason_code: ReasonCode | None = None
    notes: str | None = None
    recording_url: str | None = None
    duration: int | None = None
    called_at: dt.datetime | None = None
    removed: bool = False  # deleted through the API: gone from `callAttempts`
    queue_item: Any = field(default=None, repr=False)

    def to_dict(self) -> dict:
        return {
            "id": self.id, "direction": self.direction.value, "status": self.status.value,
            "reasonCode": _v(self.reason_code), "notes": self.notes,
            "retryNumber": self.retry_number, "recordingUrl": self.recording_url,
            "duration": self.duration, "scheduledAt": iso(self.scheduled_at),
            "calledAt": iso(self.called_at),
        }


@define
class Session:
    """A live call (phone) or a candidate's live visit (online)."""

    started_at: dt.datetime
    attempt_id: str | None
    auto_end_item: Any = field(default=None, repr=False)


@define
class Interview:
    id: str
    company_id: str
    candidate_id: str
    agent_id: str
    job_id: str | None
    is_phone: bool
    scheduled_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    status: InterviewStatus = InterviewStatus.SCHEDULED
    is_test: bool = False
    metadata: dict = field(factory=dict)
    duration_minutes: int | None = None
    finished_date: dt.datetime | None = None
    attempts: list[CallAttempt] = field(factory=list)
    transcript: list[dict] | None = None
    analysis: dict | None = None
    session: Session | None = None
    last_session_seconds: int | None = None
    last_session_started: dt.datetime | None = None
    post_call: PostCallState | None = None
    postcall_item: Any = field(default=None, repr=False)
    auto_join_item: Any = field(default=None, repr=False)
    placed_count: int = 0
    deleted_at: dt.datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None

    def visible_attempts(self) -> list[CallAttempt]:
        return [a for a in self.attempts if not a.removed]

    def attempt(self, attempt_id: str) -> CallAttempt | None:
        for a in self.attempts:
            if a.id == attempt_id and not a.removed:
                return a
        return None

    def last_placed_attempt_id(self) -> str | None:
        placed = [a for a in self.attempts if a.called_at is not None]
        return placed[-1].id if placed else None

    def to_dict(self) -> dict:
        return {
            "id": self.id, "companyId": self.company_id, "candidateId": self.candidate_id,
            "agentId": self.agent_id, "jobId": self.job_id, "status": self.status.value,
            "scheduledAt": iso(self.scheduled_at), "durationMinutes": self.duration_minutes,
            "finishedDate": iso(self.finished_date), "metadata": self.metadata,
            "isTest": self.is_test,
            "callAttempts": [a.to_dict() for a in self.visible_attempts()] if self.is_phone else [],
            "transcript": self.transcript, "analysis": self.analysis,
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }


@define
class Event:
    seq: int
    at: dt.datetime
    type: str
    company_id: str | None
    interview_id: str | None = None
    attempt_id: str | None = None
    data: dict = field(factory=dict)

    def to_dict(self) -> dict:
        return {
            "seq": self.seq, "at": iso(self.at), "type": self.type,
            "companyId": self.company_id, "interviewId": self.interview_id,
            "attemptId": self.attempt_id, "data": self.data,
        }


@define
class Page:
    items: list[Any]
    total: int
    page: int
    limit: int

    def to_dict(self) -> dict:
        return {
            "data": [i.to_dict() for i in self.items], "total": self.total,
            "page": self.page, "limit": self.limit,
            "totalPages": -(-self.total // self.limit) if self.total else 0,
        }
