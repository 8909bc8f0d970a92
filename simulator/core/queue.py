"""The one queue of due work: a heap keyed by (due, seq), with cancellation."""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
from typing import Any, Iterator

from attrs import define, field


@define(eq=False)
class QueueItem:
    due: dt.datetime
    seq: int
    kind: str
    ref: Any
    cancelled: bool = False
    done: bool = False
    waiting: bool = False  # popped when due but blocked (no free slot)

    @property
    def live(self) -> bool:
        return not (self.cancelled or self.done)

    @property
    def key(self) -> tuple[dt.datetime, int]:
        return (self.due, self.seq)


@define
class DueQueue:
    """Items leave by `pop_due` (then `done` or `waiting`) or `cancel` (lazy removal)."""

    _heap: list[tuple[dt.datetime, int, QueueItem]] = field(factory=list)
    _seq: Iterator[int] = field(factory=lambda: itertools.count(1))

    def push(self, due: dt.datetime, kind: str, ref: Any) -> QueueItem:
        # decisions 21: one sequence counter for every queue item
        item = QueueItem(due=due, seq=next(self._seq), kind=str(kind), ref=ref)
        heapq.heappush(self._heap, (due, item.seq, item))
        return item

    def cancel(self, item: QueueItem | None) -> None:
        if item is not None:
            item.cancelled = True
            item.waiting = False

    def _drop_dead(self) -> None:
        while self._heap and not self._heap[0][2].live:
            heapq.heappop(self._heap)

    def peek(self) -> QueueItem | None:
        self._drop_dead()
        return self._heap[0][2] if self._heap else None

    def pop(self) -> QueueItem | None:
        self._drop_dead()
        return heapq.heappop(self._heap)[2] if self._heap else None

    def pending(self) -> list[QueueItem]:
        """Live items not yet popped, in (due, seq) order."""
        return sorted((e[2] for e in self._heap if e[2].live and not e[2].waiting),
                      key=lambda i: i.key)

    def __len__(self) -> int:
        return sum(1 for e in self._heap if e[2].live)
