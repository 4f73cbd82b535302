"""The one clock every time-dependent rule asks.

Tests and the lifecycle scheduler move time by setting an offset; nothing else in the
core calls `datetime.now` directly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time in UTC, shifted by an offset that tests may set."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Return the current time, aware, in UTC."""
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move time forward (or back, with a negative delta)."""
        self.offset += delta
