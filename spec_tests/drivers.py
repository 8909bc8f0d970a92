"""The one seam for all of the harness's traffic (STYLE 10): drivers turn an operation of
harness.md's vocabulary into a request and its answer into an ``Outcome``.

``HttpDriver`` speaks raw HTTP (requests session, in-process transport or sockets); client
drivers (``spec_tests.client_drivers``) go through a client. ``ControlPlane`` talks to
``/_sim`` directly, never through a client (harness.md "Targets").
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import attrs
import requests


@attrs.frozen
class Outcome:
    """What one call produced: ``ok``, the HTTP status and error code (None when unknown),
    the envelope's ``data``, and for raw HTTP the whole envelope and the headers."""

    ok: bool
    status: int | None
    code: str | None
    data: Any
    message: str = ""
    envelope: dict | None = None
    headers: Mapping | None = attrs.field(default=None, repr=False)

    @classmethod
    def success(cls, data: Any, status: int | None = None) -> "Outcome":
        return cls(ok=True, status=status, code=None, data=data, message="")

    @classmethod
    def failure(cls, status: int | None, code: str | None, message: str) -> "Outcome":
        return cls(ok=False, status=status, code=code, data=None, message=message)


@runtime_checkable
class Driver(Protocol):
    """``call(op, args, auth) -> Outcome``; ``close()``; ``name`` (shown in reports)."""

    name: str

    def call(self, op: str, args: dict, auth: dict) -> Outcome: ...

    def close(self) -> None: ...


# op -> (method, path template, company-owned?); the path template uses {id} and {attempt_id}.
# api.md "Resources and endpoints"; the company flag says whether an ATS key sends companyId.
ROUTES: dict[str, tuple[str, str]] = {
    "create_interview": ("POST", "/interviews"),
    "list_interviews": ("GET", "/interviews"),
    "get_interview": ("GET", "/interviews/{id}"),
    "delete_interview": ("DELETE", "/interviews/{id}"),
    "invoke_call_attempt": ("POST", "/interviews/{id}/call-attempts"),
    "reschedule_call_attempt": ("PATCH", "/interviews/{id}/call-attempts/{attempt_id}"),
    "delete_call_attempt": ("DELETE", "/interviews/{id}/call-attempts/{attempt_id}"),
    "create_company": ("POST", "/company"),
    "list_companies": ("GET", "/company"),
    "get_company": ("GET", "/company/{id}"),
    "update_company": ("PATCH", "/company/{id}"),
    "create_webhook": ("POST", "/webhooks"),
    "list_webhooks": ("GET", "/webhooks"),
    "get_webhook": ("GET", "/webhooks/{id}"),
    "update_webhook": ("PATCH", "/webhooks/{id}"),
    "delete_webhook": ("DELETE", "/webhooks/{id}"),
    "test_webhook": ("POST", "/webhooks/{id}/test"),
    "reset_webhook_circuit": ("POST", "/webhooks/{id}/reset-circuit"),
    "get_billing_usage": ("GET", "/billing/usage"),
}
for _res, _path in (("candidate", "/candidates"), ("job", "/jobs"), ("agent", "/agents")):
    ROUTES[f"create_{_res}"] = ("POST", _path)
    ROUTES[f"list_{_res}s"] = ("GET", _path)
    ROUTES[f"get_{_res}"] = ("GET", _path + "/{id}")
    ROUTES[f"update_{_res}"] = ("PATCH", _path + "/{id}")
    ROUTES[f"delete_{_res}"] = ("DELETE", _path + "/{id}")

# decisions.md 9: /company endpoints never take companyId; every other op passes it when given.
NO_COMPANY_PARAM = frozenset({"create_company", "list_companies", "get_company", "update_company"})

Hook = Callable[..., None]


def request_for(op: str, args: Mapping, auth: Mapping) -> tuple[str, str, dict, Any]:
    """(method, path, query, json body or None) for one call."""
    method, template = ROUTES[op]
    path = template.format(id=args.get("id", ""), attempt_id=args.get("attempt_id", ""))
    query = {k: v for k, v in dict(args.get("query") or {}).items() if v is not None}
    company_id = auth.get("company_id")
    if company_id is not None and op not in NO_COMPANY_PARAM:
        query["companyId"] = company_id
    body = args.get("body")
    if body is None and op == "invoke_call_attempt":
        body = {"scheduledAt": None}
    return method, path, query, body


def outcome_from_response(resp: requests.Response) -> Outcome:
    """Read a response into an Outcome; a body that is not an envelope leaves envelope None."""
    envelope: dict | None = None
    if resp.content:
        try:
            parsed = resp.json()
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            envelope = parsed
    ok = 200 <= resp.status_code < 300
    data = envelope.get("data") if envelope else None
    code = None
    message = ""
    if not ok and envelope and isinstance(envelope.get("error"), dict):
        code = envelope["error"].get("code")
        message = str(envelope["error"].get("message", ""))
    return Outcome(ok=ok, status=resp.status_code, code=code, data=data, message=message,
                   envelope=envelope, headers=resp.headers)


