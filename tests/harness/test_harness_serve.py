"""The suite against a real ``instaview-sim serve --clock manual`` process over HTTP, as a
user's CI would run it (``pytest --pyargs spec_tests --base-url ...``)."""

import os
import socket
import subprocess
import sys
import time

import pytest
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served_url():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--clock", "manual"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(url + "/_sim/clock", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("instaview-sim serve did not come up")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()  # stopped by its PID
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
