"""verify_signature (client_under_test.signing) against the simulator's own signer."""
from __future__ import annotations

import datetime as dt

from client_under_test.signing import compute_signature, verify_signature
from simulator.core.webhooks import sign

SECRET = "ab" * 32
BODY = b'{"event":"ping","data":{}}'
TS = 1767261600  # 2026-01-01T10:00:00Z


def _headers(sig=None, ts=TS):
    return {"X-InstaView-Timestamp": str(ts),
            "X-InstaView-Signature": sig or sign(SECRET, ts, BODY)}


def test_sign_matches_client_helper():
    assert sign(SECRET, TS, BODY) == compute_signature(SECRET, TS, BODY)
    assert sign(SECRET, TS, BODY).startswith("sha256=") and len(sign(SECRET, TS, BODY)) == 71


def test_verify_signature_accepts_signed_body():
    assert verify_signature(SECRET, _headers(), BODY, now=TS + 10)
    assert verify_signature(SECRET, _headers(), BODY.decode(), now=TS)  # str body too


def test_verify_signature_headers_case_insensitive():
    h = {k.lower(): v for k, v in _headers().items()}
    assert verify_signature(SECRET, h, BODY, now=dt.datetime.fromtimestamp(TS, dt.timezone.utc))


def test_verify_signature_rejects_tampered_body():
    assert not verify_signature(SECRET, _headers(), BODY + b" ", now=TS)


def test_verify_signature_rejects_wrong_secret():
    assert not verify_signature("cd" * 32, _headers(), BODY, now=TS)


def test_verify_signature_rejects_stale_timestamp():
    assert not verify_signature(SECRET, _headers(), BODY, now=TS + 301)
    assert verify_signature(SECRET, _headers(), BODY, now=TS + 301, tolerance=None)


def test_verify_signature_rejects_moved_timestamp():
    # the timestamp is signed: replaying the body under a fresh timestamp fails
    assert not verify_signature(SECRET, _headers(sig=sign(SECRET, TS, BODY), ts=TS + 60), BODY,
                                now=TS + 60)


def test_verify_signature_rejects_missing_headers():
    assert not verify_signature(SECRET, {}, BODY, now=TS)
    assert not verify_signature(SECRET, {"X-InstaView-Signature": sign(SECRET, TS, BODY)},
                                BODY, now=TS)
    assert not verify_signature(SECRET, _headers(ts="soon"), BODY, now=TS)
