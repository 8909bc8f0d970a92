"""Clients judged under faults (spec_tests/fault_rules.py, issue #6 "Must show"): the reference
client passes; a client that retries creates, one that reports 404 for a delete whose first
answer was lost, and one that takes a lost delete for done are caught, each with a message
saying what it did wrong.

Each case is a short program of the machine's own rules, like the ones hypothesis prints
(deterministic whatever hypothesis version is installed), plus one short random run of the
reference client. The raw-HTTP programs show the maybe-applied model settling both ways.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from spec_tests import machines
from spec_tests.fault_rules import FaultyLifecycle
from spec_tests.model import Status
from spec_tests.targets import Options, build_target, in_process_target

REFERENCE = "client_under_test.adapter:make_adapter"
BROKEN = "tests.client.broken_clients:"


def run_program(target_or_client, program):
    """Run ``program(state)`` on a fresh FaultyLifecycle (three companies, one slot each)
    against a client (``MODULE:FACTORY``) or, with None, raw HTTP in process; returns the
    machine after its last check."""
    if target_or_client is None:
        target = in_process_target()
    else:
        target = build_target(Options(client=target_or_client))
    try:
        with machines.use_target(target):
            state = FaultyLifecycle()
            state.setup_tenants(limits=[1, 1, 1], max_attempts=1)
            state.server_keeps_the_promises()
            try:
                program(state)
            finally:
                state.teardown()
    finally:
        target.close()
    return state


def step(state, rule, **kwargs):
    result = getattr(state, rule)(**kwargs)
    state.server_keeps_the_promises()
    return result


def create(state, kind="ONLINE", later=0):
    return step(state, "create_interview", company=0, kind=kind, later=later, is_test=False,
                caller="own")


def failure_of(client, program):
    with pytest.raises(AssertionError) as info:
        run_program(client, program)
    return str(info.value)


# ---------------------------------------------------------------- programs

def create_answer_lost(state):
    step(state, "arm_fault", op="create_interview", action="error", phase="after", times=1)
    create(state)


def delete_answer_dropped(state):
    interview = create(state)
    step(state, "arm_fault", op="delete_interview", action="drop", phase="after", times=1)
    step(state, "delete_interview", interview=interview, caller="own", form="as_is")


def delete_refused_before(state):
    interview = create(state)
    step(state, "arm_fault", op="delete_interview", action="error", phase="before", times=1)
    step(state, "delete_interview", interview=interview, caller="own", form="as_is")


def invoke_answer_lost(state):
    interview = create(state, kind="PHONE", later=60)
    step(state, "arm_fault", op="invoke_call_attempt", action="error", phase="after", times=1)
    step(state, "invoke_call_attempt", interview=interview, caller="own", form="as_is",
         minutes=None)


def company_ids(state, company=0):
    return [iv.id for iv in state.model.live_interviews(state.company_ids[company])]


# ---------------------------------------------------------------- the reference client passes

def test_faults_reference_client_create_answer_lost_is_settled_once():
    state = run_program(REFERENCE, create_answer_lost)
    assert len(company_ids(state)) == 1  # applied once, not repeated, settled from the list


def test_faults_reference_client_delete_answer_dropped_reports_success():
    state = run_program(REFERENCE, delete_answer_dropped)
    assert company_ids(state) == []  # retried, got 404, reported the delete as done


def test_faults_reference_client_delete_refused_before_is_retried():
    state = run_program(REFERENCE, delete_refused_before)
    assert company_ids(state) == []  # the first try never ran; the retry deleted it


def test_faults_reference_client_invoke_answer_lost_is_not_repeated():
    state = run_program(REFERENCE, invoke_answer_lost)
    (interview,) = state.model.live_interviews(state.company_ids[0])
    assert [a.retry_number for a in interview.current_attempts] == [0, 1]


def test_faults_reference_client_delete_of_deleted_after_lost_answers_is_tolerated():
    """docs/clients.md "Retries": 503, 503, then 404 reads as "my first try deleted it"; the
    client cannot know better, and the interview is gone either way."""
    def program(state):
        interview = create(state)
        step(state, "delete_interview", interview=interview, caller="own", form="as_is")
        step(state, "arm_fault", op="delete_interview", action="error", phase="before", times=2)
        step(state, "delete_interview", interview=interview, caller="own", form="as_is")

    state = run_program(REFERENCE, program)
    assert company_ids(state) == []


def test_faults_reference_client_passes_random_run():
    target = build_target(Options(client=REFERENCE))
    try:
        with machines.use_target(target):
            run_state_machine_as_test(FaultyLifecycle, settings=settings(
                max_examples=4, stateful_step_count=25, deadline=None, database=None,
                phases=[Phase.generate], derandomize=True,
                suppress_health_check=list(HealthCheck)))
    finally:
        target.close()


# ---------------------------------------------------------------- broken clients are caught

def test_faults_retrying_creates_is_caught_as_duplicate():
    message = failure_of(BROKEN + "make_retrying_creates", create_answer_lost)
    assert message.startswith("Faults: duplicate created by a retried create: one call, "
                              "create_interview by the own key, made 2 interviews in "
                              "company #0: "), message
    assert "the client reported success" in message and "error 503 after acted 1 of 1" in message


def test_faults_retrying_creates_is_caught_repeating_an_invoke():
    message = failure_of(BROKEN + "make_retrying_creates", invoke_answer_lost)
    assert message.startswith("Faults: invoke_call_attempt by the own key: one call of "), message
    assert "was applied 2 times" in message, message


def test_faults_lost_delete_reported_as_404_is_caught():
    message = failure_of(BROKEN + "make_reporting_lost_delete_404", delete_answer_dropped)
    assert message.startswith("Faults: delete_interview by the own key: the client reported "
                              "404 RESOURCE_NOT_FOUND for delete_interview of "), message
    assert "but it happened: a try was applied and its answer was lost (the connection was " \
           "dropped after it was applied)" in message, message


def test_faults_lost_delete_assumed_done_is_caught():
    message = failure_of(BROKEN + "make_assuming_lost_delete_done", delete_refused_before)
    assert message.startswith("Faults: delete_interview by the own key: the client reported "
                              "success for delete_interview of "), message
    assert "which did not happen: it is still listed" in message, message


# ---------------------------------------------------------------- raw HTTP: maybe applied

def test_faults_raw_delete_answer_dropped_is_settled_as_deleted():
    state = run_program(None, delete_answer_dropped)
    assert company_ids(state) == []
    assert state.model.deleted_interviews()


def test_faults_raw_delete_refused_before_is_settled_as_not_deleted():
    state = run_program(None, delete_refused_before)
    assert len(company_ids(state)) == 1


def test_faults_raw_create_answer_lost_is_settled_and_usable():
    def program(state):
        create_answer_lost(state)
        settled = step(state, "settled_creates")
        (interview,) = settled.values
        step(state, "get_interview", interview=interview, caller="own", form="as_is")
        state.settled = interview

    state = run_program(None, program)
    assert company_ids(state) == [state.settled]
    assert state.model.interviews[state.settled].status is Status.SCHEDULED


def test_faults_raw_create_refused_before_creates_nothing():
    def program(state):
        step(state, "arm_fault", op="create_interview", action="drop", phase="before",
             times=2)
        create(state)

    state = run_program(None, program)
    assert company_ids(state) == []
    assert not state.settled_ids
