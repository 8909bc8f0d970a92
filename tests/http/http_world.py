"""Helpers for the HTTP tests: a test client that checks the envelope of EVERY response, a
two-company world, and a snapshot to prove a rejected request changed nothing."""
from __future__ import annotations

import re
import uuid
from typing import Any

from flask.testing import FlaskClient

from simulator.web.app import create_app

START = "2026-01-01T10:00:00Z"
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

# api.md, Error codes: the codes each status may carry.
CODES_BY_STATUS = {
    400: {"VALIDATION_ERROR", "INVALID_STATE"},
    401: {"INVALID_API_KEY", "API_KEY_SUSPENDED"},
    403: {"INSUFFICIENT_PERMISSIONS", "RESOURCE_ACCESS_DENIED"},
    404: {"RESOURCE_NOT_FOUND", "ROUTE_NOT_FOUND"},
    405: {"METHOD_NOT_ALLOWED"},
    409: {"INVALID_STATE_TRANSITION"},
    413: {"PAYLOAD_TOO_LARGE"},
    415: {"UNSUPPORTED_MEDIA_TYPE"},
    429: {"RATE_LIMIT_EXCEEDED"},
    501: {"NOT_IMPLEMENTED"},
}


def check_envelope(resp: Any, method: str) -> None:
    """api.md, Envelope: every answer, errors included; never a 500."""
    assert resp.status_code != 500, resp.get_data(as_text=True)
    rid = resp.headers.get("X-Request-Id")
    assert rid and str(uuid.UUID(rid)) == rid, f"X-Request-Id {rid!r}"
    if method == "HEAD" or resp.status_code == 204:
        assert resp.get_data() == b""
        return
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert set(body) == {"success", "data", "error", "timestamp"}, body
    assert TS.match(body["timestamp"]), body["timestamp"]
    if resp.status_code < 400:
        assert body["success"] is True and body["error"] is None, body
    else:
        assert body["success"] is False and body["data"] is None, body
        err = body["error"]
        assert set(err) == {"code", "message", "details"}, err
        assert isinstance(err["details"], dict) and err["message"], err
        assert err["code"] in CODES_BY_STATUS[resp.status_code], (resp.status_code, err)


class EnvelopeClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any):
        resp = super().open(*args, **kwargs)
        method = kwargs.get("method") or (args[0].method if args and hasattr(args[0], "method")
                                          else "GET")
        check_envelope(resp, method.upper())
        return resp


def make_app(**kw: Any):
    kw.setdefault("clock_mode", "manual")
    kw.setdefault("start", START)
    kw.setdefault("seed", 7)
    app = create_app(**kw)
    app.test_client_class = EnvelopeClient
    return app


def data(resp, status: int = 200) -> Any:
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()["data"] if resp.status_code != 204 else None


def error(resp, status: int, code: str) -> dict:
    assert (resp.status_code, (resp.get_json() or {}).get("error", {}).get("code")) == \
        (status, code), resp.get_data(as_text=True)
    return resp.get_json()["error"]


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


class World:
    """Companies A and B with full-scope COMPANY keys, an ATS key managing A, and helpers."""

    def __init__(self, client: Any):
        self.c = client
        self.a = self.company("Acme")
        self.b = self.company("Globex")
        self.key_a = self.key(self.a["id"])
        self.key_b = self.key(self.b["id"])
        self.ats = data(client.post("/_sim/api-keys", json={
            "kind": "ATS", "managedCompanyIds": [self.a["id"]], "scopes": "*"}), 201)
        self.ats_key = self.ats["key"]

    def company(self, name: str, **settings: Any) -> dict:
        return data(self.c.post("/_sim/companies", json={"name": name, **settings}), 201)

    def key(self, company_id: str, scopes: Any = "*", **extra: Any) -> str:
        return data(self.c.post("/_sim/api-keys", json={
            "kind": "COMPANY", "companyId": company_id, "scopes": scopes, **extra}), 201)["key"]

    def auth(self, who: str = "a") -> dict:
        return bearer({"a": self.key_a, "b": self.key_b, "ats": self.ats_key}[who])

    def phone_id(self, who: str = "a") -> str:
        return (self.a if who == "a" else self.b)["phoneNumberIds"][0]

    def candidate(self, who: str = "a", **fields: Any) -> dict:
        body = {"firstName": "Ada", "lastName": "Lovelace", "phoneNumber": "+421900000001",
                "gdprExpiryDate": "2030-01-01", **fields}
        return data(self.c.post("/candidates", headers=self.auth(who), json=body), 201)

    def agent(self, who: str = "a", type: str = "PHONE", **fields: Any) -> dict:
        body = {"name": "Screener", "type": type, **fields}
        if type == "PHONE":
            body.setdefault("companyPhoneNumberId", self.phone_id(who))
        return data(self.c.post("/agents", headers=self.auth(who), json=body), 201)

    def job(self, who: str = "a", **fields: Any) -> dict:
        body = {"title": "Backend engineer", "description": "Builds the simulator core.",
                "status": "OPEN", **fields}
        return data(self.c.post("/jobs", headers=self.auth(who), json=body), 201)

    def interview(self, who: str = "a", type: str = "PHONE", **fields: Any) -> dict:
        body = {"candidateId": self.candidate(who)["id"],
                "agentId": self.agent(who, type)["id"], **fields}
        return data(self.c.post("/interviews", headers=self.auth(who), json=body), 201)

    def advance(self, seconds: float) -> dict:
        return data(self.c.post("/_sim/clock/advance", json={"seconds": seconds}))

    def internal(self, interview_id: str) -> dict:
        return data(self.c.get(f"/_sim/interviews/{interview_id}"))

    def snapshot(self, *interview_ids: str) -> dict:
        """What a rejected request must leave unchanged: state, journal, resources."""
        state = data(self.c.get("/_sim/state"))
        events = data(self.c.get("/_sim/events"))
        lists = {who: {res: data(self.c.get(f"/{res}?limit=100", headers=self.auth(who)))
                       for res in ("interviews", "candidates", "jobs", "agents")}
                 for who in ("a", "b")}
        return {"state": state, "events": events, "lists": lists,
                "interviews": {i: self.internal(i) for i in interview_ids}}


MISSING = "0f8fad5b-d9cb-469f-a165-70867728950e"


def rejected(world, method, path, status, code, *interview_ids, who="a", headers=None, **kw):
    """The request fails with (status, code) and leaves every observable thing unchanged."""
    before = world.snapshot(*interview_ids)
    hdrs = world.auth(who) if headers is None else headers
    err = error(world.c.open(path, method=method, headers=hdrs, **kw), status, code)
    assert world.snapshot(*interview_ids) == before
    return err
