"""Each invariant of lifecycle.md can fail: the harness machine, run against a simulator with
a planted break (planted_breaks.py), fails with a message naming that invariant (STYLE 12)."""

import pytest
from planted_breaks import BREAKS

from spec_tests.model import INVARIANTS


# Each break is shown with the machine's own rules and checks, driven through a short program
# like the ones hypothesis prints: deterministic whatever hypothesis version is installed.
# How many breaks random search finds, and how fast, is measured by bench/harness_breaks.py
# (a benchmark, not a test: a seeded search changes with hypothesis's version).
from planted_breaks import (call_placed_for_deleted_interview,  # noqa: E402
                            completion_without_analysis, cross_company_404_instead_of_403,
                            delete_hangs_up_live_call, delete_touches_neighbour,
                            invoke_reopens_terminal, list_drops_last_item,
                            rejected_request_cancels_attempts, second_delete_answers_200,
                            slot_never_released, transcript_after_deletion,
                            wrong_error_code_for_deleted)

from spec_tests.machines import InterviewLifecycle, use_target  # noqa: E402
from spec_tests.targets import in_process_target  # noqa: E402


def run_program(plant, program):
    with plant():
        target = in_process_target()
        try:
            with use_target(target):
                state = InterviewLifecycle()
                state.setup_tenants(limits=[1, 1, 1], max_attempts=1)
                state.server_keeps_the_promises()
                with pytest.raises(AssertionError) as info:
                    program(state)
                    state.server_keeps_the_promises()
                state.teardown()
        finally:
            target.close()
    return str(info.value).splitlines()[0]


def step(state, rule, **kwargs):
    result = getattr(state, rule)(**kwargs)
    state.server_keeps_the_promises()
    return result


def test_harness_fails_on_completion_without_analysis_program():
    def program(state):
        iv = step(state, "create_interview", caller="own", company=0, is_test=False,
                  kind="ONLINE", later=0)
        step(state, "join", interview=iv)
        step(state, "end_call", interview=iv, outcome="COMPLETED", duration=60)
        step(state, "advance_clock", seconds=30)
    assert run_program(completion_without_analysis, program).startswith(
        "8. Completion is complete:")


def test_harness_fails_on_invoke_reopens_terminal_program():
    def program(state):
        iv = step(state, "create_interview", caller="own", company=0, is_test=True,
                  kind="PHONE", later=0)
        step(state, "invoke_call_attempt", interview=iv, caller="own", form="as_is",
             minutes=None)
    assert run_program(invoke_reopens_terminal, program).startswith("9. Terminal is terminal:")


def test_harness_fails_on_delete_touches_neighbour_program():
    def program(state):
        first = step(state, "create_interview", caller="own", company=0, is_test=False,
                     kind="PHONE", later=60)
        step(state, "create_interview", caller="own", company=0, is_test=False,
             kind="PHONE", later=60)
        step(state, "delete_interview", interview=first, caller="own", form="as_is")
    assert run_program(delete_touches_neighbour, program).startswith("10. Frame:")


def test_harness_fails_on_transcript_after_deletion_program():
    def program(state):
        iv = step(state, "create_interview", caller="own", company=0, is_test=False,
                  kind="PHONE", later=0)
        step(state, "advance_clock", seconds=1)
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
        step(state, "end_call", interview=iv, outcome="COMPLETED", duration=60)
        step(state, "advance_clock", seconds=30)
    assert run_program(transcript_after_deletion, program).startswith(
        "6. No post-call data after delete:")


def _phone(state, later=60, company=0):
    return step(state, "create_interview", caller="own", company=company, is_test=False,
                kind="PHONE", later=later)


def _expect(plant, program, number):
    first = run_program(plant, program)
    assert first.startswith(f"{number}. {INVARIANTS[number]}:"), first


def test_harness_fails_on_second_delete_answers_200_program():
    def program(state):
        iv = _phone(state)
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
    _expect(second_delete_answers_200, program, 1)


def test_harness_fails_on_cross_company_404_instead_of_403_program():
    def program(state):
        iv = _phone(state)
        step(state, "get_interview", interview=iv, caller="other", form="as_is")
    _expect(cross_company_404_instead_of_403, program, 2)


def test_harness_fails_on_rejected_request_cancels_attempts_program():
    def program(state):
        iv = _phone(state)
        step(state, "invoke_call_attempt", interview=iv, caller="own", form="as_is", minutes=-60)
    _expect(rejected_request_cancels_attempts, program, 3)


def test_harness_fails_on_call_placed_for_deleted_interview_program():
    def program(state):
        iv = _phone(state, later=0)
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
        step(state, "advance_clock", seconds=1)
    _expect(call_placed_for_deleted_interview, program, 4)


def test_harness_fails_on_delete_hangs_up_live_call_program():
    def program(state):
        iv = _phone(state, later=0)
        step(state, "advance_clock", seconds=1)
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
    _expect(delete_hangs_up_live_call, program, 5)


def test_harness_fails_on_slot_never_released_program():
    def program(state):
        first = _phone(state, later=0)
        step(state, "advance_clock", seconds=1)
        step(state, "end_call", interview=first, outcome="FAILED", duration=10)
        _phone(state, later=0)
        step(state, "advance_clock", seconds=1)
    _expect(slot_never_released, program, 7)


def test_harness_fails_on_wrong_error_code_for_deleted_program():
    def program(state):
        iv = _phone(state)
        step(state, "delete_interview", interview=iv, caller="own", form="as_is")
        step(state, "get_interview", interview=iv, caller="own", form="as_is")
    _expect(wrong_error_code_for_deleted, program, 11)


def test_harness_fails_on_list_drops_last_item_program():
    def program(state):
        _phone(state)
        _phone(state)
        step(state, "list_interviews", company=0, caller="own", limit=4, status=None)
    _expect(list_drops_last_item, program, 12)


def test_every_planted_break_has_a_program_test():
    names = {n.removeprefix("test_harness_fails_on_").removesuffix("_program")
             for n in globals() if n.startswith("test_harness_fails_on_")}
    assert set(BREAKS) <= names, set(BREAKS) - names
