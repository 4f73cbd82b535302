"""The sending-rate rule: more than 100 messages in any 30 minutes locks the account.

The 101st submission within a sliding 30-minute window is refused and locks the account
with the reason recorded; the operations centre and the unit's IT admin get a notice.
Registered bulk senders with two-factor login on are exempt.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.clock import Clock
from appliance.errors import AccountLocked, BulkSenderRequires2FA, SendingLimitReached
from appliance.models import Account
from appliance.models import Submission as SubmissionRow
from appliance.notifications import Notifier
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer

LIMIT = 100
WINDOW = timedelta(minutes=30)
RATE_LOCK_REASON = "rate_limit"


def unit_admin_address(address: str) -> str | None:
    """Return the IT admin address of the unit an address belongs to, e.g. admin.skhcn@…"""
    local, _, domain = address.partition("@")
    agency = local.rsplit(".", 1)[-1]
    return None if local.startswith("admin.") else f"admin.{agency}@{domain}"


class SendingRate:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        notifier: Notifier,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.notifier = notifier

    async def record(self, account: AccountInfo, recipients: int) -> None:
        """Count one submission, or raise and lock the account if it is one too many."""
        now = self.clock.now()

        async def write(tx: Transaction) -> str:
            row = await tx.session.get_one(Account, account.id)
            if row.state != "active":
                return "locked"
            sent = await tx.session.scalar(
                select(func.count(SubmissionRow.id)).where(
                    SubmissionRow.account_id == account.id, SubmissionRow.time > now - WINDOW
                )
            )
            exempt = row.bulk_sender and row.totp_enabled
            if (sent or 0) >= LIMIT and not exempt:
                row.state = "locked"
                row.lock_reason = RATE_LOCK_REASON
                row.locked_at = now
                return "limit"
            # Rows are kept after the window: the six-monthly report counts messages sent.
            tx.session.add(SubmissionRow(account_id=account.id, time=now, recipients=recipients))
            return "ok"

        outcome = await self.writer.run(write)
        if outcome == "locked":
            await self.audit.refused(
                "account_locked", service="submission", account=account.address
            )
            raise AccountLocked()
        if outcome == "limit":
            await self.audit.refused("sending_rate", service="submission", account=account.address)
            await self.audit.record(
                "account_locked", account=account.address, outcome=RATE_LOCK_REASON
            )
            await self._notify(account.address, now.isoformat(timespec="minutes"))
            raise SendingLimitReached()

    async def _notify(self, address: str, when: str) -> None:
        async with self.sessions() as session:
            centre = list(
                await session.scalars(select(Account.address).where(Account.kind == "centre_admin"))
            )
        admin = unit_admin_address(address)
        await self.notifier.send(
            [*centre, *([admin] if admin else [])],
            "notify.rate_lock",
            address=address,
            limit=LIMIT,
            minutes=int(WINDOW.total_seconds() // 60),
            time=when,
        )

    async def set_bulk_sender(self, account_id: int, registered: bool, by: str) -> None:
        """Register or unregister a bulk sender; registration needs 2FA on."""

        async def write(tx: Transaction) -> str:
            row = await tx.session.get_one(Account, account_id)
            if registered and not row.totp_enabled:
                raise BulkSenderRequires2FA(
                    f"{row.address} must turn on two-factor login before it can be a bulk sender."
                )
            row.bulk_sender = registered
            return row.address

        address = await self.writer.run(write)
        await self.audit.record(
            "bulk_sender", account=address, outcome="on" if registered else "off", detail=f"by {by}"
        )
