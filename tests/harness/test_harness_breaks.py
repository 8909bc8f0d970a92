"""Each invariant of lifecycle.md can fail: the harness machine, run against a simulator with
a planted break (planted_breaks.py), fails with a message naming that invariant (STYLE 12)."""

import pytest
from planted_breaks import BREAKS, find_break

from spec_tests.model import INVARIANTS


@pytest.mark.parametrize("name", sorted(BREAKS, key=lambda n: BREAKS[n][0]))
def test_harness_fails_on_planted_break(name):
    number, _ = BREAKS[name]
    exc = find_break(name, max_examples=100)
    assert exc is not None, f"the harness missed the planted break {name}"
    first_line = str(exc).splitlines()[0]
    assert first_line.startswith(f"{number}. {INVARIANTS[number]}:"), first_line
