"""Webhook configs, the outbox and signed delivery on the virtual clock (issue #5).

The engine builds `WebhookHub(sim)`, calls `emit` at the lifecycle points and delegates the
seven webhook operations here. Real HTTP POSTs run on one background sender thread, outside
`sim.lock`, so a receiver may call the simulator back while it handles a delivery.

Threading: every piece of hub state is guarded by `sim.lock` (an RLock). Waiting for a try
in flight uses `threading.Condition(sim.lock)`, whose `wait` releases the lock entirely, so a
receiver's call-back is never blocked by a request that waits for that very delivery.
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import ipaddress
import json
import queue as queue_mod
import re
import threading
import time
import urllib.parse
from typing import Any, Mapping

import requests
from attrs import define, field, frozen

from simulator.core import inputs
from simulator.core.clock import iso
from simulator.core.enums import ClockMode, KeyKind, QueueKind, WireEnum
from simulator.core.errors import ResourceAccessDenied, ResourceNotFound, ValidationError

RETRY_DELAYS_SECONDS = (10, 60, 300)  # lifecycle.md: 10 s, 60 s, 300 s, then 300 s
CIRCUIT_THRESHOLD = 5  # lifecycle.md: at 5 consecutive failures the circuit opens
MAX_URL = 2048
MAX_HEADERS = 50
TIMEOUT_MS_RANGE = (100, 60000)  # our choice; the digest's examples use 30000
MAX_RETRIES_RANGE = (0, 10)  # our choice; the digest's examples use 3
RESERVED_HEADERS = {"host", "content-length", "content-type", "transfer-encoding",
                    "connection"}
_TOKEN_RE = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
USER_AGENT = "instaview-sim-webhooks/1"
SENDER_IDLE_SECONDS = 5.0  # an idle sender thread ends; the next try starts a new one


class EventName(WireEnum):
    """Subscribable events: the digest's integer table, echoed lower-dot (lifecycle.md)."""

    ANALYSIS_COMPLETED = "analysis.completed"
    ANALYSIS_FAILED = "analysis.failed"  # accepted (the provider documents it); never emitted
    PING = "ping"
    INTERVIEW_COMPLETED = "interview.completed"
    INTERVIEW_FAILED = "interview.failed"
    INTERVIEW_STARTED = "interview.started"


EVENT_CODES: dict[int, EventName] = {i: e for i, e in enumerate(EventName)}


