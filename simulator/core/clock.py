"""The virtual clock (manual | real), the wire timestamp format and input timestamp parsing."""
from __future__ import annotations

import datetime as dt
import time

from simulator.core.enums import ClockMode

UTC = dt.timezone.utc


def _ms(t: dt.datetime) -> dt.datetime:
    """Truncate to milliseconds: the wire shows ms, so the core never keeps finer time."""
    return t.replace(microsecond=t.microsecond - t.microsecond % 1000)


def wall_now() -> dt.datetime:
    return _ms(dt.datetime.now(UTC))


def iso(t: dt.datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds and Z (api.md, Envelope)."""
    if t is None:
        return None
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_date(d: dt.date | None) -> str | None:
    return None if d is None else d.isoformat()


def parse_timestamp(raw: object) -> dt.datetime:
    """Parse an input timestamp (decisions 15-16); raises ValueError with the reason.

    Without an offset it is UTC; a date alone is midnight UTC.
    """
    if not isinstance(raw, str):
        raise ValueError("must be an ISO-8601 date-time string")
    text = raw.strip()
    if not text:
        raise ValueError("must be an ISO-8601 date-time string")
    if len(text) == 10:
        try:
            d = dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"is not a valid date: {exc}") from None
        return dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
    if "T" not in text and " " not in text[:11]:
        raise ValueError("is not an ISO-8601 date-time")
    try:
        t = dt.datetime.fromisoformat(text.replace("z", "Z"))
        if t.tzinfo is None:
            t = t.replace(tzinfo=UTC)
        return _ms(t.astimezone(UTC))
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"is not a valid ISO-8601 date-time: {exc}") from None


def parse_date(raw: object) -> dt.date:
    """A date-only field (`gdprExpiryDate`): YYYY-MM-DD, or a timestamp whose UTC date is used."""
    if not isinstance(raw, str):
        raise ValueError("must be a date string YYYY-MM-DD")
    text = raw.strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    return parse_timestamp(text).date()


class Clock:
    """`manual` moves only by `advance`; `real` follows wall time plus what `advance` added."""

    def __init__(self, mode: ClockMode | str = ClockMode.MANUAL, start: dt.datetime | None = None):
        self.mode = ClockMode(mode)
        self.restart(start)

    def restart(self, start: dt.datetime | None = None) -> None:
        start = _ms(start.astimezone(UTC)) if start is not None else wall_now()
        self._base = start
        self._wall_base = time.monotonic()
        self._offset = dt.timedelta(0)

    def now(self) -> dt.datetime:
        if self.mode is ClockMode.MANUAL:
            return self._base + self._offset
        elapsed = dt.timedelta(seconds=time.monotonic() - self._wall_base)
        return _ms(self._base + elapsed + self._offset)

    def advance(self, seconds: float) -> dt.datetime:
        if seconds < 0:
            raise ValueError("the clock never moves backwards")
        self._offset += dt.timedelta(seconds=seconds)
        if self.mode is ClockMode.MANUAL:
            self._offset = _ms(self._base + self._offset) - self._base
        return self.now()

    def step_to(self, t: dt.datetime) -> dt.datetime:
        """Move forward to `t` (never backwards): used to run due work at its exact instant."""
        t = _ms(t)
        now = self.now()
        if t > now:
            self._offset += t - now
        return self.now()

    def to_dict(self) -> dict:
        return {"now": iso(self.now()), "mode": self.mode.value}
