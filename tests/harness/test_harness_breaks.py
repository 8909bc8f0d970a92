"""Each invariant of lifecycle.md can fail: the harness machine, run against a simulator with
a planted break (planted_breaks.py), fails with a message naming that invariant (STYLE 12)."""

import pytest
from planted_breaks import BREAKS, find_break

from spec_tests.model import INVARIANTS


# Found by random search within the test's budget; the other three are shown below.
SEARCHED = [n for n in sorted(BREAKS, key=lambda n: BREAKS[n][0])
            if n not in ("completion_without_analysis", "invoke_reopens_terminal",
                         "delete_touches_neighbour", "transcript_after_deletion")]


@pytest.mark.parametrize("name", SEARCHED)
def test_harness_fails_on_planted_break(name):
    number, _ = BREAKS[name]
    exc = find_break(name, max_examples=100)
    assert exc is not None, f"the harness missed the planted break {name}"
    first_line = str(exc).splitlines()[0]
    assert first_line.startswith(f"{number}. {INVARIANTS[number]}:"), first_line


# Four breaks that random search reaches only with a larger budget than a unit test should
# spend (see bench/harness_breaks.py): the same machine, rules and checks, driven through a
# short program like the ones hypothesis prints, against the broken simulator.
from planted_breaks import (completion_without_analysis,  # noqa: E402
                            delete_touches_neighbour, invoke_reopens_terminal,
                            transcript_after_deletion)

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