class DeliveryState(WireEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class _Kind(str, enum.Enum):
    EVENT = "event"
    PING = "ping"


def parse_event(raw: Any) -> EventName | None:
    """lower-dot, UPPER_CASE or integer spelling -> EventName; None when unknown."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return EVENT_CODES.get(raw)
    if isinstance(raw, str):
        try:
            return EventName(raw)
        except ValueError:
            return EventName.__members__.get(raw)
    return None


def is_loopback(host: str) -> bool:
    """decisions 34: loopback means `localhost`, 127.0.0.0/8 and ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign(secret: str, timestamp: int, raw_body: bytes) -> str:
    """lifecycle.md, Signing: `sha256=` + HMAC-SHA256(secret, "<timestamp>.<raw body>")."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


# ---------------------------------------------------------------- records

@frozen
class WebhookHeader:
    name: str
    value: str = field(repr=False)  # configured secrets: never echoed, never logged


@define
class WebhookConfig:
    id: str
    api_key_id: str
    owner_kind: KeyKind
    owner_company_id: str | None  # the COMPANY key's company; None for ATS-made configs
    company_id: str | None  # null = "global": routed by its key (lifecycle.md, Routing)
    url: str
    events: list[EventName]
    signing_secret: str = field(repr=False)
    created_at: dt.datetime
    updated_at: dt.datetime
    name: str | None = None
    description: str | None = None
    headers: list[WebhookHeader] = field(factory=list)
    is_active: bool = True
    max_retries: int = 3
    timeout_ms: int = 30000
    consecutive_failures: int = 0
    circuit_opened_at: dt.datetime | None = None
    deleted_at: dt.datetime | None = None

    def to_dict(self, with_secret: bool = False) -> dict:
        d = {
            "id": self.id, "apiKeyId": self.api_key_id, "companyId": self.company_id,
            "url": self.url, "name": self.name, "description": self.description,
            "headers": [{"name": h.name, "isMasked": True} for h in self.headers],
            "events": [e.value for e in self.events], "isActive": self.is_active,
            "maxRetries": self.max_retries, "timeoutMs": self.timeout_ms,
            "consecutiveFailures": self.consecutive_failures,
            "circuitOpenedAt": iso(self.circuit_opened_at),
            "createdAt": iso(self.created_at), "updatedAt": iso(self.updated_at),
        }
        if with_secret:  # create only: "returned only here" (digest, Webhook configurations)
            d["signingSecret"] = self.signing_secret
        return d


@define
class SecretShown:
    """The create answer: the config plus its signing secret, shown this once."""

    config: WebhookConfig

    def to_dict(self) -> dict:
        return self.config.to_dict(with_secret=True)


@frozen
class Try:
    at: dt.datetime
    status: int | None
    error: str | None
    duration_ms: int

    def to_dict(self) -> dict:
        return {"at": iso(self.at), "status": self.status, "error": self.error,
                "durationMs": self.duration_ms}


@define
class Delivery:
    id: str
    webhook_id: str
    event: EventName
    kind: _Kind
    company_id: str | None
    interview_id: str | None
    body: dict
    raw: bytes = field(repr=False)
    created_at: dt.datetime
    state: DeliveryState = DeliveryState.PENDING
    tries: list[Try] = field(factory=list)
    in_flight: bool = False
    in_flight_deadline: float = 0.0  # monotonic
    next_item: Any = field(default=None, repr=False)
    reason: str | None = None

    def to_dict(self) -> dict:
        nxt = self.next_item
        return {
            "deliveryId": self.id, "webhookId": self.webhook_id, "event": self.event.value,
            "interviewId": self.interview_id, "companyId": self.company_id, "body": self.body,
            "state": self.state.value, "tries": [t.to_dict() for t in self.tries],
            "inFlight": self.in_flight,
            "nextTryAt": iso(nxt.due) if nxt is not None and nxt.live else None,
            "reason": self.reason, "createdAt": iso(self.created_at),
        }


@frozen
class _Job:
    generation: int
    delivery_id: str
    url: str
    headers: dict = field(repr=False)
    raw: bytes = field(repr=False)
    timeout_s: float
    at: dt.datetime


@define
class TestResult:
    """The test endpoint's `data` (digest: success, deliveryId?, httpStatus?, durationMs?, message)."""

    success: bool
    message: str
    delivery_id: str | None = None
    http_status: int | None = None
    duration_ms: int | None = None

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"success": self.success, "message": self.message}
        if self.delivery_id is not None:
            d.update(deliveryId=self.delivery_id, httpStatus=self.http_status,
                     durationMs=self.duration_ms)
        return d


# ---------------------------------------------------------------- body parsing

def parse_webhook(body: Any, *, partial: bool) -> dict:
    """The config body of create (partial=False) and update (partial=True)."""
    f = inputs.Fields(body)
    raw_url = f.raw("url")
    if raw_url is None:
        if not partial:
            f.err("url", "is required")
    elif not isinstance(raw_url, str) or not raw_url.strip():
        f.err("url", "must be a URL string")
    elif len(raw_url) > MAX_URL:
        f.err("url", f"must be at most {MAX_URL} characters")
    else:
        problem = url_problem(raw_url)
        if problem:
            f.err("url", problem)
        else:
            f.out["url"] = raw_url
    raw_events = f.raw("events")
    if raw_events is None:
        if not partial:
            f.err("events", "is required")
    elif not isinstance(raw_events, list) or not raw_events:
        f.err("events", "must be a non-empty list of event names")
    else:
        events: list[EventName] = []
        for item in raw_events:
            ev = parse_event(item)
            if ev is None:
                f.err("events", f"unknown event {item!r}; use one of "
                                + ", ".join(e.value for e in EventName)
                                + " (UPPER_CASE and integer spellings are accepted too)")
                break
            if ev not in events:
                events.append(ev)
        else:
            f.out["events"] = events
    f.string("name", max_len=255)
    f.string("description", max_len=1000)
    f.boolean("isActive")
    f.integer("maxRetries", lo=MAX_RETRIES_RANGE[0], hi=MAX_RETRIES_RANGE[1])
    f.integer("timeoutMs", lo=TIMEOUT_MS_RANGE[0], hi=TIMEOUT_MS_RANGE[1])
    if not partial:
        f.uuid("companyId")
    raw_headers = f.raw("headers")
    if raw_headers is not None:
        headers = _parse_headers(raw_headers, f)
        if headers is not None:
            f.out["headers"] = headers
    return f.done()


