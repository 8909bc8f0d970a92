"""The suite under faults: the interview lifecycle machine with ``arm_fault`` steps
(spec_tests/fault_rules.py, harness.md "Client operations": faults with phase after)."""

import pytest
from hypothesis.stateful import run_state_machine_as_test

from spec_tests.fault_rules import FaultyLifecycle
from spec_tests.plugin import SHARDS


@pytest.mark.parametrize("shard", range(SHARDS))
def test_faulty_lifecycle(instaview_spec_target, instaview_spec_settings, shard):
    """Every operation of the lifecycle machine, with faults (error 503, drop, delay; before
    and after; once or twice) armed before public calls; a client is judged by what it
    reported against what happened, and maybe-applied calls are settled by the next read."""
    if instaview_spec_target.black_box:
        pytest.skip("faults need the control plane (POST /_sim/faults): black-box mode has none")
    run_state_machine_as_test(FaultyLifecycle, settings=instaview_spec_settings)
