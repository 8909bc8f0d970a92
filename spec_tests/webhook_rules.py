"""Webhooks in the harness (issue #5, "In the harness"): ``WebhookLifecycle`` adds the webhook
configuration operations to the interview lifecycle machine, pointing every config at a
``WebhookReceiver`` on 127.0.0.1, and after each step checks what the receiver got:

- every try is signed with its config's ``signingSecret`` (lifecycle.md, Signing);
- nothing new arrives for an interview once it is deleted (invariant 6);
- each event the model says happened arrives once per matching active config, a retry being
  the same delivery (same ``deliveryId``); in particular exactly one ``interview.completed``
  and one ``analysis.completed`` per completion and config (invariant 8).

Which events happened is read from the model: a step that made an interview's session live
emitted ``interview.started``, one that made it ``FAILED`` ``interview.failed``, one that made
it ``COMPLETED`` (post-call done, or a test interview created) the two completion events;
nothing for a deleted interview. Configs change only in webhook steps, which emit no interview
event, so a step's events meet the configs as they are after it.

Time: deliveries run on the server's sender thread. After each step the outbox
(``GET /_sim/webhooks/deliveries``) is polled, with a bounded timeout, until no try is in
flight; the receiver records a request before answering it, so whatever the outbox shows as
answered has been recorded. On a manual clock only tries due now are expected.
"""

from __future__ import annotations

import contextlib
import re
import time
import urllib.parse
import uuid
from collections import Counter
from typing import Any, Iterator

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, initialize, invariant, multiple, precondition, rule

from . import machines
from .machines import COVERAGE, MANAGED, N_COMPANIES, InterviewLifecycle
from .model import ALL_SCOPES, Caller, Expect, Status, violation
from .transport import IN_PROCESS_URL
from .webhook_receiver import COMPLETION_EVENTS, Received, WebhookReceiver, signature_ok

INTERVIEW_EVENTS = ("interview.started", "interview.completed", "analysis.completed",
                    "interview.failed")
WEBHOOK_RULES = ("create_webhook", "update_webhook", "delete_webhook", "test_webhook")
SECRET = re.compile(r"^[0-9a-f]{64}$")
SETTLE_SECONDS = 10.0  # bound on waiting for the tries in flight after a step
POLL_SECONDS = 0.01
MAX_CONFIGS = 4  # per test case: enough to meet every routing, few reads per step

# Who makes a config: a company key (its own company's events), an ATS key acting for one
# managed company (``?companyId=``), or the ATS key with no company (every managed company).
OWNERS = (*(f"company:{i}" for i in range(N_COMPANIES)), *(f"ats:{i}" for i in MANAGED), "ats")
owners = st.sampled_from(OWNERS)
event_sets = st.sets(st.sampled_from(INTERVIEW_EVENTS), min_size=1).map(sorted)
webhook_callers = st.sampled_from(["own", "own", "own", "other"])

# ---------------------------------------------------------------- the receiver of a run

_RECEIVER: WebhookReceiver | None = None


