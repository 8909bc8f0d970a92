"""The harness adapter of the reference client (harness.md "Python clients").

``make_adapter(base_url).call(op, args, auth)`` runs one operation of harness.md's vocabulary
through ``InstaViewClient`` and returns the wire ``data`` of the answer (``true`` for deletes,
``None`` for 204); a failure raises the client's ``InstaViewError``, which carries ``status``,
``code`` and ``message``.
"""

from __future__ import annotations

from typing import Any, Callable

import requests

from .client import InstaViewClient
from .retry import RetryPolicy

# The harness runs the simulator on a virtual clock and counts every request toward rate
# limits, so the adapter keeps the client's retry rule (reads and deletes, on lost answers
# and 5xx) with short waits, and hands a 429 straight back rather than sleeping through it.
ADAPTER_RETRY_POLICY = RetryPolicy(
    max_attempts=3, base_delay=0.02, max_delay=0.2, retry_rate_limited=False
)


def _wire(result: Any) -> Any:
    """The wire object behind a record (records keep it in ``raw``), or the value itself."""
    return getattr(result, "raw", result)


def _body_op(name: str) -> Callable[[InstaViewClient, dict[str, Any]], Any]:
    return lambda c, a: getattr(c, name)(a.get("body"))


def _id_op(name: str) -> Callable[[InstaViewClient, dict[str, Any]], Any]:
    return lambda c, a: getattr(c, name)(a["id"])


def _update_op(name: str) -> Callable[[InstaViewClient, dict[str, Any]], Any]:
    return lambda c, a: getattr(c, name)(a["id"], a.get("body"))


def _query_op(name: str) -> Callable[[InstaViewClient, dict[str, Any]], Any]:
    return lambda c, a: getattr(c, name)(**(a.get("query") or {}))


OPERATIONS: dict[str, Callable[[InstaViewClient, dict[str, Any]], Any]] = {
    **{op: _body_op(op) for op in (
        "create_interview", "create_candidate", "create_job", "create_agent",
        "create_webhook", "create_company",
    )},
    **{op: _id_op(op) for op in (
        "get_interview", "delete_interview", "get_candidate", "delete_candidate", "get_job",
        "delete_job", "get_agent", "delete_agent", "get_webhook", "delete_webhook",
        "get_company", "test_webhook", "reset_webhook_circuit",
    )},
    **{op: _update_op(op) for op in (
        "update_candidate", "update_job", "update_agent", "update_webhook", "update_company",
    )},
    **{op: _query_op(op) for op in (
        "list_interviews", "list_candidates", "list_jobs", "list_agents", "list_webhooks",
        "list_companies", "get_billing_usage",
    )},
    "invoke_call_attempt": lambda c, a: c.invoke_call_attempt(
        a["id"], body=a.get("body") if a.get("body") is not None else {"scheduledAt": None}
    ),
    "reschedule_call_attempt": lambda c, a: c.reschedule_call_attempt(
        a["id"], a["attempt_id"], body=a.get("body") if a.get("body") is not None else {}
    ),
    "delete_call_attempt": lambda c, a: c.delete_call_attempt(a["id"], a["attempt_id"]),
}  # fmt: skip


class UnknownOperation(Exception):
    """The harness asked for an operation this adapter does not know."""

    status = None
    code = None

    def __init__(self, op: str) -> None:
        super().__init__(f"unknown operation {op!r}")
        self.message = str(self)


class ClientAdapter:
    """One ``InstaViewClient`` per (key, company), all sharing one HTTP session."""

    def __init__(self, base_url: str, retry_policy: RetryPolicy = ADAPTER_RETRY_POLICY) -> None:
        self.base_url = base_url
        self.retry_policy = retry_policy
        self.session = requests.Session()
        self._clients: dict[tuple[str, str | None], InstaViewClient] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def client_for(self, auth: dict[str, Any]) -> InstaViewClient:
        key = (auth["api_key"], auth.get("company_id"))
        if key not in self._clients:
            self._clients[key] = InstaViewClient(
                self.base_url, key[0], company_id=key[1],
                retry_policy=self.retry_policy, session=self.session,
            )  # fmt: skip
        return self._clients[key]

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        try:
            run = OPERATIONS[op]
        except KeyError:
            raise UnknownOperation(op) from None
        return _wire(run(self.client_for(auth), args))

    def close(self) -> None:
        self.session.close()


def make_adapter(base_url: str) -> ClientAdapter:
    return ClientAdapter(base_url)
