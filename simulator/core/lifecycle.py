"""The interview and call-attempt lifecycles as data (lifecycle.md), one pure `apply` each."""
from __future__ import annotations

import enum

from simulator.core.enums import AttemptStatus, InterviewStatus
from simulator.core.errors import InvalidStateTransition

S = InterviewStatus
A = AttemptStatus


class Event(str, enum.Enum):
    """What moves an interview: an operation or an engine event."""

    SESSION_STARTED = "session_started"      # a due attempt starts / the candidate joins
    SESSION_COMPLETED = "session_completed"  # end-call COMPLETED: waits for post-call
    POSTCALL_DONE = "postcall_done"          # post-call processing ran
    CALL_RETRY = "call_retry"                # NO_ANSWER/BUSY with attempts left
    CALL_EXHAUSTED = "call_exhausted"        # NO_ANSWER/BUSY, maxCallAttempts placed
    SESSION_FAILED = "session_failed"        # end-call FAILED (technical)
    INVOKE = "invoke_call_attempt"           # public: new attempt (manual retry from FAILED)
    CANCEL = "cancel"                        # control plane only
    TEST_COMPLETED = "test_completed"        # isTest creation


TRANSITIONS: dict[tuple[InterviewStatus, Event], InterviewStatus] = {
    (S.SCHEDULED, Event.SESSION_STARTED): S.IN_PROGRESS,
    (S.IN_PROGRESS, Event.SESSION_COMPLETED): S.IN_PROGRESS,
    (S.IN_PROGRESS, Event.POSTCALL_DONE): S.COMPLETED,
    (S.IN_PROGRESS, Event.CALL_RETRY): S.SCHEDULED,
    (S.IN_PROGRESS, Event.CALL_EXHAUSTED): S.FAILED,
    (S.IN_PROGRESS, Event.SESSION_FAILED): S.FAILED,
    (S.SCHEDULED, Event.INVOKE): S.SCHEDULED,
    (S.FAILED, Event.INVOKE): S.SCHEDULED,
    (S.SCHEDULED, Event.CANCEL): S.CANCELLED,
    (S.SCHEDULED, Event.TEST_COMPLETED): S.COMPLETED,
}

ATTEMPT_TRANSITIONS: dict[tuple[AttemptStatus, str], AttemptStatus] = {
    (A.SCHEDULED, "start"): A.IN_PROGRESS,
    (A.SCHEDULED, "cancel"): A.CANCELLED,
    (A.IN_PROGRESS, "complete"): A.COMPLETED,
    (A.IN_PROGRESS, "fail"): A.FAILED,
}


def apply(state: InterviewStatus, event: Event) -> InterviewStatus:
    """The next status, or `InvalidStateTransition` (409) for a move the table forbids."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidStateTransition(
            f"Cannot {event.value.replace('_', ' ')} an interview in status {state.value}",
            {"status": state.value, "event": event.value},
        ) from None


def apply_attempt(state: AttemptStatus, event: str) -> AttemptStatus:
    try:
        return ATTEMPT_TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidStateTransition(
            f"Cannot {event} a call attempt in status {state.value}",
            {"status": state.value, "event": event},
        ) from None


# Which requests are refused in which interview status (for /_sim/model).
REFUSALS = [
    {"operation": "invoke_call_attempt", "states": ["IN_PROGRESS", "COMPLETED", "CANCELLED"],
     "status": 409, "code": "INVALID_STATE_TRANSITION"},
    {"operation": "invoke_call_attempt", "kind": "ONLINE", "states": "*",
     "status": 400, "code": "INVALID_STATE"},
    {"operation": "reschedule_call_attempt", "attemptStates":
     ["IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"], "status": 400, "code": "INVALID_STATE"},
    {"operation": "delete_call_attempt", "attemptStates": ["IN_PROGRESS"],
     "status": 400, "code": "INVALID_STATE"},
    {"operation": "cancel", "states": ["IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"],
     "status": 409, "code": "INVALID_STATE_TRANSITION"},
    {"operation": "join", "states": ["IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"],
     "status": 409, "code": "INVALID_STATE_TRANSITION", "also": "no free slot"},
    {"operation": "end_call", "when": "no live session", "status": 409,
     "code": "INVALID_STATE_TRANSITION"},
    {"operation": "delete_interview", "states": [], "note": "allowed in every status"},
]


def model() -> dict:
    """The lifecycle as data for `GET /_sim/model`."""
    return {
        "states": [s.value for s in InterviewStatus if s is not S.UNDEFINED],
        "initial": [S.SCHEDULED.value, S.COMPLETED.value],
        "terminal": [S.COMPLETED.value, S.CANCELLED.value, S.FAILED.value],
        "transitions": [
            {"from": f.value, "event": e.value, "to": t.value}
            for (f, e), t in TRANSITIONS.items()
        ],
        "attemptStates": [a.value for a in AttemptStatus],
        "attemptTransitions": [
            {"from": f.value, "event": e, "to": t.value}
            for (f, e), t in ATTEMPT_TRANSITIONS.items()
        ],
        "refusals": REFUSALS,
        "deletion": "allowed in every status; the interview becomes a tombstone (404 to the API)",
    }
