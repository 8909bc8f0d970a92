"""The suite against a real ``instaview-sim serve --clock manual`` process over HTTP, as a
user's CI would run it (``pytest --pyargs spec_tests --base-url ...``)."""

import os
import subprocess
import sys

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
