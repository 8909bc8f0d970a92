"""Deliberately broken clients: each makes one mistake real clients make, for the harness to catch.

Each factory has the harness's Python-client signature (``FACTORY(base_url) -> adapter``) and
wraps the reference adapter, so that the one mistake is the only difference:

    python -m pytest --pyargs spec_tests --client tests.client.broken_clients:make_swallowing_404

The fault rules (spec_tests/fault_rules.py) catch the ones that only go wrong when an answer is
lost: ``make_retrying_creates``, ``make_reporting_lost_delete_404`` and
``make_assuming_lost_delete_done`` (tests/client/test_client_faults.py).
"""

from __future__ import annotations

import json
from typing import Any

from attrs import frozen

from client_under_test.adapter import ADAPTER_RETRY_POLICY, ClientAdapter
from client_under_test.errors import InstaViewError, NotFoundError
from client_under_test.retry import DELETE_OPS, NO_RETRIES, RetryPolicy, answer_was_lost


class SwallowingNotFound(ClientAdapter):
    """Treats 404 as success: a get returns null and a delete of a gone resource returns true
    ("deleting is idempotent anyway"), hiding that the resource did not exist."""

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        try:
            return super().call(op, args, auth)
        except NotFoundError:
            if op.startswith("delete_") and op not in ("delete_webhook", "delete_call_attempt"):
                return True
            return None


class StatusLosingError(Exception):
    """What a careless client raises: the server's message, without status or code."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LosingStatus(ClientAdapter):
    """Turns every API error into a bare exception carrying only the message."""

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        try:
            return super().call(op, args, auth)
        except InstaViewError as exc:
            raise StatusLosingError(f"request failed: {exc.message}") from None


@frozen
class _RetryEverything(RetryPolicy):
    """A policy that also repeats creates and other POSTs: safe only with idempotency keys."""

    def should_retry(self, op: str, attempt: int, status: int | None, error: Any) -> bool:
        if attempt >= self.max_attempts:
            return False
        return status is None or status >= 500


class RetryingCreates(ClientAdapter):
    """Retries every operation on a lost answer or a 5xx, creates included."""

    def __init__(self, base_url: str) -> None:
        super().__init__(
            base_url,
            retry_policy=_RetryEverything(
                max_attempts=3, base_delay=ADAPTER_RETRY_POLICY.base_delay,
                max_delay=ADAPTER_RETRY_POLICY.max_delay, retry_rate_limited=False,
            ),
        )  # fmt: skip


class ReportingLostDelete404(ClientAdapter):
    """Retries deletes like the reference client, but passes the retry's 404 on as it came:
    a delete whose first try was applied and whose answer was lost reports "not found",
    although the interview is gone because of this very call."""

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        result = super().call(op, args, auth)
        last = self.client_for(auth).last_call
        if op in DELETE_OPS and last is not None and last.recovered_delete:
            raise NotFoundError(
                f"{op}: not found (after {last.attempts} tries)", status=404,
                code="RESOURCE_NOT_FOUND",
            )  # fmt: skip
        return result


class AssumingLostDeleteDone(ClientAdapter):
    """Treats a delete whose answer never came (connection dropped, 5xx) as done: "it
    probably went through". Without retrying, it cannot know."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url, retry_policy=NO_RETRIES)

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        try:
            return super().call(op, args, auth)
        except InstaViewError as exc:
            if op in DELETE_OPS and answer_was_lost(exc.status):
                return None if op in ("delete_webhook", "delete_call_attempt") else True
            raise


class IgnoringCompanyId(ClientAdapter):
    """Never sends ``companyId``: fine for company keys, broken for every ATS key call."""

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        return super().call(op, args, {**auth, "company_id": None})


class CachingReads(ClientAdapter):
    """Caches every read (gets and lists) by key, company, operation and arguments, forever:
    stale after any create, change or delete."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self._cache: dict[tuple[Any, ...], Any] = {}

    def call(self, op: str, args: dict[str, Any], auth: dict[str, Any]) -> Any:
        if not op.startswith(("get_", "list_")):
            return super().call(op, args, auth)
        key = (auth.get("api_key"), auth.get("company_id"), op, json.dumps(args, sort_keys=True))
        if key not in self._cache:
            self._cache[key] = super().call(op, args, auth)
        return self._cache[key]


def make_swallowing_404(base_url: str) -> ClientAdapter:
    return SwallowingNotFound(base_url)


def make_losing_status(base_url: str) -> ClientAdapter:
    return LosingStatus(base_url)


def make_retrying_creates(base_url: str) -> ClientAdapter:
    return RetryingCreates(base_url)


def make_reporting_lost_delete_404(base_url: str) -> ClientAdapter:
    return ReportingLostDelete404(base_url)


def make_assuming_lost_delete_done(base_url: str) -> ClientAdapter:
    return AssumingLostDeleteDone(base_url)


def make_ignoring_company_id(base_url: str) -> ClientAdapter:
    return IgnoringCompanyId(base_url)


def make_caching_reads(base_url: str) -> ClientAdapter:
    return CachingReads(base_url)
