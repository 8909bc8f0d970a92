"""Pure parsing and validation of every path id, query and body (api.md step 6, decisions 1-19).

Parsers return dicts keyed by entity attribute names with only the fields given (null counts
as absent, decisions 6), or raise `ValidationError` listing every problem found.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid as _uuid
from typing import Any, Mapping

from simulator.core import enums as E
from simulator.core.clock import parse_date, parse_timestamp
from simulator.core.errors import ValidationError

MAX_DAYS_AHEAD = 30
METADATA_MAX_BYTES = 10240
METADATA_MAX_DEPTH = 5
METADATA_MAX_KEYS = 50
_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")


# ---------------------------------------------------------------- primitives

def is_uuid(raw: Any) -> bool:
    return isinstance(raw, str) and bool(_UUID_RE.match(raw))


def parse_uuid(field: str, raw: Any) -> str:
    """A path or query id: must be a UUID; uppercase is accepted and lower-cased (decisions 6)."""
    if not is_uuid(raw):
        raise ValidationError([(field, "must be a UUID")])
    return str(_uuid.UUID(raw))


def metadata_problem(value: Any) -> str | None:
    """decisions 17: ≤ 10240 bytes compact UTF-8 JSON, ≤ 5 levels of objects, ≤ 50 keys."""
    if not isinstance(value, dict):
        return "must be a JSON object"
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError):
        return "must be JSON"
    if size > METADATA_MAX_BYTES:
        return f"is {size} bytes; at most {METADATA_MAX_BYTES} bytes are allowed"
    keys = 0
    depth = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            depth = max(depth, level)
            keys += len(node)
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level) for v in node)
    if depth > METADATA_MAX_DEPTH:
        return f"nests objects {depth} levels deep; at most {METADATA_MAX_DEPTH} are allowed"
    if keys > METADATA_MAX_KEYS:
        return f"has {keys} keys; at most {METADATA_MAX_KEYS} are allowed"
    return None


class Fields:
    """Reads a JSON object field by field, collecting every problem before raising."""

    def __init__(self, body: Any, prefix: str = "", errors: list | None = None):
        self.errors: list[tuple[str, str]] = [] if errors is None else errors
        self.prefix = prefix
        self.out: dict[str, Any] = {}
        if body is None:
            body = {}
        if not isinstance(body, dict):
            self.errors.append((prefix.rstrip(".") or "body", "must be a JSON object"))
            body = {}
        self.body: dict = body

    def name(self, f: str) -> str:
        return self.prefix + f

    def raw(self, f: str) -> Any:
        return self.body.get(f)

    def has(self, f: str) -> bool:
        return self.body.get(f) is not None

    def err(self, f: str, msg: str) -> None:
        self.errors.append((self.name(f), msg))

    def _missing(self, f: str, required: bool) -> bool:
        if self.body.get(f) is None:
            if required:
                self.err(f, "is required")
            return True
        return False

    def string(self, f: str, attr: str | None = None, *, min_len: int = 0,
               max_len: int | None = None, required: bool = False, pattern=None,
               pattern_msg: str = "has an invalid format") -> None:
        if self._missing(f, required):
            return
        v = self.body[f]
        if not isinstance(v, str):
            return self.err(f, "must be a string")
        if len(v.strip()) < min_len or len(v) < min_len:
            return self.err(f, f"must be at least {min_len} characters")
        if max_len is not None and len(v) > max_len:
            return self.err(f, f"must be at most {max_len} characters")
        if pattern is not None and not pattern.match(v):
            return self.err(f, pattern_msg)
        self.out[attr or _snake(f)] = v

    def integer(self, f: str, attr: str | None = None, *, lo: int | None = None,
                hi: int | None = None, required: bool = False) -> None:
        if self._missing(f, required):
            return
        v = self.body[f]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            return self.err(f, "must be an integer")
        if lo is not None and v < lo:
            return self.err(f, f"must be at least {lo}")
        if hi is not None and v > hi:
            return self.err(f, f"must be at most {hi}")
        self.out[attr or _snake(f)] = v

    def number(self, f: str, attr: str | None = None, *, lo: float | None = None) -> None:
        if self._missing(f, False):
            return
        v = self.body[f]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return self.err(f, "must be a finite number")
        if lo is not None and v < lo:
            return self.err(f, f"must be at least {lo}")
        self.out[attr or _snake(f)] = v

    def boolean(self, f: str, attr: str | None = None) -> None:
        if self._missing(f, False):
            return
        v = self.body[f]
        if not isinstance(v, bool):
            return self.err(f, "must be true or false")
        self.out[attr or _snake(f)] = v

    def enum(self, f: str, enum_cls, attr: str | None = None, *, required: bool = False,
             exclude: tuple = ()) -> None:
        if self._missing(f, required):
            return
        v = self.body[f]
        allowed = [m.value for m in enum_cls if m not in exclude]
        if not isinstance(v, str) or v not in allowed:
            return self.err(f, "must be one of " + ", ".join(allowed))
        self.out[attr or _snake(f)] = enum_cls(v)

    def uuid(self, f: str, attr: str | None = None, *, required: bool = False) -> None:
        if self._missing(f, required):
            return
        v = self.body[f]
        if not is_uuid(v):
            return self.err(f, "must be a UUID")
        self.out[attr or _snake(f)] = str(_uuid.UUID(v))

    def str_list(self, f: str, attr: str | None = None, *, max_items: int, max_len: int,
                 min_items: int = 0, min_len: int = 1) -> None:
        if self._missing(f, False):
            return
        v = self.body[f]
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return self.err(f, "must be a list of strings")
        if len(v) < min_items:
            return self.err(f, f"must have at least {min_items} items")
        if len(v) > max_items:
            return self.err(f, f"must have at most {max_items} items")
        if any(len(x) > max_len or len(x.strip()) < min_len for x in v):
            return self.err(f, f"items must be {min_len}-{max_len} characters")
        self.out[attr or _snake(f)] = list(v)

    def uuid_list(self, f: str, attr: str | None = None, *, min_items: int = 0,
                  max_items: int = 50) -> None:
        if self._missing(f, False):
            return
        v = self.body[f]
        if not isinstance(v, list) or not all(is_uuid(x) for x in v):
            return self.err(f, "must be a list of UUIDs")
        if not (min_items <= len(v) <= max_items):
            return self.err(f, f"must have {min_items}-{max_items} items")
        ids = []
        for x in v:
            x = str(_uuid.UUID(x))
            if x not in ids:
                ids.append(x)
        self.out[attr or _snake(f)] = ids

    def metadata(self, f: str = "metadata") -> None:
        if self._missing(f, False):
            return
        problem = metadata_problem(self.body[f])
        if problem:
            return self.err(f, problem)
        self.out[_snake(f)] = json.loads(json.dumps(self.body[f]))  # a private deep copy

    def timestamp(self, f: str, attr: str | None = None, *, now: dt.datetime,
                  strictly_future: bool = False, required: bool = False,
                  bounded: bool = True) -> None:
        """decisions 15: past = strictly before now; ≤ 30 days ahead inclusive."""
        if self._missing(f, required):
            return
        try:
            t = parse_timestamp(self.body[f])
        except ValueError as exc:
            return self.err(f, str(exc))
        if bounded:
            if strictly_future and t <= now:
                return self.err(f, "must be in the future")
            if t < now:
                return self.err(f, "must not be in the past")
            if t > now + dt.timedelta(days=MAX_DAYS_AHEAD):
                return self.err(f, f"must be at most {MAX_DAYS_AHEAD} days ahead")
        self.out[attr or _snake(f)] = t

    def future_date(self, f: str, attr: str | None = None, *, today: dt.date,
                    required: bool = False) -> None:
        if self._missing(f, required):
            return
        try:
            d = parse_date(self.body[f])
        except ValueError as exc:
            return self.err(f, str(exc))
        if d <= today:
            return self.err(f, "must be a date after today")
        self.out[attr or _snake(f)] = d

    def done(self) -> dict[str, Any]:
        if self.errors:
            raise ValidationError(self.errors)
        return self.out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# ---------------------------------------------------------------- queries

_PAGED = {"list_interviews", "list_candidates", "list_jobs", "list_agents", "list_companies",
          "list_webhooks"}


def _q_int(args: Mapping, name: str, default: int, lo: int, hi: int, errors: list) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    if not re.fullmatch(r"-?[0-9]{1,18}", text):
        errors.append((name, "must be an integer"))
        return default
    v = int(text)
    if not lo <= v <= hi:
        errors.append((name, f"must be between {lo} and {hi}"))
    return v


def _q_enum(args: Mapping, name: str, enum_cls, errors: list, aliases=None) -> Any:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    raw = (aliases or {}).get(raw, raw)
    try:
        return enum_cls(raw)
    except ValueError:
        errors.append((name, "must be one of " + ", ".join(m.value for m in enum_cls)))
        return None


def _q_uuid(args: Mapping, name: str, errors: list) -> str | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    if not is_uuid(raw):
        errors.append((name, "must be a UUID"))
        return None
    return str(_uuid.UUID(raw))


def _q_time(args: Mapping, name: str, errors: list) -> dt.datetime | None:
    raw = args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        errors.append((name, str(exc)))
        return None


def parse_query(op_name: str, args: Mapping) -> dict[str, Any]:
    """Query parameters of a public operation; unknown ones are ignored (and `companyId` is
    the authorisation step's business)."""
    errors: list[tuple[str, str]] = []
    q: dict[str, Any] = {}
    if op_name in _PAGED:
        q["page"] = _q_int(args, "page", 1, 1, 10000, errors)
        q["limit"] = _q_int(args, "limit", 20, 1, 100, errors)
    if op_name == "list_interviews":
        q["candidate_id"] = _q_uuid(args, "candidateId", errors)
        q["agent_id"] = _q_uuid(args, "agentId", errors)
        q["status"] = _q_enum(args, "status", E.InterviewStatus, errors,
                              {"CANCELED": "CANCELLED"})
    elif op_name == "list_candidates":
        q["job_id"] = _q_uuid(args, "jobId", errors)
        q["status"] = _q_enum(args, "status", E.CandidateStatus, errors)
        q["search"] = args.get("search") or None
    elif op_name == "list_jobs":
        q["status"] = _q_enum(args, "status", E.JobStatus, errors)
        q["search"] = args.get("search") or None
    elif op_name == "list_agents":
        q["type"] = _q_enum(args, "type", E.AgentType, errors)
        q["focus"] = _q_enum(args, "focus", E.AgentFocus, errors)
        q["search"] = args.get("search") or None
    elif op_name == "list_companies":
        q["search"] = args.get("search") or None
    elif op_name == "get_billing_usage":
        q["start"] = _q_time(args, "start", errors)
        q["end"] = _q_time(args, "end", errors)
        if q["start"] and q["end"] and q["start"] > q["end"]:
            errors.append(("start", "must not be after end"))
    if errors:
        raise ValidationError(errors)
    return q


# ---------------------------------------------------------------- bodies: resources

def candidate_fields(body: Any, *, today: dt.date, partial: bool = False, prefix: str = "",
                     inline: bool = False, errors: list | None = None) -> Fields:
    f = Fields(body, prefix, errors)
    f.string("firstName", min_len=1, max_len=100, required=not partial)
    f.string("lastName", min_len=1, max_len=100, required=not partial)
    f.string("email", max_len=254, pattern=_EMAIL_RE, pattern_msg="must be an email address")
    f.string("phoneNumber", pattern=_E164_RE,
             pattern_msg="must be an E.164 number with a leading + (e.g. +421900123456)")
    f.future_date("gdprExpiryDate", today=today, required=inline)
    f.enum("status", E.CandidateStatus)
    if inline:
        f.uuid("jobId")
    else:
        f.uuid("jobId")
        f.uuid_list("jobIds", min_items=1 if not partial else 0, max_items=50)
        f.integer("overallRating", lo=0, hi=100)
    f.metadata()
    if not partial and not f.has("email") and not f.has("phoneNumber"):
        f.err("email", "give an email or a phoneNumber (at least one is required)")
    return f


def parse_candidate(body: Any, *, today: dt.date, partial: bool = False) -> dict:
    f = candidate_fields(body, today=today, partial=partial)
    out = f.done()
    # jobIds wins over the deprecated jobId (digest 3.3)
    if "job_ids" not in out and "job_id" in out:
        out["job_ids"] = [out["job_id"]]
    out.pop("job_id", None)
    return out


def job_fields(body: Any, *, partial: bool = False, prefix: str = "",
               errors: list | None = None) -> Fields:
    f = Fields(body, prefix, errors)
    if f.has("jobTitle") and not f.has("title"):  # the guide's spelling for inline jobs
        f.body = {**f.body, "title": f.body["jobTitle"]}
    f.string("title", min_len=5, max_len=200, required=not partial)
    f.string("description", min_len=10, max_len=5000, required=not partial)
    f.string("jobUrl", max_len=2048)
    f.string("benefits", max_len=5000)
    f.str_list("requiredSkills", max_items=10, max_len=128)
    f.str_list("niceToHaveSkills", max_items=10, max_len=128)
    f.enum("status", E.JobStatus)
    f.enum("experience", E.Experience)
    f.enum("contractType", E.ContractType)
    if f.has("experience") and "experience" in f.out:
        f.out["experience"] = f.out["experience"].value
    if "contract_type" in f.out:
        f.out["contract_type"] = f.out["contract_type"].value
    if f.has("education"):
        v = f.raw("education")
        allowed = {m.value for m in E.Education}
        if not isinstance(v, list) or not all(isinstance(x, str) and x in allowed for x in v):
            f.err("education", "must be a list of: " + ", ".join(m.value for m in E.Education))
        else:
            f.out["education"] = list(v)
    if f.has("languageRequirements"):
        v = f.raw("languageRequirements")
        langs = {m.value for m in E.Language}
        cefr = {m.value for m in E.CefrLevel}
        if (not isinstance(v, list) or len(v) > 5 or not all(
                isinstance(x, dict) and isinstance(x.get("language"), str)
                and isinstance(x.get("proficiency"), str) and x["language"] in langs
                and x["proficiency"] in cefr for x in v)):
            f.err("languageRequirements",
                  "must be at most 5 items {language: a language code, proficiency: A1-C2}")
        else:
            f.out["language_requirements"] = [
                {"language": x["language"], "proficiency": x["proficiency"]} for x in v]
    if f.has("location"):
        loc = Fields(f.raw("location"), f.name("location."), f.errors)
        loc.enum("workMode", E.WorkMode)
        for k in ("street", "city", "postalCode"):
            loc.string(k, max_len=200)
        loc.string("countryCode", min_len=2, max_len=2)
        if isinstance(f.raw("location"), dict):
            f.out["location"] = {
                "workMode": loc.out["work_mode"].value if "work_mode" in loc.out else None,
                "street": loc.out.get("street"), "city": loc.out.get("city"),
                "postalCode": loc.out.get("postal_code"),
                "countryCode": loc.out.get("country_code")}
    if f.has("salary"):
        sal = Fields(f.raw("salary"), f.name("salary."), f.errors)
        sal.number("min", lo=0)
        sal.number("max", lo=0)
        sal.string("currency", min_len=3, max_len=3)
        sal.enum("period", E.SalaryPeriod)
        if "min" in sal.out and "max" in sal.out and sal.out["min"] > sal.out["max"]:
            sal.err("min", "must not exceed max")
        if isinstance(f.raw("salary"), dict):
            f.out["salary"] = {"min": sal.out.get("min"), "max": sal.out.get("max"),
                               "currency": sal.out.get("currency"),
                               "period": sal.out["period"].value if "period" in sal.out else None}
    f.metadata()
    return f


def parse_job(body: Any, *, partial: bool = False) -> dict:
    return job_fields(body, partial=partial).done()


def agent_fields(body: Any, *, partial: bool = False, prefix: str = "",
                 errors: list | None = None) -> Fields:
    f = Fields(body, prefix, errors)
    f.string("name", min_len=2, max_len=100, required=not partial)
    # An UNDEFINED agent type cannot decide an interview's kind, so we refuse it (our choice).
    f.enum("type", E.AgentType, required=not partial, exclude=(E.AgentType.UNDEFINED,))
    f.enum("focus", E.AgentFocus)
    f.enum("language", E.Language)
    f.integer("duration", lo=1, hi=180)
    f.str_list("questions", max_items=50, max_len=1000)
    f.string("instructions", max_len=10000)
    f.enum("voiceId", E.Voice)
    f.enum("cefrLevel", E.CefrLevel)
    f.uuid("companyPhoneNumberId")
    f.enum("backgroundSound", E.BackgroundSound)
    f.metadata()
    return f


def parse_agent(body: Any, *, partial: bool = False) -> dict:
    return agent_fields(body, partial=partial).done()


def parse_company(body: Any, *, partial: bool = False) -> dict:
    f = Fields(body)
    f.string("name", min_len=2, max_len=100, required=not partial)
    f.string("description", min_len=1, max_len=1000)
    f.string("ownerEmail", max_len=254, pattern=_EMAIL_RE,
             pattern_msg="must be an email address")
    f.metadata()
    return f.done()


# ---------------------------------------------------------------- bodies: interviews

def parse_create_interview(body: Any, *, now: dt.datetime) -> dict:
    """POST /interviews: the xor rules, dates, isTest, metadata, and inline resources."""
    f = Fields(body)
    errors = f.errors
    today = now.date()
    for single, inline in (("candidateId", "candidate"), ("agentId", "agent"), ("jobId", "job")):
        if f.has(single) and f.has(inline):
            f.err(single, f"give either {single} or {inline}, not both")
    if not f.has("candidateId") and not f.has("candidate"):
        f.err("candidateId", "is required (or an inline candidate)")
    if not f.has("agentId") and not f.has("agent"):
        f.err("agentId", "is required (or an inline agent)")
    if f.has("scheduleTime") and f.has("scheduledAt"):
        f.err("scheduledAt", "give either scheduleTime or its alias scheduledAt, not both")
    f.uuid("candidateId")
    f.uuid("agentId")
    f.uuid("jobId")
    out = f.out
    if f.has("candidate"):
        c = candidate_fields(f.raw("candidate"), today=today, prefix="candidate.", inline=True,
                             errors=errors)
        out["candidate"] = c.out
        if c.has("jobId") and (f.has("jobId") or f.has("job")):
            errors.append(("candidate.jobId", "must not be combined with jobId or job"))
    if f.has("agent"):
        out["agent"] = agent_fields(f.raw("agent"), prefix="agent.", errors=errors).out
    if f.has("job"):
        out["job"] = job_fields(f.raw("job"), prefix="job.", errors=errors).out
    field = "scheduleTime" if f.has("scheduleTime") else "scheduledAt"
    f.timestamp(field, "scheduled_at", now=now)
    f.boolean("isTest")
    f.metadata()
    return f.done()


def parse_invoke(body: Any, *, now: dt.datetime) -> dict:
    f = Fields(body)
    f.timestamp("scheduledAt", now=now)
    return f.done()


def parse_reschedule(body: Any, *, now: dt.datetime) -> dict:
    f = Fields(body)
    f.timestamp("scheduledAt", now=now, strictly_future=True, required=True)
    return f.done()


# ---------------------------------------------------------------- bodies: control plane

def parse_sim_company(body: Any, *, partial: bool = False) -> dict:
    f = Fields(body)
    f.string("name", min_len=1, max_len=100)
    f.integer("concurrencyLimit", lo=0, hi=10000)
    f.integer("maxCallAttempts", lo=1, hi=100)
    f.integer("retryDelaySeconds", lo=0, hi=30 * 86400)
    f.integer("postCallDelaySeconds", lo=0, hi=30 * 86400)
    f.integer("autoEndCallSeconds", lo=1, hi=86400)
    out = f.done()
    # null autoEndCallSeconds is meaningful on PATCH: it switches automatic ends off
    if isinstance(body, dict) and "autoEndCallSeconds" in body \
            and body["autoEndCallSeconds"] is None:
        out["auto_end_call_seconds"] = None
    return out


def parse_sim_api_key(body: Any) -> dict:
    f = Fields(body)
    f.enum("kind", E.KeyKind, required=True)
    f.string("name", max_len=255)
    kind = f.out.get("kind")
    if kind is E.KeyKind.COMPANY:
        f.uuid("companyId", required=True)
    f.uuid_list("managedCompanyIds", min_items=0, max_items=1000)
    scopes = f.raw("scopes")
    if scopes is None or scopes == "*":
        f.out["scopes"] = frozenset({"*"})
    elif isinstance(scopes, list) and all(isinstance(s, str) and s for s in scopes):
        f.out["scopes"] = frozenset(scopes)
    else:
        f.err("scopes", 'must be "*" or a list of scope strings')
    if f.has("rateLimit"):
        r = Fields(f.raw("rateLimit"), "rateLimit.", f.errors)
        r.integer("perMinute", lo=1)
        r.integer("perHour", lo=1)
        f.out["rate_per_minute"] = r.out.get("per_minute")
        f.out["rate_per_hour"] = r.out.get("per_hour")
    return f.done()


def parse_end_call(body: Any) -> dict:
    f = Fields(body)
    f.enum("outcome", E.Outcome, required=True)
    f.integer("durationSeconds", lo=0, hi=7 * 86400)
    return f.done()


def parse_advance(body: Any) -> float:
    f = Fields(body)
    f.number("seconds", lo=0)
    if not f.has("seconds"):
        f.err("seconds", "is required")
    out = f.done()
    if out["seconds"] > 366 * 86400:
        raise ValidationError([("seconds", "must be at most one year")])
    return out["seconds"]


def parse_reset(body: Any) -> dt.datetime | None:
    f = Fields(body)
    f.timestamp("now", now=dt.datetime.min.replace(tzinfo=dt.timezone.utc), bounded=False)
    return f.done().get("now")


def parse_suspend(body: Any) -> str | None:
    f = Fields(body)
    f.string("reason", max_len=1000)
    return f.done().get("reason")


def parse_events_query(args: Mapping) -> dict:
    errors: list[tuple[str, str]] = []
    q = {
        "after": _q_int(args, "after", 0, 0, 1 << 62, errors),
        "interview_id": _q_uuid(args, "interviewId", errors),
        "company_id": _q_uuid(args, "companyId", errors),
        "type": _q_enum(args, "type", E.EventType, errors),
        "limit": _q_int(args, "limit", 0, 0, 1 << 30, errors),
    }
    if errors:
        raise ValidationError(errors)
    return q


def parse_requests_query(args: Mapping) -> int:
    errors: list[tuple[str, str]] = []
    limit = _q_int(args, "limit", 100, 1, 1000, errors)
    if errors:
        raise ValidationError(errors)
    return limit
