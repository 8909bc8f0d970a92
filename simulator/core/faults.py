"""Injected faults (control-plane.md "Faults", decisions 36): records, validation and matching.

Pure: no Flask, no sleeping. The web middleware (`simulator.web.faults`) asks `match()` which
faults act on a request and carries them out outside the simulator lock.
"""
from __future__ import annotations

import fnmatch
import threading
import uuid
from typing import Any, Callable, Iterator

from attrs import define, evolve, field

from simulator.core.enums import WireEnum
from simulator.core.errors import ResourceNotFound, ValidationError
from simulator.core.inputs import is_uuid, parse_uuid

CONTROL_PREFIX = "/_sim"
DEFAULT_STATUS = 503
DEFAULT_DELAY_MS = 1000
MAX_DELAY_MS = 300_000  # five minutes: longer only hangs a test run
MAX_PATH_LENGTH = 2048
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_UNSET = object()


class FaultAction(WireEnum):
    ERROR = "error"
    DELAY = "delay"
    DROP = "drop"


class FaultPhase(WireEnum):
    BEFORE = "before"  # the request is not applied; the fault answers instead
    AFTER = "after"  # the request is applied, then its answer is replaced


@define
class Fault:
    """One armed fault; `times` is what remains (None: unlimited, decisions 36)."""

    id: str
    action: FaultAction
    method: str | None = None
    path: str | None = None
    company_id: str | None = None
    status: int = DEFAULT_STATUS
    delay_ms: int = DEFAULT_DELAY_MS
    phase: FaultPhase = FaultPhase.BEFORE
    times: int | None = 1

    def matches(self, method: str, paths: tuple[str, ...], company_id: str | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.company_id is not None and self.company_id != company_id:
            return False
        if self.path is None:
            return True
        return any(fnmatch.fnmatchcase(p, self.path) for p in paths)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "companyId": self.company_id,
            "action": self.action.value,
            "status": self.status,
            "delayMs": self.delay_ms,
            "phase": self.phase.value,
            "times": self.times,
        }


def is_control_path(path: str) -> bool:
    """`/_sim` and below is the control plane; `/v1/_sim` is not (decisions 2)."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def path_variants(path: str) -> tuple[str, ...]:
    """The request path with and without `/v1` (decisions 36) and a trailing slash (decisions 2)."""
    bare = path[3:] if path == "/v1" or path.startswith("/v1/") else path
    bare = bare or "/"
    forms = {bare, "/v1" + (bare if bare != "/" else "")}
    for p in list(forms):
        if len(p) > 1 and p.endswith("/"):
            forms.add(p.rstrip("/") or "/")
    return tuple(sorted(forms))


def _int_field(body: dict, name: str, lo: int, hi: int, problems: list) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append((name, "must be an integer"))
        return None
    if not lo <= value <= hi:
        problems.append((name, f"must be between {lo} and {hi}"))
        return None
    return value


def parse_fault_body(body: Any) -> dict[str, Any]:
    """Validate a `POST /_sim/faults` body; returns Fault keyword arguments or raises 400.

    Null fields count as absent (decisions 6) except `times`, where null means unlimited
    (decisions 36) and absence means 1 (control-plane.md).
    """
    if not isinstance(body, dict):
        raise ValidationError([("body", "must be a JSON object")])
    problems: list[tuple[str, str]] = []
    out: dict[str, Any] = {}

    action = body.get("action")
    if action is None:
        problems.append(("action", "is required: one of error, delay, drop"))
    elif action not in {a.value for a in FaultAction}:
        problems.append(("action", "must be one of error, delay, drop"))
    else:
        out["action"] = FaultAction(action)

    phase = body.get("phase")
    if phase is not None:
        if phase not in {p.value for p in FaultPhase}:
            problems.append(("phase", "must be before or after"))
        else:
            out["phase"] = FaultPhase(phase)

    method = body.get("method")
    if method is not None:
        if not isinstance(method, str) or method.upper() not in METHODS:
            problems.append(("method", "must be one of " + ", ".join(sorted(METHODS))))
        else:
            out["method"] = method.upper()

    path = body.get("path")
    if path is not None:
        if not isinstance(path, str) or not path or len(path) > MAX_PATH_LENGTH:
            problems.append(("path", f"must be a non-empty glob of at most {MAX_PATH_LENGTH} "
                                     "characters, e.g. /interviews/*"))
        elif not path.startswith(("/", "*")):
            problems.append(("path", "must start with / or *, e.g. /interviews/*"))
        elif is_control_path(path):
            problems.append(("path", "faults apply to the public API only, never /_sim"))
        else:
            out["path"] = path

    company_id = body.get("companyId")
    if company_id is not None:
        if not is_uuid(company_id):
            problems.append(("companyId", "must be a UUID"))
        else:
            out["company_id"] = company_id.lower()

    status = _int_field(body, "status", 400, 599, problems)
    if status is not None:
        out["status"] = status
    delay_ms = _int_field(body, "delayMs", 0, MAX_DELAY_MS, problems)
    if delay_ms is not None:
        out["delay_ms"] = delay_ms

    if "times" in body:
        if body["times"] is None:
            out["times"] = None
        else:
            times = _int_field(body, "times", 1, 1_000_000, problems)
            if times is not None:
                out["times"] = times

    if problems:
        raise ValidationError(problems)
    return out


@define
class FaultStore:
    """The armed faults, in the order they were added. Thread-safe on its own lock, so the
    middleware can match and consume without taking the simulator lock."""

    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()), repr=False)
    _faults: dict[str, Fault] = field(factory=dict, init=False)
    _lock: threading.Lock = field(factory=threading.Lock, init=False, repr=False)

    def add(self, body: Any) -> Fault:
        fault = Fault(id=self.new_id(), **parse_fault_body(body))
        with self._lock:
            self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        with self._lock:
            return [evolve(f) for f in self._faults.values()]

    def remove(self, fault_id: str) -> Fault:
        fid = parse_uuid("id", fault_id)
        with self._lock:
            fault = self._faults.pop(fid, None)
        if fault is None:
            raise ResourceNotFound("Fault", fid)
        return fault

    def clear(self) -> int:
        with self._lock:
            n = len(self._faults)
            self._faults.clear()
        return n

    def __len__(self) -> int:
        return len(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(self.list())

    def needs_company(self) -> bool:
        """Whether any armed fault filters on company (lets the middleware skip resolving)."""
        with self._lock:
            return any(f.company_id is not None for f in self._faults.values())

    def match(self, method: str, path: str,
              company_id: str | None) -> tuple[Fault | None, Fault | None]:
        """The before-fault and after-fault acting on one public request (decisions 36: at
        most one of each, the earliest armed), each with one use consumed atomically.

        A before-fault that answers (error, drop) means the request never runs, so no
        after-fault is taken for it.
        """
        if is_control_path(path):
            return None, None
        method = method.upper()
        paths = path_variants(path)
        with self._lock:
            before = after = None
            for f in self._faults.values():
                if not f.matches(method, paths, company_id):
                    continue
                if f.phase is FaultPhase.BEFORE and before is None:
                    before = f
                elif f.phase is FaultPhase.AFTER and after is None:
                    after = f
            if before is not None and before.action is not FaultAction.DELAY:
                after = None
            return self._consume(before), self._consume(after)

    def _consume(self, fault: Fault | None) -> Fault | None:
        """Take one use (caller holds the lock); returns a snapshot of the fault as used."""
        if fault is None:
            return None
        snapshot = evolve(fault)
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                del self._faults[fault.id]
        return snapshot

