"""A real webhook receiver on 127.0.0.1 for the harness and tests: records every delivery
and answers with scripted statuses. Never imports `simulator` (harness.md)."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from attrs import define, field


@define
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes = field(repr=False)
    received_at: float  # time.monotonic()

    @property
    def json(self) -> Any:
        return json.loads(self.raw)

    @property
    def event(self) -> str | None:
        return self.headers.get("x-instaview-event")

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("x-instaview-delivery")


class WebhookReceiver:
    """`with WebhookReceiver() as rx: rx.url("/a")`; `rx.script("/a", [500, 500, 200])`
    makes the next answers on `/a` 500, 500, then 200 (the default once the script is used
    up); `rx.set_delay("/a", 2.0)` makes it answer late (timeouts)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Condition()
        self._log: list[Received] = []
        self._scripts: dict[str, list[int]] = {}
        self._delays: dict[str, float] = {}
        self._callbacks: dict[str, Callable[[Received], None]] = {}
        self.default_status = 200
        rx = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, delay, callback, rec = rx._record(self.path,
                                                          dict(self.headers.items()), raw)
                if delay:
                    time.sleep(delay)
                if callback is not None:
                    callback(rec)  # e.g. call the simulator back, as real handlers do
                body = b'{"ok":true}'
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the sender gave up (timeout): nothing to answer to

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="webhook-receiver")
        self._thread.start()

    # ------------------------------------------------------------ setup
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def script(self, path: str, statuses: list[int]) -> None:
        with self._lock:
            self._scripts[path] = list(statuses)

    def set_delay(self, path: str, seconds: float) -> None:
        with self._lock:
            self._delays[path] = seconds

    def on_receive(self, path: str, callback: Callable[[Received], None]) -> None:
        """Run `callback(received)` in the handler before answering."""
        with self._lock:
            self._callbacks[path] = callback

    def _record(self, path: str, headers: dict, raw: bytes):
        with self._lock:
            rec = Received(path, {k.lower(): v for k, v in headers.items()}, raw,
                           time.monotonic())
            self._log.append(rec)
            script = self._scripts.get(path)
            status = script.pop(0) if script else self.default_status
            self._lock.notify_all()
            return status, self._delays.get(path, 0.0), self._callbacks.get(path), rec

    # ------------------------------------------------------------ observation
    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._log if path is None or r.path == path]

    def count(self) -> int:
        """How many requests arrived so far (an index for `received_since`)."""
        with self._lock:
            return len(self._log)

    def received_since(self, index: int) -> tuple[list[Received], int]:
        """The requests that arrived after the first `index` ones, and the new index: a
        reader that keeps its index reads each request once (the log only grows)."""
        with self._lock:
            return self._log[index:], len(self._log)

    def next_status(self, path: str) -> int:
        """The status the next request on `path` will be answered with."""
        with self._lock:
            script = self._scripts.get(path)
            return script[0] if script else self.default_status

    def wait_for(self, pred: Callable[[list[Received]], bool], timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while not pred(list(self._log)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
            return True

    def wait_count(self, n: int, path: str | None = None, timeout: float = 5.0) -> bool:
        return self.wait_for(lambda log: sum(1 for r in log if path is None or r.path == path)
                             >= n, timeout)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "WebhookReceiver":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---------------------------------------------------------------- checks (harness.md style)
# Small named functions over what a receiver got; each raises AssertionError saying what was
# expected and what came back. They use only the wire (headers and body), never `simulator`.

COMPLETION_EVENTS = ("interview.completed", "analysis.completed")


def signature_ok(secret: str, r: Received) -> bool:
    """lifecycle.md, Signing: `X-InstaView-Signature` is `sha256=` + HMAC-SHA256(secret,
    "<X-InstaView-Timestamp>.<raw body>")."""
    ts = r.headers.get("x-instaview-timestamp", "")
    want = "sha256=" + hmac.new(secret.encode(), f"{ts}.".encode() + r.raw,
                                hashlib.sha256).hexdigest()
    return hmac.compare_digest(want.encode(), r.headers.get("x-instaview-signature", "").encode())


def check_webhook_signed(received: list[Received], secret_by_path: dict[str, str]) -> None:
    """lifecycle.md, Signing: every delivery carries the four headers and a valid signature."""
    for r in received:
        secret = secret_by_path.get(r.path)
        if secret is None:
            continue
        body = r.json
        assert r.event == body.get("event") and r.delivery_id == body.get("deliveryId"), (
            f"headers name {r.event}/{r.delivery_id} but the body says "
            f"{body.get('event')}/{body.get('deliveryId')}")
        assert signature_ok(secret, r), (
            f"delivery {r.delivery_id} ({r.event}) to {r.path} is not signed with its "
            "config's signingSecret over '<X-InstaView-Timestamp>.<raw body>'")


def check_webhook_once_per_config(received: list[Received]) -> None:
    """Invariant 8: at most one delivery (tries share a deliveryId) per config path, interview
    and completion event."""
    seen: dict[tuple[str, str, str], str] = {}
    for r in received:
        body = r.json
        if body.get("event") not in COMPLETION_EVENTS:
            continue
        key = (r.path, body["data"].get("interviewId"), body["event"])
        first = seen.setdefault(key, body["deliveryId"])
        assert first == body["deliveryId"], (
            f"expected one {key[2]} delivery for interview {key[1]} at {key[0]}, got two: "
            f"{first} and {body['deliveryId']}")


def check_webhook_none_after_delete(received: list[Received],
                                    deleted_at: dict[str, str]) -> None:
    """Invariant 6: nothing is emitted for an interview after its deletion (deliveries
    emitted before it may still arrive). `deleted_at`: interview id -> ISO instant."""
    for r in received:
        body = r.json
        iid = (body.get("data") or {}).get("interviewId")
        when = deleted_at.get(iid)
        if when is not None:
            assert body["timestamp"] <= when, (
                f"{body['event']} for interview {iid} was emitted at {body['timestamp']}, "
                f"after its deletion at {when}")
