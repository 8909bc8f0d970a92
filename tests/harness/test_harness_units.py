"""Unit tests of the harness's pieces: the drivers' routing, the WSGI transport, the model's
expected answers and the envelope check."""

import pytest
import requests

from spec_tests.checks import check_envelope
from spec_tests.drivers import ROUTES, Outcome, request_for
from spec_tests.model import Caller, Model, Refused, iso, parse_time
from spec_tests.targets import in_process_target

OPERATIONS = """create_interview create_candidate create_job create_agent create_webhook
create_company get_interview delete_interview get_candidate delete_candidate get_job
delete_job get_agent delete_agent get_webhook delete_webhook get_company test_webhook
reset_webhook_circuit update_candidate update_job update_agent update_webhook update_company
list_interviews list_candidates list_jobs list_agents list_webhooks list_companies
get_billing_usage invoke_call_attempt reschedule_call_attempt delete_call_attempt""".split()


def test_request_for_every_operation_has_a_route():
    assert set(OPERATIONS) == set(ROUTES)


def test_request_for_ats_key_sends_company_id_except_company_endpoints():
    auth = {"api_key": "k", "company_id": "c"}
    assert request_for("get_interview", {"id": "i"}, auth)[2] == {"companyId": "c"}
    assert request_for("get_company", {"id": "i"}, auth)[2] == {}
    method, path, _, body = request_for(
        "reschedule_call_attempt", {"id": "i", "attempt_id": "a", "body": {"x": 1}}, auth)
    assert (method, path, body) == ("PATCH", "/interviews/i/call-attempts/a", {"x": 1})


def test_get_interview_unknown_key_in_process_answers_401():
    target = in_process_target()
    try:
        out = target.driver.call("get_interview", {"id": "5f1c0000-0000-4000-8000-000000000000"},
                                 {"api_key": "sk_" + "a" * 43, "company_id": None})
    finally:
        target.close()
    assert (out.status, out.code) == (401, "INVALID_API_KEY")
    check_envelope(out, "get_interview")  # a well-formed error envelope passes


def test_in_process_transport_drop_fault_raises_requests_connection_error():
    target = in_process_target()
    try:
        company = target.control.create_company(name="drop")
        key = target.control.create_api_key(kind="COMPANY", companyId=company["id"],
                                             scopes="*")["key"]
        target.control.add_fault(**{"path": "/company", "action": "drop",
                                                 "phase": "after"})
        with pytest.raises(requests.exceptions.ConnectionError):
            target.raw.session.get(f"{target.raw.base_url}/company",
                                   headers={"Authorization": f"Bearer {key}"})
        out = target.driver.call("list_companies", {"query": {}},
                                 {"api_key": key, "company_id": None})
    finally:
        target.close()
    assert out.ok  # the fault fired once: the next request is answered
    assert out.data["data"][0]["id"] == company["id"]


def test_check_envelope_wrong_code_names_invariant_11():
    out = Outcome(ok=False, status=404, code="NOT_FOUND", data=None, message="",
                  envelope={"success": False, "data": None, "timestamp": "2026-01-01T00:00:00.000Z",
                            "error": {"code": "NOT_FOUND", "message": "x", "details": {}}},
                  headers={"X-Request-Id": "5f1c0000-0000-4000-8000-000000000000"})
    with pytest.raises(AssertionError, match=r"^11\. Envelope"):
        check_envelope(out, "get_interview")


def test_check_envelope_5xx_names_invariant_11():
    out = Outcome(ok=False, status=500, code="INTERNAL_ERROR", data=None, message="",
                  envelope=None, headers={})
    with pytest.raises(AssertionError, match=r"^11\. Envelope"):
        check_envelope(out, "get_interview")


def test_lookup_deleted_interview_expects_404_invariant_1():
    model = Model(now=parse_time("2026-01-01T00:00:00.000Z"))
    iv = model.create("5f1c0000-0000-4000-8000-000000000001", "A", __import__(
        "spec_tests.model", fromlist=["Kind"]).Kind.ONLINE, False, model.now)
    model.delete(iv)
    caller = Caller("own", {}, "A", frozenset({"delete:interviews"}))
    with pytest.raises(Refused) as info:
        model.lookup("delete_interview", caller, iv.id)
    assert info.value.expect.errors == {(404, "RESOURCE_NOT_FOUND")}
    assert info.value.expect.invariant == 1


def test_lookup_other_company_expects_403_invariant_2():
    from spec_tests.model import Kind
    model = Model(now=parse_time("2026-01-01T00:00:00.000Z"))
    iv = model.create("5f1c0000-0000-4000-8000-000000000002", "A", Kind.ONLINE, False, model.now)
    caller = Caller("other", {}, "B", frozenset({"read:interviews"}))
    with pytest.raises(Refused) as info:
        model.lookup("get_interview", caller, iv.id)
    assert info.value.expect.errors == {(403, "RESOURCE_ACCESS_DENIED")}
    assert info.value.expect.invariant == 2


def test_iso_round_trips_milliseconds():
    raw = "2026-01-01T10:00:00.123Z"
    assert iso(parse_time(raw)) == raw


def test_clock_guard_advance_waits_for_steps_and_steps_queue_behind_it(tmp_path):
    import threading
    import time

    from spec_tests.shared_clock import ClockGuard

    url = f"http://127.0.0.1:1/{tmp_path.name}"  # a lock of this test's own
    step_a, advance, step_c = (ClockGuard(url, enabled=True) for _ in range(3))
    try:
        step_a.shared()
        threading.Thread(target=advance.exclusive, daemon=True).start()
        time.sleep(0.2)
        assert advance.held is None  # an advance waits while a step is under way
        late_step = threading.Thread(target=step_c.shared, daemon=True)
        late_step.start()
        time.sleep(0.2)
        assert step_c.held is None  # a new step queues behind the waiting advance
        # a's step ends: the advance goes first, a's next step waits behind it
        next_step = threading.Thread(target=step_a.between_steps, daemon=True)
        next_step.start()
        deadline = time.monotonic() + 5
        while advance.held != "exclusive" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert advance.held == "exclusive"
        time.sleep(0.1)
        assert step_c.held is None and step_a.held is None
        advance.close()
        late_step.join(5)
        next_step.join(5)
        assert (step_a.held, step_c.held) == ("shared", "shared")  # steps run side by side
    finally:
        for guard in (step_a, advance, step_c):
            guard.close()


def test_clock_guard_in_process_is_a_no_op():
    from spec_tests.shared_clock import ClockGuard

    guard = ClockGuard("http://instaview-sim.local", enabled=False)
    guard.exclusive()
    assert guard.held is None
