"""Faults as harness steps (harness.md "Client operations", issue #6): the interview machine
with one more rule, ``arm_fault``, and a judge for every public call a fault acted on.

``arm_fault`` is drawn by hypothesis like any rule (which operation, ``error`` 503 / ``drop``
/ ``delay``, phase ``before`` / ``after``, ``times`` 1 or 2), so a failing run shrinks to the
fewest steps and the fewest faults. The fault is POSTed to ``/_sim/faults`` right before the
next public call of that operation, matching its method, its path glob and the company the
call acts on (each test case has its own companies, so test cases and xdist workers sharing
one server never meet each other's faults), and removed right after that call: the checks'
own reads never meet a fault.

After the call ``GET /_sim/faults`` tells how many times each fault acted. A call that a fault
answered (``error``/``drop``) is judged by what the client reported against what happened:

* the server refuses the request anyway (the model expects an error): success is a lie;
* an ``after`` fault acted: the operation happened; a definite API error contradicting that
  (404 for a delete whose first answer was lost) fails;
* an indeterminate answer (no status, or the injected 503 ``INJECTED_FAULT``) leaves the
  outcome unknown: the call is recorded as *maybe applied* and the read after the step settles
  it (an interview that appeared, disappeared or got a new attempt), before the lifecycle
  checks run. Two new interviews from one create are a duplicate made by a retried create.

Failure messages start with ``Faults:`` (these are not lifecycle.md's numbered invariants).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import invariant, multiple, precondition, rule

from . import checks
from .drivers import ROUTES, Outcome
from .machines import COVERAGE, N_COMPANIES, InterviewLifecycle, callers, id_forms, minutes_ahead
from .model import Caller, Expect, Kind, Status, parse_time

INJECTED_STATUS = 503
INJECTED_CODE = "INJECTED_FAULT"
DELAY_MS = 50  # small: a delay only holds the answer back

# op -> (method, path glob) of the request the fault matches: the driver's route table with
# each {placeholder} as a glob star.
FAULT_ROUTES: dict[str, tuple[str, str]] = {
    op: (ROUTES[op][0], re.sub(r"\{[^}]+\}", "*", ROUTES[op][1]))
    for op in ("create_interview", "delete_interview", "get_interview", "list_interviews",
               "invoke_call_attempt")
}
READ_OPS = frozenset({"get_interview", "list_interviews"})
STOPPING = frozenset({"error", "drop"})  # the actions that answer instead of the server
MAX_PLANS = 3

# Whole-run counts: "action phase" -> faults armed, "... acted" -> faults that acted,
# "settled: ..." -> how maybe-applied calls turned out.
FAULT_COVERAGE: Counter = Counter()


# ---------------------------------------------------------------- records

@attrs.frozen
class FaultPlan:
    """A fault drawn by ``arm_fault``, armed for the next public call of ``op``."""

    op: str
    action: str
    phase: str
    times: int

    def body(self, company_id: str) -> dict[str, Any]:
        method, path = FAULT_ROUTES[self.op]
        body: dict[str, Any] = {"method": method, "path": path, "companyId": company_id,
                                "action": self.action, "phase": self.phase, "times": self.times}
        if self.action == "error":
            body["status"] = INJECTED_STATUS
        if self.action == "delay":
            body["delayMs"] = DELAY_MS
        return body

    def describe(self) -> str:
        what = {"error": f"error {INJECTED_STATUS}", "delay": f"delay {DELAY_MS} ms"}.get(
            self.action, self.action)
        return f"{what} {self.phase}"


@attrs.frozen
class ArmedFault:
    id: str
    plan: FaultPlan
    fired: int = 0  # how many times it acted (known after the call)


@attrs.frozen
class FaultsActed:
    """The faults armed for one call and how many times each acted."""

    faults: tuple[ArmedFault, ...]

    def count(self, phase: str) -> int:
        return sum(f.fired for f in self.faults
                   if f.plan.phase == phase and f.plan.action in STOPPING)

    @property
    def stopped(self) -> int:
        """Tries a fault answered instead of the server (before) or after it (after)."""
        return self.count("before") + self.count("after")

    @property
    def applied(self) -> bool:
        """An ``after`` error/drop acted: a try ran to the end, then lost its answer."""
        return self.count("after") > 0

    def describe(self) -> str:
        return "; ".join(f"{f.plan.describe()} acted {f.fired} of {f.plan.times}"
                         for f in self.faults) or "none"

    def how_lost(self) -> str:
        after = [f for f in self.faults
                 if f.plan.phase == "after" and f.plan.action in STOPPING and f.fired]
        if after and after[0].plan.action == "drop":
            return "its answer was lost (the connection was dropped after it was applied)"
        return f"its answer was replaced by an injected {INJECTED_STATUS}"


@attrs.define
class MaybeApplied:
    """A call a fault acted on, to settle from the read after the step.

    ``report``: "success" (the client said it happened), "lost" (no status, or the injected
    error: unknown). ``applied``: True when an after-fault acted (it happened at least once).
    """

    op: str
    what: str  # "delete_interview by the own key"
    company: str
    report: str
    applied: bool
    faults: FaultsActed
    interview: str | None = None
    known: frozenset[str] = frozenset()  # interview ids the model knew before the call
    reported_id: str | None = None
    body: dict = attrs.field(factory=dict)
    when: datetime | None = None
    attempts_before: int = 0


class Unsettled(Exception):
    """Raised by ``_call`` when a fault left the outcome unknown: the rule stops there, without
    touching the model, and the read after the step settles what happened."""


class _Replay:
    """A driver that hands back one outcome already received, so that the base class judges a
    call the faults did not touch exactly as it judges any other."""

    name = "replay"

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome

    def call(self, op: str, args: dict, auth: dict) -> Outcome:
        return self.outcome

    def close(self) -> None:
        pass


def fault_failure(message: str) -> AssertionError:
    return AssertionError("Faults: " + message)


# ---------------------------------------------------------------- the machine

class FaultyLifecycle(InterviewLifecycle):
    """InterviewLifecycle plus faults armed before public calls (never in black-box mode:
    faults need the control plane)."""

    interviews = InterviewLifecycle.interviews

    def __init__(self) -> None:
        super().__init__()
        self.fault_plans: list[FaultPlan] = []
        self.maybe_applied: list[MaybeApplied] = []
        self.settled_ids: list[str] = []  # created interviews settled from a read, for rules
        self._ready: list[FaultPlan] = []  # plans for the call the running rule makes first
        self._armed: dict[str, ArmedFault] = {}  # live on the server right now

    # ------------------------------------------------------------ the fault step
    @precondition(lambda self: not self.black_box and self.model is not None
                  and len(self.fault_plans) < MAX_PLANS)
    @rule(op=st.sampled_from(tuple(FAULT_ROUTES)),
          action=st.sampled_from(("error", "drop", "delay")),
          phase=st.sampled_from(("after", "before")), times=st.sampled_from((1, 2)))
    def arm_fault(self, op: str, action: str, phase: str, times: int) -> None:
        """Arm a fault for the next public ``op`` call (POSTed just before it)."""
        COVERAGE["rules"]["arm_fault"] += 1
        self.step = checks.Step(op="arm_fault", public=False)
        self.fault_plans.append(FaultPlan(op, action, phase, times))

    @precondition(lambda self: bool(self.settled_ids))
    @rule(target=interviews)
    def settled_creates(self) -> Any:
        """Interviews a faulted create turned out to have made: later rules may use them."""
        ids, self.settled_ids = self.settled_ids, []
        self.step = checks.Step(op="settled_creates", public=False)
        return multiple(*ids)

    # ------------------------------------------------------------ the faultable rules
    # Same draws as InterviewLifecycle's rules; each runs the base rule with the plans for
    # its operation armed around its first public call.
    @rule(target=interviews, company=st.integers(0, N_COMPANIES - 1),
          kind=st.sampled_from(["PHONE", "ONLINE"]), later=minutes_ahead,
          is_test=st.sampled_from([False, False, False, True]), caller=callers)
    def create_interview(self, company: int, kind: str, later: int, is_test: bool,
                         caller: str) -> Any:
        return self._faultable("create_interview", multiple, lambda: super(
            FaultyLifecycle, self).create_interview(company, kind, later, is_test, caller))

    @rule(interview=interviews, caller=callers, form=id_forms)
    def get_interview(self, interview: str, caller: str, form: str) -> None:
        self._faultable("get_interview", lambda: None, lambda: super(
            FaultyLifecycle, self).get_interview(interview, caller, form))

    @rule(company=st.integers(0, N_COMPANIES - 1), caller=callers, limit=st.integers(1, 4),
          status=st.sampled_from([None, "SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED",
                                  "CANCELLED", "CANCELED"]))
    def list_interviews(self, company: int, caller: str, limit: int, status: str | None
                        ) -> None:
        self._faultable("list_interviews", lambda: None, lambda: super(
            FaultyLifecycle, self).list_interviews(company, caller, limit, status))

    @rule(interview=interviews, caller=callers, form=id_forms)
    def delete_interview(self, interview: str, caller: str, form: str) -> None:
        self._faultable("delete_interview", lambda: None, lambda: super(
            FaultyLifecycle, self).delete_interview(interview, caller, form))

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews, caller=callers, form=id_forms,
          minutes=st.one_of(st.none(), st.integers(1, 240), st.just(-60)))
    def invoke_call_attempt(self, interview: str, caller: str, form: str, minutes: int | None
                            ) -> None:
        self._faultable("invoke_call_attempt", lambda: None, lambda: super(
            FaultyLifecycle, self).invoke_call_attempt(interview, caller, form, minutes))

    def _faultable(self, op: str, nothing: Callable[[], Any], run: Callable[[], Any]) -> Any:
        plans = [p for p in self.fault_plans if p.op == op]
        if not plans:
            return run()
        self.fault_plans = [p for p in self.fault_plans if p.op != op]
        self._ready = plans
        try:
            return run()
        except Unsettled:
            return nothing()
        finally:
            self._ready = []
            self._disarm()

    # ------------------------------------------------------------ arming and reading back
    def _arm(self, plans: list[FaultPlan], company_id: str) -> None:
        control = self.target.control
        for plan in plans:
            data = control.add_fault(**plan.body(company_id))
            self._armed[data["id"]] = ArmedFault(data["id"], plan)
            FAULT_COVERAGE[plan.describe()] += 1

    def _read_back(self) -> FaultsActed:
        """How many times each armed fault acted (GET /_sim/faults: remaining ``times``; a
        fault used up is gone), then remove the ones left."""
        listed = self.target.control.faults()
        remaining = {f["id"]: f["times"] for f in listed}
        acted = []
        for fault in self._armed.values():
            left = remaining.get(fault.id, 0)
            fired = fault.plan.times - (left if isinstance(left, int) else 0)
            acted.append(attrs.evolve(fault, fired=fired))
            if fired:
                FAULT_COVERAGE[fault.plan.describe() + " acted"] += 1
        self._disarm()
        return FaultsActed(tuple(acted))

    def _disarm(self) -> None:
        armed, self._armed = self._armed, {}
        control = self.target.control
        for fault_id in armed:
            out = control.raw("DELETE", f"/faults/{fault_id}")
            if not out.ok and out.status != 404:  # 404: it used itself up
                raise AssertionError(f"DELETE /_sim/faults/{fault_id} answered {out.status} "
                                     f"{out.code}: {out.message}")

    @contextlib.contextmanager
    def _answers_may_be_lost(self) -> Iterator[None]:
        """Tell a client driver that no status is no information loss while faults are armed
        (client_drivers._ErrorPolicy.answer_expected)."""
        driver = self.target.driver
        previous = getattr(driver, "answer_expected", None)
        if previous is None:
            yield
            return
        driver.answer_expected = lambda: False
        try:
            yield
        finally:
            driver.answer_expected = previous

    def _envelope_hook(self, *args: Any) -> None:
        """A fault's own answer (503 INJECTED_FAULT) is not the server breaking invariant 11."""
        outcome = args[-1]
        if (self._armed and outcome.status == INJECTED_STATUS
                and outcome.code == INJECTED_CODE):
            env = outcome.envelope or {}
            fault_id = ((env.get("error") or {}).get("details") or {}).get("faultId")
            if env.get("success") is not False or fault_id not in self._armed:
                raise fault_failure(f"{args[0]}: an injected {INJECTED_STATUS} whose body "
                                    f"does not name an armed fault: {env!r:.200}")
            return
        super()._envelope_hook(*args)

    # ------------------------------------------------------------ judging one call
    def _call(self, op: str, args: dict, caller: Caller, expect: Expect,
              about: str | None) -> Outcome:
        plans, self._ready = self._ready, []
        if not plans:
            return super()._call(op, args, caller, expect, about)
        company = caller.acting if caller.acting in self.company_index else self.company_ids[0]
        known = frozenset(self.model.interviews)
        attempts_before = len(self.model.interviews[about].attempts) \
            if about in self.model.interviews else 0
        self._arm(plans, company)
        try:
            with self._answers_may_be_lost():
                out = self.target.driver.call(op, args, caller.auth)
        finally:
            acted = self._read_back()
        if not acted.stopped:  # nothing acted, or only delays: an ordinary answer
            return self._judge_as_usual(op, args, caller, expect, about, out)
        COVERAGE["rules"][op] += 1
        self.step = checks.Step(op=op, about=about, ok=out.ok, status=out.status)
        what = f"{op} by the {caller.label} key"
        of = f" of {about}" if about else ""
        record = MaybeApplied(op=op, what=what, company=company, report="lost",
                              applied=acted.applied, faults=acted, interview=about,
                              known=known, body=dict(args.get("body") or {}),
                              attempts_before=attempts_before)
        if not expect.ok:
            if out.ok and op == "delete_interview" and expect.errors == {
                    (404, "RESOURCE_NOT_FOUND")}:
                # docs/clients.md "Retries": a delete retried after a lost or 5xx answer that
                # then meets 404 reports success; the client cannot tell whether its own
                # first try removed the interview, and either way it is gone. Tolerated.
                FAULT_COVERAGE["tolerated: delete success over 404 after a lost answer"] += 1
                return out
            if out.ok:
                raise fault_failure(
                    f"{what}: the client reported success for {op}{of}, which did not happen: "
                    f"the server refuses it ({expect.describe()}); faults: {acted.describe()}")
            if self._indeterminate(out):
                raise Unsettled()  # refused either way: nothing happened
            return self._judge_as_usual(op, args, caller, expect, about, out)
        if out.ok:
            judged = self._judge_as_usual(op, args, caller, expect, about, out)
            if op not in READ_OPS:
                record.report = "success"
                if op == "create_interview" and isinstance(out.data, dict):
                    record.reported_id = out.data.get("id")
                self.maybe_applied.append(record)
            return judged
        if self._indeterminate(out):
            if op not in READ_OPS:
                record.when = self._when(op, args)
                self.maybe_applied.append(record)
            raise Unsettled()
        if acted.applied and op not in READ_OPS:
            raise fault_failure(
                f"{what}: the client reported {out.status} {out.code} for {op}{of}, but it "
                f"happened: a try was applied and {acted.how_lost()}, so a retry met the "
                f"changed state ({acted.describe()}). After its retries a client must report "
                f"what happened{self._hint(op)}; its error said: {out.message!r}")
        return self._judge_as_usual(op, args, caller, expect, about, out)

    def _judge_as_usual(self, op: str, args: dict, caller: Caller, expect: Expect,
                        about: str | None, out: Outcome) -> Outcome:
        real = self.target.driver
        self.target.driver = _Replay(out)
        try:
            return super()._call(op, args, caller, expect, about)
        finally:
            self.target.driver = real

    def _indeterminate(self, out: Outcome) -> bool:
        """No answer reached the client, or the answer was the fault's own."""
        if out.ok:
            return False
        if out.status is None:
            return True
        lenient = getattr(getattr(self.target.driver, "errors", None), "lenient", False)
        return out.status == INJECTED_STATUS and (
            out.code == INJECTED_CODE or (lenient and out.code is None))

    @staticmethod
    def _hint(op: str) -> str:
        if op == "delete_interview":
            return " (the interview is gone because of this call: a delete retried after a " \
                   "lost answer that then gets 404 succeeded)"
        return ""

    def _when(self, op: str, args: dict) -> datetime | None:
        body = args.get("body") or {}
        raw = body.get("scheduleTime") if op == "create_interview" else body.get("scheduledAt")
        if raw:
            return parse_time(raw)
        return self.model.now if op == "create_interview" else None

    # ------------------------------------------------------------ settling
    @invariant()
    def server_keeps_the_promises(self) -> None:
        if self.model is not None and self.maybe_applied:
            self._settle()
        super().server_keeps_the_promises()

    def _listed(self, company: str) -> list[dict]:
        index = self.company_index[company]
        items: list[dict] = []
        page = 1
        while True:
            out = self.target.raw.call("list_interviews", {"query": {"limit": 100, "page": page}},
                                       self._auth(self.keys["full"][index]))
            if not out.ok:
                raise fault_failure(f"settling: list_interviews of company #{index} answered "
                                    f"{out.status} {out.code}")
            items += out.data["data"]
            if page >= out.data["totalPages"]:
                return items
            page += 1

    def _settle(self) -> None:
        pending, self.maybe_applied = self.maybe_applied, []
        for record in pending:
            listed = {item["id"]: item for item in self._listed(record.company)}
            settle = {"create_interview": self._settle_create,
                      "delete_interview": self._settle_delete,
                      "invoke_call_attempt": self._settle_invoke}[record.op]
            outcome = settle(record, listed)
            FAULT_COVERAGE[f"settled: {record.op} {outcome}"] += 1

    def _settle_create(self, record: MaybeApplied, listed: dict[str, dict]) -> str:
        index = self.company_index[record.company]
        new = [i for i in listed if i not in record.known]
        extra = [i for i in new if i != record.reported_id]
        if record.report == "success":
            if record.reported_id not in listed:
                raise fault_failure(
                    f"{record.what}: the client reported success (interview "
                    f"{record.reported_id}), which did not happen: it is not listed in company "
                    f"#{index}; faults: {record.faults.describe()}")
            if extra:
                raise self._duplicate(record, [record.reported_id, *extra], "success")
            return "reported success, made once"
        if len(new) > 1:
            raise self._duplicate(record, new, "no answer")
        if not new:
            if record.applied:
                raise fault_failure(
                    f"{record.what}: a try was applied (an after-fault acted: "
                    f"{record.faults.describe()}) but company #{index} lists no new interview")
            return "did not happen"
        item = listed[new[0]]
        body = record.body
        kind = "PHONE" if body.get("agentId") == self.resources[index].get("PHONE") else "ONLINE"
        iv = self.model.create(item["id"], record.company, Kind(kind), bool(body.get("isTest")),
                               record.when or self.model.now)
        if iv.attempts and item.get("callAttempts"):
            self.model.sync_attempt_ids(iv, item["callAttempts"])
        COVERAGE["transitions"][f"(new) -> {iv.status.value}"] += 1
        self.step.about = iv.id
        self.settled_ids.append(iv.id)
        return "happened (answer lost)"

    def _duplicate(self, record: MaybeApplied, ids: list[str], reported: str) -> AssertionError:
        index = self.company_index[record.company]
        return fault_failure(
            f"duplicate created by a retried create: one call, {record.what}, made "
            f"{len(ids)} interviews in company #{index}: {', '.join(ids)} (the client "
            f"reported {reported}; faults: {record.faults.describe()}). A create is not safe "
            "to repeat (the API has no idempotency key): a client must not retry it after a "
            "lost or 5xx answer")

    def _settle_delete(self, record: MaybeApplied, listed: dict[str, dict]) -> str:
        iv = self.model.interviews[record.interview]
        gone = iv.id not in listed
        if record.report == "success":
            if not gone:
                raise fault_failure(
                    f"{record.what}: the client reported success for delete_interview of "
                    f"{iv.id}, which did not happen: it is still listed (faults: "
                    f"{record.faults.describe()})")
            return "reported success, happened"
        if not gone:
            if record.applied:
                raise fault_failure(
                    f"{record.what}: a try was applied (an after-fault acted: "
                    f"{record.faults.describe()}) but interview {iv.id} is still listed")
            return "did not happen"
        COVERAGE["transitions"][f"{iv.status.value} -> (deleted)"] += 1
        self.model.delete(iv)
        self.step.deleted_now.append(iv.id)
        return "happened (answer lost)"

    def _settle_invoke(self, record: MaybeApplied, listed: dict[str, dict]) -> str:
        iv = self.model.interviews[record.interview]
        item = listed.get(iv.id)
        if item is None:
            raise fault_failure(f"settling {record.what}: interview {iv.id} is not listed")
        attempts = item.get("callAttempts") or ()
        new = [a for a in attempts if a.get("retryNumber", -1) >= record.attempts_before]
        if len(new) > 1:
            raise fault_failure(
                f"{record.what}: one call of {iv.id} was applied "
                f"{len(new)} times (attempts {[a.get('id') for a in new]}; the client "
                f"reported {record.report}; faults: {record.faults.describe()}). A POST is not "
                "safe to repeat: a client must not retry it after a lost or 5xx answer")
        if record.report == "success":
            if not new:
                raise fault_failure(
                    f"{record.what}: the client reported success for invoke_call_attempt of "
                    f"{iv.id}, which did not happen: no new attempt (faults: "
                    f"{record.faults.describe()})")
            return "reported success, made once"
        if not new:
            if record.applied:
                raise fault_failure(
                    f"{record.what}: a try was applied (an after-fault acted: "
                    f"{record.faults.describe()}) but interview {iv.id} has no new attempt")
            return "did not happen"
        before = iv.status
        attempt = self.model.invoke(iv, record.when)
        attempt.id = new[0].get("id")
        if before is Status.FAILED:
            self.step.invoked = iv.id
        COVERAGE["transitions"][f"{before.value} -> SCHEDULED (invoke)"] += 1
        return "happened (answer lost)"

    def teardown(self) -> None:
        try:
            self._disarm()
        finally:
            super().teardown()


__all__ = ["FAULT_COVERAGE", "FAULT_ROUTES", "FaultPlan", "FaultyLifecycle"]