def url_problem(url: str) -> str | None:
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"is not a valid URL: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        return "must be an absolute https:// URL"
    if scheme == "http" and not is_loopback(host):
        return ("must use https:// (http:// is accepted only for loopback hosts: localhost, "
                "127.0.0.0/8 and ::1)")
    return None


def _parse_headers(raw: Any, f: inputs.Fields) -> list[WebhookHeader] | None:
    if not isinstance(raw, list):
        f.err("headers", "must be a list of {name, value} objects")
        return None
    if len(raw) > MAX_HEADERS:
        f.err("headers", f"must have at most {MAX_HEADERS} items")
        return None
    out: list[WebhookHeader] = []
    seen: set[str] = set()
    for i, h in enumerate(raw):
        where = f"headers[{i}]"
        if not isinstance(h, dict):
            f.errors.append((where, "must be an object {name, value}"))
            continue
        name, value = h.get("name"), h.get("value")
        if not isinstance(name, str) or not 1 <= len(name) <= 255 or not _TOKEN_RE.match(name):
            f.errors.append((where + ".name", "must be an HTTP header name of 1-255 characters"))
            continue
        low = name.lower()
        if low in RESERVED_HEADERS or low.startswith("x-instaview-"):
            f.errors.append((where + ".name", f"{name} is set by the simulator and cannot be "
                                              "configured"))
            continue
        if low in seen:
            f.errors.append((where + ".name", f"{name} is given twice"))
            continue
        if (not isinstance(value, str) or not 1 <= len(value) <= 4096
                or any(c in value for c in "\r\n\0")):
            f.errors.append((where + ".value", "must be a string of 1-4096 characters without "
                                               "line breaks"))
            continue
        seen.add(low)
        out.append(WebhookHeader(name, value))
    return out


def _backoff(retry_number: int) -> int:
    """Seconds before retry n (1-based) after the previous try."""
    return RETRY_DELAYS_SECONDS[min(retry_number, len(RETRY_DELAYS_SECONDS)) - 1]


# ---------------------------------------------------------------- the hub

