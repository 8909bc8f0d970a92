"""`instaview-sim webhooks listen`'s receiver: verifies signatures and prints each event."""
from __future__ import annotations

import io
import json
import threading

import pytest
import requests

from simulator.core.webhooks import sign
from simulator.webhook_listen import make_server

SECRET = "0f" * 32


@pytest.fixture
def listener():
    out = io.StringIO()
    server = make_server("127.0.0.1", 0, SECRET, out)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", out
    server.shutdown()
    server.server_close()
    t.join(5)


def _post(url, secret, ts=1767261600):
    raw = json.dumps({"event": "interview.completed", "deliveryId": "d-1",
                      "data": {"interviewId": "i-1", "status": "COMPLETED"}}).encode()
    headers = {"Content-Type": "application/json", "X-InstaView-Event": "interview.completed",
               "X-InstaView-Delivery": "d-1", "X-InstaView-Timestamp": str(ts),
               "X-InstaView-Signature": sign(secret, ts, raw)}
    return requests.post(url, data=raw, headers=headers, timeout=5)


def test_listen_accepts_signed_delivery_and_prints_it(listener):
    url, out = listener
    resp = _post(url, SECRET)
    assert resp.status_code == 200
    line = out.getvalue().strip()
    assert line.startswith("interview.completed delivery=d-1 interviewId=i-1 status=COMPLETED")
    assert "signature OK" in line


def test_listen_rejects_bad_signature_with_401(listener):
    url, out = listener
    resp = _post(url, "ee" * 32)
    assert resp.status_code == 401
    assert "BAD SIGNATURE" in out.getvalue()