@contextlib.contextmanager
def use_receiver(receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    """One receiver for a whole run (the suite entry); without it each test case starts
    its own and closes it in ``teardown``."""
    global _RECEIVER
    previous, _RECEIVER = _RECEIVER, receiver
    try:
        yield receiver
    finally:
        _RECEIVER = previous


def receiver_reachable(base_url: str | None) -> bool:
    """Whether the server can POST to 127.0.0.1 here: in process, or served on loopback."""
    if base_url is None:
        return False
    if base_url.rstrip("/") == IN_PROCESS_URL.rstrip("/"):
        return True
    host = (urllib.parse.urlsplit(base_url).hostname or "").lower()
    if host == "localhost" or host == "::1":
        return True
    return host.startswith("127.")


def webhooks_unavailable(target: Any) -> str | None:
    """Why the webhook rules cannot run against `target`, or None when they can."""
    if target.black_box or target.control is None:
        return "black-box: no control plane to read the outbox (/_sim/webhooks/deliveries)"
    if not receiver_reachable(target.raw.base_url):
        return ("the server is not on loopback, so it cannot reach the harness's 127.0.0.1 "
                "receiver")
    return None


@attrs.define
class Hook:
    """A config this test case made, as the model knows it."""

    id: str
    path: str
    secret: str = attrs.field(repr=False)
    events: frozenset[str]
    owners: frozenset[str]  # the companies whose events it gets (lifecycle.md, Routing)
    auth: dict = attrs.field(repr=False)  # its maker's credentials
    label: str  # its maker, e.g. "company #0" or "ATS (for company #1)"
    active: bool = True
    deleted: bool = False

    @property
    def name(self) -> str:
        return f"config {self.id} (the {self.label} key's, at {self.path})"

    def routes(self, company_id: str, event: str) -> bool:
        return (self.active and not self.deleted and event in self.events
                and company_id in self.owners)


def _ids(records: list[Received]) -> str:
    return ", ".join(str(r.delivery_id) for r in records)


class WebhookLifecycle(InterviewLifecycle):
    """The interview lifecycle plus webhook configs, with a real receiver checking every
    delivery after every step."""

    webhooks = Bundle("webhooks")

    def __init__(self) -> None:
        super().__init__()
        why = webhooks_unavailable(self.target)
        self.webhooks_on = why is None
        if why is not None:
            for name in WEBHOOK_RULES:
                machines.SKIPPED_RULES[name] = why
        self.rx: WebhookReceiver | None = None
        self._own_rx = False
        self.prefix = f"/spec/{uuid.uuid4().hex[:12]}/"
        self.hooks: dict[str, Hook] = {}
        self.hook_by_path: dict[str, Hook] = {}
        self._rx_index = 0
        # deliveries of earlier steps: id -> (path, event, interview) as first received, or
        # None for one the outbox showed but the receiver never got (a later try is no news)
        self._known: dict[str, tuple | None] = {}
        self._fresh: dict[str, Received] = {}  # deliveries first seen in this step
        self._pings_expected: set[str] = set()
        self._seen_states: dict[str, tuple] = {}  # interview -> (status, live, deleted)

    # ------------------------------------------------------------ plumbing
    def _receiver(self) -> WebhookReceiver:
        if self.rx is None:
            if _RECEIVER is not None:
                self.rx = _RECEIVER
            else:
                self.rx = WebhookReceiver()
                self._own_rx = True
            self._rx_index = self.rx.count()
        return self.rx

    def teardown(self) -> None:
        try:
            for hook in self.hooks.values():  # leave a shared server without our configs
                if not hook.deleted:
                    self.target.raw.call("delete_webhook", {"id": hook.id}, hook.auth)
        finally:
            if self._own_rx and self.rx is not None:
                self.rx.close()
            super().teardown()

    def _maker(self, owner: str, name_company: bool) -> tuple[dict, dict, frozenset[str], str]:
        """(auth, extra body, owning companies, label) for a config made by `owner`."""
        cid = self.company_ids
        if owner.startswith("company:"):
            i = int(owner.split(":")[1])
            body = {"companyId": cid[i]} if name_company else {}
            return (self._auth(self.keys["full"][i]), body, frozenset({cid[i]}),
                    f"company #{i}")
        ats = self.keys["ats"]
        if owner.startswith("ats:"):
            i = int(owner.split(":")[1])
            return (self._auth(ats, cid[i]), {}, frozenset({cid[i]}), f"ATS (for company #{i})")
        if name_company:  # the ATS key naming the company in the body instead
            return (self._auth(ats), {"companyId": cid[MANAGED[0]]},
                    frozenset({cid[MANAGED[0]]}), f"ATS (body companyId #{MANAGED[0]})")
        return (self._auth(ats), {}, frozenset(cid[i] for i in MANAGED),
                "ATS (every managed company)")

    def _who(self, hook: Hook, caller: str) -> tuple[Caller, Expect | None]:
        """The caller of an operation on `hook`, and the refusal the model expects (None when
        it is allowed)."""
        full = frozenset(ALL_SCOPES)
        if caller == "own":
            who = Caller(f"{hook.label} (its maker)", hook.auth, None, full)
        else:  # a company key of a company the config is not routed to: decisions.md 11
            outsider = next(i for i, c in enumerate(self.company_ids) if c not in hook.owners)
            who = Caller(f"company #{outsider}", self._auth(self.keys["full"][outsider]),
                         self.company_ids[outsider], full)
        if hook.deleted:
            return who, Expect.error(404, "RESOURCE_NOT_FOUND", None, "webhook deleted")
        if caller != "own":
            return who, Expect.error(403, "RESOURCE_ACCESS_DENIED", 2,
                                     "another company's webhook config")
        return who, None

    # ------------------------------------------------------------ tenants and the first config
    @initialize(target=webhooks,
                limits=st.lists(st.integers(1, 2), min_size=N_COMPANIES, max_size=N_COMPANIES),
                max_attempts=st.integers(1, 3),
                first=st.one_of(st.none(), st.tuples(owners, event_sets, st.booleans(),
                                                     st.booleans(), st.booleans())))
    def setup_tenants(self, limits: list[int], max_attempts: int,
                      first: tuple | None = None) -> Any:
        """The base machine's tenants, then (usually) a first config, so that most test
        cases have deliveries to check from their first step on."""
        super().setup_tenants(limits, max_attempts)
        if first is None or not self.webhooks_on:
            return multiple()
        owner, events, ping, flaky, name_company = first
        return self.create_webhook(owner, events, ping, flaky, name_company)

    # ------------------------------------------------------------ rules
    @precondition(lambda self: self.webhooks_on and self.model is not None
                  and sum(not h.deleted for h in self.hooks.values()) < MAX_CONFIGS)
    @rule(target=webhooks, owner=owners, events=event_sets, ping=st.booleans(),
          flaky=st.booleans(), name_company=st.booleans())
    def create_webhook(self, owner: str, events: list[str], ping: bool, flaky: bool,
                       name_company: bool) -> Any:
        """A config pointing at a fresh path of the receiver; `flaky`: the receiver answers
        its first request 500 (the delivery is retried, as the same delivery)."""
        rx = self._receiver()
        path = f"{self.prefix}{len(self.hooks)}"
        if flaky:
            rx.script(path, [500])
        auth, extra, owning, label = self._maker(owner, name_company)
        subscribed = [*events, "ping"] if ping else list(events)
        body = {"url": rx.url(path), "events": subscribed, "name": f"spec {path}", **extra}
        who = Caller(label, auth, None, frozenset(ALL_SCOPES))
        out = self._call("create_webhook", {"body": body}, who, Expect.success(201), None)
        data = out.data
        what = f"create_webhook by the {label} key"
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise violation(11, f"{what} returned {data!r:.200}, not a config")
        secret = data.get("signingSecret")
        if not isinstance(secret, str) or not SECRET.match(secret):
            raise AssertionError(f"Webhooks: {what}: signingSecret is not 64 lowercase hex "
                                 f"characters (instaview-docs, Webhook configurations)")
        if sorted(data.get("events") or ()) != sorted(subscribed) or data.get("isActive") \
                is not True or data.get("url") != body["url"]:
            raise AssertionError(
                f"Webhooks: {what}: answered events={data.get('events')}, isActive="
                f"{data.get('isActive')}, url={data.get('url')}; sent events={subscribed}, "
                f"url={body['url']} (a new config is active)")
        hook = Hook(id=data["id"], path=path, secret=secret, events=frozenset(subscribed),
                    owners=owning, auth=auth, label=label)
        self.hooks[hook.id] = hook
        self.hook_by_path[path] = hook
        return hook.id

    @precondition(lambda self: self.webhooks_on)
    @rule(webhook=webhooks, active=st.booleans(), caller=webhook_callers)
    def update_webhook(self, webhook: str, active: bool, caller: str) -> None:
        hook = self.hooks[webhook]
        who, refusal = self._who(hook, caller)
        out = self._call("update_webhook", {"id": hook.id, "body": {"isActive": active}}, who,
                         refusal or Expect.success(), None)
        if refusal is not None:
            return
        data = out.data if isinstance(out.data, dict) else {}
        if data.get("id") != hook.id or data.get("isActive") is not active:
            raise AssertionError(f"Webhooks: update_webhook {hook.id} isActive={active} "
                                 f"answered id={data.get('id')}, isActive={data.get('isActive')}")
        if "signingSecret" in data:
            raise AssertionError(f"Webhooks: update_webhook {hook.id} shows the signingSecret; "
                                 "it is returned only by create (instaview-docs)")
        hook.active = active

    @precondition(lambda self: self.webhooks_on)
    @rule(webhook=webhooks, caller=webhook_callers)
    def delete_webhook(self, webhook: str, caller: str) -> None:
        hook = self.hooks[webhook]
        who, refusal = self._who(hook, caller)
        self._call("delete_webhook", {"id": hook.id}, who, refusal or Expect.success(204),
                   None)
        if refusal is None:
            hook.deleted = True

    @precondition(lambda self: self.webhooks_on)
    @rule(webhook=webhooks, caller=webhook_callers)
    def test_webhook(self, webhook: str, caller: str) -> None:
        hook = self.hooks[webhook]
        who, refusal = self._who(hook, caller)
        if refusal is None:
            if "ping" not in hook.events:
                tried, why = False, "not subscribed to ping"
            elif not hook.active:
                tried, why = False, "inactive, so no delivery is created"
            else:
                tried, why = True, "active and subscribed to ping"
            answer = self._receiver().next_status(hook.path)
            success = tried and 200 <= answer < 300
        out = self._call("test_webhook", {"id": hook.id}, who, refusal or Expect.success(),
                         None)
        if refusal is not None:
            return
        data = out.data if isinstance(out.data, dict) else {}
        what = f"test_webhook {hook.id} ({why}; the receiver answers {answer})"
        if data.get("success") is not success or not isinstance(data.get("message"), str):
            raise AssertionError(f"Webhooks: {what}: answered success={data.get('success')!r}"
                                 f", message={data.get('message')!r}; expected success="
                                 f"{success} and a message")
        delivery = data.get("deliveryId")
        if tried != isinstance(delivery, str):
            raise AssertionError(f"Webhooks: {what}: deliveryId={delivery!r}; a ping delivery "
                                 f"is {'made' if tried else 'not made'} here")
        if tried:
            self._pings_expected.add(delivery)

    @precondition(lambda self: self.webhooks_on)
    @rule(target=InterviewLifecycle.interviews, webhook=webhooks, pick=st.integers(0, 1),
          kind=st.sampled_from(["PHONE", "ONLINE"]), is_test=st.booleans())
    def create_interview_for(self, webhook: str, pick: int, kind: str, is_test: bool) -> Any:
        """create_interview by its company's key in a company `webhook` routes: the base rule
        with arguments that make deliveries likely (a test interview completes at once)."""
        owners = sorted(self.company_index[c] for c in self.hooks[webhook].owners)
        return self.create_interview(owners[pick % len(owners)], kind, 0, is_test, "own")

    @precondition(lambda self: self.webhooks_on and any(
        iv.kind.value == "ONLINE" and iv.status is Status.SCHEDULED and not iv.deleted
        for iv in self.model.interviews.values()))
    @rule(pick=st.integers(0, 3))
    def join_scheduled(self, pick: int) -> None:
        """join of a SCHEDULED online interview: the base rule on an interview it can
        start, so that sessions (interview.started, then completion or failure) happen."""
        waiting = [iv.id for iv in self.model.interviews.values()
                   if iv.kind.value == "ONLINE" and iv.status is Status.SCHEDULED
                   and not iv.deleted]
        self.join(waiting[pick % len(waiting)])

    # ------------------------------------------------------------ waiting for the outbox
    def _settle(self) -> list[str]:
        """Poll the outbox of this test case's configs until no try is in flight (bounded);
        the delivery ids it shows."""
        control = self.target.control
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            busy: list[str] = []
            shown: list[str] = []
            for hook in self.hooks.values():
                if hook.deleted:
                    continue  # its pending deliveries ended FAILED (decisions.md 31)
                out = control.raw("GET", "/webhooks/deliveries", query={"webhookId": hook.id})
                if not out.ok or not isinstance(out.data, list):
                    raise AssertionError(f"Webhooks: GET /_sim/webhooks/deliveries?webhookId="
                                         f"{hook.id} answered {out.status} {out.code}: "
                                         f"{out.message} (control-plane.md)")
                for d in out.data:
                    shown.append(d["deliveryId"])
                    if d.get("inFlight") or (d.get("state") == "PENDING" and not d.get("tries")):
                        busy.append(d["deliveryId"])
            if not busy:
                return shown
            if time.monotonic() > deadline:
                raise AssertionError(f"Webhooks: deliveries {busy} were still being tried "
                                     f"{SETTLE_SECONDS:.0f} s after the step (receiver on "
                                     f"{self.rx.base_url if self.rx else '?'})")
            time.sleep(POLL_SECONDS)

    def _collect(self) -> None:
        """Read what arrived since the last look: judge each try's signature, and each new
        delivery against deletions (invariant 6)."""
        self._settle()
        records, self._rx_index = self.rx.received_since(self._rx_index)
        for r in records:
            if not r.path.startswith(self.prefix):
                continue  # another test case's receiver path (one receiver per run)
            hook = self.hook_by_path.get(r.path)
            if hook is None:
                raise AssertionError(f"Webhooks: a request arrived at {r.path}, where no "
                                     "config of this test case points")
            COVERAGE["invariants"]["webhooks: signed"] += 1
            try:
                body = r.json
            except ValueError:
                raise AssertionError(f"Webhooks: a delivery to {hook.name} "
                                     f"is not JSON: {r.raw[:80]!r}") from None
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict) or r.event != body.get("event") \
                    or r.delivery_id != body.get("deliveryId") or not r.delivery_id:
                raise AssertionError(
                    f"Webhooks: a delivery to {hook.name}: headers name "
                    f"{r.event}/{r.delivery_id}, the body says {body.get('event')}/"
                    f"{body.get('deliveryId')} (lifecycle.md, Body and Signing)")
            if not signature_ok(hook.secret, r):
                raise AssertionError(
                    f"Webhooks: delivery {r.delivery_id} ({r.event}) to {hook.name} is not "
                    "signed with that config's signingSecret: "
                    "X-InstaView-Signature must be sha256=HMAC-SHA256(secret, "
                    "'<X-InstaView-Timestamp>.<raw body>') (lifecycle.md, Signing)")
            did, iv_id = r.delivery_id, data.get("interviewId")
            if did in self._known or did in self._fresh:  # a retry: the same delivery
                first = self._known.get(did) if did in self._known else (
                    self._fresh[did].path, self._fresh[did].event,
                    self._fresh[did].json["data"].get("interviewId"))
                if first is not None and first != (r.path, r.event, iv_id):
                    raise AssertionError(f"Webhooks: delivery {did} arrived as {first} and "
                                         f"again as {(r.path, r.event, iv_id)}")
                continue
            self._fresh[did] = r
            if r.event == "ping":
                if data.get("webhookId") != hook.id:
                    raise AssertionError(f"Webhooks: ping {did} to {hook.name} names webhook "
                                         f"{data.get('webhookId')} (decisions.md 33)")
                continue
            iv = self.model.interviews.get(iv_id)
            if iv is None:
                raise AssertionError(f"Webhooks: {r.event} delivery {did} to {hook.name} "
                                     f"names interview {iv_id}, which this test case "
                                     "never created")
            COVERAGE["invariants"]["6 (webhooks)"] += 1
            if iv.deleted:
                raise violation(6, f"webhook {r.event} (delivery {did}) for interview {iv_id} "
                                   f"arrived at the receiver of {hook.name} "
                                   f"after the interview's deletion (step {self.step.op})")

    # ------------------------------------------------------------ what should have arrived
    def _states(self) -> dict[str, tuple]:
        return {i: (iv.status, iv.live, iv.deleted) for i, iv in self.model.interviews.items()}

    def _happened(self) -> list[tuple[str, str, str]]:
        """(interview, event, what happened) for each event the model says this step
        emitted."""
        out = []
        for iv_id, (status, live, deleted) in self._states().items():
            if deleted:
                continue  # lifecycle.md: nothing is emitted for a deleted interview
            before = self._seen_states.get(iv_id)
            b_status, b_live = (before[0], before[1]) if before else (None, False)
            if live and not b_live:
                out.append((iv_id, "interview.started", "started a session"))
            if status is Status.FAILED and b_status is not Status.FAILED:
                out.append((iv_id, "interview.failed", "failed"))
            if status is Status.COMPLETED and b_status is not Status.COMPLETED:
                for event in COMPLETION_EVENTS:
                    out.append((iv_id, event, "completed"))
        return out

    def _check_arrivals(self) -> None:
        """Each event once per matching active config (invariant 8 for the completion
        events), nothing else; pings only from this step's test_webhook."""
        model = self.model
        expected: Counter = Counter()
        why: dict[tuple, str] = {}
        for iv_id, event, what in self._happened():
            for hook in self.hooks.values():
                if hook.routes(model.interviews[iv_id].company, event):
                    expected[(hook.id, iv_id, event)] += 1
                    why[(hook.id, iv_id, event)] = what
        got: dict[tuple, list[Received]] = {}
        pings = set()
        for did, r in self._fresh.items():
            if r.event == "ping":
                pings.add(did)
                continue
            key = (self.hook_by_path[r.path].id, r.json["data"].get("interviewId"), r.event)
            got.setdefault(key, []).append(r)
        for key in sorted(set(expected) | set(got), key=str):
            hook_id, iv_id, event = key
            arrived = got.get(key, [])
            if len(arrived) == expected[key]:
                continue
            hook = self.hooks[hook_id]
            iv = model.interviews[iv_id]
            company = self.company_index[iv.company]
            if expected[key]:
                story = (f"interview {iv_id} (company #{company}) {why[key]} in step "
                         f"{self.step.op}, so {hook.name} (subscribed, "
                         f"active) expected {expected[key]} {event} delivery")
            else:
                reason = ("it is inactive" if not hook.active else "it is deleted"
                          if hook.deleted else f"it does not subscribe to {event}"
                          if event not in hook.events else "it does not route company "
                          f"#{company}" if iv.company not in hook.owners
                          else f"no {event} happened to the interview in this step "
                               f"({iv.status.value})")
                story = (f"{hook.name} expected no {event} delivery for "
                         f"interview {iv_id} in step {self.step.op}: {reason}")
            message = (f"{story}, got {len(arrived)} ({_ids(arrived) or 'none'}; a retry "
                       "keeps its deliveryId)")
            if event in COMPLETION_EVENTS:
                raise violation(8, message)
            raise AssertionError(f"Webhooks: {message}")
        if pings != self._pings_expected:
            raise AssertionError(f"Webhooks: pings {sorted(pings)} arrived in step "
                                 f"{self.step.op}; test_webhook announced "
                                 f"{sorted(self._pings_expected)}")
        COVERAGE["invariants"]["8 (webhooks)"] += sum(
            1 for k in expected if k[2] in COMPLETION_EVENTS)
        COVERAGE["invariants"]["webhooks: once per config"] += len(expected)

    # ------------------------------------------------------------ the checks
    @invariant()
    def server_keeps_the_promises(self) -> None:
        """The base machine's invariants, with the receiver's view around them: signatures
        and deletions first (they need nothing but the deletions the server confirmed),
        then, once the base checks agree with the model, each event once per config."""
        watching = self.webhooks_on and self.model is not None and bool(self.hooks)
        if watching:
            self._collect()
        super().server_keeps_the_promises()
        if self.model is None:
            return
        if watching:
            self._collect()  # what a clock moved by another test case meanwhile delivered
            self._check_arrivals()
            for did, r in self._fresh.items():
                self._known[did] = (r.path, r.event, r.json["data"].get("interviewId"))
            for did in self._settle():  # tried but never arrived: a retry is not new
                self._known.setdefault(did, None)
        self._fresh.clear()
        self._pings_expected.clear()
        self._seen_states = self._states()
