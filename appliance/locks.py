"""Account locks and the unlock workflow.

An account is locked by hand (a rule violation, a compromised account), by the sending-rate
rule, or after 6 months without a login (with a warning mail 14 days before). A locked
account cannot log in anywhere but still receives mail. Its unit files an unlock request;
the operations centre may act on it after one working day. Approving reactivates the
account with a new initial password that must be changed at first login.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.clock import Clock
from appliance.credentials import Credentials
from appliance.errors import ApplianceError
from appliance.models import Account, UnlockRequest, WebSession
from appliance.notifications import Notifier
from appliance.password_policy import max_age
from appliance.store.writer import Transaction, Writer
from appliance.workdays import VIETNAM, add_working_days

INACTIVITY_MONTHS = 6
WARNING_BEFORE = timedelta(days=14)
MANUAL_REASONS = ("rule_violation", "compromised")
EXEMPT_KINDS = ("service",)  # intake and postmaster mailboxes are read by staff, not logged in


class RequestNotActionable(ApplianceError):
    """The unlock request cannot be decided now."""


@dataclass(frozen=True)
class UnlockRequestInfo:
    id: int
    account: str
    requested_by: str
    reason: str
    filed_at: datetime
    actionable_at: datetime
    state: str
    decided_by: str
    decision_reason: str


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day and time `months` later, clamped to the month's last day."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def local_date(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y")


class Locks:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        notifier: Notifier,
        credentials: Credentials,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.notifier = notifier
        self.credentials = credentials

    async def lock(self, account_id: int, reason: str, by: str, detail: str = "") -> None:
        """Lock an account by hand and end its web sessions."""
        if reason not in MANUAL_REASONS:
            raise ValueError(f"unknown lock reason {reason!r}; use {', '.join(MANUAL_REASONS)}")
        address = await self._set_locked(account_id, reason, self.clock.now())
        await self.audit.record(
            "account_locked", account=address, outcome=reason, detail=f"by {by}: {detail}"
        )

    async def _set_locked(self, account_id: int, reason: str, now: datetime) -> str:
        async def write(tx: Transaction) -> str:
            account = await tx.session.get_one(Account, account_id)
            account.state = "locked"
            account.lock_reason = reason
            account.locked_at = now
            await tx.session.execute(delete(WebSession).where(WebSession.account_id == account_id))
            return account.address

        return await self.writer.run(write)

    # Scheduled jobs

    async def lock_inactive(self, now: datetime) -> str:
        """Warn accounts 14 days before 6 months without login, lock them at 6 months."""
        async with self.sessions() as session:
            accounts = list(
                await session.scalars(
                    select(Account).where(
                        Account.state == "active", Account.kind.not_in(EXEMPT_KINDS)
                    )
                )
            )
        locked = warned = 0
        for account in accounts:
            last = account.last_login_at or account.created_at
            due = add_months(last, INACTIVITY_MONTHS)
            if due <= now:
                await self._set_locked(account.id, "inactive", now)
                await self.audit.record(
                    "account_locked", account=account.address, outcome="inactive"
                )
                locked += 1
            elif due - WARNING_BEFORE <= now and (
                account.inactivity_warned_at is None or account.inactivity_warned_at < last
            ):
                await self._mark(account.id, inactivity_warned_at=now)
                await self.notifier.send(
                    [account.address],
                    "notify.inactivity",
                    address=account.address,
                    last=local_date(last),
                    due=local_date(due),
                )
                warned += 1
        return f"locked {locked}, warned {warned}"

    async def warn_password_expiry(self, now: datetime) -> str:
        """Send one mail per password, 14 days before it expires."""
        async with self.sessions() as session:
            accounts = list(
                await session.scalars(
                    select(Account).where(
                        Account.state == "active", Account.password_changed_at.is_not(None)
                    )
                )
            )
        warned = 0
        for account in accounts:
            changed = account.password_changed_at
            assert changed is not None
            expires = changed + max_age(account.kind)
            if expires - WARNING_BEFORE <= now < expires and account.expiry_warned_for != changed:
                await self._mark(account.id, expiry_warned_for=changed)
                await self.notifier.send(
                    [account.address],
                    "notify.password_expiry",
                    address=account.address,
                    due=local_date(expires),
                )
                warned += 1
        return f"warned {warned}"

    async def _mark(self, account_id: int, **values: datetime) -> None:
        async def write(tx: Transaction) -> None:
            account = await tx.session.get_one(Account, account_id)
            for name, value in values.items():
                setattr(account, name, value)

        await self.writer.run(write)

    # Unlock workflow

    async def file_unlock_request(self, account_id: int, requested_by: str, reason: str) -> int:
        """File a request to unlock a locked account; return its id."""
        now = self.clock.now()

        async def write(tx: Transaction) -> tuple[int, str]:
            account = await tx.session.get_one(Account, account_id)
            if account.state != "locked":
                raise RequestNotActionable(f"{account.address} is not locked.")
            open_request = await tx.session.scalar(
                select(UnlockRequest.id).where(
                    UnlockRequest.account_id == account_id, UnlockRequest.state == "pending"
                )
            )
            if open_request is not None:
                raise RequestNotActionable(
                    f"An unlock request for {account.address} is already waiting."
                )
            row = UnlockRequest(
                account_id=account_id,
                requested_by=requested_by,
                reason=reason,
                filed_at=now,
                actionable_at=add_working_days(now, 1),
                state="pending",
                decided_by="",
                decision_reason="",
            )
            tx.session.add(row)
            await tx.session.flush()
            return row.id, account.address

        request_id, address = await self.writer.run(write)
        await self.audit.record(
            "unlock_requested", account=address, outcome="pending", detail=f"by {requested_by}"
        )
        return request_id

    async def unlock_requests(self, state: str | None = "pending") -> list[UnlockRequestInfo]:
        """Return the requests (by default the pending queue), oldest first."""
        async with self.sessions() as session:
            query = (
                select(UnlockRequest, Account.address)
                .join(Account, Account.id == UnlockRequest.account_id)
                .order_by(UnlockRequest.filed_at)
            )
            if state is not None:
                query = query.where(UnlockRequest.state == state)
            rows = await session.execute(query)
            return [
                UnlockRequestInfo(
                    row.id,
                    address,
                    row.requested_by,
                    row.reason,
                    row.filed_at,
                    row.actionable_at,
                    row.state,
                    row.decided_by,
                    row.decision_reason,
                )
                for row, address in rows
            ]

    async def approve(self, request_id: int, by: str, client: str = "") -> str:
        """Approve a request that is due: unlock, reset the password; return it once."""
        now = self.clock.now()

        async def write(tx: Transaction) -> tuple[int, str, str]:
            request = await self._pending(tx, request_id, now)
            account = await tx.session.get_one(Account, request.account_id)
            account.state = "active"
            account.lock_reason = ""
            account.locked_at = None
            account.last_login_at = now  # the inactivity clock starts again
            request.state = "approved"
            request.decided_by = by
            request.decided_at = now
            return account.id, account.address, request.requested_by

        account_id, address, requested_by = await self.writer.run(write)
        password = await self.credentials.reset_password(account_id, by, client)
        await self.audit.record(
            "account_unlocked", account=address, outcome="ok", detail=f"by {by}"
        )
        await self.notifier.send([requested_by], "notify.unlocked", address=address, by=by)
        return password

    async def reject(self, request_id: int, by: str, reason: str) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> tuple[str, str]:
            request = await self._pending(tx, request_id, None)
            request.state = "rejected"
            request.decided_by = by
            request.decided_at = now
            request.decision_reason = reason
            account = await tx.session.get_one(Account, request.account_id)
            return account.address, request.requested_by

        address, requested_by = await self.writer.run(write)
        await self.audit.record(
            "unlock_rejected", account=address, outcome="rejected", detail=reason
        )
        await self.notifier.send(
            [requested_by], "notify.unlock_rejected", address=address, by=by, reason=reason
        )

    async def _pending(
        self, tx: Transaction, request_id: int, now: datetime | None
    ) -> UnlockRequest:
        request = await tx.session.get(UnlockRequest, request_id)
        if request is None or request.state != "pending":
            raise RequestNotActionable(f"Unlock request {request_id} is not waiting.")
        if now is not None and now < request.actionable_at:
            raise RequestNotActionable(
                f"Unlock request {request_id} can be approved from "
                f"{request.actionable_at.astimezone(VIETNAM):%d/%m/%Y %H:%M} (one working day)."
            )
        return request
