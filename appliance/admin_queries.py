"""Reads of the admin console: account rows and details, the dashboard and the audit log.

These functions take the set of accounts the admin may see, worked out by
`appliance.admin_scope`, and never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.models import Account, AppPassword, AuditEntry, Unit
from appliance.password_policy import max_age
from appliance.workdays import VIETNAM

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AccountRow:
    """One line of the account list."""

    id: int
    address: str
    display_name: str
    kind: str
    state: str
    unit_id: int | None
    unit_name: str


@dataclass(frozen=True)
class AccountDetail:
    """Everything the account page shows; no message content is ever read."""

    id: int
    address: str
    display_name: str
    kind: str
    state: str
    lock_reason: str
    locked_at: datetime | None
    unit_id: int | None
    unit_name: str
    used_bytes: int
    quota_bytes: int
    message_count: int
    created_at: datetime
    last_login_at: datetime | None
    totp_enabled: bool
    bulk_sender: bool
    must_change_password: bool
    password_changed_at: datetime | None
    password_expires_at: datetime | None
    app_passwords: int

    @property
    def quota_percent(self) -> float:
        return 0.0 if self.quota_bytes <= 0 else 100.0 * self.used_bytes / self.quota_bytes

    def password_age_days(self, now: datetime) -> int | None:
        changed = self.password_changed_at
        return None if changed is None else (now - changed).days


@dataclass(frozen=True)
class AuditFilter:
    """Filters of the audit log; empty strings and None match everything."""

    account: str = ""
    event: str = ""
    outcome: str = ""
    service: str = ""
    client: str = ""
    since: date | None = None  # first day included, Vietnam time
    until: date | None = None  # last day included, Vietnam time


@dataclass(frozen=True)
class AuditRecord:
    id: int
    time: datetime
    event: str
    account: str
    client: str
    service: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditRecord]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // AUDIT_PAGE_SIZE))


async def unit_names(session: AsyncSession) -> dict[int, str]:
    return {unit_id: name for unit_id, name in await session.execute(select(Unit.id, Unit.name))}


async def account_rows(
    session: AsyncSession, visible: dict[int, int | None], kind: str = "", state: str = ""
) -> list[AccountRow]:
    """Return the visible accounts, by address, optionally of one kind and one state."""
    names = await unit_names(session)
    query = select(Account).order_by(Account.address)
    if kind:
        query = query.where(Account.kind == kind)
    if state:
        query = query.where(Account.state == state)
    rows = []
    for account in await session.scalars(query):
        if account.id not in visible:
            continue
        unit_id = visible[account.id]
        rows.append(
            AccountRow(
                account.id,
                account.address,
                account.display_name,
                account.kind,
                account.state,
                unit_id,
                "" if unit_id is None else names.get(unit_id, ""),
            )
        )
    return rows


async def account_detail(
    session: AsyncSession, account_id: int, unit_id: int | None
) -> AccountDetail:
    account = await session.get_one(Account, account_id)
    app_passwords = await session.scalar(
        select(func.count(AppPassword.id)).where(
            AppPassword.account_id == account_id, AppPassword.revoked_at.is_(None)
        )
    )
    unit_name = "" if unit_id is None else (await session.get_one(Unit, unit_id)).name
    changed = account.password_changed_at
    return AccountDetail(
        id=account.id,
        address=account.address,
        display_name=account.display_name,
        kind=account.kind,
        state=account.state,
        lock_reason=account.lock_reason,
        locked_at=account.locked_at,
        unit_id=unit_id,
        unit_name=unit_name,
        used_bytes=account.used_bytes,
        quota_bytes=account.quota_bytes,
        message_count=account.message_count,
        created_at=account.created_at,
        last_login_at=account.last_login_at,
        totp_enabled=account.totp_enabled,
        bulk_sender=account.bulk_sender,
        must_change_password=account.must_change_password,
        password_changed_at=changed,
        password_expires_at=None if changed is None else changed + max_age(account.kind),
        app_passwords=int(app_passwords or 0),
    )


async def state_counts(session: AsyncSession, account_ids: set[int] | None) -> dict[str, int]:
    """Return how many accounts are in each state; `None` counts every account."""
    query = select(Account.state, func.count(Account.id)).group_by(Account.state)
    counts: dict[str, int] = {}
    if account_ids is None:
        for state, count in await session.execute(query):
            counts[state] = int(count)
        return counts
    for state in await session.scalars(select(Account.state).where(Account.id.in_(account_ids))):
        counts[state] = counts.get(state, 0) + 1
    return counts


def day_start(day: date) -> datetime:
    """Return midnight of `day` in Vietnam time."""
    return datetime.combine(day, time(0, 0), VIETNAM)


def _filtered(query: Select[AuditEntry], where: AuditFilter) -> Select[AuditEntry]:
    if where.account:
        query = query.where(AuditEntry.account == where.account.strip().lower())
    for column, value in (
        (AuditEntry.event, where.event),
        (AuditEntry.outcome, where.outcome),
        (AuditEntry.service, where.service),
        (AuditEntry.client, where.client),
    ):
        if value:
            query = query.where(column == value.strip())
    if where.since is not None:
        query = query.where(AuditEntry.time >= day_start(where.since))
    if where.until is not None:
        query = query.where(AuditEntry.time < day_start(where.until + timedelta(days=1)))
    return query


async def audit_page(
    session: AsyncSession, where: AuditFilter, addresses: set[str] | None, page: int
) -> AuditPage:
    """Return one page of matching entries, newest first.

    `addresses` limits the entries to those about these accounts; `None` means all.
    """
    query = _filtered(select(AuditEntry), where)
    if addresses is not None:
        query = query.where(AuditEntry.account.in_(addresses))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = max(1, page)
    rows = await session.scalars(
        query.order_by(AuditEntry.time.desc(), AuditEntry.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
    )
    entries = [
        AuditRecord(
            row.id,
            row.time,
            row.event,
            row.account,
            row.client,
            row.service,
            row.outcome,
            row.detail,
        )
        for row in rows
    ]
    return AuditPage(entries, page, int(total or 0))
