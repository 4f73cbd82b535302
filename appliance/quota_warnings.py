"""Warnings by mail when a mailbox passes 80% and 95% of its quota, once per crossing.

The level last warned about is kept on the account, so each threshold sends one notice;
it goes back to zero once usage falls below 80%, so a later crossing warns again.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.models import Account
from appliance.notifications import Notifier
from appliance.store.writer import Transaction, Writer

THRESHOLDS = (95, 80)  # percent, highest first


def human_size(size: int) -> str:
    """Return a size in the units people read: 812 KB, 4.2 GB (powers of 1024)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit in ("B", "KB") else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


class QuotaWarnings:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], writer: Writer, notifier: Notifier
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.notifier = notifier

    async def check(self, account_ids: list[int]) -> None:
        """Send the notices due for these accounts after a delivery."""
        ids = sorted(set(account_ids))

        async def write(tx: Transaction) -> list[tuple[str, int, int, int]]:
            due = []
            rows = await tx.session.scalars(select(Account).where(Account.id.in_(ids)))
            for account in rows:
                percent = account.used_bytes * 100 // max(account.quota_bytes, 1)
                level = next((t for t in THRESHOLDS if percent >= t), 0)
                if level > account.quota_warning_level:
                    due.append((account.address, account.used_bytes, account.quota_bytes, percent))
                if level != account.quota_warning_level:
                    account.quota_warning_level = level
            return due

        for address, used, limit, percent in await self.writer.run(write):
            await self.notifier.send(
                [address],
                "notify.quota",
                address=address,
                used=human_size(used),
                limit=human_size(limit),
                percent=percent,
            )