class WebhookHub:
    """Configs, the outbox, the due handler of `webhook_try` items and the sender thread."""

    def __init__(self, sim: Any):
        self.sim = sim
        self._cond = threading.Condition(sim.lock)
        self._jobs: queue_mod.SimpleQueue[_Job | None] = queue_mod.SimpleQueue()
        self._sender: threading.Thread | None = None
        self._generation = 0
        self._clear()
        sim.register_due_handler(QueueKind.WEBHOOK_TRY.value, self._on_due)

    def _clear(self) -> None:
        self._configs: dict[str, WebhookConfig] = {}
        self._deliveries: dict[str, Delivery] = {}
        self._inflight = 0

    # ------------------------------------------------------------ lifecycle of the hub

    def reset(self) -> None:
        with self._cond:
            self._generation += 1  # results of tries still in flight are ignored
            self._clear()
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the sender thread (tests; it is a daemon and ends when idle anyway)."""
        with self._cond:
            sender, self._sender = self._sender, None
        if sender is not None:
            self._jobs.put(None)
            sender.join(timeout=5)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no try is in flight and every result is applied; True when idle."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # ------------------------------------------------------------ ownership and routing

    def _key_companies(self, key_id: str) -> frozenset[str]:
        """Companies an ATS key manages now (a company it creates later is included)."""
        key = getattr(self.sim, "_keys", {}).get(key_id)
        return frozenset(getattr(key, "managed_company_ids", ()) or ())

    def _owning_companies(self, cfg: WebhookConfig) -> frozenset[str]:
        """lifecycle.md, Routing, and decisions 11: whose events it gets, who may manage it."""
        if cfg.company_id is not None:
            return frozenset({cfg.company_id})
        if cfg.owner_kind is KeyKind.COMPANY:
            return frozenset({cfg.owner_company_id})
        return self._key_companies(cfg.api_key_id)

    @staticmethod
    def _acting_companies(actor: Any) -> frozenset[str]:
        if actor.company_id is not None:
            return frozenset({actor.company_id})
        return frozenset(actor.managed_company_ids)

    def _may_access(self, actor: Any, cfg: WebhookConfig) -> bool:
        if (actor.kind is KeyKind.ATS and actor.company_id is not None
                and cfg.company_id is not None and cfg.company_id != actor.company_id):
            return False  # decisions 10: acting for A never reaches B's config
        if actor.key_id == cfg.api_key_id:
            return True
        return bool(self._acting_companies(actor) & self._owning_companies(cfg))

    def _lookup(self, actor: Any, webhook_id: str) -> WebhookConfig:
        webhook_id = inputs.parse_uuid("id", webhook_id)
        cfg = self._configs.get(webhook_id)
        if cfg is None or cfg.deleted_at is not None:
            raise ResourceNotFound("WebhookConfig", webhook_id)
        if not self._may_access(actor, cfg):
            raise ResourceAccessDenied("WebhookConfig", webhook_id)
        return cfg

    # ------------------------------------------------------------ the seven operations

    def create_webhook(self, actor: Any, *, query: dict | None = None, body: Any = None):
        v = parse_webhook(body, partial=False)
        company_id = v.get("company_id")
        if company_id is None and actor.kind is KeyKind.ATS:
            company_id = actor.company_id  # `?companyId=` selects the company it is for
        if company_id is not None:
            if actor.kind is KeyKind.COMPANY and company_id != actor.company_id:
                raise ResourceAccessDenied("Company", company_id)
            if actor.kind is KeyKind.ATS and (
                    company_id not in actor.managed_company_ids
                    or (actor.company_id is not None and company_id != actor.company_id)):
                raise ResourceAccessDenied("Company", company_id)
        now = self.sim.clock.now()
        cfg = WebhookConfig(
            id=self.sim.ids.uuid(), api_key_id=actor.key_id, owner_kind=actor.kind,
            owner_company_id=actor.company_id if actor.kind is KeyKind.COMPANY else None,
            company_id=company_id, url=v["url"], events=v["events"],
            signing_secret=self.sim.ids.hex_secret(64), created_at=now, updated_at=now,
            name=v.get("name"), description=v.get("description"),
            headers=v.get("headers", []), is_active=v.get("is_active", True),
            max_retries=v.get("max_retries", 3), timeout_ms=v.get("timeout_ms", 30000))
        self._configs[cfg.id] = cfg
        return SecretShown(cfg)

    def list_webhooks(self, actor: Any, *, query: dict | None = None, body: Any = None):
        from simulator.core.entities import Page

        self._settle()
        query = query or {}
        items = [c for c in self._configs.values()
                 if c.deleted_at is None and self._may_access(actor, c)]
        if actor.kind is KeyKind.ATS and actor.company_id is not None:
            # digest: with companyId only that company's webhooks, globals excluded
            items = [c for c in items if c.company_id == actor.company_id]
        items.sort(key=lambda c: c.id)
        items.sort(key=lambda c: c.created_at, reverse=True)  # decisions 13
        page, limit = query.get("page", 1), query.get("limit", 20)
        return Page(items[(page - 1) * limit: page * limit], len(items), page, limit)

    def get_webhook(self, actor: Any, webhook_id: str, *, query: dict | None = None,
                    body: Any = None) -> WebhookConfig:
        self._settle()
        return self._lookup(actor, webhook_id)

    def update_webhook(self, actor: Any, webhook_id: str, *, query: dict | None = None,
                       body: Any = None) -> WebhookConfig:
        v = parse_webhook(body, partial=True)
        cfg = self._lookup(actor, webhook_id)
        for k, val in v.items():
            setattr(cfg, k, val)  # headers: the whole list is replaced (digest)
        if v:
            cfg.updated_at = self.sim.clock.now()
        return cfg

    def delete_webhook(self, actor: Any, webhook_id: str, *, query: dict | None = None,
                       body: Any = None) -> None:
        cfg = self._lookup(actor, webhook_id)
        cfg.deleted_at = self.sim.clock.now()
        for d in self._deliveries.values():
            if d.webhook_id == cfg.id and d.state is DeliveryState.PENDING:
                # decisions 31: its pending deliveries end FAILED, never silently dropped
                self.sim.unschedule(d.next_item)
                d.next_item = None
                d.state = DeliveryState.FAILED
                d.reason = "webhook deleted"
        return None

    def test_webhook(self, actor: Any, webhook_id: str, *, query: dict | None = None,
                     body: Any = None) -> TestResult:
        cfg = self._lookup(actor, webhook_id)
        if EventName.PING not in cfg.events:
            return TestResult(False, "Webhook is not subscribed to the 'ping' event: add "
                                     "'ping' to its events to test it")
        if not cfg.is_active:
            return TestResult(False, "Webhook is inactive, so no delivery was created: set "
                                     "isActive to true or reset its circuit")
        if cfg.circuit_opened_at is not None:
            return TestResult(False, "Webhook circuit is open, so no delivery was created: "
                                     "reset it with POST /webhooks/{id}/reset-circuit")
        data = {"webhookId": cfg.id, "message": "Test delivery from instaview-sim"}
        d = self._new_delivery(cfg, EventName.PING, _Kind.PING, None, cfg.company_id, data)
        self._dispatch(d, cfg)
        # decisions 32: one try, synchronously (the lock is released while we wait)
        self._wait_for(d, cfg.timeout_ms / 1000 + 2.0)
        last = d.tries[-1] if d.tries else None
        if last is None:
            return TestResult(False, "Webhook test failed: no answer in time", d.id)
        if last.error is None:
            return TestResult(True, "Webhook test successful!", d.id, last.status,
                              last.duration_ms)
        return TestResult(False, f"Webhook test failed: {last.error}", d.id, last.status,
                          last.duration_ms)

    def reset_webhook_circuit(self, actor: Any, webhook_id: str, *,
                              query: dict | None = None, body: Any = None) -> WebhookConfig:
        cfg = self._lookup(actor, webhook_id)
        cfg.consecutive_failures = 0
        cfg.circuit_opened_at = None
        cfg.is_active = True  # digest: answers with isActive true
        cfg.updated_at = self.sim.clock.now()
        return cfg

    # ------------------------------------------------------------ the outbox

    def deliveries(self, query: Any = None) -> list[dict]:
        """`GET /_sim/webhooks/deliveries?interviewId=&webhookId=`, oldest first."""
        self._settle()
        q: Mapping = query or {}
        errors: list = []
        interview_id = inputs._q_uuid(q, "interviewId", errors)
        webhook_id = inputs._q_uuid(q, "webhookId", errors)
        if errors:
            raise ValidationError(errors)
        out = []
        for d in self._deliveries.values():
            if interview_id and d.interview_id != interview_id:
                continue
            if webhook_id and d.webhook_id != webhook_id:
                continue
            out.append(d.to_dict())
        return out

    def emit(self, event_name: Any, interview: Any, extra: dict | None = None) -> list[Delivery]:
        """One delivery per matching config; the engine never calls this after a deletion."""
        if getattr(interview, "deleted", False):
            return []  # lifecycle.md, invariant 6: belt and braces
        event = EventName(getattr(event_name, "value", event_name))
        data = {
            "interviewId": interview.id,
            # decisions 33: the last placed attempt; null for online and test interviews
            "callAttemptId": interview.last_placed_attempt_id() if interview.is_phone else None,
            "candidateId": interview.candidate_id, "jobId": interview.job_id,
            "companyId": interview.company_id, "status": interview.status.value,
        }
        extra = dict(extra or {})
        if event is EventName.ANALYSIS_COMPLETED and "analysis" not in extra:
            extra["analysis"] = interview.analysis
        if event is EventName.INTERVIEW_FAILED and "error" not in extra:
            extra["error"] = "The interview failed"
        data.update(extra)
        made = []
        for cfg in sorted(self._configs.values(), key=lambda c: (c.created_at, c.id)):
            if (cfg.deleted_at is not None or not cfg.is_active
                    or cfg.circuit_opened_at is not None or event not in cfg.events
                    or interview.company_id not in self._owning_companies(cfg)):
                continue
            d = self._new_delivery(cfg, event, _Kind.EVENT, interview.id, interview.company_id,
                                   json.loads(json.dumps(data, default=str)))
            self.sim.journal("webhook.enqueued", interview.company_id, interview.id,
                             data["callAttemptId"], event=event.value, webhookId=cfg.id,
                             deliveryId=d.id)
            self._dispatch(d, cfg)
            made.append(d)
        return made

    def _new_delivery(self, cfg: WebhookConfig, event: EventName, kind: _Kind,
                      interview_id: str | None, company_id: str | None, data: dict) -> Delivery:
        now = self.sim.clock.now()
        did = self.sim.ids.uuid()
        body = {"event": event.value, "timestamp": iso(now), "deliveryId": did, "data": data}
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        d = Delivery(id=did, webhook_id=cfg.id, event=event, kind=kind, company_id=company_id,
                     interview_id=interview_id, body=body, raw=raw, created_at=now)
        self._deliveries[did] = d
        return d

    # ------------------------------------------------------------ tries

    def _dispatch(self, d: Delivery, cfg: WebhookConfig) -> None:
        """Sign and hand one try to the sender; pre-schedule the next try on the virtual clock
        so that a manual-clock test sees it exactly when it advances the clock."""
        at = self.sim.clock.now()
        ts = int(at.timestamp())
        headers = {h.name: h.value for h in cfg.headers}
        headers.update({
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            "X-InstaView-Event": d.event.value, "X-InstaView-Delivery": d.id,
            "X-InstaView-Timestamp": str(ts),
            "X-InstaView-Signature": sign(cfg.signing_secret, ts, d.raw),
        })
        timeout_s = cfg.timeout_ms / 1000
        d.in_flight = True
        d.in_flight_deadline = time.monotonic() + timeout_s + 2.0
        self._inflight += 1
        if d.kind is _Kind.EVENT and len(d.tries) < cfg.max_retries:
            # decisions 30: 1 + maxRetries tries; cancelled again if this try succeeds
            due = at + dt.timedelta(seconds=_backoff(len(d.tries) + 1))
            d.next_item = self.sim.schedule(due, QueueKind.WEBHOOK_TRY.value, d.id)
        else:
            d.next_item = None
        self._ensure_sender()
        self._jobs.put(_Job(self._generation, d.id, cfg.url, headers, d.raw, timeout_s, at))

    def _on_due(self, item: Any) -> None:
        """A `webhook_try` item: the next try of a delivery whose previous one failed."""
        d = self._deliveries.get(item.ref)
        if d is None or d.next_item is not item or d.state is not DeliveryState.PENDING:
            return
        cfg = self._configs.get(d.webhook_id)
        if cfg is None or cfg.deleted_at is not None:
            return
        if d.in_flight:  # the previous try has not answered yet: wait for it (lock released)
            manual = self.sim.clock.mode is ClockMode.MANUAL
            self._wait_for(d, max(0.0, d.in_flight_deadline - time.monotonic()) if manual
                           else 0.05)
            if d.in_flight:  # still no answer: try again a second later
                d.next_item = self.sim.schedule(self.sim.clock.now() + dt.timedelta(seconds=1),
                                                QueueKind.WEBHOOK_TRY.value, d.id)
                return
            if d.state is not DeliveryState.PENDING or d.next_item is not item:
                return
        d.next_item = None
        self._dispatch(d, cfg)
        if self.sim.clock.mode is ClockMode.MANUAL:
            # manual clock: a try's outcome is known before the clock moves on, so
            # `consecutiveFailures` and the circuit are exact at every virtual instant
            self._wait_for(d, max(0.0, d.in_flight_deadline - time.monotonic()))

    def _wait_for(self, d: Delivery, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._cond:
            while d.in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def _settle(self) -> None:
        """Manual clock: reads wait for the tries in flight (bounded by their timeouts)."""
        if self.sim.clock.mode is not ClockMode.MANUAL:
            return
        with self._cond:
            while self._inflight:
                pending = [d.in_flight_deadline for d in self._deliveries.values()
                           if d.in_flight]
                left = (max(pending) if pending else 0) - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def _apply(self, job: _Job, status: int | None, error: str | None, ms: int) -> None:
        """A try's result, under `sim.lock`."""
        if job.generation != self._generation:
            return  # the simulator was reset meanwhile
        d = self._deliveries.get(job.delivery_id)
        if d is None or not d.in_flight:
            return
        d.in_flight = False
        self._inflight -= 1
        d.tries.append(Try(job.at, status, error, ms))
        cfg = self._configs.get(d.webhook_id)
        if d.state is not DeliveryState.PENDING:
            return  # failed by the config's deletion meanwhile: the try is recorded only
        if error is None:
            d.state = DeliveryState.DELIVERED
            self.sim.unschedule(d.next_item)
            d.next_item = None
            if d.kind is _Kind.EVENT and cfg is not None:
                cfg.consecutive_failures = 0
            return
        if d.next_item is not None and not d.next_item.cancelled:
            return  # a retry is queued on the virtual clock (or firing now, waiting for us)
        d.state = DeliveryState.FAILED
        d.reason = "tries exhausted" if d.kind is _Kind.EVENT else "test failed"
        if d.kind is _Kind.EVENT and cfg is not None:  # decisions 32: pings never count
            cfg.consecutive_failures += 1
            if cfg.consecutive_failures >= CIRCUIT_THRESHOLD and cfg.circuit_opened_at is None:
                cfg.circuit_opened_at = self.sim.clock.now()

    # ------------------------------------------------------------ the sender thread

    def _ensure_sender(self) -> None:
        if self._sender is None or not self._sender.is_alive():
            self._sender = threading.Thread(target=self._send_loop, daemon=True,
                                            name="instaview-sim-webhooks")
            self._sender.start()

    def _send_loop(self) -> None:
        me = threading.current_thread()
        with requests.Session() as session:
            session.trust_env = False  # a local receiver must not go through a proxy
            while True:
                try:
                    job = self._jobs.get(timeout=SENDER_IDLE_SECONDS)
                except queue_mod.Empty:
                    with self._cond:  # `_dispatch` starts a new sender under the same lock
                        if self._jobs.empty():
                            if self._sender is me:
                                self._sender = None
                            return
                    continue
                if job is None:
                    return
                status, error, ms = self._post(session, job)
                with self._cond:
                    self._apply(job, status, error, ms)
                    self._cond.notify_all()

    @staticmethod
    def _post(session: requests.Session, job: _Job) -> tuple[int | None, str | None, int]:
        started = time.monotonic()
        try:
            resp = session.post(job.url, data=job.raw, headers=job.headers,
                                timeout=job.timeout_s, allow_redirects=False)
            resp.close()
            status: int | None = resp.status_code
            error = None if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}"
        except requests.Timeout:
            status, error = None, f"timed out after {int(job.timeout_s * 1000)} ms"
        except requests.RequestException as exc:
            status, error = None, f"connection failed: {type(exc).__name__}"
        except Exception as exc:  # noqa: BLE001 - a bad URL must never kill the sender
            status, error = None, f"delivery failed: {type(exc).__name__}"
        return status, error, int((time.monotonic() - started) * 1000)
