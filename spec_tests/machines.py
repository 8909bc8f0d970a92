"""Hypothesis state machines whose rules are the API's operations (STYLE 2): a shrunk
failure prints as a sequence of API calls that can be pasted and run.

Each test case creates its own companies and keys through the control plane (never a global
reset), so runs and xdist workers can share one server. After every step the checks of
``spec_tests.checks`` compare the server with the model.
"""

from __future__ import annotations

import contextlib
import math
import secrets
import string
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any, Iterator

from hypothesis import strategies as st
from hypothesis.stateful import (Bundle, RuleBasedStateMachine, initialize,
                                 invariant, multiple, precondition, rule)

from . import checks
from .drivers import Outcome
from .model import (ALL_SCOPES, INTERVIEW_SCOPES, Caller, Company, Expect, Interview, Kind,
                    Model,
                    Refused, Status, AttemptStatus, iso, parse_time, violation)
from .shared_clock import ClockGuard
from .targets import Target, in_process_target

# ---------------------------------------------------------------- target and coverage

_TARGET: Target | None = None

# Whole-run coverage: rule -> count, "FROM->TO" transitions, invariant number -> checks run.
COVERAGE: dict[str, Counter] = {"rules": Counter(), "transitions": Counter(),
                                "invariants": Counter()}
# Rules skipped because the target cannot drive them (black-box), with the reason.
SKIPPED_RULES: dict[str, str] = {}

CONTROL_RULES = ("advance_clock", "join", "end_call", "cancel")


def current_target() -> Target:
    """The target set by the plugin (or ``use_target``); the in-process simulator when
    none was set, so that a pasted reproduction runs as it is."""
    global _TARGET
    if _TARGET is None:
        _TARGET = in_process_target()
    return _TARGET


def set_target(target: Target | None) -> None:
    global _TARGET
    _TARGET = target


@contextlib.contextmanager
def use_target(target: Target) -> Iterator[Target]:
    previous = _TARGET
    set_target(target)
    try:
        yield target
    finally:
        set_target(previous)


# ---------------------------------------------------------------- strategies

CALLER_KINDS = ("other", "unknown", "suspended", "ats", "ats_no_company", "ats_other",
                "ats_unmanaged", *(f"missing:{s}" for s in INTERVIEW_SCOPES))
# The right caller four times in five and the id as given two times in three, so that
# lifecycles get far enough for the deep invariants (4-9) within the ci profile's budget;
# wrong callers and ids are still drawn in most runs (bench/harness_breaks.py measures it).
callers = st.one_of(*[st.just("own")] * 4, st.sampled_from(CALLER_KINDS))
id_forms = st.sampled_from(["as_is"] * 6 + ["uppercase", "malformed", "unknown"])
minutes_ahead = st.one_of(st.just(0), st.just(0), st.integers(1, 240))
N_COMPANIES = 3
MANAGED = (0, 1)  # the ATS key manages companies #0 and #1, not #2


def random_key() -> str:
    alphabet = string.ascii_letters + string.digits
    return "sk_" + "".join(secrets.choice(alphabet) for _ in range(43))


