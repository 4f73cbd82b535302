"""Reports per unit for the city's operations: account review, activity, login frequency.

Each report counts only the accounts it is given (those an admin may see, by unit; see
`appliance.admin_scope`). Days are Vietnam days; working days come from
`appliance.workdays`. Rows are sorted by unit name, with accounts of no unit last.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.admin_queries import day_start, unit_names
from appliance.models import Account, AuditEntry, Folder, Message, Submission
from appliance.password_policy import max_age
from appliance.workdays import VIETNAM, is_working_day

# Logins a mailbox must have on each working day, by account kind, under the city's rule.
DAILY_LOGINS = {"agency": 4, "personal": 2}


@dataclass
class ReviewRow:
    """The periodic account review of one unit. `unit_id` None collects accounts of no unit."""

    unit_id: int | None
    unit_name: str
    total: int = 0
    active: int = 0
    locked: int = 0
    password_expired: int = 0
    no_2fa: int = 0
    inactive: int = 0


@dataclass
class ActivityRow:
    """Counts of one unit's activity over a period (the six-monthly report)."""

    unit_id: int | None
    unit_name: str
    logins: int = 0
    sent: int = 0
    received: int = 0
    created: int = 0
    locked: int = 0
    unlocked: int = 0
    revoked: int = 0


@dataclass
class FrequencyRow:
    """Login-frequency compliance of one unit: accounts checked and those falling short."""

    unit_id: int | None
    unit_name: str
    checked: int = 0
    compliant: int = 0
    short: list[str] = field(default_factory=list)  # addresses below the daily minimum

    @property
    def percent(self) -> float:
        return 100.0 if self.checked == 0 else 100.0 * self.compliant / self.checked


def by_unit_name(row: ReviewRow | ActivityRow | FrequencyRow) -> tuple[bool, str, int]:
    return (row.unit_id is None, row.unit_name, row.unit_id or 0)


async def _accounts(session: AsyncSession, ids: set[int]) -> list[Account]:
    found: list[Account] = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 500):  # stay below SQLite's parameter limit
        chunk = ordered[start : start + 500]
        found.extend(await session.scalars(select(Account).where(Account.id.in_(chunk))))
    return found


async def account_review(
    session: AsyncSession, visible: dict[int, int | None], now: datetime, inactive_days: int
) -> list[ReviewRow]:
    """Count per unit: accounts, active, locked, expired passwords, no 2FA, inactive.

    "Inactive" counts active accounts with no login (or, never logged in, no creation) in
    the last `inactive_days` days; "no 2FA" and "password expired" count active accounts.
    """
    names = await unit_names(session)
    rows: dict[int | None, ReviewRow] = {}
    since = now - timedelta(days=inactive_days)
    for account in await _accounts(session, set(visible)):
        unit_id = visible[account.id]
        row = rows.setdefault(unit_id, ReviewRow(unit_id, names.get(unit_id or 0, "")))
        row.total += 1
        if account.state == "locked":
            row.locked += 1
        if account.state != "active":
            continue
        row.active += 1
        changed = account.password_changed_at
        if (
            changed is None
            or account.must_change_password
            or changed + max_age(account.kind) <= now
        ):
            row.password_expired += 1
        if not account.totp_enabled:
            row.no_2fa += 1
        if (account.last_login_at or account.created_at) < since:
            row.inactive += 1
    return sorted(rows.values(), key=by_unit_name)


