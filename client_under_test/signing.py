"""Verify an InstaView webhook delivery's signature (the scheme of lifecycle.md, Signing).

`X-InstaView-Signature: sha256=<hex>` where hex is HMAC-SHA256 with the config's
`signingSecret` over `"<X-InstaView-Timestamp>.<raw body>"`.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time
from typing import Any, Mapping

SIGNATURE_HEADER = "X-InstaView-Signature"
TIMESTAMP_HEADER = "X-InstaView-Timestamp"


def _header(headers: Any, name: str) -> str | None:
    """Case-insensitive lookup in a dict, `requests`/werkzeug headers or a list of pairs."""
    if hasattr(headers, "items"):
        pairs = headers.items()
    else:
        pairs = headers or ()
    want = name.lower()
    for k, v in pairs:
        if str(k).lower() == want:
            return str(v)
    return None


def compute_signature(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """`sha256=<hex>` for a body signed at `timestamp` (unix seconds)."""
    raw = body.encode() if isinstance(body, str) else bytes(body)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _unix(now: Any) -> float:
    if now is None:
        return time.time()
    if isinstance(now, dt.datetime):
        if now.tzinfo is None:
            now = now.replace(tzinfo=dt.timezone.utc)
        return now.timestamp()
    return float(now)


def verify_signature(secret: str, headers: Mapping[str, str] | Any, body: bytes | str,
                     tolerance: float | None = 300, now: Any = None) -> bool:
    """True when the delivery was signed with `secret` and, unless `tolerance` is None, its
    timestamp lies within `tolerance` seconds of `now` (unix seconds or a datetime; default
    the wall clock). Pass the raw body exactly as received; the comparison is constant-time.

    Against a simulator on a manual virtual clock, pass `now=` the simulator's clock (or
    `tolerance=None`): deliveries are stamped with virtual time.
    """
    if not secret:
        return False
    sig = _header(headers, SIGNATURE_HEADER)
    ts_raw = _header(headers, TIMESTAMP_HEADER)
    if not sig or not ts_raw:
        return False
    try:
        ts = int(ts_raw.strip())
    except ValueError:
        return False
    if tolerance is not None and abs(_unix(now) - ts) > tolerance:
        return False
    expected = compute_signature(secret, ts, body)
    ok = False
    for candidate in sig.split(","):  # several signatures: any one may match (rotation)
        ok |= hmac.compare_digest(candidate.strip().encode(), expected.encode())
    return ok
