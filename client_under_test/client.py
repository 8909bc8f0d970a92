"""The reference Python client of the InstaView API: one method per operation of harness.md."""

from __future__ import annotations

import enum
import json
import logging
import time
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterator, TypeVar
from urllib.parse import quote

import requests
from attrs import define, field

from . import records as r
from .errors import APIConnectionError, InstaViewError, InvalidResponseError, build_error
from .retry import DELETE_OPS, RetryPolicy, Rng, answer_was_lost, default_rng

log = logging.getLogger("instaview.client")

T = TypeVar("T")

DEFAULT_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds

# decisions.md 9: the /company endpoints never take companyId (the path names the company).
_NO_COMPANY_PARAM = frozenset({"create_company", "list_companies", "get_company", "update_company"})


def _camel(name: str) -> str:
    """``schedule_time`` -> ``scheduleTime``; wire names (no underscore) pass unchanged."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _wire_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _merge(body: Any, fields: dict[str, Any]) -> Any:
    """A request body: ``body`` as given (even a non-object, to let a caller test validation),
    with snake_case keyword ``fields`` added under their wire names."""
    if not fields:
        return _wire_value(body) if not isinstance(body, dict) else {k: _wire_value(v) for k, v in body.items()}
    merged = dict(body) if isinstance(body, dict) else {}
    merged.update({_camel(k): v for k, v in fields.items()})
    return {k: _wire_value(v) for k, v in merged.items()}


def _query(filters: dict[str, Any]) -> dict[str, Any]:
    return {_camel(k): _wire_value(v) for k, v in filters.items() if v is not None}


def _path_id(value: Any) -> str:
    return quote(str(value), safe="")


@define
class CallInfo:
    """What the last call did on the wire: for logs and for callers who want to know."""

    op: str
    attempts: int = 0
    statuses: list[int | None] = field(factory=list)
    # A delete whose earlier try lost its answer and whose retry got 404: done by this call.
    recovered_delete: bool = False


class InstaViewClient:
    """A client for one API key (and, for ATS keys, one company).

    >>> with InstaViewClient("http://127.0.0.1:8080", "sk_...") as client:
    ...     interview = client.get_interview("5f1c...")
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        company_id: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: Rng | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.company_id = company_id
        self.timeout = timeout
        self.retry_policy = retry_policy if retry_policy is not None else RetryPolicy()
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self._sleep = sleep
        self._rng = rng if rng is not None else default_rng()
        self.last_call: CallInfo | None = None

    def __repr__(self) -> str:  # the key never appears
        return f"InstaViewClient(base_url={self.base_url!r}, company_id={self.company_id!r})"

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> "InstaViewClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the one request path ----------------------------------------------------------------

    def _request(
        self,
        op: str,
        method: str,
        path: str,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        send_body: bool = False,
    ) -> Any:
        """Send one operation, retrying per the policy; return the envelope's ``data``."""
        params = dict(query or {})
        if self.company_id is not None and op not in _NO_COMPANY_PARAM:
            params["companyId"] = self.company_id
        kwargs: dict[str, Any] = {
            "params": params,
            "headers": {"Authorization": f"Bearer {self._api_key}", "Accept": "application/json"},
            "timeout": self.timeout,
        }
        if send_body and body is not None:
            # Serialised here, so that whatever the caller gave (even a list) reaches the server.
            kwargs["data"] = json.dumps(body, separators=(",", ":")).encode()
            kwargs["headers"]["Content-Type"] = "application/json"
        info = self.last_call = CallInfo(op=op)
        lost_earlier = False
        while True:
            info.attempts += 1
            try:
                response = self.session.request(method, self.base_url + path, **kwargs)
            except requests.RequestException as exc:
                info.statuses.append(None)
                error: InstaViewError = APIConnectionError(
                    f"{op}: no answer from {self.base_url}: {type(exc).__name__}"
                )
                if not self.retry_policy.should_retry(op, info.attempts, None, error):
                    raise error from exc
                lost_earlier = True
                self._sleep(self.retry_policy.backoff(info.attempts, None, self._rng))
                continue
            info.statuses.append(response.status_code)
            try:
                return self._unwrap(op, response)
            except InstaViewError as exc:
                error = exc
            if (
                lost_earlier
                and op in DELETE_OPS
                and error.status == 404
                and error.code == "RESOURCE_NOT_FOUND"
            ):
                # docs/clients.md "Retries": the earlier try's answer was lost and the
                # resource is now gone, so that try deleted it. Report what happened.
                info.recovered_delete = True
                log.info("%s: retry answered 404 after a lost answer; the delete succeeded", op)
                return None if op in ("delete_webhook", "delete_call_attempt") else True
            if not self.retry_policy.should_retry(op, info.attempts, error.status, error):
                raise error
            lost_earlier = lost_earlier or answer_was_lost(error.status)
            retry_after = getattr(error, "retry_after", None)
            self._sleep(self.retry_policy.backoff(info.attempts, retry_after, self._rng))

    @staticmethod
    def _unwrap(op: str, response: requests.Response) -> Any:
        """The envelope's ``data``, or the error it carries raised as its class."""
        status = response.status_code
        request_id = response.headers.get("X-Request-Id")
        if status == 204:
            return None
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        if not isinstance(envelope, dict) or "success" not in envelope:
            snippet = response.text[:200]
            if 200 <= status < 300:
                raise InvalidResponseError(
                    f"{op}: answer {status} is not the API envelope: {snippet!r}",
                    status=status, request_id=request_id,
                )  # fmt: skip
            raise build_error(status, None, f"{op}: HTTP {status}: {snippet!r}", None, request_id)
        if envelope.get("success") is True and 200 <= status < 300:
            return envelope.get("data")
        err = envelope.get("error") if isinstance(envelope.get("error"), dict) else {}
        retry_after: float | None = None
        header = response.headers.get("Retry-After")
        if header is not None:
            try:
                retry_after = float(header)
            except ValueError:
                retry_after = None
        details = err.get("details") if isinstance(err.get("details"), dict) else {}
        if status < 400:
            raise InvalidResponseError(
                f"{op}: answer {status} says success is false", status=status, request_id=request_id
            )
        raise build_error(
            status, err.get("code"), str(err.get("message") or f"HTTP {status}"), details,
            request_id, retry_after,
        )  # fmt: skip

    # -- helpers ---------------------------------------------------------------------------

    def _page(
        self, op: str, path: str, item: Callable[[dict[str, Any]], T], filters: dict[str, Any]
    ) -> r.Page[T]:
        return r.Page.from_dict(self._request(op, "GET", path, query=_query(filters)), item)

    def _walk(self, list_page: Callable[..., r.Page[T]], filters: dict[str, Any]) -> Iterator[T]:
        """Every item of a list, page after page, until a short or empty page."""
        filters = dict(filters)
        page = int(filters.pop("page", None) or 1)
        limit = int(filters.pop("limit", None) or 100)
        seen = 0
        while True:
            result = list_page(page=page, limit=limit, **filters)
            yield from result.items
            seen += len(result.items)
            pages = result.total_pages
            if (
                not result.items
                or seen >= result.total
                or len(result.items) < limit
                or (pages is not None and page >= pages)
            ):
                return
            page += 1

    # -- interviews ------------------------------------------------------------------------

    def create_interview(self, body: Any = None, /, **fields: Any) -> r.Interview:
        data = self._request("create_interview", "POST", "/interviews", body=_merge(body, fields), send_body=True)
        return r.Interview.from_dict(data)

    def list_interviews(self, **filters: Any) -> r.Page[r.Interview]:
        return self._page("list_interviews", "/interviews", r.Interview.from_dict, filters)

    def iter_interviews(self, **filters: Any) -> Iterator[r.Interview]:
        return self._walk(self.list_interviews, filters)

    def get_interview(self, id: str) -> r.Interview:
        return r.Interview.from_dict(self._request("get_interview", "GET", f"/interviews/{_path_id(id)}"))

    def delete_interview(self, id: str) -> bool:
        return bool(self._request("delete_interview", "DELETE", f"/interviews/{_path_id(id)}"))

    # -- call attempts ---------------------------------------------------------------------

    def invoke_call_attempt(
        self, id: str, scheduled_at: datetime | str | None = None, *, body: Any = None
    ) -> r.CallAttempt:
        payload = body if body is not None else {"scheduledAt": _wire_value(scheduled_at)}
        data = self._request(
            "invoke_call_attempt", "POST", f"/interviews/{_path_id(id)}/call-attempts",
            body=payload, send_body=True,
        )  # fmt: skip
        return r.CallAttempt.from_dict(data)

    def reschedule_call_attempt(
        self, id: str, attempt_id: str, scheduled_at: datetime | str | None = None, *, body: Any = None
    ) -> None:
        payload = body if body is not None else {"scheduledAt": _wire_value(scheduled_at)}
        self._request(
            "reschedule_call_attempt", "PATCH",
            f"/interviews/{_path_id(id)}/call-attempts/{_path_id(attempt_id)}",
            body=payload, send_body=True,
        )  # fmt: skip

    def delete_call_attempt(self, id: str, attempt_id: str) -> None:
        self._request(
            "delete_call_attempt", "DELETE",
            f"/interviews/{_path_id(id)}/call-attempts/{_path_id(attempt_id)}",
        )  # fmt: skip

    # -- candidates, jobs, agents: the same five operations ------------------------------

    def create_candidate(self, body: Any = None, /, **fields: Any) -> r.Candidate:
        return r.Candidate.from_dict(self._create("create_candidate", "/candidates", body, fields))

    def list_candidates(self, **filters: Any) -> r.Page[r.Candidate]:
        return self._page("list_candidates", "/candidates", r.Candidate.from_dict, filters)

    def iter_candidates(self, **filters: Any) -> Iterator[r.Candidate]:
        return self._walk(self.list_candidates, filters)

    def get_candidate(self, id: str) -> r.Candidate:
        return r.Candidate.from_dict(self._request("get_candidate", "GET", f"/candidates/{_path_id(id)}"))

    def update_candidate(self, id: str, body: Any = None, /, **fields: Any) -> r.Candidate:
        return r.Candidate.from_dict(self._update("update_candidate", f"/candidates/{_path_id(id)}", body, fields))

    def delete_candidate(self, id: str) -> bool:
        return bool(self._request("delete_candidate", "DELETE", f"/candidates/{_path_id(id)}"))

    def create_job(self, body: Any = None, /, **fields: Any) -> r.Job:
        return r.Job.from_dict(self._create("create_job", "/jobs", body, fields))

    def list_jobs(self, **filters: Any) -> r.Page[r.Job]:
        return self._page("list_jobs", "/jobs", r.Job.from_dict, filters)

    def iter_jobs(self, **filters: Any) -> Iterator[r.Job]:
        return self._walk(self.list_jobs, filters)

    def get_job(self, id: str) -> r.Job:
        return r.Job.from_dict(self._request("get_job", "GET", f"/jobs/{_path_id(id)}"))

    def update_job(self, id: str, body: Any = None, /, **fields: Any) -> r.Job:
        return r.Job.from_dict(self._update("update_job", f"/jobs/{_path_id(id)}", body, fields))

    def delete_job(self, id: str) -> bool:
        return bool(self._request("delete_job", "DELETE", f"/jobs/{_path_id(id)}"))

    def create_agent(self, body: Any = None, /, **fields: Any) -> r.Agent:
        return r.Agent.from_dict(self._create("create_agent", "/agents", body, fields))

    def list_agents(self, **filters: Any) -> r.Page[r.Agent]:
        return self._page("list_agents", "/agents", r.Agent.from_dict, filters)

    def iter_agents(self, **filters: Any) -> Iterator[r.Agent]:
        return self._walk(self.list_agents, filters)

    def get_agent(self, id: str) -> r.Agent:
        return r.Agent.from_dict(self._request("get_agent", "GET", f"/agents/{_path_id(id)}"))

    def update_agent(self, id: str, body: Any = None, /, **fields: Any) -> r.Agent:
        return r.Agent.from_dict(self._update("update_agent", f"/agents/{_path_id(id)}", body, fields))

    def delete_agent(self, id: str) -> bool:
        return bool(self._request("delete_agent", "DELETE", f"/agents/{_path_id(id)}"))

    # -- company ---------------------------------------------------------------------------

    def create_company(self, body: Any = None, /, **fields: Any) -> r.Company:
        return r.Company.from_dict(self._create("create_company", "/company", body, fields))

    def list_companies(self, **filters: Any) -> r.Page[r.Company]:
        return self._page("list_companies", "/company", r.Company.from_dict, filters)

    def iter_companies(self, **filters: Any) -> Iterator[r.Company]:
        return self._walk(self.list_companies, filters)

    def get_company(self, id: str) -> r.Company:
        return r.Company.from_dict(self._request("get_company", "GET", f"/company/{_path_id(id)}"))

    def update_company(self, id: str, body: Any = None, /, **fields: Any) -> r.Company:
        return r.Company.from_dict(self._update("update_company", f"/company/{_path_id(id)}", body, fields))

    # -- webhooks --------------------------------------------------------------------------

    def create_webhook(self, body: Any = None, /, **fields: Any) -> r.WebhookConfig:
        return r.WebhookConfig.from_dict(self._create("create_webhook", "/webhooks", body, fields))

    def list_webhooks(self, **filters: Any) -> r.Page[r.WebhookConfig]:
        return self._page("list_webhooks", "/webhooks", r.WebhookConfig.from_dict, filters)

    def iter_webhooks(self, **filters: Any) -> Iterator[r.WebhookConfig]:
        return self._walk(self.list_webhooks, filters)

    def get_webhook(self, id: str) -> r.WebhookConfig:
        return r.WebhookConfig.from_dict(self._request("get_webhook", "GET", f"/webhooks/{_path_id(id)}"))

    def update_webhook(self, id: str, body: Any = None, /, **fields: Any) -> r.WebhookConfig:
        return r.WebhookConfig.from_dict(self._update("update_webhook", f"/webhooks/{_path_id(id)}", body, fields))

    def delete_webhook(self, id: str) -> None:
        self._request("delete_webhook", "DELETE", f"/webhooks/{_path_id(id)}")

    def test_webhook(self, id: str) -> r.WebhookTestResult:
        data = self._request("test_webhook", "POST", f"/webhooks/{_path_id(id)}/test")
        return r.WebhookTestResult.from_dict(data)

    def reset_webhook_circuit(self, id: str) -> r.WebhookConfig:
        data = self._request("reset_webhook_circuit", "POST", f"/webhooks/{_path_id(id)}/reset-circuit")
        return r.WebhookConfig.from_dict(data)

    # -- billing ---------------------------------------------------------------------------

    def get_billing_usage(
        self, start: datetime | str | None = None, end: datetime | str | None = None, **query: Any
    ) -> r.BillingUsage:
        params = _query({"start": start, "end": end, **query})
        return r.BillingUsage.from_dict(self._request("get_billing_usage", "GET", "/billing/usage", query=params))

    # -- shared shapes ---------------------------------------------------------------------

    def _create(self, op: str, path: str, body: Any, fields: dict[str, Any]) -> Any:
        return self._request(op, "POST", path, body=_merge(body, fields), send_body=True)

    def _update(self, op: str, path: str, body: Any, fields: dict[str, Any]) -> Any:
        return self._request(op, "PATCH", path, body=_merge(body, fields), send_body=True)
