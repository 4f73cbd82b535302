"""The one clock every time-dependent rule asks.

Tests and the lifecycle scheduler move time by setting an offset, or stop it at a moment;
nothing else in the core calls `datetime.now` directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, shifted by an offset, or stopped at a set moment."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.stopped_at: datetime | None = None

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        if self.stopped_at is not None:
            return self.stopped_at
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back, with a negative delta)."""
        if self.stopped_at is not None:
            self.stopped_at += delta
        else:
            self.offset += delta

    def stop_at(self, moment: datetime) -> None:
        """Stop the clock at `moment` (aware); `advance` still moves it."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.stopped_at = moment.astimezone(UTC)
