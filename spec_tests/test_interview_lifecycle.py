"""The suite: the interview lifecycle machine against the chosen target (harness.md)."""

import pytest
from hypothesis.stateful import run_state_machine_as_test

from spec_tests.machines import InterviewLifecycle
from spec_tests.plugin import SHARDS


@pytest.mark.parametrize("shard", range(SHARDS))
def test_interview_lifecycle(instaview_spec_target, instaview_spec_settings, shard):
    """Every operation, right and wrong callers, the clock and the candidate's side; the
    twelve invariants after each step. Shards let pytest-xdist run halves in parallel."""
    if instaview_spec_target.black_box and shard:
        pytest.skip("black-box: both shards would share the two companies; one shard runs")
    run_state_machine_as_test(InterviewLifecycle, settings=instaview_spec_settings)