async def activity(
    session: AsyncSession, visible: dict[int, int | None], first: date, last: date
) -> list[ActivityRow]:
    """Count per unit, from `first` to `last` (whole Vietnam days): successful logins
    (audit), messages sent (submissions), received (INBOX by internal date), accounts
    created, locked and unlocked (audit), and revoked.
    """
    start, end = day_start(first), day_start(last + timedelta(days=1))
    names = await unit_names(session)
    accounts = await _accounts(session, set(visible))
    per_account: dict[str, Counter[int]] = defaultdict(Counter)
    by_address = {account.address: account.id for account in accounts}
    await _count_audit_events(session, by_address, start, end, per_account)
    await _count_messages(session, start, end, per_account)
    for account in accounts:
        if start <= account.created_at < end:
            per_account["created"][account.id] += 1
        revoked_at = account.revoked_at
        if account.state == "revoked" and revoked_at is not None and start <= revoked_at < end:
            per_account["revoked"][account.id] += 1

    rows: dict[int | None, ActivityRow] = {}
    for account in accounts:
        unit_id = visible[account.id]
        row = rows.setdefault(unit_id, ActivityRow(unit_id, names.get(unit_id or 0, "")))
        for key, counts in per_account.items():
            setattr(row, key, getattr(row, key) + counts[account.id])
    return sorted(rows.values(), key=by_unit_name)


async def _count_audit_events(
    session: AsyncSession,
    by_address: dict[str, int],
    start: datetime,
    end: datetime,
    per_account: dict[str, Counter[int]],
) -> None:
    """Add successful logins, locks and unlocks between `start` and `end`, by account."""
    for event, outcome, key in (
        ("login", "ok", "logins"),
        ("account_locked", None, "locked"),
        ("account_unlocked", None, "unlocked"),
    ):
        query = select(AuditEntry.account, func.count(AuditEntry.id)).where(
            AuditEntry.event == event, AuditEntry.time >= start, AuditEntry.time < end
        )
        if outcome is not None:
            query = query.where(AuditEntry.outcome == outcome)
        for address, count in await session.execute(query.group_by(AuditEntry.account)):
            if address in by_address:
                per_account[key][by_address[address]] += int(count)


async def _count_messages(
    session: AsyncSession, start: datetime, end: datetime, per_account: dict[str, Counter[int]]
) -> None:
    """Add messages submitted and messages received in INBOX, by account."""
    # Submissions are kept after the sending-rate window, so every message sent counts.
    sent = select(Submission.account_id, func.count(Submission.id)).where(
        Submission.time >= start, Submission.time < end
    )
    for account_id, count in await session.execute(sent.group_by(Submission.account_id)):
        per_account["sent"][account_id] += int(count)
    received = (
        select(Folder.account_id, func.count(Message.id))
        .join(Folder, Folder.id == Message.folder_id)
        .where(Folder.name == "INBOX", Message.internal_date >= start, Message.internal_date < end)
        .group_by(Folder.account_id)
    )
    for account_id, count in await session.execute(received):
        per_account["received"][account_id] += int(count)


def working_days(first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days


async def login_frequency(
    session: AsyncSession, visible: dict[int, int | None], first: date, last: date
) -> tuple[list[FrequencyRow], int]:
    """Check every active agency and personal mailbox against its daily login minimum.

    An account complies when each working day from `first` to `last` has at least
    `DAILY_LOGINS[kind]` successful logins. Returns the rows and the working days counted.
    """
    days = working_days(first, last)
    names = await unit_names(session)
    accounts = [
        account
        for account in await _accounts(session, set(visible))
        if account.kind in DAILY_LOGINS and account.state == "active"
    ]
    by_address = {account.address: account for account in accounts}
    logins: dict[int, Counter[date]] = defaultdict(Counter)
    query = select(AuditEntry.account, AuditEntry.time).where(
        AuditEntry.event == "login",
        AuditEntry.outcome == "ok",
        AuditEntry.time >= day_start(first),
        AuditEntry.time < day_start(last + timedelta(days=1)),
    )
    for address, moment in await session.execute(query):
        if address in by_address:
            logins[by_address[address].id][moment.astimezone(VIETNAM).date()] += 1
    rows: dict[int | None, FrequencyRow] = {}
    for account in accounts:
        unit_id = visible[account.id]
        row = rows.setdefault(unit_id, FrequencyRow(unit_id, names.get(unit_id or 0, "")))
        row.checked += 1
        minimum = DAILY_LOGINS[account.kind]
        if all(logins[account.id][day] >= minimum for day in days):
            row.compliant += 1
        else:
            row.short.append(account.address)
    return sorted(rows.values(), key=by_unit_name), len(days)
