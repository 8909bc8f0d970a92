"""The transition table, cell by cell: the expected table is written here from lifecycle.md."""
from __future__ import annotations

import itertools

import pytest

from simulator.core import lifecycle
from simulator.core.enums import AttemptStatus, InterviewStatus
from simulator.core.errors import InvalidStateTransition
from simulator.core.lifecycle import Event

S = InterviewStatus
STATES = [S.SCHEDULED, S.IN_PROGRESS, S.COMPLETED, S.FAILED, S.CANCELLED, S.UNDEFINED]

# lifecycle.md, written independently of simulator.core.lifecycle.TRANSITIONS
EXPECTED = {
    (S.SCHEDULED, Event.SESSION_STARTED): S.IN_PROGRESS,
    (S.IN_PROGRESS, Event.SESSION_COMPLETED): S.IN_PROGRESS,  # waits for post-call
    (S.IN_PROGRESS, Event.POSTCALL_DONE): S.COMPLETED,
    (S.IN_PROGRESS, Event.CALL_RETRY): S.SCHEDULED,
    (S.IN_PROGRESS, Event.CALL_EXHAUSTED): S.FAILED,
    (S.IN_PROGRESS, Event.SESSION_FAILED): S.FAILED,
    (S.SCHEDULED, Event.INVOKE): S.SCHEDULED,
    (S.FAILED, Event.INVOKE): S.SCHEDULED,
    (S.SCHEDULED, Event.CANCEL): S.CANCELLED,
    (S.SCHEDULED, Event.TEST_COMPLETED): S.COMPLETED,
}

CELLS = list(itertools.product(STATES, list(Event)))


@pytest.mark.parametrize("state,event", [c for c in CELLS if c in EXPECTED],
                         ids=lambda x: getattr(x, "value", x))
def test_apply_allowed_cell(state, event):
    assert lifecycle.apply(state, event) is EXPECTED[(state, event)]


@pytest.mark.parametrize("state,event", [c for c in CELLS if c not in EXPECTED],
                         ids=lambda x: getattr(x, "value", x))
def test_apply_forbidden_cell(state, event):
    with pytest.raises(InvalidStateTransition) as exc:
        lifecycle.apply(state, event)
    assert exc.value.status == 409
    assert exc.value.code == "INVALID_STATE_TRANSITION"
    assert exc.value.details["status"] == state.value


def test_apply_terminal_states_only_failed_invokes():
    for state in (S.COMPLETED, S.CANCELLED):
        for event in Event:
            with pytest.raises(InvalidStateTransition):
                lifecycle.apply(state, event)
    allowed = [e for e in Event if (S.FAILED, e) in EXPECTED]
    assert allowed == [Event.INVOKE]


A = AttemptStatus
ATTEMPT_EXPECTED = {
    (A.SCHEDULED, "start"): A.IN_PROGRESS,
    (A.SCHEDULED, "cancel"): A.CANCELLED,
    (A.IN_PROGRESS, "complete"): A.COMPLETED,
    (A.IN_PROGRESS, "fail"): A.FAILED,
}


@pytest.mark.parametrize("state,event",
                         list(itertools.product(list(A), ["start", "cancel", "complete", "fail"])),
                         ids=str)
def test_apply_attempt_cell(state, event):
    if (state, event) in ATTEMPT_EXPECTED:
        assert lifecycle.apply_attempt(state, event) is ATTEMPT_EXPECTED[(state, event)]
    else:
        with pytest.raises(InvalidStateTransition):
            lifecycle.apply_attempt(state, event)


def test_model_lists_every_transition():
    model = lifecycle.model()
    pairs = {(t["from"], t["event"], t["to"]) for t in model["transitions"]}
    assert pairs == {(f.value, e.value, t.value) for (f, e), t in EXPECTED.items()}
    assert "UNDEFINED" not in model["states"]
    assert {"COMPLETED", "CANCELLED", "FAILED"} == set(model["terminal"])
