"""Warnings by mail when a mailbox passes 80% and 95% of its quota, once per crossing.

The level last warned about is kept on the account, so each threshold sends one notice;
it goes back to zero once usage falls below 80%, so a later crossing warns again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from appliance.models import Account
from appliance.notifications import Notifier
from appliance.store.reader import Reader
from appliance.store.writer import Writer

THRESHOLDS = (95, 80)  # percent, highest first


def human_size(size: int) -> str:
    """Return a size in the units people read: 812 KB, 4.2 GB (powers of 1024)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def warning_level(used_bytes: int, quota_bytes: int) -> int:
    """Return the highest threshold (percent) that the usage has reached, or 0."""
    percent = used_bytes * 100 // max(quota_bytes, 1)
    return next((t for t in THRESHOLDS if percent >= t), 0)


class QuotaWarnings:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        notifier: Notifier,
        reader: Reader,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.notifier = notifier
        self.reader = reader

    async def check(self, account_ids: list[int]) -> None:
        """Send the notices due for these accounts after a delivery."""
        ids = sorted(set(account_ids))
        # Most deliveries change no level: a read finds that without taking the writer.
        if not await self.reader.run(lambda connection: bool(_level_changes(connection, ids))):
            return

        def write(session: Session) -> list[tuple[str, int, int, int]]:
            due = []
            for row, level in _level_changes(session.connection(), ids):
                if level > row.quota_warning_level:
                    percent = row.used_bytes * 100 // max(row.quota_bytes, 1)
                    due.append((row.address, row.used_bytes, row.quota_bytes, percent))
                session.execute(
                    update(Account).where(Account.id == row.id).values(quota_warning_level=level)
                )
            return due

        for address, used, limit, percent in await self.writer.run_sync(write):
            await self.notifier.send(
                [address],
                "notify.quota",
                address=address,
                used=human_size(used),
                limit=human_size(limit),
                percent=percent,
            )


_LEVELS = select(
    Account.id,
    Account.address,
    Account.used_bytes,
    Account.quota_bytes,
    Account.quota_warning_level,
).where(Account.id.in_(bindparam("ids", expanding=True)))


def _level_changes(connection: Connection, ids: list[int]) -> list[tuple[Any, int]]:
    """Return (account row, new level) for each account whose warning level changes."""
    rows = connection.execute(_LEVELS, {"ids": ids})
    changes = []
    for row in rows:
        level = warning_level(row.used_bytes, row.quota_bytes)
        if level != row.quota_warning_level:
            changes.append((row, level))
    return changes
