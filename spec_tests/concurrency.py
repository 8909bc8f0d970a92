"""The concurrency mode of the harness (issue #6, part 3): a sequential prefix, then two or
three branches of requests in parallel threads against a real threaded server, a recorded
history (invoke and return times), and a check that the history is linearizable against a
sequential model of ``lifecycle.md``; the final state the server shows must be the model's
state after the order found.

    python -m spec_tests.concurrency [--base-url URL] [--runs N] [--seed S] [--scenario NAME]

Without ``--base-url`` it starts its own ``instaview-sim serve --clock manual`` process. A
server given by URL must run the manual clock and nobody else may move its clock during the
run (every scenario creates its own company; nothing is reset).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import itertools
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import requests
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from .drivers import ControlPlane, HttpDriver, Outcome
from .linearize import Call, Verdict, explain, linearize, timeline

# ================================================================ the sequential model
# Written from lifecycle.md and decisions.md for one company (the scenario's own); it never
# imports `simulator`. Times are the server's virtual clock.

SCHEDULED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED = (
    "SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED")
OUTCOMES = ("COMPLETED", "NO_ANSWER", "BUSY", "FAILED")


def parse_time(raw: str) -> datetime:
    return datetime.fromisoformat(raw)  # 3.11 reads the "Z"


def iso(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


@attrs.define
class MAttempt:
    status: str
    due: datetime
    seq: int
    waiting: bool = False  # a clock move found it due with every slot busy
    recording: bool = False


@attrs.define
class MInterview:
    kind: str  # PHONE | ONLINE
    status: str = SCHEDULED
    deleted: bool = False
    live: bool = False
    attempts: list[MAttempt] = attrs.field(factory=list)
    placed: int = 0
    postcall: str | None = None  # PENDING | DONE | SKIPPED
    postcall_due: tuple[datetime, int] | None = None
    transcript: bool = False

    def live_attempt(self) -> MAttempt | None:
        return next((a for a in self.attempts if a.status == IN_PROGRESS), None)


@attrs.define
class ConcModel:
    """One company's interviews, its queue (due, seq), its slots and the clock."""

    now: datetime
    limit: int
    max_attempts: int
    retry_delay: int
    postcall_delay: int
    interviews: dict[str, MInterview] = attrs.field(factory=dict)
    seq: int = 0

    def key(self) -> str:
        return repr(self)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def free_slots(self) -> int:
        return self.limit - sum(1 for iv in self.interviews.values() if iv.live)

    def scheduled(self) -> list[tuple[str, MInterview, MAttempt]]:
        return sorted(((i, iv, a) for i, iv in self.interviews.items() if not iv.deleted
                       for a in iv.attempts if a.status == SCHEDULED),
                      key=lambda t: (t[2].due, t[2].seq))

    # ---- effects (lifecycle.md)
    def start(self, iv: MInterview, attempt: MAttempt | None) -> None:
        iv.live, iv.status = True, IN_PROGRESS
        if attempt is not None:
            attempt.status, attempt.waiting = IN_PROGRESS, False
            iv.placed += 1

    def fill_slots(self, started: list[str]) -> None:
        """A freed slot goes at once to the earliest due attempt (due, seq): one a clock move
        found blocked, or one due that no clock move has reached yet (lifecycle.md invariant
        7: a due attempt waits only while every slot is busy)."""
        while self.free_slots() > 0:
            waiting = [t for t in self.scheduled() if t[2].waiting or t[2].due <= self.now]
            if not waiting:
                return
            iv_id, iv, attempt = waiting[0]
            self.start(iv, attempt)
            started.append(iv_id)

    def advance(self, seconds: float) -> list[str]:
        """Run every due item in (due, seq) order, stepping the clock; returns the ids of the
        interviews whose session started, in order."""
        target = self.now + timedelta(seconds=seconds)
        started: list[str] = []
        while True:
            items = [(a.due, a.seq, i, iv, a) for i, iv, a in self.scheduled()
                     if not a.waiting and a.due <= target]
            items += [(iv.postcall_due[0], iv.postcall_due[1], i, iv, None)
                      for i, iv in self.interviews.items()
                      if iv.postcall == "PENDING" and iv.postcall_due[0] <= target]
            if not items:
                break
            due, _, iv_id, iv, attempt = min(items, key=lambda t: (t[0], t[1]))
            self.now = max(self.now, due)
            if attempt is None:  # post-call processing
                iv.postcall, iv.postcall_due = "DONE", None
                iv.transcript, iv.status = True, COMPLETED
            elif self.free_slots() > 0:
                self.start(iv, attempt)
                started.append(iv_id)
            else:
                attempt.waiting = True
        self.now = max(self.now, target)
        return started

    def end(self, iv: MInterview, outcome: str, started: list[str]) -> None:
        iv.live = False
        attempt = iv.live_attempt()
        if attempt is not None:
            attempt.status = COMPLETED if outcome == "COMPLETED" else FAILED
            attempt.recording = outcome == "COMPLETED" and not iv.deleted
        if iv.deleted:  # lifecycle.md, Deletion: the call went on; nothing follows it
            iv.postcall = "SKIPPED"
        elif outcome == "COMPLETED":
            iv.postcall = "PENDING"
            iv.postcall_due = (self.now + timedelta(seconds=self.postcall_delay),
                               self.next_seq())
        elif outcome in ("NO_ANSWER", "BUSY") and iv.placed < self.max_attempts:
            iv.attempts.append(MAttempt(SCHEDULED, self.now + timedelta(
                seconds=self.retry_delay), self.next_seq()))
            iv.status = SCHEDULED
        else:
            iv.status = FAILED
        self.fill_slots(started)

    def delete(self, iv: MInterview) -> None:
        iv.deleted = True
        for a in iv.attempts:
            if a.status == SCHEDULED:
                a.status, a.waiting = CANCELLED, False
            a.recording = False
        if iv.postcall == "PENDING":
            iv.postcall, iv.postcall_due = "SKIPPED", None
        iv.transcript = False


