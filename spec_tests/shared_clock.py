"""Test cases that share one server share its virtual clock (control-plane.md "Clock"): an
``advance`` by one xdist worker fires the due items of every worker's companies. Each test
case therefore runs its steps under a shared lock and its clock advances under an exclusive
one, so no advance lands inside another test case's step; between steps a test case reads the
clock and lets its model catch up with whatever others advanced (harness.md: workers in their
own tenants against one shared ``--base-url``).

The lock is an advisory file lock (``fcntl.flock``) named after the server's URL in the
temporary directory, so it covers every worker on one machine; writers go through a turnstile
so a stream of steps cannot starve an advance. Workers on several machines sharing one server
are not covered (docs/harness.md)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from typing import IO


class ClockGuard:
    """No-op unless ``enabled``: the in-process target has a clock of its own."""

    def __init__(self, base_url: str | None, enabled: bool) -> None:
        self.enabled = enabled and base_url is not None
        self.held: str | None = None  # None, "shared" or "exclusive"
        self._rw: IO[bytes] | None = None
        self._turn: IO[bytes] | None = None
        if self.enabled:
            digest = hashlib.sha256(str(base_url).encode()).hexdigest()[:16]
            stem = os.path.join(tempfile.gettempdir(), f"instaview-sim-clock-{digest}")
            self._rw = open(stem + ".lock", "ab")  # noqa: SIM115 - held for the test case
            self._turn = open(stem + ".turnstile", "ab")  # noqa: SIM115

    def __repr__(self) -> str:
        return f"ClockGuard(enabled={self.enabled}, held={self.held})"

    def shared(self) -> None:
        """Hold the lock for a step: other test cases' advances wait until it ends."""
        if not self.enabled or self.held == "shared":
            return
        self._release()
        fcntl.flock(self._turn, fcntl.LOCK_EX)  # queue behind a waiting advance
        fcntl.flock(self._rw, fcntl.LOCK_SH)
        fcntl.flock(self._turn, fcntl.LOCK_UN)
        self.held = "shared"

    def between_steps(self) -> None:
        """Let a waiting advance in, then hold the lock for the next step."""
        if self.enabled:
            self._release()
            self.shared()

    def exclusive(self) -> None:
        """Hold the lock alone: for a step that moves the clock."""
        if not self.enabled or self.held == "exclusive":
            return
        self._release()
        fcntl.flock(self._turn, fcntl.LOCK_EX)
        fcntl.flock(self._rw, fcntl.LOCK_EX)
        fcntl.flock(self._turn, fcntl.LOCK_UN)
        self.held = "exclusive"

    def _release(self) -> None:
        if self.held is not None:
            fcntl.flock(self._rw, fcntl.LOCK_UN)
            self.held = None

    def close(self) -> None:
        if not self.enabled:
            return
        self._release()
        for f in (self._rw, self._turn):
            if f is not None:
                f.close()
        self._rw = self._turn = None
        self.enabled = False
