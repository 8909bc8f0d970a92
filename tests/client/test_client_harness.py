"""The harness's state machine driven through clients: ours and the Node example pass, the broken
ones in broken_clients.py are caught with a message saying what the client did wrong.

Runs the machine in-process (no shrinking, fixed seed) to stay fast; the same checks run from
the command line with ``pytest --pyargs spec_tests --client ...`` / ``--client-cmd ...``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from spec_tests import machines
from spec_tests.targets import Options, build_target

ROOT = Path(__file__).resolve().parents[2]
NODE_CMD = f"node {ROOT / 'examples' / 'node-client' / 'adapter.mjs'}"


def run_machine(options: Options, examples: int) -> None:
    target = build_target(options)
    try:
        with machines.use_target(target):
            run_state_machine_as_test(
                machines.InterviewLifecycle,
                settings=settings(
                    max_examples=examples, stateful_step_count=25, deadline=None,
                    phases=[Phase.generate], database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck),
                ),
            )  # fmt: skip
    finally:
        target.close()


def test_harness_passes_reference_client():
    run_machine(Options(client="client_under_test.adapter:make_adapter"), examples=8)


@pytest.mark.node
@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js on PATH")
def test_harness_passes_node_example():
    run_machine(Options(client_cmd=NODE_CMD), examples=8)


BROKEN = [
    # factory, what the failure message must say
    ("make_swallowing_404", r"expected 404 RESOURCE_NOT_FOUND.*got None success"),
    ("make_losing_status", r"loses information: \w+ failed and the client reported no status and code"),
    ("make_ignoring_company_id", r"by the ATS[\w ]* key: expected .*got 400 VALIDATION_ERROR: companyId"),
]


@pytest.mark.parametrize(("factory", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_harness_catches_broken_client(factory, message):
    with pytest.raises(AssertionError) as exc:
        run_machine(Options(client=f"tests.client.broken_clients:{factory}"), examples=40)
    assert re.search(message, str(exc.value), re.S), str(exc.value)


JOB = {"title": "Backend engineer", "description": "Builds the API we simulate.", "status": "OPEN"}


def test_retrying_creates_makes_a_second_job_under_an_after_fault(tenant, sim, base_url):
    """The mistake shown directly (the harness catches it through its fault rules in
    test_client_faults.py): the create was applied, its answer replaced by a 503; the broken
    client repeats it, ours does not."""
    from client_under_test.adapter import make_adapter
    from broken_clients import make_retrying_creates

    auth = {"api_key": tenant.key["key"], "company_id": None}
    company = tenant.company["id"]
    sim.fault(method="POST", path="/jobs", action="error", status=503, phase="after", times=1, companyId=company)
    broken = make_retrying_creates(base_url)
    broken.call("create_job", {"body": JOB}, auth)
    broken.close()
    assert tenant.client.list_jobs().total == 2  # one create, two jobs

    sim.fault(method="POST", path="/jobs", action="error", status=503, phase="after", times=1, companyId=company)
    ours = make_adapter(base_url)
    with pytest.raises(Exception) as exc:
        ours.call("create_job", {"body": JOB}, auth)
    ours.close()
    assert (exc.value.status, exc.value.code) == (503, "INJECTED_FAULT")
    assert tenant.client.list_jobs().total == 3  # applied once, reported as failed, not repeated


def test_harness_catches_caching_client_reading_after_a_change():
    """A read after a write, as the machine's get_changed_interview makes it: a fixed program,
    since how soon random search gets there depends on hypothesis's version."""
    target = build_target(Options(client="tests.client.broken_clients:make_caching_reads"))
    try:
        with machines.use_target(target):
            state = machines.InterviewLifecycle()
            state.setup_tenants(limits=[1, 1, 1], max_attempts=1)
            state.server_keeps_the_promises()
            program = [("create_interview_due_now", {"company": 0, "kind": "PHONE"}),
                       ("get_changed_interview", {"back": 0}),
                       ("advance_clock", {"seconds": 1}),  # the call starts
                       ("get_changed_interview", {"back": 0})]
            with pytest.raises(AssertionError) as exc:
                for rule, kwargs in program:
                    getattr(state, rule)(**kwargs)
                    state.server_keeps_the_promises()
            state.teardown()
    finally:
        target.close()
    assert re.search(r"Client disagreement: get_interview .* differs from the server's answer "
                     r".*stale cache.*status: client 'SCHEDULED', server 'IN_PROGRESS'",
                     str(exc.value), re.S), str(exc.value)
