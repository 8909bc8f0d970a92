"""A deliberately broken simulator for the concurrency mode to catch (issue #6, "Must show"):
requests are NOT atomic (the `LockedWSGI` wrapper of `create_app` is taken off) and a pause
is planted in `delete_interview` between the existence check and the deletion, so two
racing deletes of one interview both answer 200.

Nothing in `simulator/` is edited: the app is unwrapped here and the one simulator instance
gets a subclass (no class-wide monkeypatch, so other simulators in the process are intact).
"""
from __future__ import annotations

import threading
import time
from typing import Any

from simulator.core.engine import Simulator
from simulator.testing import ServedURL, serve_in_thread
from simulator.web.app import EXTENSION, LockedWSGI, create_app

WINDOW_SECONDS = 0.02


class RacySimulator(Simulator):
    """`delete_interview` checks, sleeps, then deletes what it found, unchecked."""

    _found = threading.local()

    def _get(self, actor: Any, kind: str, rid: str, body_field: str | None = None) -> Any:
        found = getattr(self._found, "interview", None)
        if found is not None and kind == "Interview":
            return found  # the check already happened, before the window
        return super()._get(actor, kind, rid, body_field)

    def delete_interview(self, actor: Any, interview_id: str, **kw: Any) -> bool:
        interview = self._get(actor, "Interview", interview_id)  # existence check (404)
        time.sleep(WINDOW_SECONDS)  # the planted race window
        self._found.interview = interview
        try:
            return super().delete_interview(actor, interview_id, **kw)  # the mutation
        finally:
            self._found.interview = None


class SlotLeakSimulator(Simulator):
    """A sequential break that only the final state shows: deleting an interview whose call
    is live frees its slot at once (lifecycle.md says the slot stays taken until the call
    ends). Requests stay atomic; every answer is right."""

    def delete_interview(self, actor: Any, interview_id: str, **kw: Any) -> bool:
        interview = self._get(actor, "Interview", interview_id)
        result = super().delete_interview(actor, interview_id, **kw)
        self._tenants[interview.company_id].live.discard(interview.id)
        return result


def slot_leak_app() -> Any:
    """`create_app` as it is (lock kept), with the slot leak planted."""
    app = create_app(clock_mode="manual", auto_end_calls=None, faults=False)
    app.extensions[EXTENSION].__class__ = SlotLeakSimulator
    return app


def racy_app() -> Any:
    """The app of `create_app` (manual clock, no automatic call ends, no faults middleware)
    with the request lock removed and the racy delete planted."""
    app = create_app(clock_mode="manual", auto_end_calls=None, faults=False)
    locked = app.wsgi_app
    if not isinstance(locked, LockedWSGI):
        raise TypeError(f"create_app no longer wraps the app in LockedWSGI: {locked!r}")
    app.wsgi_app = locked.wsgi_app  # requests now run concurrently
    sim = app.extensions[EXTENSION]
    sim.__class__ = RacySimulator
    return app


def serve_racy() -> ServedURL:
    """The racy app on werkzeug's threaded server on a free loopback port."""
    return serve_in_thread(racy_app())


if __name__ == "__main__":  # python tests/concurrency/racy_server.py: serve until Ctrl-C
    served = serve_racy()
    print(f"racy simulator (no request lock, {WINDOW_SECONDS * 1000:.0f} ms window in "
          f"delete_interview) serving on {served}", flush=True)
    try:
        served.thread.join()
    except KeyboardInterrupt:
        served.stop()