# ---- judging one call: each returns None (the model gives this answer) or a complaint

def _answer(out: Any) -> str:
    if out is None:
        return "no answer"
    if isinstance(out, Outcome):
        return f"{out.status} success" if out.ok else f"{out.status} {out.code}"
    return "observed"


def _want_error(out: Outcome | None, status: int, code: str, why: str) -> str | None:
    if out is None or (not out.ok and out.status == status and out.code == code):
        return None
    return f"the model answers {status} {code} ({why}); the server answered {_answer(out)}"


def _want_ok(out: Outcome | None, status: int, why: str) -> str | None:
    if out is None or (out.ok and out.status == status):
        return None
    extra = f": {out.message}" if not out.ok and out.message else ""
    return (f"the model answers {status} success ({why}); the server answered "
            f"{_answer(out)}{extra}")


def _interview_of(model: ConcModel, iv_id: str) -> MInterview | None:
    return model.interviews.get(iv_id)


def step_create_interview(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    when = parse_time(args["at"]) if args.get("at") else m.now
    if when < m.now:  # decisions.md 15: past = strictly before now
        return _want_error(out, 400, "VALIDATION_ERROR", "scheduleTime is in the past")
    if out is None:
        return None  # no answer: its id is unknown, it cannot be followed
    if problem := _want_ok(out, 201, "a valid create"):
        return problem
    data = out.data or {}
    iv_id = data.get("id")
    if iv_id in m.interviews:
        return f"the server answered an id it had already given: {iv_id}"
    attempts = [a.get("status") for a in data.get("callAttempts") or ()]
    expected = [SCHEDULED] if args["kind"] == "PHONE" else []
    if data.get("status") != SCHEDULED or attempts != expected:
        return (f"the created interview is {data.get('status')} with attempts {attempts}; "
                f"the model says SCHEDULED with {expected}")
    iv = MInterview(kind=args["kind"])
    if args["kind"] == "PHONE":
        iv.attempts.append(MAttempt(SCHEDULED, when, m.next_seq()))
    m.interviews[iv_id] = iv
    return None


def step_get_interview(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    iv = _interview_of(m, args["id"])
    if iv is None or iv.deleted:
        return _want_error(out, 404, "RESOURCE_NOT_FOUND", f"{args['id']} is deleted")
    if problem := _want_ok(out, 200, f"{args['id']} exists"):
        return problem
    if out is None:
        return None
    data = out.data or {}
    attempts = [a.get("status") for a in data.get("callAttempts") or ()]
    expected = [a.status for a in iv.attempts]
    if data.get("status") != iv.status or attempts != expected:
        return (f"get_interview shows {data.get('status')} with attempts {attempts}; the model "
                f"has {iv.status} with {expected} at this point")
    return None


def step_delete_interview(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    iv = _interview_of(m, args["id"])
    if iv is None or iv.deleted:
        return _want_error(out, 404, "RESOURCE_NOT_FOUND",
                           f"{args['id']} was already deleted")
    if problem := _want_ok(out, 200, f"{args['id']} exists"):
        return problem
    if out is not None and out.data is not True:
        return f"delete_interview answered data {out.data!r}; api.md gives true"
    m.delete(iv)
    return None


def step_list_interviews(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    if problem := _want_ok(out, 200, "listing"):
        return problem
    if out is None:
        return None
    shown = {item["id"]: item.get("status") for item in (out.data or {}).get("data", ())}
    expected = {i: iv.status for i, iv in m.interviews.items() if not iv.deleted}
    if shown != expected or (out.data or {}).get("total") != len(expected):
        return f"list_interviews shows {shown}; the model lists {expected}"
    return None


def step_end_call(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    iv = _interview_of(m, args["id"])
    if iv is None:
        return _want_error(out, 404, "RESOURCE_NOT_FOUND", "unknown interview")
    if iv.kind == "ONLINE" and args["outcome"] in ("NO_ANSWER", "BUSY"):
        return _want_error(out, 400, "VALIDATION_ERROR", "NO_ANSWER/BUSY on an online call")
    if not iv.live:
        return _want_error(out, 409, "INVALID_STATE_TRANSITION",
                           f"{args['id']} has no live session")
    if problem := _want_ok(out, 200, f"{args['id']} has a live session"):
        return problem
    m.end(iv, args["outcome"], [])
    if out is not None:
        data = out.data or {}
        seen = (data.get("status"), data.get("sessionLive"), data.get("postCall"))
        want = (iv.status, False, iv.postcall)
        if seen != want:
            return (f"end_call shows (status, sessionLive, postCall) = {seen}; the model has "
                    f"{want}")
    return None


def step_join(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    iv = _interview_of(m, args["id"])
    if iv is None:
        return _want_error(out, 404, "RESOURCE_NOT_FOUND", "unknown interview")
    if iv.kind == "PHONE":
        return _want_error(out, 400, "INVALID_STATE", "join on a phone interview")
    if iv.deleted or iv.status != SCHEDULED or m.free_slots() <= 0:
        why = ("deleted" if iv.deleted else f"{iv.status}" if iv.status != SCHEDULED
               else "no free slot")
        return _want_error(out, 409, "INVALID_STATE_TRANSITION", why)
    if problem := _want_ok(out, 200, "a scheduled online interview with a free slot"):
        return problem
    m.start(iv, None)
    return None


def step_advance_clock(m: ConcModel, args: dict, out: Outcome | None) -> str | None:
    if problem := _want_ok(out, 200, "advance"):
        return problem
    started = m.advance(args["seconds"])
    if out is None:
        return None
    data = out.data or {}
    if parse_time(data.get("now")) != m.now:
        return f"the clock is at {data.get('now')} after the advance; the model says {iso(m.now)}"
    ran = [e.get("interviewId") for e in data.get("ran", ())
           if e.get("type") == "session.started" and e.get("interviewId") in m.interviews]
    if ran != started:
        return f"the advance started sessions for {ran}; the model starts {started}"
    return None


def step_observe(m: ConcModel, args: dict, obs: dict | None) -> str | None:
    """The final reads: the control plane's view of every interview, the list, the company's
    slots and queue, the simulator's invariants and its journal."""
    if obs is None:
        return None
    problems: list[str] = []
    for iv_id, iv in m.interviews.items():
        view = obs["internal"].get(iv_id) or {}
        seen = {"deleted": view.get("deleted"), "status": view.get("status"),
                "sessionLive": view.get("sessionLive"), "postCall": view.get("postCall"),
                "queued": view.get("queued"),
                "attempts": [a.get("status") for a in view.get("callAttempts") or ()],
                "recordings": [bool(a.get("recordingUrl")) for a in view.get("callAttempts")
                               or ()],
                "transcript": view.get("transcript") is not None}
        want = {"deleted": iv.deleted, "status": iv.status, "sessionLive": iv.live,
                "postCall": iv.postcall, "queued": any(
                    a.status == SCHEDULED for a in iv.attempts) and not iv.deleted,
                "attempts": [a.status for a in iv.attempts],
                "recordings": [a.recording for a in iv.attempts],
                "transcript": iv.transcript}
        diff = {k: (seen[k], want[k]) for k in want if seen[k] != want[k]}
        if diff:
            problems.append(f"/_sim/interviews/{iv_id} differs (server, model): {diff}")
    listed = set(obs["listed"])
    expected = {i for i, iv in m.interviews.items() if not iv.deleted}
    if listed != expected:
        problems.append(f"list_interviews shows {sorted(listed)}; the model {sorted(expected)}")
    state = obs["state"] or {}
    live = sum(1 for iv in m.interviews.values() if iv.live)
    waiting = sum(1 for _, _, a in m.scheduled() if a.waiting)
    queued = len(m.scheduled())
    seen_state = (state.get("liveSessions"), state.get("waiting"), state.get("queued"))
    if seen_state != (live, waiting, queued):
        problems.append(f"/_sim/state (liveSessions, waiting, queued) = {seen_state}; the "
                        f"model has {(live, waiting, queued)}")
    problems += journal_problems(obs["events"], m.limit)
    if not obs["invariants"].get("ok", False):
        problems.append(f"/_sim/invariants: {obs['invariants'].get('violations')}")
    return "; ".join(problems) or None


def journal_problems(events: Sequence[dict], limit: int) -> list[str]:
    """What must hold at every instant, read from the journal: live sessions within the
    limit, one session at a time per interview, no session started after its interview was
    deleted, and each slot released exactly once."""
    problems: list[str] = []
    live: set[str] = set()
    deleted: set[str] = set()
    for e in events:
        iv_id, kind = e.get("interviewId"), e.get("type")
        if kind == "interview.deleted":
            deleted.add(iv_id)
        elif kind == "slot.acquired":
            if iv_id in live:
                problems.append(f"a second slot was taken for {iv_id} while its session was "
                                "live")
            live.add(iv_id)
            if len(live) > limit:
                problems.append(f"{len(live)} sessions live at once (limit {limit}) when "
                                f"{iv_id} started")
        elif kind == "slot.released":
            if iv_id not in live:
                problems.append(f"the slot of {iv_id} was released with no session live")
            live.discard(iv_id)
        elif kind == "session.started" and iv_id in deleted:
            problems.append(f"a session started for {iv_id} after it was deleted")
    return problems


STEPS: dict[str, Callable[[ConcModel, dict, Any], str | None]] = {
    "create_interview": step_create_interview,
    "get_interview": step_get_interview,
    "delete_interview": step_delete_interview,
    "list_interviews": step_list_interviews,
    "end_call": step_end_call,
    "join": step_join,
    "advance_clock": step_advance_clock,
    "observe": step_observe,
}


def model_step(state: ConcModel, call: Call) -> tuple[ConcModel, str | None]:
    """The pure step the checker needs: a copy of the state, the call applied to it."""
    new = copy.deepcopy(state)
    out = None if call.return_ns is None else call.outcome
    return new, STEPS[call.op](new, call.args, out)


# ================================================================ scenarios

@attrs.frozen
class Ref:
    """An interview named in a plan ("A"), resolved to its id when the call is made."""

    name: str


@attrs.frozen
class Req:
    """One call of a plan. ``bind`` names the interview a create makes; ``delay_us`` is a
    pause before the call (varies which branch gets in first)."""

    op: str
    args: dict = attrs.field(factory=dict)
    bind: str | None = None
    delay_us: int = 0


@attrs.frozen
class Plan:
    scenario: str
    params: dict
    settings: dict
    prefix: list[Req]
    branches: list[list[Req]]
    suffix: list[Req]


SETTINGS = {"retryDelaySeconds": 600, "postCallDelaySeconds": 30, "maxCallAttempts": 2,
            "autoEndCallSeconds": None}
jitter = st.lists(st.integers(0, 1500), min_size=3, max_size=3)


def _with_delay(req: Req, delay: int) -> Req:
    return attrs.evolve(req, delay_us=delay)


def _branches(*reqs: list[Req], delays: Sequence[int]) -> list[list[Req]]:
    return [[_with_delay(b[0], delays[i]), *b[1:]] for i, b in enumerate(reqs) if b]


def _bring_to(stage: str, kind: str) -> list[Req]:
    """Prefix calls taking interview A (due now) to `stage`."""
    start = [Req("advance_clock", {"seconds": 0})] if kind == "PHONE" else [
        Req("join", {"id": Ref("A")})]
    if stage == "scheduled":
        return []
    if stage == "live":
        return start
    return [*start, Req("end_call", {"id": Ref("A"), "outcome": "COMPLETED",
                                     "durationSeconds": 120}),
            Req("advance_clock", {"seconds": SETTINGS["postCallDelaySeconds"]})]


def _third(what: str | None) -> list[Req]:
    if what == "get":
        return [Req("get_interview", {"id": Ref("A")})]
    if what == "list":
        return [Req("list_interviews")]
    return []


@st.composite
def two_deletes(draw: Any, kind: str, stage: str, third: str | None) -> Plan:
    """Two deletes of one interview: exactly one 200, the other 404."""
    delays = draw(jitter)
    prefix = [Req("create_interview", {"kind": kind}, bind="A"), *_bring_to(stage, kind)]
    delete = [Req("delete_interview", {"id": Ref("A")})]
    return Plan("two_deletes", {"kind": kind, "stage": stage, "third": third,
                                "delays_us": delays},
                {"concurrencyLimit": 1, **SETTINGS}, prefix,
                _branches(delete, delete, _third(third), delays=delays),
                [Req("advance_clock", {"seconds": SETTINGS["postCallDelaySeconds"]})])


@st.composite
def delete_vs_end_call(draw: Any, kind: str, outcome: str, third: str | None) -> Plan:
    """Delete racing end-call of a live call: either order, the slot released once, no
    post-call data when the delete came first."""
    duration = draw(st.integers(1, 900))
    delays = draw(jitter)
    prefix = [Req("create_interview", {"kind": kind}, bind="A"), *_bring_to("live", kind)]
    branches = _branches([Req("delete_interview", {"id": Ref("A")})],
                         [Req("end_call", {"id": Ref("A"), "outcome": outcome,
                                           "durationSeconds": duration})],
                         _third(third), delays=delays)
    after = max(SETTINGS["postCallDelaySeconds"], SETTINGS["retryDelaySeconds"]) + 1
    return Plan("delete_vs_end_call", {"kind": kind, "outcome": outcome, "third": third,
                                       "delays_us": delays},
                {"concurrencyLimit": 1, **SETTINGS}, prefix, branches,
                [Req("advance_clock", {"seconds": after})])


@st.composite
def delete_vs_advance(draw: Any, end: str, third: str | None) -> Plan:
    """Delete racing a clock advance that would start the call: the call never starts, or
    it started and the delete found it live; never a session for a deleted interview."""
    due_in = draw(st.integers(1, 120))
    extra = draw(st.integers(0, 60))
    delays = draw(jitter)
    prefix = [Req("create_interview", {"kind": "PHONE", "in": due_in}, bind="A")]
    branches = _branches([Req("delete_interview", {"id": Ref("A")})],
                         [Req("advance_clock", {"seconds": due_in + extra})],
                         _third(third), delays=delays)
    suffix = [Req("end_call", {"id": Ref("A"), "outcome": end, "durationSeconds": 60}),
              Req("advance_clock", {"seconds": SETTINGS["retryDelaySeconds"] + 1})]
    return Plan("delete_vs_advance", {"due_in": due_in, "advance": due_in + extra,
                                      "third": third, "end": end, "delays_us": delays},
                {"concurrencyLimit": 1, **SETTINGS}, prefix, branches, suffix)


@st.composite
def creates_on_full_slot(draw: Any, outcome: str, advance_in_branch: bool,
                         reads: bool) -> Plan:
    """Creates racing on a full slot: limit 1, one live session, two creates due now and an
    end-call; at most one session live at any time, starts in the model's order."""
    delays = draw(jitter)
    prefix = [Req("create_interview", {"kind": "PHONE"}, bind="A"),
              Req("advance_clock", {"seconds": 0})]
    b1 = [Req("create_interview", {"kind": "PHONE"}, bind="B")]
    b2 = [Req("create_interview", {"kind": "PHONE"}, bind="C")]
    b3 = [Req("end_call", {"id": Ref("A"), "outcome": outcome, "durationSeconds": 30})]
    if advance_in_branch:
        b3.append(Req("advance_clock", {"seconds": 0}))
    if reads:
        b1.append(Req("get_interview", {"id": Ref("B")}))
        b2.append(Req("list_interviews"))
    return Plan("creates_on_full_slot", {"end": outcome, "advance_in_branch": advance_in_branch,
                                         "reads": reads, "delays_us": delays},
                {"concurrencyLimit": 1, **SETTINGS}, prefix,
                _branches(b1, b2, b3, delays=delays), [Req("advance_clock", {"seconds": 0})])


@st.composite
def random_mix(draw: Any) -> Plan:
    """Any short branches of create/get/delete/end_call/advance over interviews made in the
    prefix (and by the branch itself)."""
    limit = draw(st.integers(1, 2))
    n = draw(st.integers(1, 3))
    names = "ABC"[:n]
    prefix: list[Req] = []
    for name in names:
        prefix.append(Req("create_interview", {"kind": draw(st.sampled_from(["PHONE", "ONLINE"])),
                                               "in": draw(st.sampled_from([0, 0, 30]))},
                          bind=name))
    if draw(st.booleans()):
        prefix.append(Req("advance_clock", {"seconds": 0}))
    target = st.sampled_from(names)
    op = st.one_of(
        st.builds(lambda t: Req("get_interview", {"id": Ref(t)}), target),
        st.builds(lambda t: Req("delete_interview", {"id": Ref(t)}), target),
        st.builds(lambda t, o: Req("end_call", {"id": Ref(t), "outcome": o,
                                                "durationSeconds": 60}),
                  target, st.sampled_from(("COMPLETED", "FAILED"))),
        st.builds(lambda t: Req("join", {"id": Ref(t)}), target),
        st.builds(lambda s: Req("advance_clock", {"seconds": s}), st.sampled_from([0, 30])),
        st.just(Req("list_interviews")),
    )
    width = draw(st.integers(2, 3))
    delays = draw(jitter)
    branches = [draw(st.lists(op, min_size=1, max_size=3)) for _ in range(width)]
    if draw(st.booleans()):
        branches[0].insert(0, Req("create_interview", {"kind": "PHONE"}, bind="N"))
        branches[0].append(Req("get_interview", {"id": Ref("N")}))
    return Plan("random_mix", {"limit": limit, "interviews": n, "delays_us": delays},
                {"concurrencyLimit": limit, **SETTINGS}, prefix,
                _branches(*branches, delays=delays), [Req("advance_clock", {"seconds": 0})])


def _cases(**dims: Sequence[Any]) -> list[dict]:
    """Every combination of the discrete choices, the last dimension varying fastest, so
    that the first runs already cover every value of it."""
    names = list(dims)
    return [dict(zip(names, values)) for values in itertools.product(*dims.values())]


# Each scenario: its strategy (a function of one case) and its cases. The discrete shape of
# a run is enumerated (hypothesis alone may leave a case out of a few dozen draws); hypothesis
# varies the rest (timings, durations, start delays).
SCENARIOS: dict[str, tuple[Callable[..., st.SearchStrategy[Plan]], list[dict]]] = {
    "two_deletes": (two_deletes, _cases(third=[None, "get", "list"], kind=["PHONE", "ONLINE"],
                                        stage=["scheduled", "live", "completed"])),
    "delete_vs_end_call": (delete_vs_end_call, [
        {"third": third, **c} for third in (None, "get") for c in (
            [{"kind": "PHONE", "outcome": o} for o in OUTCOMES]
            + [{"kind": "ONLINE", "outcome": o} for o in ("COMPLETED", "FAILED")])]),
    "delete_vs_advance": (delete_vs_advance, _cases(third=[None, "get", "list"],
                                                    end=list(OUTCOMES))),
    "creates_on_full_slot": (creates_on_full_slot, _cases(
        reads=[False, True], advance_in_branch=[False, True], outcome=list(OUTCOMES))),
    "random_mix": (random_mix, [{}]),
}
REQUIRED = ("two_deletes", "delete_vs_end_call", "delete_vs_advance", "creates_on_full_slot")


# ================================================================ running a plan

class PlanError(RuntimeError):
    """The server refused the setup of a scenario (not a finding about concurrency)."""


class World:
    """One scenario run's own tenant: a company, a full-scope key, a phone and an online
    agent and a candidate; the interviews the plan names."""

    def __init__(self, base_url: str, control_token: str | None, settings: dict) -> None:
        self.base_url = base_url
        self.control_token = control_token
        session = requests.Session()
        self.control = ControlPlane(session, base_url, control_token)
        self.driver = HttpDriver(session, base_url)
        self.ids: dict[str, str] = {}
        clock = self.control.clock()
        if clock.get("mode") != "manual":
            raise PlanError(f"the server's clock is {clock.get('mode')!r}: the concurrency "
                            "mode needs `serve --clock manual`")
        self.start = parse_time(clock["now"])
        company = self.control.create_company(name="concurrency", **settings)
        self.company_id = company["id"]
        key = self.control.create_api_key(kind="COMPANY", companyId=self.company_id,
                                          scopes="*")
        self.auth = {"api_key": key["key"], "company_id": None}
        self.agents = {
            "PHONE": self._create("create_agent", {
                "name": "Phone agent", "type": "PHONE",
                "companyPhoneNumberId": company["phoneNumberIds"][0]}),
            "ONLINE": self._create("create_agent", {"name": "Online agent",
                                                    "type": "ONLINE"})}
        gdpr = (self.start + timedelta(days=365)).date().isoformat()
        self.candidate = self._create("create_candidate", {
            "firstName": "Race", "lastName": "Candidate", "email": "race@example.com",
            "phoneNumber": "+421900000001", "gdprExpiryDate": gdpr})
        self.model = ConcModel(now=self.start, limit=settings["concurrencyLimit"],
                               max_attempts=settings["maxCallAttempts"],
                               retry_delay=settings["retryDelaySeconds"],
                               postcall_delay=settings["postCallDelaySeconds"])
        session.close()

    def __repr__(self) -> str:
        return f"World({self.base_url!r}, company={self.company_id})"

    def _create(self, op: str, body: dict) -> str:
        out = self.driver.call(op, {"body": body}, self.auth)
        if not out.ok:
            raise PlanError(f"setup: {op} answered {out.status} {out.code}: {out.message}")
        return out.data["id"]

    def names(self) -> dict[str, str]:
        return {iv_id: name for name, iv_id in self.ids.items()}

    def resolve(self, args: dict) -> dict:
        out = {}
        for k, v in args.items():
            if isinstance(v, Ref):
                if v.name not in self.ids:
                    raise PlanError(f"plan names {v.name} before it was created")
                v = self.ids[v.name]
            out[k] = v
        return out


class Channel:
    """One thread's own connection: its requests.Session, a driver and a control plane."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.session = requests.Session()
        self.driver = HttpDriver(self.session, world.base_url)
        self.control = ControlPlane(self.session, world.base_url, world.control_token)

    def warm_up(self) -> None:
        """Open the connection before the barrier, so the race is not a race to connect."""
        self.control.raw("GET", "/clock")

    def close(self) -> None:
        self.session.close()

    def perform(self, req: Req, branch: str, index: int) -> Call:
        w = self.world
        args = w.resolve(req.args)
        if req.op == "create_interview":
            args = {"kind": args["kind"], **({"at": iso(w.start + timedelta(
                seconds=args["in"]))} if args.get("in") else {})}
        if req.delay_us:
            time.sleep(req.delay_us / 1e6)
        invoked = time.monotonic_ns()
        try:
            outcome = self._send(req.op, args)
            returned: int | None = time.monotonic_ns()
        except requests.RequestException:
            outcome, returned = None, None
        if isinstance(outcome, Outcome) and outcome.status is None:
            returned = None  # the driver saw no HTTP answer
        if req.bind and isinstance(outcome, Outcome) and outcome.ok:
            w.ids[req.bind] = outcome.data["id"]
        return Call(branch, index, req.op, args, invoked, returned, outcome)

    def _send(self, op: str, args: dict) -> Any:
        w = self.world
        if op == "create_interview":
            body = {"candidateId": w.candidate, "agentId": w.agents[args["kind"]]}
            if args.get("at"):
                body["scheduleTime"] = args["at"]
            return self.driver.call(op, {"body": body}, w.auth)
        if op in ("get_interview", "delete_interview"):
            return self.driver.call(op, {"id": args["id"]}, w.auth)
        if op == "list_interviews":
            return self.driver.call(op, {"query": {"limit": 100}}, w.auth)
        if op == "end_call":
            return self.control.end_call(args["id"], args["outcome"],
                                         args.get("durationSeconds"))
        if op == "join":
            return self.control.join(args["id"])
        if op == "advance_clock":
            return self.control.raw("POST", "/clock/advance", {"seconds": args["seconds"]})
        if op == "observe":
            return self.observe()
        raise PlanError(f"unknown operation {op}")

    def observe(self) -> dict:
        w = self.world
        internal = {iv_id: self.control.internal_interview(iv_id) for iv_id in w.ids.values()}
        listed = self.driver.call("list_interviews", {"query": {"limit": 100}}, w.auth)
        if not listed.ok:
            raise PlanError(f"observe: list_interviews answered {listed.status} {listed.code}")
        state = next((c for c in self.control.state().get("companies", ())
                      if c.get("id") == w.company_id), None)
        events = self.control.events(companyId=w.company_id).get("events", [])
        return {"internal": internal, "listed": [i["id"] for i in listed.data["data"]],
                "state": state, "invariants": self.control.invariants(), "events": events}


@attrs.define
class RunResult:
    plan: Plan
    history: list[Call]
    verdict: Verdict
    names: dict[str, str]
    elapsed: float
    search_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    @property
    def overlapped(self) -> bool:
        """Did two branches have calls in flight at the same time (a real race)?"""
        par = [c for c in self.history if c.branch not in ("prefix", "suffix")]
        return any(a.branch != b.branch and a.invoke_ns < b.returned and b.invoke_ns < a.returned
                   for a in par for b in par)

    def report(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.plan.params.items())
        head = f"scenario {self.plan.scenario} ({params}): "
        if not self.ok:
            verdict = "UNDECIDED - " if self.verdict.exhausted else "NOT LINEARIZABLE - "
            return head + verdict + explain(self.history, self.verdict,
                                                           self.names, answer=answer_of)
        order = ", ".join(c.label for c in self.verdict.order)
        return "\n".join([head + f"linearizable ({self.verdict.explored} orderings explored)",
                          "history (branch, invoke .. return, call -> answer):",
                          *timeline(self.history, self.names, answer_of),
                          f"explained by the order: {order}"])


def answer_of(call: Call) -> str:
    out = call.outcome
    if call.return_ns is None or out is None:
        return "no answer"
    if isinstance(out, dict):
        return "(final state read)"
    if not out.ok:
        return f"{out.status} {out.code}"
    data = out.data
    if call.op == "create_interview":
        return f"{out.status} id={data.get('id')}"
    if call.op == "get_interview":
        return f"{out.status} {data.get('status')}"
    if call.op == "end_call":
        return f"{out.status} {data.get('status')} postCall={data.get('postCall')}"
    if call.op == "advance_clock":
        started = [e.get("interviewId") for e in data.get("ran", ())
                   if e.get("type") == "session.started"]
        return f"{out.status} started {started or 'nothing'}"
    if call.op == "list_interviews":
        return f"{out.status} {[i['id'] for i in data.get('data', ())]}"
    if isinstance(data, dict) and "status" in data:
        return f"{out.status} {data['status']}"
    return f"{out.status} {data!r}"


def run_plan(plan: Plan, base_url: str, control_token: str | None = None) -> RunResult:
    """Set up the plan's tenant, run prefix, branches (threads started together by a
    barrier) and suffix, then search the history for a linearization."""
    started = time.monotonic()
    world = World(base_url, control_token, plan.settings)
    main = Channel(world)
    history: list[Call] = []
    try:
        for i, req in enumerate(plan.prefix):
            history.append(main.perform(req, "prefix", i))
            if req.bind and req.bind not in world.ids:
                raise PlanError(f"prefix: {req.op} answered {answer_of(history[-1])}")
        channels = [Channel(world) for _ in plan.branches]
        for ch in channels:
            ch.warm_up()
        barrier = threading.Barrier(len(channels))
        results: list[list[Call]] = [[] for _ in channels]
        errors: list[BaseException] = []

        def branch(n: int) -> None:
            try:
                barrier.wait(timeout=10)
                for i, req in enumerate(plan.branches[n]):
                    if req.bind is None and any(isinstance(v, Ref) and v.name not in world.ids
                                                for v in req.args.values()):
                        return  # its create failed: that answer is the finding, stop here
                    results[n].append(channels[n].perform(req, str(n + 1), i))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=branch, args=(n,), name=f"branch-{n + 1}")
                   for n in range(len(channels))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        for ch in channels:
            ch.close()
        if errors:
            raise errors[0]
        for calls in results:
            history += calls
        for i, req in enumerate([*plan.suffix, Req("observe")]):
            history.append(main.perform(req, "suffix", i))
    finally:
        main.close()
    searched = time.monotonic()
    verdict = linearize(history, world.model, model_step, key=ConcModel.key)
    names = world.names()
    names[world.company_id] = "company"
    done = time.monotonic()
    return RunResult(plan, history, verdict, names, done - started, done - searched)


# ================================================================ many runs, one report

@attrs.define
class ScenarioStats:
    runs: int = 0
    overlapped: int = 0
    explored: int = 0
    seconds: float = 0.0
    search_seconds: float = 0.0
    failures: list[RunResult] = attrs.field(factory=list)


@attrs.define
class Report:
    stats: dict[str, ScenarioStats] = attrs.field(factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(not s.failures for s in self.stats.values())

    @property
    def histories(self) -> int:
        return sum(s.runs for s in self.stats.values())

    def summary(self) -> str:
        lines = ["instaview-sim concurrency check",
                 (f"  {'scenario':24s} {'runs':>5s} {'raced':>6s} {'orderings':>10s} "
                  f"{'failed':>7s}")]
        for name, s in self.stats.items():
            lines.append(f"  {name:24s} {s.runs:5d} {s.overlapped:6d} {s.explored:10d} "
                         f"{len(s.failures):7d}")
        lines.append("  (raced: runs in which calls of two branches were in flight together)")
        rate = self.histories / self.seconds if self.seconds else 0.0
        lines.append(f"  histories checked: {self.histories} in {self.seconds:.1f}s "
                     f"({rate:.1f}/s); orderings explored: "
                     f"{sum(s.explored for s in self.stats.values())} in "
                     f"{sum(s.search_seconds for s in self.stats.values()) * 1000:.0f} ms of "
                     "search")
        lines.append("  verdict: " + ("every history is linearizable" if self.ok else
                                      "NOT LINEARIZABLE (see above)"))
        return "\n".join(lines)


def run(base_url: str, runs: int = 20, seed: int | None = None,
        scenarios: Sequence[str] = REQUIRED, control_token: str | None = None,
        stop_on_failure: bool = False, echo: Callable[[str], None] | None = None) -> Report:
    """Run each scenario ``runs`` times, spread over its cases (every case once before any
    twice), with the rest of each plan drawn by hypothesis; returns the report."""
    report = Report()
    started = time.monotonic()
    for name in scenarios:
        stats = report.stats.setdefault(name, ScenarioStats())
        strategy, cases = SCENARIOS[name]
        for index, case in enumerate(cases):
            share = runs // len(cases) + (index < runs % len(cases))
            if share and not (stop_on_failure and stats.failures):
                _run_case(strategy(**case), share, seed, stats, base_url, control_token,
                          stop_on_failure, echo, index)
    report.seconds = time.monotonic() - started
    return report


def _run_case(strategy: st.SearchStrategy[Plan], runs: int, seed: int | None,
              stats: ScenarioStats, base_url: str, control_token: str | None,
              stop_on_failure: bool, echo: Callable[[str], None] | None, index: int) -> None:
    crashed: list[BaseException] = []

    def one(plan: Plan) -> None:
        if crashed or (stop_on_failure and stats.failures):
            return
        try:
            result = run_plan(plan, base_url, control_token)
        except BaseException as exc:  # noqa: BLE001 - re-raised after hypothesis
            crashed.append(exc)
            return
        stats.runs += 1
        stats.overlapped += result.overlapped
        stats.explored += result.verdict.explored
        stats.seconds += result.elapsed
        stats.search_seconds += result.search_seconds
        if not result.ok:
            stats.failures.append(result)
            if echo:
                echo(result.report())

    # Generation only: a race does not replay, so hypothesis must neither shrink nor re-run
    # a failing example; failures are collected here instead of raised.
    test = settings(max_examples=runs, database=None, deadline=None,
                    phases=[Phase.generate], suppress_health_check=list(HealthCheck))(
        given(strategy)(one))
    if seed is not None:
        test = hypothesis_seed(seed * 1000 + index)(test)
    test()
    if crashed:
        raise crashed[0]


@contextlib.contextmanager
def _served(base_url: str | None) -> Iterator[str]:
    if base_url:
        yield base_url
        return
    from simulator.testing import serve_process  # only to start a server (as targets.py)

    with serve_process("--clock", "manual", "--threads", "8") as served:
        yield served.url


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m spec_tests.concurrency``; the function behind
    ``instaview-sim check --concurrency``. Returns 0 when every history is linearizable."""
    parser = argparse.ArgumentParser(
        prog="instaview-sim check --concurrency",
        description="Run parallel branches against a threaded server and check that every "
                    "history is linearizable against the model.")
    parser.add_argument("--base-url", help="a server with the control plane and the manual "
                                           "clock (default: start `serve --clock manual`)")
    parser.add_argument("--control-token", help="bearer token for /_sim")
    parser.add_argument("--runs", type=int, default=20,
                        help="runs per scenario (default 20: every case of each scenario)")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS),
                        help="run only this scenario (repeatable; default: all)")
    parser.add_argument("--stop-on-failure", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    scenarios = args.scenario or list(SCENARIOS)
    with _served(args.base_url) as base_url:
        print(f"checking {base_url}: {len(scenarios)} scenarios x {args.runs} runs"
              + (f", seed {args.seed}" if args.seed is not None else ""))
        try:
            report = run(base_url, args.runs, args.seed, scenarios, args.control_token,
                         args.stop_on_failure, echo=lambda text: print(text + "\n"))
        except (PlanError, requests.RequestException, RuntimeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(report.summary())
        return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
