"""The concurrency mode against real threaded servers: our `instaview-sim serve` passes every
scenario; a simulator without atomic requests and with a race planted in delete_interview
(racy_server.py) is caught, with a message naming the scenario."""
from __future__ import annotations

import pytest
from racy_server import serve_racy

from simulator.testing import serve_process
from spec_tests import concurrency

pytestmark = pytest.mark.serve


@pytest.fixture(scope="module")
def served_url():
    with serve_process("--clock", "manual", "--threads", "8") as served:  # stopped by PID
        yield served.url


@pytest.fixture
def racy_url():
    with serve_racy() as url:
        yield url


def test_concurrency_every_scenario_passes_against_serve_process(served_url) -> None:
    for name, (_, cases) in concurrency.SCENARIOS.items():  # every case once, at least 6 runs
        runs = max(len(cases), 6)
        report = concurrency.run(served_url, runs=runs, seed=20261201, scenarios=[name])
        stats = report.stats[name]
        assert report.ok, "\n\n".join(f.report() for f in stats.failures)
        assert stats.runs == runs, f"{name}: {stats.runs} runs, not {runs}"
        assert stats.overlapped >= 1, f"{name}: no run had two branches in flight together"
        assert stats.explored >= stats.runs


def test_concurrency_main_prints_the_summary_and_exits_0(served_url, capsys) -> None:
    code = concurrency.main(["--base-url", served_url, "--runs", "2", "--seed", "3",
                             "--scenario", "two_deletes", "--scenario", "creates_on_full_slot"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "two_deletes" in out and "creates_on_full_slot" in out
    assert "histories checked: " in out and "every history is linearizable" in out


def test_concurrency_two_deletes_racy_server_is_caught(racy_url) -> None:
    report = concurrency.run(racy_url, runs=20, seed=1, scenarios=["two_deletes"],
                             stop_on_failure=True)
    assert not report.ok
    failure = report.stats["two_deletes"].failures[0]
    text = failure.report()
    assert text.startswith("scenario two_deletes (")
    assert "NOT LINEARIZABLE" in text and "no linearization exists" in text
    assert "delete_interview(id=A) -> 200 True" in text
    assert "the model answers 404 RESOURCE_NOT_FOUND (A was already deleted)" in text


def test_concurrency_main_racy_server_exits_1_naming_the_scenario(racy_url, capsys) -> None:
    code = concurrency.main(["--base-url", racy_url, "--runs", "20", "--seed", "2",
                             "--scenario", "two_deletes", "--stop-on-failure"])
    out = capsys.readouterr().out
    assert code == 1
    assert "scenario two_deletes" in out and "no linearization exists" in out
    assert "NOT LINEARIZABLE" in out


def test_concurrency_main_real_clock_server_is_refused(capsys) -> None:
    with serve_process() as served:  # the default clock is real
        code = concurrency.main(["--base-url", served.url, "--runs", "1",
                                 "--scenario", "two_deletes"])
    captured = capsys.readouterr()
    assert code == 2
    assert "needs `serve --clock manual`" in captured.err


def test_concurrency_final_state_catches_a_slot_freed_at_deletion() -> None:
    """Step 5 (the final state) matters: every answer of this server is right, only the slot
    of a deleted live call is released too early; the observation step names it."""
    from racy_server import slot_leak_app

    from simulator.testing import serve_in_thread

    with serve_in_thread(slot_leak_app()) as url:
        report = concurrency.run(url, runs=18, seed=5, scenarios=["two_deletes"],
                                 stop_on_failure=True)
    assert not report.ok
    text = report.stats["two_deletes"].failures[0].report()
    assert "stage=live" in text
    assert "observe(): /_sim/state (liveSessions, waiting, queued) = (0, 0, 0); the model " \
           "has (1, 0, 0)" in text


def test_instaview_sim_check_concurrency_runs_the_mode_against_its_own_serve():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from simulator.cli import main; main()", "check",
         "--concurrency", "--runs", "1", "--seed", "3"],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "verdict: every history is linearizable" in result.stdout
    assert "two_deletes" in result.stdout and "creates_on_full_slot" in result.stdout
