"""The invariants of lifecycle.md (1-12), each a small named check (STYLE 11) raising an
AssertionError whose message starts with the invariant's number and name. They run after
every step and compare what the server shows (public answers, lists, /_sim events, state
and internal views) with the model and with what the server showed before the step."""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from typing import Any, Callable, Mapping

import attrs

from .drivers import Outcome
from .model import CODES_BY_STATUS, TERMINAL, Interview, Model, violation

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@attrs.define
class Step:
    """What the last rule did: the operation, the interview it was about, its answer."""

    op: str
    about: str | None = None
    ok: bool = True
    status: int | None = None
    public: bool = True
    invoked: str | None = None  # interview a successful invoke returned to SCHEDULED
    deleted_now: list[str] = attrs.field(factory=list)


@attrs.define
class Observation:
    """Everything the checks compare, gathered once after a step."""

    model: Model
    step: Step
    before: dict[str, tuple]
    after: dict[str, tuple]
    listed: dict[str, list[dict]]  # company -> every item of every page, in order
    totals: dict[str, tuple[int, int, int]]  # company -> (total, limit, totalPages)
    internal: dict[str, dict]  # deleted interview id -> /_sim/interviews/{id}
    events: list[dict]  # new events of this run's companies since the last step
    events_by_interview: dict[str, list[dict]]  # every event seen, per interview
    state: dict[str, dict] | None  # company id -> /_sim/state entry
    probe: Callable[[str, dict, str], Outcome]  # (op, args, company index or label)
    company_index: dict[str, int]
    coverage: Counter
    # black-box: the companies are shared (earlier runs, other test cases), so interviews the
    # model never saw may be listed; they are counted, never judged.
    foreign_ok: bool = False


def snapshot(item: Mapping[str, Any]) -> tuple:
    """What must not change behind a request's back."""
    attempts = tuple((a.get("id"), a.get("status"), a.get("scheduledAt"))
                     for a in item.get("callAttempts") or ())
    return (item.get("status"), attempts, item.get("transcript") is not None,
            item.get("analysis") is not None, item.get("finishedDate"),
            item.get("sessionLive"), item.get("postCall"))


# ---------------------------------------------------------------- 11: every response

def check_envelope(outcome: Outcome, what: str) -> None:
    """11. Envelope: shape, timestamp, error code for the status, X-Request-Id, no 5xx."""
    if outcome.status is None or outcome.headers is None:
        return  # a client driver: no raw response to judge
    status = outcome.status
    if status >= 500:
        raise violation(11, f"{what} answered {status} ({outcome.code}) with no fault injected")
    request_id = outcome.headers.get("X-Request-Id")
    try:
        uuid.UUID(str(request_id))
    except ValueError:
        raise violation(11, f"{what}: X-Request-Id {request_id!r} is not a UUID") from None
    if status == 204:
        if outcome.envelope is not None:
            raise violation(11, f"{what}: 204 with a body")
        return
    env = outcome.envelope
    if not isinstance(env, dict) or set(env) < {"success", "data", "error", "timestamp"}:
        raise violation(11, f"{what} ({status}): body is not the envelope: {env!r:.200}")
    if not TIMESTAMP.match(str(env["timestamp"])):
        raise violation(11, f"{what}: timestamp {env['timestamp']!r} is not ISO-8601 ms Z")
    if env["success"] is not (200 <= status < 300):
        raise violation(11, f"{what}: success={env['success']!r} with status {status}")
    if env["success"]:
        if env["error"] is not None:
            raise violation(11, f"{what}: a success with error={env['error']!r}")
        return
    err = env["error"]
    if env["data"] is not None or not isinstance(err, dict):
        raise violation(11, f"{what}: a failure needs data null and an error object")
    if not isinstance(err.get("message"), str) or not isinstance(err.get("details"), dict):
        raise violation(11, f"{what}: error needs a message and details {{}} (decisions.md 5)")
    allowed = CODES_BY_STATUS.get(status, frozenset())
    if err.get("code") not in allowed:
        raise violation(11, f"{what}: status {status} with code {err.get('code')!r}; "
                            f"api.md gives {sorted(allowed)}")


