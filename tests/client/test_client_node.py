"""The Node.js example through the JSON-lines driver, against a scripted HTTP server (wire details)."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spec_tests.client_drivers import make_command_driver

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js on PATH"),
]

ROOT = Path(__file__).resolve().parents[2]
CMD = f"node {ROOT / 'examples' / 'node-client' / 'adapter.mjs'}"
ID = "5f1c0000-0000-4000-8000-000000000001"
KEY = "sk_" + "k" * 43


class Script:
    """Per (method, path) a list of answers (status, envelope or None); the last one repeats."""

    def __init__(self) -> None:
        self.answers: dict[tuple[str, str], list[tuple[int, dict | None]]] = {}
        self.seen: list[tuple[str, str, dict, bytes]] = []

    def on(self, method: str, path: str, *answers: tuple[int, dict | None]) -> None:
        self.answers[(method, path)] = list(answers)


def ok(data, status=200):
    return status, {"success": True, "data": data, "error": None, "timestamp": "2026-01-01T00:00:00.000Z"}


def err(status, code, message="nope"):
    return status, {"success": False, "data": None, "timestamp": "2026-01-01T00:00:00.000Z",
                    "error": {"code": code, "message": message, "details": {}}}  # fmt: skip


@pytest.fixture(scope="module")
def node_server():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.seen.append((self.command, self.path, dict(self.headers), body))
            path = self.path.split("?")[0]
            queue = script.answers.get((self.command, path)) or [err(404, "ROUTE_NOT_FOUND")]
            status, envelope = queue.pop(0) if len(queue) > 1 else queue[0]
            if status == 0:  # drop the connection without an answer
                self.close_connection = True
                self.connection.shutdown(2)
                return
            payload = b"" if envelope is None else json.dumps(envelope).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Request-Id", "00000000-0000-4000-8000-0000000000aa")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    driver = make_command_driver(CMD, f"http://127.0.0.1:{httpd.server_port}", False, answer_timeout=15)
    yield script, driver
    driver.close()
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def server(node_server):
    """One server and one adapter process per module; each test starts with an empty script."""
    script, driver = node_server
    script.answers.clear()
    script.seen.clear()
    driver.answer_expected = lambda: True
    return script, driver


AUTH = {"api_key": KEY, "company_id": None}


def test_node_get_interview_returns_data_and_sends_bearer_key(server):
    script, driver = server
    script.on("GET", f"/interviews/{ID}", ok({"id": ID, "status": "SCHEDULED"}))
    outcome = driver.call("get_interview", {"id": ID}, AUTH)
    assert outcome.ok and outcome.data == {"id": ID, "status": "SCHEDULED"}
    assert script.seen[0][2]["Authorization"] == f"Bearer {KEY}"


def test_node_get_interview_not_found_reports_status_and_code(server):
    script, driver = server
    script.on("GET", f"/interviews/{ID}", err(404, "RESOURCE_NOT_FOUND"))
    outcome = driver.call("get_interview", {"id": ID}, AUTH)
    assert (outcome.ok, outcome.status, outcome.code) == (False, 404, "RESOURCE_NOT_FOUND")


def test_node_list_jobs_sends_company_id_and_query(server):
    script, driver = server
    script.on("GET", "/jobs", ok({"data": [], "total": 0, "page": 2, "limit": 5, "totalPages": 0}))
    company = "11111111-1111-4111-8111-111111111111"
    outcome = driver.call("list_jobs", {"query": {"page": 2, "limit": 5}}, {"api_key": KEY, "company_id": company})
    assert outcome.ok and outcome.data["page"] == 2
    path = script.seen[0][1]
    assert "page=2" in path and "limit=5" in path and f"companyId={company}" in path


def test_node_get_company_never_sends_company_id(server):
    script, driver = server
    script.on("GET", f"/company/{ID}", ok({"id": ID}))
    driver.call("get_company", {"id": ID}, {"api_key": KEY, "company_id": ID})
    assert "companyId" not in script.seen[0][1]


def test_node_reschedule_call_attempt_204_is_null(server):
    script, driver = server
    script.on("PATCH", f"/interviews/{ID}/call-attempts/{ID}", (204, None))
    outcome = driver.call(
        "reschedule_call_attempt", {"id": ID, "attempt_id": ID, "body": {"scheduledAt": "2026-01-02T00:00:00Z"}}, AUTH
    )
    assert outcome.ok and outcome.data is None
    assert json.loads(script.seen[0][3]) == {"scheduledAt": "2026-01-02T00:00:00Z"}
    assert script.seen[0][2]["Content-Type"] == "application/json"


def test_node_get_job_retries_503_then_succeeds(server):
    script, driver = server
    script.on("GET", f"/jobs/{ID}", err(503, "INJECTED_FAULT"), ok({"id": ID}))
    assert driver.call("get_job", {"id": ID}, AUTH).data == {"id": ID}
    assert len(script.seen) == 2


def test_node_create_interview_503_not_retried(server):
    script, driver = server
    script.on("POST", "/interviews", err(503, "INJECTED_FAULT"), ok({"id": ID}, 201))
    outcome = driver.call("create_interview", {"body": {"candidateId": ID}}, AUTH)
    assert (outcome.status, outcome.code) == (503, "INJECTED_FAULT")
    assert len(script.seen) == 1


def test_node_delete_interview_after_dropped_answer_then_404_is_true(server):
    script, driver = server
    script.on("DELETE", f"/interviews/{ID}", (0, None), err(404, "RESOURCE_NOT_FOUND"))
    outcome = driver.call("delete_interview", {"id": ID}, AUTH)
    assert outcome.ok and outcome.data is True
    assert len(script.seen) == 2


def test_node_delete_interview_first_404_is_not_found(server):
    script, driver = server
    script.on("DELETE", f"/interviews/{ID}", err(404, "RESOURCE_NOT_FOUND"))
    outcome = driver.call("delete_interview", {"id": ID}, AUTH)
    assert (outcome.ok, outcome.status, outcome.code) == (False, 404, "RESOURCE_NOT_FOUND")


def test_node_unknown_operation_reported_without_status(server):
    _, driver = server
    driver.answer_expected = lambda: False
    outcome = driver.call("fly_to_the_moon", {}, AUTH)
    assert not outcome.ok and outcome.status is None and "unknown operation" in outcome.message


def test_node_lifecycle_against_simulator(tenant, base_url):
    """The Node client end to end against the in-process simulator: create, get, delete, gone."""
    driver = make_command_driver(CMD, base_url, False, answer_timeout=15)
    auth = {"api_key": tenant.key["key"], "company_id": None}
    try:
        candidate = driver.call("create_candidate", {"body": {
            "firstName": "Grace", "lastName": "Hopper", "phoneNumber": "+421900000002",
            "gdprExpiryDate": "2099-12-31"}}, auth)  # fmt: skip
        agent = driver.call("create_agent", {"body": {
            "name": "Caller", "type": "PHONE", "focus": "GENERIC",
            "companyPhoneNumberId": tenant.phone_number_id}}, auth)  # fmt: skip
        assert candidate.ok and agent.ok, (candidate, agent)
        created = driver.call("create_interview", {"body": {
            "candidateId": candidate.data["id"], "agentId": agent.data["id"]}}, auth)  # fmt: skip
        assert created.ok and created.data["status"] == "SCHEDULED"
        interview_id = created.data["id"]
        attempt = driver.call("invoke_call_attempt", {"id": interview_id, "body": {"scheduledAt": None}}, auth)
        assert attempt.ok and attempt.data["retryNumber"] == 1
        listed = driver.call("list_interviews", {"query": {"limit": 5}}, auth)
        assert [i["id"] for i in listed.data["data"]] == [interview_id]
        assert driver.call("delete_interview", {"id": interview_id}, auth).data is True
        gone = driver.call("get_interview", {"id": interview_id}, auth)
        assert (gone.ok, gone.status, gone.code) == (False, 404, "RESOURCE_NOT_FOUND")
        bad_key = driver.call("list_jobs", {"query": {}}, {"api_key": "sk_" + "z" * 43, "company_id": None})
        assert (bad_key.status, bad_key.code) == (401, "INVALID_API_KEY")
    finally:
        driver.close()
