"""An independent model of api.md, lifecycle.md and decisions.md, written from the spec (it
never imports ``simulator``): companies and their settings, interviews and their attempts,
the queue keyed by (due, seq), slots, the clock, post-call processing, retries, tombstones,
and the expected answer (status + code, in the order of checks) of every request the
harness makes."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterable

import attrs


class Status(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class AttemptStatus(str, enum.Enum):
    SCHEDULED = "SCHEDULED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class Kind(str, enum.Enum):
    PHONE = "PHONE"
    ONLINE = "ONLINE"


TERMINAL = frozenset({Status.COMPLETED, Status.CANCELLED})

# api.md "Scopes" (interview rows).
SCOPES: dict[str, tuple[str, ...]] = {
    "list_interviews": ("read:interviews", "read:candidates", "read:agents"),
    "get_interview": ("read:interviews",),
    "create_interview": ("write:interviews", "read:candidates", "read:agents"),
    "delete_interview": ("delete:interviews",),
    "invoke_call_attempt": ("write:interviews",),
    "reschedule_call_attempt": ("write:interviews",),
    "delete_call_attempt": ("write:interviews",),
}
ALL_SCOPES = tuple(
    f"{verb}:{res}" for res in ("interviews", "candidates", "jobs", "agents")
    for verb in ("read", "write", "delete")
) + ("read:companies", "write:companies", "read:webhooks", "write:webhooks", "read:billing")
INTERVIEW_SCOPES = ("read:interviews", "read:candidates", "read:agents", "write:interviews",
                    "delete:interviews")

# api.md "Error codes": the codes each status may carry (invariant 11).
CODES_BY_STATUS: dict[int, frozenset[str]] = {
    400: frozenset({"VALIDATION_ERROR", "INVALID_STATE"}),
    401: frozenset({"INVALID_API_KEY", "API_KEY_SUSPENDED"}),
    403: frozenset({"INSUFFICIENT_PERMISSIONS", "RESOURCE_ACCESS_DENIED"}),
    404: frozenset({"RESOURCE_NOT_FOUND", "ROUTE_NOT_FOUND"}),
    405: frozenset({"METHOD_NOT_ALLOWED"}),
    409: frozenset({"INVALID_STATE_TRANSITION"}),
    413: frozenset({"PAYLOAD_TOO_LARGE"}),
    415: frozenset({"UNSUPPORTED_MEDIA_TYPE"}),
    429: frozenset({"RATE_LIMIT_EXCEEDED"}),
    501: frozenset({"NOT_IMPLEMENTED"}),
}

# Invariant numbers and names (lifecycle.md "Invariants the harness checks").
INVARIANTS: dict[int, str] = {
    1: "Gone after delete", 2: "Ownership", 3: "Rejected requests change nothing",
    4: "No call after delete", 5: "Live call survives delete",
    6: "No post-call data after delete", 7: "Slots", 8: "Completion is complete",
    9: "Terminal is terminal", 10: "Frame", 11: "Envelope", 12: "Lists agree with gets",
}


def violation(number: int, message: str) -> AssertionError:
    return AssertionError(f"{number}. {INVARIANTS[number]}: {message}")


def iso(dt: datetime) -> str:
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def is_uuid(raw: str) -> bool:
    try:
        uuid.UUID(raw)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(raw) == 36


# ---------------------------------------------------------------- expected answers

@attrs.frozen
class Expect:
    """The answers the model accepts: ``ok`` (with ``status``) or one of ``errors``
    ((status, code) pairs). ``invariant`` names the rule a wrong answer breaks (None: the
    model's own prediction), ``reason`` says why."""

    status: int | None = None
    errors: frozenset[tuple[int, str]] = frozenset()
    invariant: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and not self.errors

    @classmethod
    def success(cls, status: int = 200) -> "Expect":
        return cls(status=status)

    @classmethod
    def error(cls, status: int, code: str, invariant: int | None, reason: str,
              *alternatives: tuple[int, str]) -> "Expect":
        return cls(errors=frozenset({(status, code), *alternatives}), invariant=invariant,
                   reason=reason)

    def describe(self) -> str:
        if self.ok:
            return f"{self.status} success"
        return " or ".join(f"{s} {c}" for s, c in sorted(self.errors)) + f" ({self.reason})"

    def matches(self, status: int | None, code: str | None) -> bool:
        if self.ok:
            return status == self.status
        return (status, code) in self.errors


class Refused(Exception):
    """Raised inside the model's checks: carries the Expect of a refused request."""

    def __init__(self, expect: Expect) -> None:
        super().__init__(expect.describe())
        self.expect = expect


# ---------------------------------------------------------------- records

@attrs.define
class Company:
    id: str
    concurrency_limit: int
    max_call_attempts: int
    retry_delay: int
    postcall_delay: int
    live: set[str] = attrs.field(factory=set)  # interview ids with a live session


@attrs.define
class Attempt:
    retry_number: int
    status: AttemptStatus
    due: datetime
    seq: int
    id: str | None = None  # known once the server showed it
    reason: str | None = None
    removed: bool = False  # deleted through delete_call_attempt


@attrs.define
class Interview:
    id: str
    company: str
    kind: Kind
    is_test: bool
    status: Status
    scheduled_at: datetime
    attempts: list[Attempt] = attrs.field(factory=list)
    placed: int = 0
    live: bool = False
    postcall: str | None = None  # None, PENDING, DONE, SKIPPED
    postcall_due: tuple[datetime, int] | None = None
    deleted: bool = False
    deleted_live: bool = False  # a session was live at the deletion
    has_transcript: bool = False

    @property
    def current_attempts(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.removed]

    def live_attempt(self) -> Attempt | None:
        for a in self.attempts:
            if a.status is AttemptStatus.IN_PROGRESS:
                return a
        return None


@attrs.define
class Caller:
    """Who makes a request: ``auth`` to send, the company it acts on, or the refusal its
    credentials alone earn before any lookup (api.md "Order of checks", steps 2-5)."""

    label: str
    auth: dict = attrs.field(repr=False)
    acting: str | None
    scopes: frozenset[str]
    refusal: tuple[int, str] | None = None  # 401 / 400 from authentication or ATS selection
    ats_denied: bool = False  # ATS key naming a company it does not manage


# ---------------------------------------------------------------- the model

@attrs.define
class Model:
    now: datetime
    companies: dict[str, Company] = attrs.field(factory=dict)
    interviews: dict[str, Interview] = attrs.field(factory=dict)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # ---- views
    def live_interviews(self, company: str | None = None) -> list[Interview]:
        return [iv for iv in self.interviews.values()
                if not iv.deleted and (company is None or iv.company == company)]

    def deleted_interviews(self) -> list[Interview]:
        return [iv for iv in self.interviews.values() if iv.deleted]

    def free_slots(self, company: str) -> int:
        c = self.companies[company]
        return c.concurrency_limit - len(c.live)

    def queued_attempts(self, company: str | None = None) -> list[tuple[Interview, Attempt]]:
        out = []
        for iv in self.interviews.values():
            if iv.deleted or (company is not None and iv.company != company):
                continue
            for a in iv.attempts:
                if a.status is AttemptStatus.SCHEDULED and not a.removed:
                    out.append((iv, a))
        return sorted(out, key=lambda p: (p[1].due, p[1].seq))

    def waiting(self, company: str) -> list[tuple[Interview, Attempt]]:
        return [(iv, a) for iv, a in self.queued_attempts(company) if a.due <= self.now]

    # ---- expected answer of a public request about an existing-or-not interview
    def lookup(self, op: str, caller: Caller, raw_id: str, *,
               body_error: tuple[int, str] | None = None) -> Interview:
        """Steps 2-7 of api.md's order of checks; raises Refused or returns the interview."""
        if caller.refusal and caller.refusal[0] == 401:
            raise Refused(Expect.error(*caller.refusal, 3, f"{caller.label} key"))
        missing = [s for s in SCOPES[op] if s not in caller.scopes]
        if missing:
            raise Refused(Expect.error(403, "INSUFFICIENT_PERMISSIONS", 3,
                                       f"key without {missing[0]}"))
        if caller.refusal:
            raise Refused(Expect.error(*caller.refusal, 3, caller.label))
        if caller.ats_denied:
            raise Refused(Expect.error(403, "RESOURCE_ACCESS_DENIED", 2,
                                       "ATS key naming a company it does not manage"))
        if not is_uuid(raw_id):
            raise Refused(Expect.error(400, "VALIDATION_ERROR", 3, "malformed id"))
        iv = self.interviews.get(raw_id.lower())
        alt = (body_error,) if body_error else ()
        if iv is None:
            raise Refused(Expect.error(404, "RESOURCE_NOT_FOUND", 3, "no such interview", *alt))
        if iv.deleted:
            raise Refused(Expect.error(404, "RESOURCE_NOT_FOUND", 1, "interview deleted",
                                       *alt))
        if iv.company != caller.acting:
            raise Refused(Expect.error(403, "RESOURCE_ACCESS_DENIED", 2,
                                       "interview of another company", *alt))
        if body_error:
            raise Refused(Expect.error(*body_error, 3, "invalid body"))
        return iv

    def authorize_create(self, caller: Caller, owner: str) -> None:
        if caller.refusal and caller.refusal[0] == 401:
            raise Refused(Expect.error(*caller.refusal, 3, f"{caller.label} key"))
        missing = [s for s in SCOPES["create_interview"] if s not in caller.scopes]
        if missing:
            raise Refused(Expect.error(403, "INSUFFICIENT_PERMISSIONS", 3,
                                       f"key without {missing[0]}"))
        if caller.refusal:
            raise Refused(Expect.error(*caller.refusal, 3, caller.label))
        if caller.ats_denied:
            raise Refused(Expect.error(403, "RESOURCE_ACCESS_DENIED", 2,
                                       "ATS key naming a company it does not manage"))
        if caller.acting != owner:
            # decisions.md 4: a body naming another company's candidate or agent
            raise Refused(Expect.error(403, "RESOURCE_ACCESS_DENIED", 2,
                                       "candidate and agent of another company"))

    def check_time(self, when: datetime | None, *, strictly_future: bool) -> bool:
        """decisions.md 15: past = strictly before now; 30 days ahead inclusive."""
        if when is None:
            return True
        if strictly_future and when <= self.now:
            return False
        if when < self.now:
            return False
        return when <= self.now + timedelta(days=30)

    # ---- effects of accepted requests (the caller has matched the answer first)
    def create(self, iv_id: str, company: str, kind: Kind, is_test: bool,
               when: datetime) -> Interview:
        iv = Interview(id=iv_id, company=company, kind=kind, is_test=is_test,
                       status=Status.COMPLETED if is_test else Status.SCHEDULED,
                       scheduled_at=when)
        if is_test:
            iv.has_transcript = True
            iv.postcall = "DONE"
        elif kind is Kind.PHONE:
            iv.attempts.append(Attempt(0, AttemptStatus.SCHEDULED, when, self.next_seq()))
        self.interviews[iv_id] = iv
        return iv

    def delete(self, iv: Interview) -> None:
        # lifecycle.md "Deletion"
        iv.deleted = True
        iv.deleted_live = iv.live
        for a in iv.attempts:
            if a.status is AttemptStatus.SCHEDULED:
                a.status = AttemptStatus.CANCELLED
        if iv.postcall == "PENDING":
            iv.postcall = "SKIPPED"
            iv.postcall_due = None
        iv.has_transcript = False

    def invoke(self, iv: Interview, when: datetime | None) -> Attempt:
        for a in iv.attempts:
            if a.status is AttemptStatus.SCHEDULED:
                a.status = AttemptStatus.CANCELLED
        attempt = Attempt(len(iv.attempts), AttemptStatus.SCHEDULED, when or self.now,
                          self.next_seq())
        iv.attempts.append(attempt)
        iv.status = Status.SCHEDULED
        return attempt

    def reschedule(self, attempt: Attempt, when: datetime) -> None:
        attempt.due = when
        attempt.seq = self.next_seq()  # decisions.md 21

    def delete_attempt(self, attempt: Attempt) -> None:
        if attempt.status is AttemptStatus.SCHEDULED:
            attempt.status = AttemptStatus.CANCELLED
        attempt.removed = True

    def cancel(self, iv: Interview) -> None:
        iv.status = Status.CANCELLED
        for a in iv.attempts:
            if a.status is AttemptStatus.SCHEDULED:
                a.status = AttemptStatus.CANCELLED

    # ---- sessions
    def start_session(self, iv: Interview, attempt: Attempt | None) -> None:
        company = self.companies[iv.company]
        company.live.add(iv.id)
        iv.live = True
        iv.status = Status.IN_PROGRESS
        if attempt is not None:
            attempt.status = AttemptStatus.IN_PROGRESS
            iv.placed += 1

    def end_session(self, iv: Interview, outcome: str) -> None:
        company = self.companies[iv.company]
        company.live.discard(iv.id)
        iv.live = False
        attempt = iv.live_attempt()
        if attempt is not None:
            if outcome == "COMPLETED":
                attempt.status = AttemptStatus.COMPLETED
            else:
                attempt.status = AttemptStatus.FAILED
                attempt.reason = "TECHNICAL_ERROR" if outcome == "FAILED" else outcome
        if iv.deleted:
            iv.postcall = "SKIPPED"  # lifecycle.md: no post-call processing, no retry
        elif outcome == "COMPLETED":
            iv.postcall = "PENDING"
            iv.postcall_due = (self.now + timedelta(seconds=company.postcall_delay),
                               self.next_seq())
        elif outcome in ("NO_ANSWER", "BUSY") and iv.placed < company.max_call_attempts:
            iv.attempts.append(Attempt(attempt.retry_number + 1, AttemptStatus.SCHEDULED,
                                       self.now + timedelta(seconds=company.retry_delay),
                                       self.next_seq()))
            iv.status = Status.SCHEDULED
        else:
            iv.status = Status.FAILED
        self.start_waiting(iv.company)

    def start_waiting(self, company: str) -> None:
        """A freed slot starts the company's earliest waiting attempt at that instant."""
        while self.free_slots(company) > 0:
            waiting = self.waiting(company)
            if not waiting:
                return
            iv, attempt = waiting[0]
            self.start_session(iv, attempt)

    def advance(self, until: datetime) -> None:
        """Run every due item in (due, seq) order, stepping the clock to each."""
        while True:
            items: list[tuple[datetime, int, str, Interview, Attempt | None]] = []
            for iv, a in self.queued_attempts():
                if a.due <= until and self.free_slots(iv.company) > 0:
                    items.append((a.due, a.seq, "attempt", iv, a))
            for iv in self.interviews.values():
                if iv.postcall == "PENDING" and iv.postcall_due and iv.postcall_due[0] <= until:
                    items.append((iv.postcall_due[0], iv.postcall_due[1], "postcall", iv, None))
            if not items:
                break
            due, _, kind, iv, attempt = min(items, key=lambda t: (t[0], t[1]))
            self.now = max(self.now, due)
            if kind == "attempt":
                self.start_session(iv, attempt)
            else:
                iv.postcall = "DONE"
                iv.postcall_due = None
                iv.has_transcript = True
                iv.status = Status.COMPLETED
        self.now = max(self.now, until)

    def sync_attempt_ids(self, iv: Interview, server_attempts: Iterable[dict]) -> None:
        """Learn the ids the server gave to attempts it created (retries, invokes)."""
        by_retry = {a["retryNumber"]: a["id"] for a in server_attempts}
        for a in iv.attempts:
            if a.id is None and a.retry_number in by_retry:
                a.id = by_retry[a.retry_number]