class InterviewLifecycle(RuleBasedStateMachine):
    """Interviews, call attempts, the clock and the candidate's side across three companies
    with small concurrency limits, every operation also made by the wrong callers."""

    interviews = Bundle("interviews")

    def __init__(self) -> None:
        super().__init__()
        self.target = current_target()
        self.black_box = self.target.black_box
        self.model: Model | None = None
        self.company_ids: list[str] = []
        self.company_index: dict[str, int] = {}
        self.keys: dict[str, Any] = {}
        self.resources: list[dict[str, str]] = []
        self.step = checks.Step(op="initialize", public=False)
        self.before: dict[str, tuple] = {}
        self.last_seq = 0
        self.events_by_interview: dict[str, list[dict]] = {}
        self._hooks_installed = False
        self.touched: list[str] = []  # interviews recent steps changed, newest last
        self.live_order: list[str] = []  # interviews whose session is live, by start
        # steps under a shared lock, clock advances under an exclusive one, when test cases
        # share a server (and so its clock): spec_tests/shared_clock.py
        self.guard = ClockGuard(self.target.raw.base_url, enabled=(
            self.target.control is not None and self.target.shared_server))

    # ------------------------------------------------------------ plumbing
    def _envelope_hook(self, *args: Any) -> None:
        outcome = args[-1]
        checks.check_envelope(outcome, " ".join(str(a) for a in args[:2]))

    def _install_hooks(self) -> None:
        raw = self.target.raw
        if self._envelope_hook not in raw.after_call:
            raw.after_call.append(self._envelope_hook)
        if self.target.control is not None:
            self.target.control.after_call.append(self._envelope_hook)
        self._hooks_installed = True

    def teardown(self) -> None:
        self.guard.close()
        if self.black_box and self.model is not None:
            # the companies outlive the test case: leave them as clean as found
            for iv in self.model.live_interviews():
                self.target.raw.call("delete_interview", {"id": iv.id},
                                     self._auth(self.keys["full"][self.company_index[iv.company]]))
        with contextlib.suppress(ValueError):
            self.target.raw.after_call.remove(self._envelope_hook)
        if self.target.control is not None:
            with contextlib.suppress(ValueError):
                self.target.control.after_call.remove(self._envelope_hook)

    def _auth(self, key: str, company_id: str | None = None) -> dict:
        return {"api_key": key, "company_id": company_id}

    def caller(self, kind: str, owner: int) -> Caller:
        """The Caller a kind of wrong (or right) caller is, for a resource of company #owner."""
        cid = self.company_ids
        full = frozenset(ALL_SCOPES)
        if kind == "own" or (self.black_box and kind not in ("other", "unknown")):
            return Caller("own", self._auth(self.keys["full"][owner]), cid[owner], full)
        if kind == "other":
            other = (owner + 1) % len(cid)
            return Caller("another company's", self._auth(self.keys["full"][other]),
                          cid[other], full)
        if kind == "unknown":
            return Caller("unknown", self._auth(random_key()), None, full,
                          refusal=(401, "INVALID_API_KEY"))
        if kind == "suspended":
            return Caller("suspended", self._auth(self.keys["suspended"]), cid[0], full,
                          refusal=(401, "API_KEY_SUSPENDED"))
        if kind.startswith("missing:"):
            scope = kind.split(":", 1)[1]
            return Caller(f"{scope}-less", self._auth(self.keys["missing"][scope]), cid[0],
                          full - {scope})
        ats = self.keys["ats"]
        if kind == "ats":
            return Caller("ATS", self._auth(ats, cid[owner]), cid[owner], full,
                          ats_denied=owner not in MANAGED)
        if kind == "ats_no_company":
            return Caller("ATS without companyId", self._auth(ats), None, full,
                          refusal=(400, "VALIDATION_ERROR"))
        if kind == "ats_other":
            other = 0 if owner != 0 else 1
            return Caller("ATS naming another company", self._auth(ats, cid[other]),
                          cid[other], full)
        return Caller("ATS naming an unmanaged company", self._auth(ats, cid[2]), cid[2],
                      full, ats_denied=True)

    def _call(self, op: str, args: dict, caller: Caller, expect: Expect,
              about: str | None) -> Outcome:
        """One public request through the driver, judged against the model's answer."""
        COVERAGE["rules"][op] += 1
        out = self.target.driver.call(op, args, caller.auth)
        self.step = checks.Step(op=op, about=about, ok=out.ok, status=out.status)
        what = f"{op} by the {caller.label} key"
        if expect.ok:
            if not out.ok:
                raise AssertionError(f"Model disagreement: {what}: expected "
                                     f"{expect.describe()}, got {out.status} {out.code}: "
                                     f"{out.message}")
            if out.status is not None and out.status != expect.status:
                raise violation(11, f"{what}: answered {out.status}, api.md gives "
                                    f"{expect.status}")
        else:
            number = expect.invariant or 3
            if out.ok:
                raise violation(number, f"{what}: expected {expect.describe()}, got "
                                        f"{out.status} success")
            if out.status is not None and out.code is not None and not expect.matches(
                    out.status, out.code):
                raise violation(number, f"{what}: expected {expect.describe()}, got "
                                        f"{out.status} {out.code}: {out.message}")
        return out

    def _id_in_form(self, iv_id: str, form: str) -> str:
        if form == "uppercase":
            return iv_id.upper()
        if form == "malformed":
            return "not-a-uuid"
        if form == "unknown":
            return str(uuid.UUID(int=uuid.UUID(iv_id).int ^ 0xFFFF))
        return iv_id

    # ------------------------------------------------------------ tenants
    @initialize(limits=st.lists(st.integers(1, 2), min_size=N_COMPANIES, max_size=N_COMPANIES),
                max_attempts=st.integers(1, 3))
    def setup_tenants(self, limits: list[int], max_attempts: int) -> None:
        self._install_hooks()
        self.guard.shared()
        if self.black_box:
            return self._setup_black_box()
        control = self.target.control
        self.keys = {"full": [], "missing": {}}
        now = parse_time(control.clock()["now"])
        self.model = Model(now=now)
        phone_numbers = []
        for i, limit in enumerate(limits):
            company = control.create_company(
                name=f"spec company {i}", concurrencyLimit=limit, maxCallAttempts=max_attempts,
                retryDelaySeconds=600, postCallDelaySeconds=30, autoEndCallSeconds=None)
            self.company_ids.append(company["id"])
            phone_numbers.append(company["phoneNumberIds"][0])
            self.keys["full"].append(control.create_api_key(
                kind="COMPANY", companyId=company["id"], scopes="*")["key"])
            self.model.companies[company["id"]] = Company(company["id"], limit, max_attempts,
                                                          600, 30)
        self.company_index = {cid: i for i, cid in enumerate(self.company_ids)}
        for scope in INTERVIEW_SCOPES:
            self.keys["missing"][scope] = control.create_api_key(
                kind="COMPANY", companyId=self.company_ids[0],
                scopes=[s for s in ALL_SCOPES if s != scope])["key"]
        suspended = control.create_api_key(kind="COMPANY", companyId=self.company_ids[0],
                                           scopes="*")
        control.suspend_api_key(suspended["id"], "spec_tests")
        self.keys["suspended"] = suspended["key"]
        self.keys["ats"] = control.create_api_key(
            kind="ATS", managedCompanyIds=[self.company_ids[i] for i in MANAGED],
            scopes="*")["key"]
        self.last_seq = control.events(companyId=self.company_ids[0]).get("lastSeq", 0)
        for i in range(N_COMPANIES):
            self.resources.append(self._make_resources(i, phone_numbers[i]))

    def _setup_black_box(self) -> None:
        a, b = self.target.keys
        self.keys = {"full": [a, b]}
        for key in (a, b):
            out = self.target.raw.call("list_companies", {"query": {}}, self._auth(key))
            assert out.ok, f"black-box: GET /company answered {out.status} {out.code}"
            self.company_ids.append(out.data["data"][0]["id"])
        self.company_index = {cid: i for i, cid in enumerate(self.company_ids)}
        self.model = Model(now=parse_time(out.envelope["timestamp"]))
        for cid in self.company_ids:
            self.model.companies[cid] = Company(cid, 1, 1, 600, 30)
        for i in range(2):
            self.resources.append(self._make_resources(i, None))
        for rule_name in CONTROL_RULES:
            SKIPPED_RULES[rule_name] = "needs the control plane (black-box interview)"
        SKIPPED_RULES["create_interview(isTest=false)"] = "would place real calls"
        for rule_name in ("invoke_call_attempt", "reschedule_call_attempt", "delete_call_attempt"):
            SKIPPED_RULES[rule_name] = "only test interviews are created, and they have no calls"
        SKIPPED_RULES["wrong callers: suspended, missing scope, ATS"] = "needs keys only the control plane makes"

    def _make_resources(self, i: int, phone_number_id: str | None) -> dict[str, str]:
        auth = self._auth(self.keys["full"][i])
        raw = self.target.raw
        out: dict[str, str] = {}
        agent_bodies = {"ONLINE": {"name": f"Online agent {i}", "type": "ONLINE"}}
        if phone_number_id:
            agent_bodies["PHONE"] = {"name": f"Phone agent {i}", "type": "PHONE",
                                     "companyPhoneNumberId": phone_number_id}
        for kind, body in agent_bodies.items():
            res = raw.call("create_agent", {"body": body}, auth)
            assert res.ok, f"setup: create_agent answered {res.status} {res.code}: {res.message}"
            out[kind] = res.data["id"]
        gdpr = (self.model.now + timedelta(days=365)).date().isoformat()
        res = raw.call("create_candidate", {"body": {
            "firstName": "Spec", "lastName": f"Candidate {i}", "email": f"spec{i}@example.com",
            "phoneNumber": f"+42190000{i:04d}", "gdprExpiryDate": gdpr}}, auth)
        assert res.ok, f"setup: create_candidate answered {res.status} {res.code}: {res.message}"
        out["candidate"] = res.data["id"]
        return out

    # ------------------------------------------------------------ public API rules
    @rule(target=interviews, company=st.integers(0, N_COMPANIES - 1),
          kind=st.sampled_from(["PHONE", "ONLINE"]), later=minutes_ahead,
          is_test=st.sampled_from([False, False, False, True]), caller=callers)
    def create_interview(self, company: int, kind: str, later: int, is_test: bool,
                         caller: str) -> Any:
        model = self.model
        if self.black_box:
            company, kind, is_test = company % 2, "ONLINE", True
        who = self.caller(caller, company)
        owner = self.company_ids[company]
        when = model.now + timedelta(minutes=later)
        body: dict[str, Any] = {"candidateId": self.resources[company]["candidate"],
                                "agentId": self.resources[company][kind], "isTest": is_test}
        if later:
            body["scheduleTime"] = iso(when)
        try:
            model.authorize_create(who, owner)
            expect = Expect.success(201)
        except Refused as refused:
            expect = refused.expect
        out = self._call("create_interview", {"body": body}, who, expect, None)
        if not expect.ok:
            return multiple()
        data = out.data
        iv = model.create(data["id"], owner, Kind(kind), is_test, when)
        self.step.about = iv.id
        if iv.attempts and data.get("callAttempts"):
            model.sync_attempt_ids(iv, data["callAttempts"])
        COVERAGE["transitions"][f"(new) -> {iv.status.value}"] += 1
        return iv.id

    @rule(target=interviews, company=st.integers(0, N_COMPANIES - 1),
          kind=st.sampled_from(["PHONE", "PHONE", "ONLINE"]))
    def create_interview_due_now(self, company: int, kind: str) -> Any:
        """create_interview by the company's own key, due now, not a test: the start of
        every lifecycle that gets as far as a call (the seed's rules are about calls)."""
        return self.create_interview(company, kind, 0, False, "own")

    @rule(interview=interviews, caller=callers, form=id_forms)
    def get_interview(self, interview: str, caller: str, form: str) -> None:
        iv = self.model.interviews[interview]
        who = self.caller(caller, self.company_index[iv.company])
        raw_id = self._id_in_form(interview, form)
        try:
            self.model.lookup("get_interview", who, raw_id)
            expect = Expect.success()
        except Refused as refused:
            expect = refused.expect
        out = self._call("get_interview", {"id": raw_id}, who, expect, interview)
        if expect.ok:
            if not isinstance(out.data, dict):
                raise violation(11, f"get_interview {interview} returned {out.data!r}")
            self._same_as_server("get_interview", {"id": raw_id}, who, out)
            self._judge_item(iv, out.data, f"get_interview {interview}")

    @precondition(lambda self: self.model is not None and bool(self.touched))
    @rule(back=st.integers(0, 2))
    def get_changed_interview(self, back: int) -> None:
        """get_interview by its own key of an interview a recent step changed: a read after
        a write is where stale reads and lost updates show."""
        interview = self.touched[-1 - min(back, len(self.touched) - 1)]
        self.get_interview(interview, "own", "as_is")

    @rule(company=st.integers(0, N_COMPANIES - 1), caller=callers, limit=st.integers(1, 4),
          status=st.sampled_from([None, "SCHEDULED", "IN_PROGRESS", "COMPLETED", "FAILED",
                                  "CANCELLED", "CANCELED"]))
    def list_interviews(self, company: int, caller: str, limit: int, status: str | None
                        ) -> None:
        if self.black_box:
            company %= 2
        who = self.caller(caller, company)
        model = self.model
        try:
            model.lookup("list_interviews", who, str(uuid.UUID(int=0)))
        except Refused as refused:
            if refused.expect.reason not in ("no such interview",):
                self._call("list_interviews", {"query": {"limit": limit}}, who, refused.expect,
                           None)
                return
        acting = who.acting
        want_status = {"CANCELED": "CANCELLED"}.get(status or "", status)
        expected = [iv.id for iv in model.live_interviews(acting)
                    if want_status is None or iv.status.value == want_status]
        seen: list[str] = []
        items_seen = 0
        page = 1
        query: dict[str, Any] = {"limit": limit}
        if status:
            query["status"] = status
        what = f"list_interviews(status={status}, limit={limit})"
        while True:
            args = {"query": {**query, "page": page}}
            out = self._call("list_interviews", args, who, Expect.success(), None)
            self._same_as_server("list_interviews", args, who, out)
            data = out.data
            total = data["total"]
            if page == 1:
                first_total = total
            # black-box: the companies are shared with earlier runs, so interviews the model
            # never saw may be listed; they are counted, not judged
            if total != first_total or (total < len(expected) if self.black_box
                                        else total != len(expected)):
                raise violation(12, f"{what} page {page}: total {total}, {len(expected)} live "
                                    "interviews match")
            if data["totalPages"] != math.ceil(total / limit):
                raise violation(12, f"{what}: totalPages {data['totalPages']} for {total} "
                                    "items")
            items_seen += len(data["data"])
            for item in data["data"]:
                if item["id"] in model.interviews:
                    seen.append(item["id"])
                    self._judge_item(model.interviews[item["id"]], item, what)
                elif not self.black_box:
                    raise violation(12, f"{what} shows {item['id']}, which this test case "
                                        "never created")
            if not data["data"] or page >= data["totalPages"]:
                break
            page += 1
        if items_seen != total:
            raise violation(12, f"{what}: the pages held {items_seen} items, total says {total}")
        if sorted(seen) != sorted(expected):
            raise violation(12, f"paging {what} returned {seen}, expected each of {expected} "
                                "exactly once")

    def _judge_item(self, iv: Interview, item: dict, what: str) -> None:
        if iv.deleted:
            raise violation(1, f"{what} shows deleted interview {iv.id}")
        checks.judge_item(iv, item, what)

    def _same_as_server(self, op: str, args: dict, who: Caller, out: Outcome) -> None:
        """Through a client: its result must be what the server answers to the same request
        now (a client that caches or rewrites reads shows stale or different data)."""
        if self.target.driver is self.target.raw or not out.ok:
            return
        direct = self.target.raw.call(op, args, who.auth)
        if not direct.ok:
            raise AssertionError(f"Client disagreement: {op} {args} succeeded through the "
                                 f"client, the server answers {direct.status} {direct.code} "
                                 "(a cached or invented result?)")
        differences = _differences(_comparable(out.data), _comparable(direct.data))
        if differences:
            raise AssertionError(f"Client disagreement: {op} {args} returned data that differs "
                                 f"from the server's answer to the same request now (stale "
                                 f"cache?): " + "; ".join(differences[:4]))

    @rule(interview=interviews, caller=callers, form=id_forms)
    def delete_interview(self, interview: str, caller: str, form: str) -> None:
        iv = self.model.interviews[interview]
        who = self.caller(caller, self.company_index[iv.company])
        raw_id = self._id_in_form(interview, form)
        try:
            self.model.lookup("delete_interview", who, raw_id)
            expect = Expect.success()
        except Refused as refused:
            expect = refused.expect
        out = self._call("delete_interview", {"id": raw_id}, who, expect, interview)
        if expect.ok:
            if out.data is not True and out.status is not None:
                raise violation(11, f"delete_interview answered data={out.data!r}, not true")
            COVERAGE["transitions"][f"{iv.status.value} -> (deleted)"] += 1
            self.model.delete(iv)
            self.step.deleted_now.append(iv.id)

    def _time_body(self, minutes: int | None) -> tuple[Any, Any]:
        if minutes is None:
            return None, None
        when = self.model.now + timedelta(minutes=minutes)
        return when, iso(when)

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews, caller=callers, form=id_forms,
          minutes=st.one_of(st.none(), st.integers(1, 240), st.just(-60)))
    def invoke_call_attempt(self, interview: str, caller: str, form: str, minutes: int | None
                            ) -> None:
        model = self.model
        iv = model.interviews[interview]
        who = self.caller(caller, self.company_index[iv.company])
        raw_id = self._id_in_form(interview, form)
        when, when_text = self._time_body(minutes)
        bad_time = not model.check_time(when, strictly_future=False)
        try:
            model.lookup("invoke_call_attempt", who, raw_id,
                         body_error=(400, "VALIDATION_ERROR") if bad_time else None)
            expect = self._invoke_state(iv)
        except Refused as refused:
            expect = refused.expect
        out = self._call("invoke_call_attempt", {"id": raw_id, "body": {"scheduledAt": when_text}},
                         who, expect, interview)
        if expect.ok:
            before = iv.status
            attempt = model.invoke(iv, when)
            if isinstance(out.data, dict) and out.data.get("id"):
                attempt.id = out.data["id"]
            if before is Status.FAILED:
                self.step.invoked = iv.id
            COVERAGE["transitions"][f"{before.value} -> SCHEDULED (invoke)"] += 1

    def _invoke_state(self, iv: Interview) -> Expect:
        if iv.kind is Kind.ONLINE:
            return Expect.error(400, "INVALID_STATE", 3, "online interviews have no calls")
        if iv.status in (Status.COMPLETED, Status.CANCELLED):
            return Expect.error(409, "INVALID_STATE_TRANSITION", 9, f"{iv.status.value} is terminal")
        if iv.status is Status.IN_PROGRESS:
            return Expect.error(409, "INVALID_STATE_TRANSITION", 3, "session live or post-call pending")
        return Expect.success(201)

    def _attempt_for(self, iv: Interview, index: int) -> tuple[str, Any]:
        known = [a for a in iv.attempts if a.id is not None]
        if index >= len(known) or not known:
            return str(uuid.UUID(int=index + 1)), None
        attempt = known[index]
        return attempt.id, attempt

    def _attempt_rule(self, op: str, interview: str, index: int, caller: str, form: str,
                      minutes: int | None = None) -> None:
        model = self.model
        iv = model.interviews[interview]
        who = self.caller(caller, self.company_index[iv.company])
        raw_id = self._id_in_form(interview, form)
        attempt_id, attempt = self._attempt_for(iv, index)
        when, when_text = self._time_body(minutes)
        body_error = None
        if op == "reschedule_call_attempt" and not model.check_time(when, strictly_future=True):
            body_error = (400, "VALIDATION_ERROR")
        try:
            model.lookup(op, who, raw_id, body_error=body_error)
            expect = self._attempt_state(op, iv, attempt)
        except Refused as refused:
            expect = refused.expect
        args: dict[str, Any] = {"id": raw_id, "attempt_id": attempt_id}
        if op == "reschedule_call_attempt":
            args["body"] = {"scheduledAt": when_text}
        self._call(op, args, who, expect, interview)
        if expect.ok:
            if op == "reschedule_call_attempt":
                model.reschedule(attempt, when)
            else:
                model.delete_attempt(attempt)

    def _attempt_state(self, op: str, iv: Interview, attempt: Any) -> Expect:
        # decisions.md 3: online -> attempt lookup -> attempt status
        if iv.kind is Kind.ONLINE:
            return Expect.error(400, "INVALID_STATE", 3, "online interviews have no calls")
        if attempt is None or attempt.removed:
            return Expect.error(404, "RESOURCE_NOT_FOUND", 3, "no such attempt")
        if op == "reschedule_call_attempt" and attempt.status is not AttemptStatus.SCHEDULED:
            return Expect.error(400, "INVALID_STATE", 3, f"attempt {attempt.status.value}")
        if op == "delete_call_attempt" and attempt.status is AttemptStatus.IN_PROGRESS:
            return Expect.error(400, "INVALID_STATE", 3, "attempt IN_PROGRESS")
        return Expect.success(204)

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews, attempt=st.integers(0, 3), caller=callers, form=id_forms,
          minutes=st.one_of(st.integers(1, 240), st.just(-5)))
    def reschedule_call_attempt(self, interview: str, attempt: int, caller: str, form: str,
                                minutes: int) -> None:
        self._attempt_rule("reschedule_call_attempt", interview, attempt, caller, form, minutes)

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews, attempt=st.integers(0, 3), caller=callers, form=id_forms)
    def delete_call_attempt(self, interview: str, attempt: int, caller: str, form: str) -> None:
        self._attempt_rule("delete_call_attempt", interview, attempt, caller, form)

    # ------------------------------------------------------------ control plane rules
    def _control(self, op: str, out: Outcome, expect: Expect, about: str | None) -> None:
        COVERAGE["rules"][op] += 1
        self.step = checks.Step(op=op, about=about, ok=out.ok, status=out.status, public=False)
        if expect.ok != out.ok or (not expect.ok and not expect.matches(out.status, out.code)):
            number = expect.invariant
            message = (f"{op} of {about}: expected {expect.describe()}, got {out.status} "
                       f"{out.code}: {out.message}")
            if number is None:
                raise AssertionError("Model disagreement: " + message)
            raise violation(number, message)

    def _record_transitions(self, before: dict[str, Status], cause: str) -> None:
        for iv in self.model.interviews.values():
            old = before.get(iv.id)
            if old is not None and old is not iv.status:
                COVERAGE["transitions"][f"{old.value} -> {iv.status.value} ({cause})"] += 1

    @precondition(lambda self: not self.black_box)
    @rule(seconds=st.one_of(st.sampled_from([0, 30, 600, 3600]), st.integers(0, 7200)))
    def advance_clock(self, seconds: int) -> None:
        self.guard.exclusive()  # nobody else's step is under way while the clock moves
        model = self.model
        before = {i: iv.status for i, iv in model.interviews.items()}
        COVERAGE["rules"]["advance_clock"] += 1
        data = self.target.control.advance_clock(seconds)
        self.step = checks.Step(op="advance_clock", public=False)
        model.advance(model.now + timedelta(seconds=seconds))
        server_now = parse_time(data["now"])
        if server_now > model.now:  # another run moved the shared clock: catch up
            model.advance(server_now)
        self._record_transitions(before, "clock")
        self._sync_ids()

    def _sync_ids(self) -> None:
        for iv in self.model.interviews.values():
            if any(a.id is None for a in iv.attempts):
                view = self.target.control.internal_interview(iv.id)
                self.model.sync_attempt_ids(iv, view.get("callAttempts") or ())

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews)
    def join(self, interview: str) -> None:
        model = self.model
        iv = model.interviews[interview]
        before = {i: v.status for i, v in model.interviews.items()}
        if iv.deleted and not iv.live:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION", 4, "deleted interview",
                                  (400, "INVALID_STATE"))
        elif iv.kind is Kind.PHONE:
            expect = Expect.error(400, "INVALID_STATE", 3, "join on a phone interview")
        elif iv.status is not Status.SCHEDULED:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION",
                                  9 if iv.status in (Status.COMPLETED, Status.CANCELLED) else 3,
                                  f"interview {iv.status.value}")
        elif model.free_slots(iv.company) <= 0:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION", 7, "no free slot")
        else:
            expect = Expect.success()
        out = self.target.control.join(interview)
        self._control("join", out, expect, interview)
        if expect.ok:
            model.start_session(iv, None)
        self._record_transitions(before, "join")

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews,
          # COMPLETED half the time: completions are what invariants 6, 8 and 9 are about
          outcome=st.one_of(st.just("COMPLETED"),
                            st.sampled_from(["COMPLETED", "NO_ANSWER", "BUSY", "FAILED"])),
          duration=st.integers(1, 900))
    def end_call(self, interview: str, outcome: str, duration: int) -> None:
        model = self.model
        iv = model.interviews[interview]
        before = {i: v.status for i, v in model.interviews.items()}
        if iv.kind is Kind.ONLINE and outcome in ("NO_ANSWER", "BUSY"):
            expect = Expect.error(400, "VALIDATION_ERROR", 3, f"{outcome} on an online interview")
            if not iv.live:
                expect = Expect.error(400, "VALIDATION_ERROR", 3, "no live session",
                                      (409, "INVALID_STATE_TRANSITION"))
        elif not iv.live:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION", 3, "no live session")
        else:
            expect = Expect.success()
        out = self.target.control.end_call(interview, outcome, duration)
        self._control("end_call", out, expect, interview)
        if expect.ok:
            model.end_session(iv, outcome)
            self._sync_ids()
        self._record_transitions(before, f"end_call {outcome}")

    # A bundle argument disables its rule while the bundle is empty, so the rules about live
    # sessions pick one by its start order instead: deleting during a call and ending it are
    # the seed's sharpest rules (invariants 5, 6, 7 and 8) and must be frequent.
    def _live_session(self, index: int) -> str | None:
        live = [i for i in self.live_order if self.model.interviews[i].live]
        return live[index % len(live)] if live else None

    @precondition(lambda self: not self.black_box and self.model is not None
                  and any(iv.live for iv in self.model.interviews.values()))
    @rule(index=st.integers(0, 2),
          outcome=st.one_of(st.just("COMPLETED"),
                            st.sampled_from(["COMPLETED", "NO_ANSWER", "BUSY", "FAILED"])),
          duration=st.integers(1, 900))
    def end_live_call(self, index: int, outcome: str, duration: int) -> None:
        """end_call on the index-th live session (in the order they started)."""
        self.end_call(self._live_session(index), outcome, duration)

    @precondition(lambda self: self.model is not None
                  and any(iv.live for iv in self.model.interviews.values()))
    @rule(index=st.integers(0, 2), caller=callers, form=id_forms)
    def delete_live_interview(self, index: int, caller: str, form: str) -> None:
        """delete_interview of the index-th live session (in the order they started)."""
        self.delete_interview(self._live_session(index), caller, form)

    @precondition(lambda self: not self.black_box)
    @rule(interview=interviews)
    def cancel(self, interview: str) -> None:
        model = self.model
        iv = model.interviews[interview]
        before = {i: v.status for i, v in model.interviews.items()}
        if iv.deleted and not iv.live:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION", 3, "deleted interview")
        elif iv.status is not Status.SCHEDULED:
            expect = Expect.error(409, "INVALID_STATE_TRANSITION",
                                  9 if iv.status in (Status.COMPLETED, Status.CANCELLED) else 3,
                                  f"interview {iv.status.value}")
        else:
            expect = Expect.success()
        out = self.target.control.cancel(interview)
        self._control("cancel", out, expect, interview)
        if expect.ok:
            model.cancel(iv)
        self._record_transitions(before, "cancel")

    # ------------------------------------------------------------ the checks
    def _probe(self, op: str, args: dict, company: int) -> Outcome:
        return self.target.raw.call(op, args, self._auth(self.keys["full"][company]))

    def _observe(self) -> checks.Observation:
        model = self.model
        raw = self.target.raw
        listed: dict[str, list[dict]] = {}
        totals: dict[str, tuple[int, int, int]] = {}
        for i, cid in enumerate(self.company_ids):
            items: list[dict] = []
            page = 1
            while True:
                out = raw.call("list_interviews", {"query": {"limit": 100, "page": page}},
                               self._auth(self.keys["full"][i]))
                if not out.ok:
                    raise violation(12, f"list_interviews of company #{i} answered "
                                        f"{out.status} {out.code}")
                items += out.data["data"]
                if page == 1:
                    totals[cid] = (out.data["total"], out.data["limit"], out.data["totalPages"])
                if page >= out.data["totalPages"]:
                    break
                page += 1
            listed[cid] = items
        internal: dict[str, dict] = {}
        events: list[dict] = []
        state = None
        control = self.target.control
        if control is not None:
            for iv in model.deleted_interviews():
                if iv.deleted_live or iv.id in self.step.deleted_now or iv.live:
                    internal[iv.id] = control.internal_interview(iv.id)
            page_events = control.events(after=self.last_seq)
            mine = set(self.company_ids)
            events = [e for e in page_events["events"] if e.get("companyId") in mine]
            self.last_seq = page_events.get("lastSeq", self.last_seq)
            for e in events:
                if e.get("interviewId"):
                    self.events_by_interview.setdefault(e["interviewId"], []).append(e)
            state = {c["id"]: c for c in control.state().get("companies", ())
                     if c.get("id") in mine}
        known = model.interviews
        after = {item["id"]: snapshot_of(item) for items in listed.values() for item in items
                 if item["id"] in known}  # an unknown one is check 12's business
        after.update({i: snapshot_of(v) for i, v in internal.items()})
        return checks.Observation(
            model=model, step=self.step, before=self.before, after=after, listed=listed,
            totals=totals, internal=internal, events=events,
            events_by_interview=self.events_by_interview, state=state, probe=self._probe,
            company_index=self.company_index, coverage=COVERAGE["invariants"],
            foreign_ok=self.black_box)

    @invariant()
    def server_keeps_the_promises(self) -> None:
        if self.model is None:
            return
        self._check_step()
        if self.guard.enabled:
            # let waiting advances of other test cases in, then catch up with them
            self.guard.between_steps()
            self._catch_up_with_clock()

    def _catch_up_with_clock(self) -> None:
        model = self.model
        settle = any(a.due <= model.now for _, a in model.queued_attempts()) or any(
            iv.postcall == "PENDING" and iv.postcall_due and iv.postcall_due[0] <= model.now
            for iv in model.interviews.values())
        if settle:
            # Work of this test case is due but no advance reached it yet: another test case's
            # `advance` with seconds 0 would run it without moving the clock, so no clock read
            # could tell. Run it now, alone, and hold the lock through the next step.
            self.guard.exclusive()
        control = self.target.control
        server_now = parse_time((control.advance_clock(0) if settle else control.clock())["now"])
        if server_now <= model.now and not settle:
            return
        before = {i: iv.status for i, iv in model.interviews.items()}
        model.advance(max(server_now, model.now))
        self._record_transitions(before, "clock, advanced by another test case")
        self._sync_ids()
        self.step = checks.Step(op="advance_clock by another test case", public=False)
        self._check_step()  # judge what it did here, and start the next step from it

    def _check_step(self) -> None:
        obs = self._observe()
        for check in checks.CHECKS:
            if self.black_box and check in (checks.check_no_call_after_delete,
                                             checks.check_live_call_survives_delete,
                                             checks.check_no_postcall_after_delete,
                                             checks.check_slots):
                continue
            check(obs)
        COVERAGE["invariants"]["11"] += 1
        live = {i for i, iv in self.model.interviews.items() if iv.live}
        self.live_order = [i for i in self.live_order if i in live]
        self.live_order += sorted(live - set(self.live_order))  # several at once: by id
        changed = [k for k, v in obs.after.items() if self.before.get(k) != v]
        for iv_id in [*changed, *self.step.deleted_now]:
            if iv_id in self.touched:
                self.touched.remove(iv_id)
            self.touched.append(iv_id)
        del self.touched[:-6]
        # the probes of checks 1 and 2 change nothing: the next step starts from `after`
        self.before = {k: v for k, v in obs.after.items()
                       if k not in self.step.deleted_now}
        self.before.update({k: v for k, v in obs.after.items() if k in obs.internal})


