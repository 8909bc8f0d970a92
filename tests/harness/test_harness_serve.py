"""The suite against a real ``instaview-sim serve --clock manual`` process over HTTP, as a
user's CI would run it (``pytest --pyargs spec_tests --base-url ...``)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.testing import serve_process


@pytest.fixture
def served_url():
    with serve_process("--clock", "manual") as sp:  # stopped by its PID on exit
        yield sp.url


@pytest.mark.serve
def test_spec_suite_against_real_serve_process_passes(served_url, tmp_path):
    coverage = tmp_path / "coverage.json"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("INSTAVIEW_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "spec_tests", "--base-url", served_url,
         "--hypothesis-profile", "dev", "-q", "-p", "no:cacheprovider",
         "--spec-coverage-json", str(coverage)],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert coverage.exists()
    assert "spec_tests coverage" in result.stdout


@pytest.mark.serve
def test_spec_suite_two_workers_sharing_one_serve_process_passes(served_url, tmp_path):
    """pytest-xdist workers against one server share its clock: each test case's steps run
    under a shared lock and its advances under an exclusive one (spec_tests/shared_clock.py)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("INSTAVIEW_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "spec_tests", "--base-url", served_url,
         "-n", "2", "--hypothesis-profile", "dev", "-q", "-p", "no:cacheprovider",
         "--spec-coverage-json", str(tmp_path / "coverage.json"),
         "-k", "test_interview_lifecycle"],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout


@pytest.mark.serve
def test_spec_suite_black_box_against_serve_without_control_plane_passes(tmp_path):
    """--black-box with the two company keys `serve --config` prints, twice in a row against
    the same server: the second run meets the first run's interviews and must not mind."""
    config = Path(__file__).resolve().parents[2] / "examples" / "sim-config.json"
    with serve_process("--no-control-plane", "--config", str(config)) as sp:
        keys = dict(re.findall(r"COMPANY key (\S+): (sk_\w+)", "\n".join(sp.banner)))
        assert set(keys) == {"acme-full", "globex-full"}, "serve --config printed no keys"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
               "INSTAVIEW_API_KEY_A": keys["acme-full"], "INSTAVIEW_API_KEY_B": keys["globex-full"]}
        env.pop("INSTAVIEW_BASE_URL", None)
        for run in range(2):
            result = subprocess.run(
                [sys.executable, "-m", "pytest", "--pyargs", "spec_tests", "--base-url", sp.url,
                 "--black-box", "--hypothesis-profile", "dev", "-q", "-p", "no:cacheprovider",
                 "--spec-coverage-json", str(tmp_path / f"coverage{run}.json"),
                 "-k", "test_interview_lifecycle"],
                capture_output=True, text=True, timeout=300, env=env)
            assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
            assert "skipped" in result.stdout  # the report names what black-box cannot drive