# ---------------------------------------------------------------- 1-10, 12 after each step

def check_rejected_changes_nothing(obs: Observation) -> None:
    """3. A 4xx answer leaves every interview as it was."""
    if obs.step.ok or obs.step.status is None or not 400 <= obs.step.status < 500:
        return
    obs.coverage["3"] += 1
    for iv_id, before in obs.before.items():
        after = obs.after.get(iv_id)  # a missing one is check 12's business
        if after is not None and after != before:
            raise violation(3, f"{obs.step.op} answered {obs.step.status} but interview "
                               f"{iv_id} changed: {before} -> {after}")


FRAME_OPS = frozenset({"create_interview", "get_interview", "list_interviews",
                       "delete_interview", "invoke_call_attempt", "reschedule_call_attempt",
                       "delete_call_attempt", "cancel", "join"})


def check_frame(obs: Observation) -> None:
    """10. A request about one interview changes no other interview."""
    if obs.step.op not in FRAME_OPS:
        return
    obs.coverage["10"] += 1
    for iv_id, before in obs.before.items():
        if iv_id == obs.step.about:
            continue
        after = obs.after.get(iv_id)
        if after is None:
            continue  # a tombstone the checks no longer read, or check 12's business
        if after != before:
            raise violation(10, f"{obs.step.op} about {obs.step.about} changed interview "
                                f"{iv_id}: {before} -> {after}")


def check_terminal_is_terminal(obs: Observation) -> None:
    """9. COMPLETED and CANCELLED never change; FAILED only through invoke."""
    for iv_id, before in obs.before.items():
        status = before[0]
        after = obs.after.get(iv_id)
        if after is None or status not in {s.value for s in TERMINAL} | {"FAILED"}:
            continue
        obs.coverage["9"] += 1
        if obs.model.interviews[iv_id].deleted:
            continue  # deletion aside
        if status == "FAILED" and obs.step.invoked == iv_id:
            continue
        fields = lambda snap: (snap[0], snap[2], snap[3], snap[4])  # noqa: E731 - not attempts
        if fields(after) != fields(before):
            raise violation(9, f"{status} interview {iv_id} changed after {obs.step.op}: "
                               f"{before} -> {after}")


def check_gone_after_delete(obs: Observation) -> None:
    """1. A deleted interview answers 404 to every key, lists leave it out, call-attempt
    endpoints answer 404."""
    listed = {item["id"] for items in obs.listed.values() for item in items}
    for iv in obs.model.deleted_interviews():
        obs.coverage["1"] += 1
        if iv.id in listed:
            raise violation(1, f"deleted interview {iv.id} is still listed")
    for iv_id in obs.step.deleted_now:
        iv = obs.model.interviews[iv_id]
        own = obs.company_index[iv.company]
        for who in (own, (own + 1) % len(obs.company_index)):
            for op, args in (("get_interview", {"id": iv_id}),
                             ("delete_interview", {"id": iv_id}),
                             ("invoke_call_attempt", {"id": iv_id,
                                                      "body": {"scheduledAt": None}})):
                out = obs.probe(op, args, who)
                if (out.status, out.code) != (404, "RESOURCE_NOT_FOUND"):
                    raise violation(1, f"{op} of deleted interview {iv_id} by company #{who} "
                                       f"answered {out.status} {out.code}")


def check_ownership(obs: Observation) -> None:
    """2. Another company's live interview answers 403 RESOURCE_ACCESS_DENIED, unchanged."""
    iv = obs.model.interviews.get(obs.step.about or "")
    if iv is None or iv.deleted:
        return
    obs.coverage["2"] += 1
    other = (obs.company_index[iv.company] + 1) % len(obs.company_index)
    for op, args in (("get_interview", {"id": iv.id}), ("delete_interview", {"id": iv.id})):
        out = obs.probe(op, args, other)
        if (out.status, out.code) != (403, "RESOURCE_ACCESS_DENIED"):
            raise violation(2, f"{op} of company #{obs.company_index[iv.company]}'s interview "
                               f"{iv.id} by company #{other} answered {out.status} {out.code}")


