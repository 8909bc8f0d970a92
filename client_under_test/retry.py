"""Retry policy of the reference client: pure decisions, with randomness and sleep injected.

The rule (docs/clients.md "Retries"): only operations that are safe to repeat are retried
(reads and deletes; never a create, since the API has no idempotency key, nor any other
POST or PATCH), and only on a lost answer (connection failure, timeout), 429 (waiting at
least ``Retry-After``) or a 5xx other than 501. Waits grow exponentially with full jitter
up to a cap.
"""

from __future__ import annotations

import random
from typing import Protocol

from attrs import frozen

from .errors import InstaViewError

# Safe to repeat: repeating them cannot create a second resource or a second call.
READ_OPS = frozenset(
    {
        "list_interviews", "get_interview",
        "list_candidates", "get_candidate",
        "list_jobs", "get_job",
        "list_agents", "get_agent",
        "list_companies", "get_company",
        "list_webhooks", "get_webhook",
        "get_billing_usage",
    }
)  # fmt: skip
DELETE_OPS = frozenset(
    {
        "delete_interview", "delete_candidate", "delete_job", "delete_agent",
        "delete_webhook", "delete_call_attempt",
    }
)  # fmt: skip
SAFE_OPS = READ_OPS | DELETE_OPS


class Rng(Protocol):
    def random(self) -> float: ...


def is_safe_to_repeat(op: str) -> bool:
    return op in SAFE_OPS


def answer_was_lost(status: int | None) -> bool:
    """Whether an attempt's outcome is unknown: no answer, or a 5xx that may follow the work.

    A delete retried after such an attempt and then answered 404 was done by this call
    (docs/clients.md "Retries").
    """
    return status is None or (status >= 500 and status != 501)


@frozen
class RetryPolicy:
    """``max_attempts`` counts the first try; waits are ``base * 2**(attempt-1)`` capped."""

    max_attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    # A Retry-After longer than this is not waited for: the error goes to the caller.
    max_retry_after: float = 60.0
    retry_rate_limited: bool = True

    def should_retry(
        self, op: str, attempt: int, status: int | None, error: InstaViewError | None
    ) -> bool:
        """Whether to try ``op`` again after its ``attempt``-th try (1-based) failed."""
        if attempt >= self.max_attempts or not is_safe_to_repeat(op):
            return False
        if status is None:
            return True  # connection failure or timeout: no answer reached us
        if status == 429:
            retry_after = getattr(error, "retry_after", None)
            return self.retry_rate_limited and (
                retry_after is None or retry_after <= self.max_retry_after
            )
        return status >= 500 and status != 501  # 501 NOT_IMPLEMENTED never heals

    def backoff(self, attempt: int, retry_after: float | None, rng: Rng) -> float:
        """Seconds to wait before try ``attempt + 1``: full jitter, never below Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        delay = rng.random() * ceiling
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay


NO_RETRIES = RetryPolicy(max_attempts=1)


def default_rng() -> Rng:
    return random.Random()
