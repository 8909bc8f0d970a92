"""The client drivers: the JSON-lines protocol checks and the lost-information rule, with stub adapters."""

from __future__ import annotations

import shlex
import sys
import textwrap

import pytest

from spec_tests.client_drivers import (
    ClientContractError,
    make_command_driver,
    make_python_client_driver,
)

AUTH = {"api_key": "sk_" + "a" * 43, "company_id": None}
ARGS = {"id": "5f1c0000-0000-4000-8000-000000000001"}


def _adapter(tmp_path, body: str, name: str = "adapter.py") -> str:
    """A stub JSON-lines adapter in Python; ``body`` handles one parsed request ``req``."""
    script = tmp_path / name
    script.write_text(
        "import json, sys, time\n"
        "for raw in sys.stdin:\n"
        "    req = json.loads(raw)\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "    sys.stdout.flush()\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def _driver(cmd, lenient=False, timeout=5.0):
    return make_command_driver(cmd, "http://127.0.0.1:9", lenient, answer_timeout=timeout)


def test_command_driver_success_and_failure_outcomes(tmp_path):
    cmd = _adapter(tmp_path, """
        if req["op"] == "delete_interview":
            print(json.dumps({"seq": req["seq"], "ok": True, "result": True}))
        else:
            print(json.dumps({"seq": req["seq"], "ok": False,
                              "error": {"status": 404, "code": "RESOURCE_NOT_FOUND", "message": "gone"}}))
    """)  # fmt: skip
    driver = _driver(cmd)
    try:
        ok = driver.call("delete_interview", ARGS, AUTH)
        failed = driver.call("get_interview", ARGS, AUTH)
    finally:
        driver.close()
    assert ok.ok and ok.data is True
    assert not failed.ok and (failed.status, failed.code) == (404, "RESOURCE_NOT_FOUND")


def test_command_driver_passes_base_url_in_environment(tmp_path):
    cmd = _adapter(tmp_path, """
        import os
        print(json.dumps({"seq": req["seq"], "ok": True, "result": os.environ["INSTAVIEW_BASE_URL"]}))
    """)  # fmt: skip
    driver = _driver(cmd)
    try:
        assert driver.call("get_interview", ARGS, AUTH).data == "http://127.0.0.1:9"
    finally:
        driver.close()


def test_command_driver_invalid_json_names_adapter_and_shows_stderr(tmp_path):
    cmd = _adapter(tmp_path, """
        sys.stderr.write("debug: about to misbehave\\n"); sys.stderr.flush()
        print("this is not json")
    """)  # fmt: skip
    driver = _driver(cmd)
    with pytest.raises(ClientContractError) as exc:
        driver.call("get_interview", ARGS, AUTH)
    message = str(exc.value)
    assert "not valid JSON" in message and "adapter.py" in message
    assert "debug: about to misbehave" in message


def test_command_driver_wrong_seq_fails(tmp_path):
    cmd = _adapter(tmp_path, """
        print(json.dumps({"seq": req["seq"] + 1, "ok": True, "result": None}))
    """)  # fmt: skip
    with pytest.raises(ClientContractError, match=r"seq 2 where seq 1 \(get_interview\) was expected"):
        _driver(cmd).call("get_interview", ARGS, AUTH)


def test_command_driver_no_answer_within_limit_fails(tmp_path):
    cmd = _adapter(tmp_path, """
        time.sleep(30)
    """)  # fmt: skip
    with pytest.raises(ClientContractError, match=r"gave no answer .* within 0.5 s"):
        _driver(cmd, timeout=0.5).call("get_interview", ARGS, AUTH)


def test_command_driver_early_exit_fails_with_exit_code(tmp_path):
    cmd = _adapter(tmp_path, """
        sys.stderr.write("boom: cannot reach server\\n")
        sys.exit(3)
    """)  # fmt: skip
    with pytest.raises(ClientContractError) as exc:
        _driver(cmd).call("get_interview", ARGS, AUTH)
    assert "exited (code 3)" in str(exc.value) and "boom: cannot reach server" in str(exc.value)


def test_command_driver_restarts_adapter_after_a_failure(tmp_path):
    cmd = _adapter(tmp_path, """
        if req["op"] == "get_job":
            sys.exit(1)
        print(json.dumps({"seq": req["seq"], "ok": True, "result": req["seq"]}))
    """)  # fmt: skip
    driver = _driver(cmd)
    try:
        assert driver.call("get_interview", ARGS, AUTH).data == 1
        with pytest.raises(ClientContractError):
            driver.call("get_job", ARGS, AUTH)
        assert driver.call("get_interview", ARGS, AUTH).data == 1  # a fresh process, seq 1
    finally:
        driver.close()


def test_command_driver_error_without_status_loses_information(tmp_path):
    cmd = _adapter(tmp_path, """
        print(json.dumps({"seq": req["seq"], "ok": False, "error": {"message": "Not Found"}}))
    """)  # fmt: skip
    driver = _driver(cmd)
    try:
        with pytest.raises(ClientContractError, match="loses information.*no status and code"):
            driver.call("get_interview", ARGS, AUTH)
    finally:
        driver.close()


def test_command_driver_error_without_status_accepted_when_lenient(tmp_path):
    cmd = _adapter(tmp_path, """
        print(json.dumps({"seq": req["seq"], "ok": False, "error": {"message": "Not Found"}}))
    """)  # fmt: skip
    driver = _driver(cmd, lenient=True)
    try:
        outcome = driver.call("get_interview", ARGS, AUTH)
    finally:
        driver.close()
    assert not outcome.ok and outcome.status is None and outcome.code is None


def test_command_driver_error_without_status_accepted_when_no_answer_expected(tmp_path):
    cmd = _adapter(tmp_path, """
        print(json.dumps({"seq": req["seq"], "ok": False,
                          "error": {"status": None, "code": None, "message": "connection reset"}}))
    """)  # fmt: skip
    driver = _driver(cmd)
    driver.answer_expected = lambda: False  # the harness armed a fault
    try:
        assert driver.call("delete_interview", ARGS, AUTH).status is None
    finally:
        driver.close()


class _RaisingAdapter:
    def __init__(self, exc):
        self.exc = exc

    def call(self, op, args, auth):
        raise self.exc


def make_statusless(base_url):
    return _RaisingAdapter(RuntimeError("request failed"))


def make_ok(base_url):
    class A:
        def call(self, op, args, auth):
            return {"op": op, "base": base_url}

    return A()


def test_python_driver_returns_adapter_result():
    driver = make_python_client_driver(f"{__name__}:make_ok", "http://x", False)
    outcome = driver.call("get_job", ARGS, AUTH)
    assert outcome.ok and outcome.data == {"op": "get_job", "base": "http://x"}


def test_python_driver_statusless_error_loses_information():
    driver = make_python_client_driver(f"{__name__}:make_statusless", "http://x", False)
    with pytest.raises(ClientContractError, match="loses information"):
        driver.call("get_job", ARGS, AUTH)
    lenient = make_python_client_driver(f"{__name__}:make_statusless", "http://x", True)
    assert lenient.call("get_job", ARGS, AUTH).ok is False


def test_python_driver_bad_spec_is_a_clear_error():
    with pytest.raises(ValueError, match="MODULE:FACTORY"):
        make_python_client_driver("no_colon_here", "http://x", False)


def test_drivers_implement_the_driver_protocol(tmp_path):
    from spec_tests.drivers import Driver

    python_driver = make_python_client_driver(f"{__name__}:make_ok", "http://x", False)
    command_driver = _driver(_adapter(tmp_path, "pass\n"))
    assert isinstance(python_driver, Driver) and isinstance(command_driver, Driver)
    assert "make_ok" in python_driver.name and "adapter.py" in command_driver.name