def snapshot_of(item: dict) -> tuple:
    return checks.snapshot(item)


def _differences(client: Any, server: Any, where: str = "") -> list[str]:
    """Where two results differ, as "field: client X, server Y" lines (items by id)."""
    if isinstance(client, dict) and isinstance(server, dict):
        out = []
        for key in sorted(set(client) | set(server), key=str):
            out += _differences(client.get(key), server.get(key), f"{where}.{key}".lstrip("."))
        return out
    if (isinstance(client, list) and isinstance(server, list)
            and all(isinstance(x, dict) and "id" in x for x in client + server)):
        mine, theirs = {x["id"]: x for x in client}, {x["id"]: x for x in server}
        out = [f"{where}: the client lacks {i}" for i in theirs if i not in mine]
        out += [f"{where}: the server no longer has {i}" for i in mine if i not in theirs]
        for i in mine.keys() & theirs.keys():
            out += _differences(mine[i], theirs[i], f"{where}[{i}]")
        return out
    return [] if client == server else [f"{where or 'result'}: client {client!r}, server "
                                        f"{server!r}"]


def _comparable(data: Any) -> Any:
    """A read's result without what may differ between two reads a moment apart."""
    if isinstance(data, dict):
        return {k: _comparable(v) for k, v in data.items() if k not in ("updatedAt", "timestamp")}
    if isinstance(data, list):
        return [_comparable(v) for v in data]
    return data
