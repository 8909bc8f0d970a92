"""Every closed set of the simulator as an Enum whose values are the wire strings."""
from __future__ import annotations

import enum


class WireEnum(str, enum.Enum):
    """A str-valued enum: `.value` is the wire spelling."""

    def __str__(self) -> str:  # pragma: no cover - convenience
        return self.value


class InterviewStatus(WireEnum):
    UNDEFINED = "UNDEFINED"
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class AttemptStatus(WireEnum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class AttemptDirection(WireEnum):
    OUTBOUND = "OUTBOUND"
    INBOUND = "INBOUND"


class Outcome(WireEnum):
    """How a session ends (control plane `end-call`, or automatic)."""

    COMPLETED = "COMPLETED"
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"
    FAILED = "FAILED"


class ReasonCode(WireEnum):
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"
    TECHNICAL_ERROR = "TECHNICAL_ERROR"


class KeyKind(WireEnum):
    COMPANY = "COMPANY"
    ATS = "ATS"


class AgentType(WireEnum):
    UNDEFINED = "UNDEFINED"
    ONLINE = "ONLINE"
    PHONE = "PHONE"


class AgentFocus(WireEnum):
    GENERIC = "GENERIC"
    SCREENING = "SCREENING"
    OUTREACH = "OUTREACH"
    LANGUAGE_TEST = "LANGUAGE_TEST"


class Language(WireEnum):
    UNDEFINED = "UNDEFINED"
    EN = "EN"
    JA = "JA"
    ZH = "ZH"
    DE = "DE"
    HI = "HI"
    FR = "FR"
    KO = "KO"
    PT = "PT"
    IT = "IT"
    ES = "ES"
    ID = "ID"
    NL = "NL"
    TR = "TR"
    FIL = "FIL"
    PL = "PL"
    SV = "SV"
    BG = "BG"
    RO = "RO"
    AR = "AR"
    CS = "CS"
    EL = "EL"
    FI = "FI"
    HR = "HR"
    MS = "MS"
    SK = "SK"
    DA = "DA"
    TA = "TA"
    UK = "UK"
    RU = "RU"
    HU = "HU"
    NO = "NO"
    VI = "VI"


class Voice(WireEnum):
    ALEX = "ALEX"
    PETER = "PETER"
    MIRIAM = "MIRIAM"
    SUE = "SUE"
    VIERA = "VIERA"
    CASANDRA = "CASANDRA"
    SILVIA = "SILVIA"
    MICHAEL = "MICHAEL"
    LUKE = "LUKE"
    EMMA = "EMMA"
    SARAH = "SARAH"
    EVA = "EVA"


class CefrLevel(WireEnum):
    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


class BackgroundSound(WireEnum):
    OFFICE = "OFFICE"
    OFF = "OFF"


class CandidateStatus(WireEnum):
    UNDEFINED = "UNDEFINED"
    APPLIED = "APPLIED"
    IN_PROCESS = "IN_PROCESS"
    REJECTED = "REJECTED"
    ACCEPTED = "ACCEPTED"


class JobStatus(WireEnum):
    # The digest only shows OPEN; the others are the usual job-board states (our choice).
    UNDEFINED = "UNDEFINED"
    DRAFT = "DRAFT"
    OPEN = "OPEN"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class Education(WireEnum):
    UNDEFINED = "UNDEFINED"
    PRIMARY_EDUCATION = "PRIMARY_EDUCATION"
    SECONDARY_SCHOOL_STUDENT = "SECONDARY_SCHOOL_STUDENT"
    SECONDARY_WITHOUT_DIPLOMA = "SECONDARY_WITHOUT_DIPLOMA"
    SECONDARY_WITH_DIPLOMA = "SECONDARY_WITH_DIPLOMA"
    POST_SECONDARY_VOCATIONAL = "POST_SECONDARY_VOCATIONAL"
    UNIVERSITY_STUDENT = "UNIVERSITY_STUDENT"
    BACHELOR_LEVEL = "BACHELOR_LEVEL"
    MASTER_LEVEL = "MASTER_LEVEL"
    POSTGRADUATE = "POSTGRADUATE"


class Experience(WireEnum):
    UNDEFINED = "UNDEFINED"
    NO_EXPERIENCE = "NO_EXPERIENCE"
    LESS_THAN_1_YEAR = "LESS_THAN_1_YEAR"
    ONE_TO_3_YEARS = "ONE_TO_3_YEARS"
    THREE_TO_5_YEARS = "THREE_TO_5_YEARS"
    FIVE_TO_10_YEARS = "FIVE_TO_10_YEARS"
    MORE_THAN_10_YEARS = "MORE_THAN_10_YEARS"  # truncated in the digest; likely value


class ContractType(WireEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    CONTRACT = "CONTRACT"
    TEMPORARY = "TEMPORARY"
    INTERNSHIP = "INTERNSHIP"
    FREELANCE = "FREELANCE"


class WorkMode(WireEnum):
    REMOTE = "REMOTE"
    HYBRID = "HYBRID"
    ONSITE = "ONSITE"


class SalaryPeriod(WireEnum):
    HOURLY = "HOURLY"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    YEARLY = "YEARLY"


class TranscriptRole(WireEnum):
    AGENT = "AGENT"
    CANDIDATE = "CANDIDATE"


class PostCallState(WireEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    SKIPPED = "SKIPPED"


class EventType(WireEnum):
    """The event journal's types (control-plane.md)."""

    INTERVIEW_CREATED = "interview.created"
    INTERVIEW_DELETED = "interview.deleted"
    INTERVIEW_CANCELLED = "interview.cancelled"
    ATTEMPT_QUEUED = "attempt.queued"
    ATTEMPT_CANCELLED = "attempt.cancelled"
    SESSION_STARTED = "session.started"
    SESSION_ENDED = "session.ended"
    SLOT_ACQUIRED = "slot.acquired"
    SLOT_RELEASED = "slot.released"
    POSTCALL_QUEUED = "postcall.queued"
    POSTCALL_DONE = "postcall.done"
    POSTCALL_SKIPPED = "postcall.skipped"
    INTERVIEW_COMPLETED = "interview.completed"
    INTERVIEW_FAILED = "interview.failed"
    WEBHOOK_ENQUEUED = "webhook.enqueued"


class WebhookEvent(WireEnum):
    """Webhook event names as the engine emits them (lower-dot)."""

    INTERVIEW_STARTED = "interview.started"
    INTERVIEW_COMPLETED = "interview.completed"
    ANALYSIS_COMPLETED = "analysis.completed"
    INTERVIEW_FAILED = "interview.failed"
    PING = "ping"


class ClockMode(WireEnum):
    MANUAL = "manual"
    REAL = "real"


class QueueKind(WireEnum):
    ATTEMPT = "attempt"
    AUTO_END = "auto_end"
    AUTO_JOIN = "auto_join"
    POSTCALL = "postcall"
    WEBHOOK_TRY = "webhook_try"


class CompanyMode(WireEnum):
    """Whether an operation acts on one company (ATS keys: `companyId` rules)."""

    REQUIRED = "REQUIRED"
    OPTIONAL = "OPTIONAL"
    NONE = "NONE"