AFTER_DELETE_CALL = frozenset({"session.started", "slot.acquired"})
AFTER_DELETE_DATA = frozenset({"postcall.queued", "postcall.done", "interview.completed",
                               "interview.failed", "webhook.enqueued", "attempt.queued"})


def _after_deletion(obs: Observation, iv_id: str) -> list[dict]:
    events = obs.events_by_interview.get(iv_id, [])
    seqs = [e["seq"] for e in events if e["type"] == "interview.deleted"]
    return [e for e in events if seqs and e["seq"] > seqs[0]]


def check_no_call_after_delete(obs: Observation) -> None:
    """4. No session starts for a deleted interview; its scheduled attempts were cancelled."""
    for iv in obs.model.deleted_interviews():
        obs.coverage["4"] += 1
        for e in _after_deletion(obs, iv.id):
            if e["type"] in AFTER_DELETE_CALL:
                raise violation(4, f"{e['type']} for interview {iv.id} after its deletion")
        view = obs.internal.get(iv.id)
        if view is None:
            continue
        if view.get("queued"):
            raise violation(4, f"deleted interview {iv.id} still has a queued attempt")
        scheduled = [a["id"] for a in view.get("callAttempts") or ()
                     if a.get("status") == "SCHEDULED"]
        if scheduled:
            raise violation(4, f"deleted interview {iv.id} keeps SCHEDULED attempts {scheduled}")
        if view.get("sessionLive") and not iv.live:
            raise violation(4, f"a session is live for deleted interview {iv.id}")


def check_live_call_survives_delete(obs: Observation) -> None:
    """5. A session live at deletion goes on, keeps its slot until it ends, releases it then."""
    for iv in obs.model.deleted_interviews():
        if not iv.deleted_live:
            continue
        obs.coverage["5"] += 1
        view = obs.internal.get(iv.id)
        live_ids = set((obs.state or {}).get(iv.company, {}).get("liveInterviewIds", ()))
        if iv.live:
            if view is not None and not view.get("sessionLive"):
                raise violation(5, f"the live call of deleted interview {iv.id} was stopped")
            if obs.state is not None and iv.id not in live_ids:
                raise violation(5, f"deleted interview {iv.id}'s live call lost its slot")
        else:
            if obs.state is not None and iv.id in live_ids:
                raise violation(5, f"deleted interview {iv.id}'s call ended but its slot is "
                                   "still taken")
            if obs.events_by_interview and not any(
                    e["type"] == "slot.released" for e in _after_deletion(obs, iv.id)):
                raise violation(5, f"no slot.released when deleted interview {iv.id}'s "
                                   "call ended")


def check_no_postcall_after_delete(obs: Observation) -> None:
    """6. No transcript, analysis, recording, retry or webhook event once deleted."""
    for iv in obs.model.deleted_interviews():
        obs.coverage["6"] += 1
        for e in _after_deletion(obs, iv.id):
            if e["type"] in AFTER_DELETE_DATA:
                raise violation(6, f"{e['type']} for interview {iv.id} after its deletion")
        view = obs.internal.get(iv.id)
        if view is None:
            continue
        for field in ("transcript", "analysis"):
            if view.get(field) is not None:
                raise violation(6, f"deleted interview {iv.id} has a {field}")
        for a in view.get("callAttempts") or ():
            if a.get("recordingUrl") is not None:
                raise violation(6, f"deleted interview {iv.id} keeps recording "
                                   f"{a['recordingUrl']}")


def check_slots(obs: Observation) -> None:
    """7. Live sessions per company within concurrencyLimit; a due attempt waits only while
    every slot is busy; waiting attempts start in (due, seq) order (the model's choice)."""
    if obs.state is None:
        return
    for cid, company in obs.model.companies.items():
        entry = obs.state.get(cid)
        if entry is None:
            continue
        obs.coverage["7"] += 1
        live = entry.get("liveSessions", 0)
        if live > company.concurrency_limit:
            raise violation(7, f"company #{obs.company_index[cid]} has {live} live sessions, "
                               f"limit {company.concurrency_limit}")
        if entry.get("waiting", 0) and live < company.concurrency_limit:
            raise violation(7, f"company #{obs.company_index[cid]}: {entry['waiting']} due "
                               f"attempt(s) wait with {live}/{company.concurrency_limit} slots "
                               "busy")
        expected = set(company.live)
        got = set(entry.get("liveInterviewIds", expected))
        if got != expected:
            raise violation(7, f"company #{obs.company_index[cid]}: live sessions {sorted(got)}, "
                               f"the model says {sorted(expected)} (slot release or start "
                               "order)")
        if len(company.live) != live:
            raise violation(7, f"company #{obs.company_index[cid]}: {live} live sessions, the "
                               f"model says {len(company.live)}")


