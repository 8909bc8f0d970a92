"""A linearizability checker for short concurrent histories (Wing & Gong's search).

A history is a list of ``Call`` records (who made the call, what it was, when it was invoked
and when its answer came back, and the answer). It is *linearizable* when some total order
of the calls that respects real time (a call that returned before another was invoked comes
first) makes a sequential model give every recorded answer. The search tries, at each point,
every call that could take effect next (no other remaining call returned before it was
invoked), applies it to the model, and backtracks when the model disagrees; configurations
that already failed (the same set of calls done, the same model state) are not tried again.

The model is a pure ``step(state, call) -> (new_state, complaint)``: ``complaint`` is None when
the model gives the recorded answer, else a sentence saying what the model expected. A call
with no answer (``return_ns`` None: the connection dropped) may take effect at any time after
its invocation, with any answer, or never.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import attrs

NEVER = float("inf")


@attrs.frozen
class Call:
    """One request of a history: ``branch`` ("prefix", "1", "2", "3", "suffix"), its position
    in that branch, the operation and its arguments, the ``time.monotonic_ns()`` at invocation
    and at return (None: no answer came back), and the answer (``Outcome`` or a dict)."""

    branch: str
    index: int
    op: str
    args: dict
    invoke_ns: int
    return_ns: int | None
    outcome: Any = attrs.field(repr=False)

    @property
    def returned(self) -> float:
        return NEVER if self.return_ns is None else self.return_ns

    @property
    def label(self) -> str:
        return f"{self.branch}.{self.index}"


Step = Callable[[Any, Call], tuple[Any, str | None]]


@attrs.frozen
class DeadEnd:
    """Where an order stopped: the calls done so far, the call tried next, and why the model
    refused it."""

    prefix: tuple[Call, ...]
    call: Call
    complaint: str


@attrs.define
class Verdict:
    """The result of a search: ``ok`` with the order found and the model state after it, or
    not ok with the dead ends of the longest orders tried. ``explored`` counts the calls
    applied to the model in the search (the orderings explored); ``exhausted`` is True when the
    search stopped at its budget without an answer."""

    ok: bool
    order: tuple[Call, ...] = ()
    state: Any = None
    explored: int = 0
    exhausted: bool = False
    dead_ends: list[DeadEnd] = attrs.field(factory=list)


class _Budget(Exception):
    pass


def linearize(history: Sequence[Call], initial: Any, step: Step,
              key: Callable[[Any], Hashable] = repr, budget: int = 200_000) -> Verdict:
    """Search for an order of ``history`` that respects real time and that ``step`` accepts
    call after call, starting from the model state ``initial``."""
    calls = list(history)
    n = len(calls)
    failed: set[tuple[frozenset[int], Hashable]] = set()
    verdict = Verdict(ok=False)
    deepest = [-1]

    def note_dead_end(done: list[int], call: Call, complaint: str) -> None:
        if len(done) > deepest[0]:
            deepest[0] = len(done)
            verdict.dead_ends.clear()
        if len(done) == deepest[0] and len(verdict.dead_ends) < 50:
            verdict.dead_ends.append(DeadEnd(tuple(calls[i] for i in done), call, complaint))

    def search(done: list[int], remaining: frozenset[int], state: Any) -> tuple | None:
        if all(calls[i].return_ns is None for i in remaining):
            return tuple(done), state  # calls without an answer may never have happened
        memo = (remaining, key(state))
        if memo in failed:
            return None
        horizon = min(calls[i].returned for i in remaining)
        candidates = sorted((i for i in remaining if calls[i].invoke_ns < horizon),
                            key=lambda i: calls[i].invoke_ns)
        for i in candidates:
            verdict.explored += 1
            if verdict.explored > budget:
                raise _Budget
            new_state, complaint = step(state, calls[i])
            if complaint is not None:
                note_dead_end(done, calls[i], complaint)
                continue
            found = search(done + [i], remaining - {i}, new_state)
            if found is not None:
                return found
        failed.add(memo)
        return None

    try:
        found = search([], frozenset(range(n)), initial)
    except _Budget:
        verdict.exhausted = True
        return verdict
    if found is not None:
        order, state = found
        verdict.ok = True
        verdict.order = tuple(calls[i] for i in order)
        verdict.state = state
        verdict.dead_ends.clear()
    return verdict


# ------------------------------------------------------------------ reports

def _substitute(text: str, names: dict[str, str]) -> str:
    for raw, name in names.items():
        text = text.replace(raw, name)
    return text


def describe_call(call: Call, names: dict[str, str] | None = None,
                  answer: Callable[[Call], str] | None = None) -> str:
    args = ", ".join(f"{k}={v}" for k, v in call.args.items())
    text = f"{call.op}({args})"
    if answer is not None:
        text += f" -> {answer(call)}"
    return _substitute(text, names or {})


def timeline(history: Iterable[Call], names: dict[str, str] | None = None,
             answer: Callable[[Call], str] | None = None) -> list[str]:
    """One line per call, in invocation order, with its branch and its times (ms) relative to
    the first parallel call."""
    calls = sorted(history, key=lambda c: c.invoke_ns)
    parallel = [c.invoke_ns for c in calls if c.branch not in ("prefix", "suffix")]
    zero = min(parallel) if parallel else (calls[0].invoke_ns if calls else 0)
    lines = []
    for c in calls:
        ret = "no answer" if c.return_ns is None else f"{(c.return_ns - zero) / 1e6:+8.3f}"
        lines.append(f"  [{c.branch:>6}] {(c.invoke_ns - zero) / 1e6:+8.3f} .. {ret} ms  "
                     + describe_call(c, names, answer))
    return lines


def explain(history: Sequence[Call], verdict: Verdict, names: dict[str, str] | None = None,
            answer: Callable[[Call], str] | None = None, limit: int = 6) -> str:
    """A readable account of a verdict that is not ok: the history and why no order of it
    explains the answers."""
    names = names or {}
    lines = []
    if verdict.exhausted:
        lines.append(f"the search stopped after {verdict.explored} steps without deciding "
                     "(raise the budget or shorten the branches)")
    else:
        lines.append(f"no linearization exists: no order of the {len(history)} calls that "
                     f"respects real time explains every answer ({verdict.explored} orderings "
                     "explored)")
    lines.append("history (branch, invoke .. return, call -> answer):")
    lines += timeline(history, names, answer)
    if verdict.dead_ends:
        lines.append("every order dies; the longest ones end like this (a call is named "
                     "branch.index: 2.0 is branch 2's first call):")
        seen: set[tuple[str, str]] = set()
        for dead in verdict.dead_ends:
            complaint = _substitute(dead.complaint, names)
            what = f"{dead.call.label} {describe_call(dead.call, names)}"
            if (what, complaint) in seen:
                continue
            seen.add((what, complaint))
            done = [c.label for c in dead.prefix if c.branch not in ("prefix",)]
            lines.append(f"  after [{', '.join(done) or 'the prefix'}]: {what}: {complaint}")
            if len(seen) >= limit:
                break
    return "\n".join(lines)