class HttpDriver:
    """Raw HTTP: every operation maps to its method and path; hooks run around each call
    (``before(op, args, auth)`` and ``after(op, args, auth, outcome)``) for recording,
    checks and, later, faults."""

    name = "http"

    def __init__(self, session: requests.Session, base_url: str, *, timeout: float = 30.0,
                 prefix: str = "") -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.prefix = prefix  # "" or "/v1"
        self.before_call: list[Hook] = []
        self.after_call: list[Hook] = []

    def call(self, op: str, args: dict, auth: dict) -> Outcome:
        for hook in self.before_call:
            hook(op, args, auth)
        method, path, query, body = request_for(op, args, auth)
        headers = {}
        if auth.get("api_key") is not None:
            headers["Authorization"] = f"Bearer {auth['api_key']}"
        kwargs: dict[str, Any] = {"params": query, "headers": headers, "timeout": self.timeout}
        if body is not None:
            kwargs["json"] = body
        try:
            resp = self.session.request(method, self.base_url + self.prefix + path, **kwargs)
        except requests.RequestException as exc:
            outcome = Outcome.failure(None, None, f"no HTTP answer: {type(exc).__name__}")
        else:
            outcome = outcome_from_response(resp)
        for hook in self.after_call:
            hook(op, args, auth, outcome)
        return outcome

    def close(self) -> None:
        self.session.close()


class ControlPlaneError(RuntimeError):
    """A /_sim call the harness relies on answered an error."""


class ControlPlane:
    """Direct HTTP to ``/_sim`` (control-plane.md). Methods return the envelope's data, or
    raise ControlPlaneError; ``raw`` returns the Outcome for calls whose refusal is expected."""

    def __init__(self, session: requests.Session, base_url: str, token: str | None = None,
                 *, timeout: float = 30.0) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self.after_call: list[Hook] = []  # after(method, path, outcome)

    def __repr__(self) -> str:  # the token never shows
        return f"ControlPlane({self.base_url!r})"

    def raw(self, method: str, path: str, body: Any = None, query: Mapping | None = None
            ) -> Outcome:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self.timeout,
                                  "params": dict(query or {})}
        if body is not None:
            kwargs["json"] = body
        resp = self.session.request(method, f"{self.base_url}/_sim{path}", **kwargs)
        outcome = outcome_from_response(resp)
        for hook in self.after_call:
            hook(method, path, outcome)
        return outcome

    def _data(self, method: str, path: str, body: Any = None, query: Mapping | None = None
              ) -> Any:
        out = self.raw(method, path, body, query)
        if not out.ok:
            raise ControlPlaneError(
                f"{method} /_sim{path} answered {out.status} {out.code}: {out.message}")
        return out.data

    # tenants and keys
    def create_company(self, **settings: Any) -> dict:
        return self._data("POST", "/companies", settings)

    def update_company(self, company_id: str, **settings: Any) -> dict:
        return self._data("PATCH", f"/companies/{company_id}", settings)

    def create_api_key(self, **body: Any) -> dict:
        return self._data("POST", "/api-keys", body)

    def suspend_api_key(self, key_id: str, reason: str | None = None) -> dict:
        return self._data("POST", f"/api-keys/{key_id}/suspend",
                          {"reason": reason} if reason else {})

    def revoke_api_key(self, key_id: str) -> dict:
        return self._data("POST", f"/api-keys/{key_id}/revoke", {})

    # clock
    def clock(self) -> dict:
        return self._data("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict:
        return self._data("POST", "/clock/advance", {"seconds": seconds})

    # the candidate's side (refusals are part of the model: raw Outcomes)
    def join(self, interview_id: str) -> Outcome:
        return self.raw("POST", f"/interviews/{interview_id}/join", {})

    def end_call(self, interview_id: str, outcome: str, duration_seconds: int | None = None
                 ) -> Outcome:
        body: dict[str, Any] = {"outcome": outcome}
        if duration_seconds is not None:
            body["durationSeconds"] = duration_seconds
        return self.raw("POST", f"/interviews/{interview_id}/end-call", body)

    def cancel(self, interview_id: str) -> Outcome:
        return self.raw("POST", f"/interviews/{interview_id}/cancel", {})

    # faults (control-plane.md "Faults")
    def add_fault(self, **body: Any) -> dict:
        return self._data("POST", "/faults", body)

    def faults(self) -> Any:
        return self._data("GET", "/faults")

    def remove_fault(self, fault_id: str) -> Any:
        return self._data("DELETE", f"/faults/{fault_id}")

    # looking inside
    def internal_interview(self, interview_id: str) -> dict:
        return self._data("GET", f"/interviews/{interview_id}")

    def events(self, **query: Any) -> dict:
        return self._data("GET", "/events", query={k: v for k, v in query.items()
                                                   if v is not None})

    def state(self) -> dict:
        return self._data("GET", "/state")

    def invariants(self) -> dict:
        return self._data("GET", "/invariants")

    def close(self) -> None:
        self.session.close()