def check_completion(obs: Observation) -> None:
    """8. A completed interview has a transcript and an analysis, and exactly one
    interview.completed event."""
    for items in obs.listed.values():
        for item in items:
            if item.get("status") != "COMPLETED":
                continue
            obs.coverage["8"] += 1
            if item.get("transcript") is None or item.get("analysis") is None:
                raise violation(8, f"COMPLETED interview {item['id']} lacks a "
                                   f"{'transcript' if item.get('transcript') is None else 'analysis'}")
            if obs.events_by_interview:
                n = sum(1 for e in obs.events_by_interview.get(item["id"], ())
                        if e["type"] == "interview.completed")
                if n != 1:
                    raise violation(8, f"COMPLETED interview {item['id']} has {n} "
                                       "interview.completed events")


def check_lists_agree(obs: Observation) -> None:
    """12. Lists show exactly the live interviews, once each, with the right total."""
    for cid, items in obs.listed.items():
        obs.coverage["12"] += 1
        ids = [item["id"] for item in items]
        dupes = [i for i, n in Counter(ids).items() if n > 1]
        if dupes:
            raise violation(12, f"company #{obs.company_index[cid]}: listed twice: {dupes}")
        expected = {iv.id for iv in obs.model.live_interviews(cid)}
        foreign = set(ids) - set(obs.model.interviews) if obs.foreign_ok else set()
        shown = set(ids) - foreign
        if shown != expected:
            raise violation(12, f"company #{obs.company_index[cid]}: list shows "
                                f"{sorted(shown - expected)} extra and "
                                f"{sorted(expected - shown)} missing")
        total, limit, pages = obs.totals[cid]
        want = len(expected) + len(foreign)
        if total != want or pages != math.ceil(total / limit):
            raise violation(12, f"company #{obs.company_index[cid]}: total {total} / "
                                f"totalPages {pages}, expected {want} / "
                                f"{math.ceil(want / limit)}")


def judge_item(iv: Interview, item: Mapping[str, Any], what: str = "") -> None:
    """An interview as the server (or a client) showed it, against the model's prediction:
    status and each attempt's status."""
    where = f"{what}: " if what else ""
    if item.get("status") != iv.status.value:
        raise AssertionError(f"Model disagreement: {where}interview {iv.id} is "
                             f"{item.get('status')}, the model says {iv.status.value}")
    got = {a.get("retryNumber"): a.get("status") for a in item.get("callAttempts") or ()}
    want = {a.retry_number: a.status.value for a in iv.current_attempts}
    if got != want:
        raise AssertionError(f"Model disagreement: {where}interview {iv.id} attempts {got}, "
                             f"the model says {want}")


def check_model_agrees(obs: Observation) -> None:
    """The model's prediction of every live interview: status and attempt statuses."""
    by_id = {item["id"]: item for items in obs.listed.values() for item in items}
    for iv in obs.model.live_interviews():
        item = by_id.get(iv.id)
        if item is not None:
            judge_item(iv, item)


# The order matters only for which message a broken server gets first: the narrowest
# invariant comes first.
CHECKS: tuple[Callable[[Observation], None], ...] = (
    check_rejected_changes_nothing,
    check_frame,
    check_terminal_is_terminal,
    check_gone_after_delete,
    check_ownership,
    check_no_call_after_delete,
    check_live_call_survives_delete,
    check_no_postcall_after_delete,
    check_slots,
    check_completion,
    check_lists_agree,
    check_model_agrees,
)
