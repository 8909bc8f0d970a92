"""Typed records of the API's resources; the client parses wire JSON here and nowhere else.

Each record has one ``from_dict`` and keeps the wire object it came from in ``raw`` (out of
its repr and its equality), so a caller never loses a field this module does not model.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, Callable, Generic, TypeVar

from attrs import field, frozen

E = TypeVar("E", bound=enum.Enum)
R = TypeVar("R")


class InterviewStatus(enum.Enum):
    UNDEFINED = "UNDEFINED"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class CallAttemptStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class AgentType(enum.Enum):
    UNDEFINED = "UNDEFINED"
    ONLINE = "ONLINE"
    PHONE = "PHONE"


class AgentFocus(enum.Enum):
    GENERIC = "GENERIC"
    SCREENING = "SCREENING"
    OUTREACH = "OUTREACH"
    LANGUAGE_TEST = "LANGUAGE_TEST"


class CandidateStatus(enum.Enum):
    UNDEFINED = "UNDEFINED"
    APPLIED = "APPLIED"
    IN_PROCESS = "IN_PROCESS"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"


# -- field parsers: tolerant of absent fields and of enum values a newer server adds --------


def _enum(cls: type[E], value: Any) -> E | str | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        return value  # a value this client does not know yet: keep the wire string


def _ts(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    return date.fromisoformat(value[:10])


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _tuple(value: Any, item: Callable[[Any], R] = lambda x: x) -> tuple[R, ...]:  # type: ignore[assignment]
    return tuple(item(v) for v in value) if isinstance(value, list) else ()


def _raw() -> Any:
    return field(repr=False, eq=False, factory=dict)


# -- records ---------------------------------------------------------------------------------


@frozen
class TranscriptLine:
    role: str
    text: str
    at: datetime | None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TranscriptLine":
        return cls(role=d.get("role", ""), text=d.get("text", ""), at=_ts(d.get("at")))


@frozen
class CallAttempt:
    id: str
    status: CallAttemptStatus | str | None
    direction: str | None
    retry_number: int | None
    scheduled_at: datetime | None
    called_at: datetime | None
    duration: int | None
    reason_code: str | None
    recording_url: str | None
    notes: str | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CallAttempt":
        return cls(
            id=d["id"],
            status=_enum(CallAttemptStatus, d.get("status")),
            direction=d.get("direction"),
            retry_number=d.get("retryNumber"),
            scheduled_at=_ts(d.get("scheduledAt")),
            called_at=_ts(d.get("calledAt")),
            duration=d.get("duration"),
            reason_code=d.get("reasonCode"),
            recording_url=d.get("recordingUrl"),
            notes=d.get("notes"),
            raw=d,
        )


@frozen
class Interview:
    id: str
    company_id: str | None
    candidate_id: str | None
    agent_id: str | None
    job_id: str | None
    status: InterviewStatus | str | None
    scheduled_at: datetime | None
    duration_minutes: int | None
    finished_date: datetime | None
    metadata: dict[str, Any]
    is_test: bool
    call_attempts: tuple[CallAttempt, ...]
    transcript: tuple[TranscriptLine, ...] | None
    analysis: dict[str, Any] | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Interview":
        transcript = d.get("transcript")
        return cls(
            id=d["id"],
            company_id=d.get("companyId"),
            candidate_id=d.get("candidateId"),
            agent_id=d.get("agentId"),
            job_id=d.get("jobId"),
            status=_enum(InterviewStatus, d.get("status")),
            scheduled_at=_ts(d.get("scheduledAt")),
            duration_minutes=d.get("durationMinutes"),
            finished_date=_ts(d.get("finishedDate")),
            metadata=_dict(d.get("metadata")),
            is_test=bool(d.get("isTest", False)),
            call_attempts=_tuple(d.get("callAttempts"), CallAttempt.from_dict),
            transcript=(
                _tuple(transcript, TranscriptLine.from_dict) if isinstance(transcript, list) else None
            ),
            analysis=d.get("analysis") if isinstance(d.get("analysis"), dict) else None,
            created_at=_ts(d.get("createdAt")),
            updated_at=_ts(d.get("updatedAt")),
            raw=d,
        )


@frozen
class Candidate:
    id: str
    first_name: str | None
    last_name: str | None
    status: CandidateStatus | str | None
    email: str | None
    phone_number: str | None
    job_ids: tuple[str, ...]
    gdpr_expiry_date: date | None
    metadata: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Candidate":
        return cls(
            id=d["id"],
            first_name=d.get("firstName"),
            last_name=d.get("lastName"),
            status=_enum(CandidateStatus, d.get("status")),
            email=d.get("email"),
            phone_number=d.get("phoneNumber"),
            job_ids=_tuple(d.get("jobIds")),
            gdpr_expiry_date=_date(d.get("gdprExpiryDate")),
            metadata=_dict(d.get("metadata")),
            created_at=_ts(d.get("createdAt")),
            updated_at=_ts(d.get("updatedAt")),
            raw=d,
        )


@frozen
class Job:
    id: str
    company_id: str | None
    title: str | None
    description: str | None
    status: str | None
    metadata: dict[str, Any]
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Job":
        return cls(
            id=d["id"],
            company_id=d.get("companyId"),
            title=d.get("title"),
            description=d.get("description"),
            status=d.get("status"),
            metadata=_dict(d.get("metadata")),
            created_at=_ts(d.get("createdAt")),
            updated_at=_ts(d.get("updatedAt")),
            raw=d,
        )


@frozen
class Agent:
    id: str
    company_id: str | None
    name: str | None
    type: AgentType | str | None
    focus: AgentFocus | str | None
    language: str | None
    duration: int | None
    company_phone_number_id: str | None
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Agent":
        return cls(
            id=d["id"],
            company_id=d.get("companyId"),
            name=d.get("name"),
            type=_enum(AgentType, d.get("type")),
            focus=_enum(AgentFocus, d.get("focus")),
            language=d.get("language"),
            duration=d.get("duration"),
            company_phone_number_id=d.get("companyPhoneNumberId"),
            created_at=_ts(d.get("createdAt")),
            updated_at=_ts(d.get("updatedAt")),
            raw=d,
        )


@frozen
class Company:
    id: str
    name: str | None
    description: str | None
    owner_email: str | None
    metadata: dict[str, Any]
    phone_number_ids: tuple[str, ...]
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Company":
        return cls(
            id=d["id"],
            name=d.get("name"),
            description=d.get("description"),
            owner_email=d.get("ownerEmail"),
            metadata=_dict(d.get("metadata")),
            phone_number_ids=_tuple(d.get("phoneNumberIds")),
            created_at=_ts(d.get("createdAt")),
            updated_at=_ts(d.get("updatedAt")),
            raw=d,
        )


@frozen
class WebhookConfig:
    id: str
    url: str | None
    events: tuple[str, ...]
    company_id: str | None
    name: str | None
    is_active: bool | None
    max_retries: int | None
    timeout_ms: int | None
    consecutive_failures: int | None
    circuit_opened_at: datetime | None
    # Only the create answer carries it (digest 3.7); a secret, so never in a repr.
    signing_secret: str | None = field(default=None, repr=False)
    raw: dict[str, Any] = field(repr=False, eq=False, factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "WebhookConfig":
        return cls(
            id=d["id"],
            url=d.get("url"),
            events=_tuple(d.get("events")),
            company_id=d.get("companyId"),
            name=d.get("name"),
            is_active=d.get("isActive"),
            max_retries=d.get("maxRetries"),
            timeout_ms=d.get("timeoutMs"),
            consecutive_failures=d.get("consecutiveFailures"),
            circuit_opened_at=_ts(d.get("circuitOpenedAt")),
            signing_secret=d.get("signingSecret"),
            raw=d,
        )


@frozen
class WebhookTestResult:
    success: bool
    message: str | None
    delivery_id: str | None
    http_status: int | None
    duration_ms: int | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "WebhookTestResult":
        return cls(
            success=bool(d.get("success")),
            message=d.get("message"),
            delivery_id=d.get("deliveryId"),
            http_status=d.get("httpStatus"),
            duration_ms=d.get("durationMs"),
            raw=d,
        )


@frozen
class CompanyUsage:
    company_id: str | None
    company_name: str | None
    billing_system: str | None
    total_interviews: int | None
    total_minutes_used: float | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CompanyUsage":
        return cls(
            company_id=d.get("companyId"),
            company_name=d.get("companyName"),
            billing_system=d.get("billingSystem"),
            total_interviews=d.get("totalInterviews"),
            total_minutes_used=d.get("totalMinutesUsed"),
            raw=d,
        )


@frozen
class BillingUsage:
    companies: tuple[CompanyUsage, ...]
    total_interviews: int | None
    total_minutes_used: float | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "BillingUsage":
        return cls(
            companies=_tuple(d.get("companies"), CompanyUsage.from_dict),
            total_interviews=d.get("totalInterviews"),
            total_minutes_used=d.get("totalMinutesUsed"),
            raw=d,
        )


@frozen
class Page(Generic[R]):
    """One page of a list: ``data`` parsed into records, plus the paging numbers."""

    items: tuple[R, ...]
    total: int
    page: int | None
    limit: int | None
    total_pages: int | None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_dict(cls, d: dict[str, Any], item: Callable[[dict[str, Any]], R]) -> "Page[R]":
        items = _tuple(d.get("data"), item)
        return cls(
            items=items,
            total=int(d.get("total", len(items))),
            page=d.get("page"),
            limit=d.get("limit"),
            total_pages=d.get("totalPages"),
            raw=d,
        )

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
