"""Every action and read of the admin console, each checked against the admin's scope here.

The admin console calls only these methods, so a page that forgot a check still cannot
act outside the admin's units: the check happens in the core, and each refusal is audited
(see `appliance.admin_scope`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from appliance.admin_queries import (
    AccountDetail,
    AccountRow,
    AuditFilter,
    AuditPage,
    account_detail,
    account_rows,
    audit_page,
    state_counts,
)
from appliance.admin_scope import AdminIdentity, AdminScope, Target
from appliance.admin_units import descendants, unit_tree
from appliance.credentials import Credentials
from appliance.directory.bulk import Created
from appliance.directory.importing import Proposal, SourceRow
from appliance.directory.queries import unit_info
from appliance.directory.records import UnitInfo
from appliance.directory.service import Directory
from appliance.forwarding import Forwarding, Rule
from appliance.locks import Locks, UnlockRequestInfo
from appliance.models import Account, Unit
from appliance.sending_rate import SendingRate
from appliance.store.writer import Transaction
from appliance.unit_reports import (
    ActivityRow,
    FrequencyRow,
    ReviewRow,
    account_review,
    activity,
    login_frequency,
)

MAX_QUOTA = 1024**4  # 1 TiB: a guard against a typo, far above any real mailbox
RECENT_REFUSALS = 10


@dataclass(frozen=True)
class Dashboard:
    states: dict[str, int]
    pending_unlocks: list[UnlockRequestInfo]
    refusals: AuditPage


class AdminActions:
    def __init__(
        self,
        scope: AdminScope,
        credentials: Credentials,
        locks: Locks,
        sending_rate: SendingRate,
        forwarding: Forwarding,
        directory: Directory,
    ) -> None:
        self.scope = scope
        self.sessions = scope.sessions
        self.credentials = credentials
        self.locks = locks
        self.sending_rate = sending_rate
        self.forwarding = forwarding
        self.directory = directory

    # Reads

    async def units(self, admin: AdminIdentity) -> list[UnitInfo]:
        """Return the units the admin may see: all for the centre, else theirs and those below."""
        async with self.sessions() as session:
            rows = await session.scalars(select(Unit).order_by(Unit.name, Unit.id))
            return [unit_info(row) for row in rows if self.scope.may_see_unit(admin, row.id)]

    async def accounts(
        self,
        admin: AdminIdentity,
        *,
        query: str = "",
        unit_id: int | None = None,
        kind: str = "",
        state: str = "",
    ) -> list[AccountRow]:
        """Return the visible accounts matching the search and the filters.

        The search finds people through the directory search (names, accents optional)
        and also accounts whose address contains the text.
        """
        visible = await self.scope.visible_accounts(admin)
        if unit_id is not None:
            async with self.sessions() as session:
                wanted = descendants(unit_id, await unit_tree(session))
            visible = {key: value for key, value in visible.items() if value in wanted}
        async with self.sessions() as session:
            rows = await account_rows(session, visible, kind, state)
        text = query.strip().lower()
        if not text:
            return rows
        found = {
            f"{hit.address}@{self.scope.domain}"
            for hit in await self.directory.search(text, limit=500)
            if hit.address
        }
        return [row for row in rows if row.address in found or text in row.address]

    async def account(self, admin: AdminIdentity, account_id: int, client: str) -> AccountDetail:
        target = await self.scope.target(admin, account_id, "view", client, view=True)
        async with self.sessions() as session:
            return await account_detail(session, target.id, target.unit_id)

    async def may_manage(self, admin: AdminIdentity, account_id: int) -> bool:
        """Tell whether the admin may act on the account (to show or hide its actions)."""
        visible = await self.scope.visible_accounts(admin)
        if account_id not in visible:
            return False
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
        target = Target(account.id, account.address, account.kind, visible[account_id])
        return self.scope.may_manage(admin, target)

    async def dashboard(self, admin: AdminIdentity) -> Dashboard:
        visible = await self.scope.visible_accounts(admin)
        async with self.sessions() as session:
            states = await state_counts(session, None if admin.is_centre else set(visible))
        pending = await self.unlock_requests(admin, "pending")
        refusals = await self.audit(admin, AuditFilter(event="out_of_scope"), 1)
        return Dashboard(states, pending, refusals)

    async def audit(self, admin: AdminIdentity, where: AuditFilter, page: int) -> AuditPage:
        """Return a page of the audit log; a unit admin gets only entries about their accounts."""
        addresses: set[str] | None = None
        if not admin.is_centre:
            visible = await self.scope.visible_accounts(admin)
            async with self.sessions() as session:
                addresses = set(
                    await session.scalars(select(Account.address).where(Account.id.in_(visible)))
                )
            addresses.add(admin.address)
        async with self.sessions() as session:
            return await audit_page(session, where, addresses, page)

    async def unlock_requests(
        self, admin: AdminIdentity, state: str | None = "pending"
    ) -> list[UnlockRequestInfo]:
        requests = await self.locks.unlock_requests(state)
        if admin.is_centre:
            return requests
        visible = await self.scope.visible_accounts(admin)
        async with self.sessions() as session:
            addresses = set(
                await session.scalars(select(Account.address).where(Account.id.in_(visible)))
            )
        return [request for request in requests if request.account in addresses]

    # Reports, over the accounts the admin may see

    async def review_report(self, admin: AdminIdentity, inactive_days: int) -> list[ReviewRow]:
        visible = await self.scope.visible_accounts(admin)
        async with self.sessions() as session:
            return await account_review(session, visible, self.scope.clock.now(), inactive_days)

    async def activity_report(
        self, admin: AdminIdentity, first: date, last: date
    ) -> list[ActivityRow]:
        visible = await self.scope.visible_accounts(admin)
        async with self.sessions() as session:
            return await activity(session, visible, first, last)

    async def login_frequency_report(
        self, admin: AdminIdentity, first: date, last: date
    ) -> tuple[list[FrequencyRow], int]:
        visible = await self.scope.visible_accounts(admin)
        async with self.sessions() as session:
            return await login_frequency(session, visible, first, last)

    # Actions on one account

    async def reset_password(self, admin: AdminIdentity, account_id: int, client: str) -> str:
        """Reset the password; the account's sessions end and its app passwords are revoked."""
        target = await self.scope.target(admin, account_id, "reset_password", client)
        return await self.credentials.reset_password(target.id, admin.address, client)

    async def lock(
        self, admin: AdminIdentity, account_id: int, reason: str, detail: str, client: str
    ) -> None:
        target = await self.scope.target(admin, account_id, "lock", client)
        await self.locks.lock(target.id, reason, admin.address, detail)

    async def file_unlock_request(
        self, admin: AdminIdentity, account_id: int, reason: str, client: str
    ) -> int:
        target = await self.scope.target(admin, account_id, "request_unlock", client)
        return await self.locks.file_unlock_request(target.id, admin.address, reason)

    async def set_quota(
        self, admin: AdminIdentity, account_id: int, quota_bytes: int, client: str
    ) -> None:
        """Set the mailbox's storage quota in bytes (centre admins only)."""
        target = await self.scope.target(admin, account_id, "set_quota", client)
        await self.scope.require_centre(admin, "set_quota", client, target.address)
        if not 0 < quota_bytes <= MAX_QUOTA:
            raise ValueError(f"invalid quota {quota_bytes} bytes: use 1 byte to {MAX_QUOTA} bytes")

        async def write(tx: Transaction) -> None:
            account = await tx.session.get_one(Account, target.id)
            account.quota_bytes = quota_bytes

        await self.scope.writer.run(write)
        await self.scope.audit.record(
            "quota_set",
            account=target.address,
            client=client,
            service="admin",
            outcome="ok",
            detail=f"{quota_bytes} bytes by {admin.address}",
        )

    async def set_bulk_sender(
        self, admin: AdminIdentity, account_id: int, registered: bool, client: str
    ) -> None:
        target = await self.scope.target(admin, account_id, "set_bulk_sender", client)
        await self.scope.require_centre(admin, "set_bulk_sender", client, target.address)
        await self.sending_rate.set_bulk_sender(target.id, registered, admin.address)

    async def disable_totp(self, admin: AdminIdentity, account_id: int, client: str) -> None:
        target = await self.scope.target(admin, account_id, "disable_totp", client)
        await self.scope.require_centre(admin, "disable_totp", client, target.address)
        await self.credentials.disable_totp(target.id, client, by=admin.address)

    # The unlock queue (centre admins decide)

    async def approve_unlock(
        self, admin: AdminIdentity, request_id: int, client: str
    ) -> tuple[str, str]:
        """Approve a due request; return the account's address and its new password."""
        await self.scope.require_centre(admin, "approve_unlock", client, f"request #{request_id}")
        address = await self._request_account(request_id)
        password = await self.locks.approve(request_id, admin.address, client)
        return address, password

    async def reject_unlock(
        self, admin: AdminIdentity, request_id: int, reason: str, client: str
    ) -> None:
        await self.scope.require_centre(admin, "reject_unlock", client, f"request #{request_id}")
        if not reason.strip():
            raise ValueError("a rejection needs a reason")
        await self.locks.reject(request_id, admin.address, reason.strip())

    async def _request_account(self, request_id: int) -> str:
        for request in await self.locks.unlock_requests(None):
            if request.id == request_id:
                return request.account
        return ""

    # Staff list import

    async def plan_import(
        self, admin: AdminIdentity, rows: list[SourceRow], unit: str | None, client: str
    ) -> list[Proposal]:
        """Dry-run a staff list; a unit admin may import only into their own units."""
        unit = await self._import_unit(admin, rows, unit, client)
        return await self.directory.plan_import(rows, unit)

    async def apply_import(
        self, admin: AdminIdentity, rows: list[SourceRow], unit: str | None, client: str
    ) -> list[Created]:
        """Create every new person of a staff list, all or nothing; audit the import."""
        unit = await self._import_unit(admin, rows, unit, client)
        created = await self.directory.apply_import(rows, unit)
        await self.scope.audit.record(
            "directory_import",
            account=admin.address,
            client=client,
            service="admin",
            outcome="ok",
            detail=f"{len(created)} accounts created in {unit or 'the units of the file'}",
        )
        return created

    async def _import_unit(
        self, admin: AdminIdentity, rows: list[SourceRow], unit: str | None, client: str
    ) -> str | None:
        """Return the default unit of the import after checking every row's unit is in scope.

        A unit admin's import defaults to their own unit. Rows naming an unknown unit are
        left to the plan, which reports them as problems.
        """
        unit = (unit or "").strip().lower() or None
        if admin.is_centre:
            return unit
        async with self.sessions() as session:
            by_mailbox = {
                mailbox: unit_id
                for mailbox, unit_id in await session.execute(
                    select(Unit.mailbox, Unit.id).where(Unit.mailbox.is_not(None))
                )
            }
            own = await session.get(Unit, admin.unit_id) if admin.unit_id is not None else None
        if unit is None and own is not None:
            unit = own.mailbox
        named = {(row.values.get("unit") or unit or "").strip().lower() for row in rows}
        outside = sorted(
            name for name in named if name in by_mailbox and by_mailbox[name] not in admin.unit_ids
        )
        if unit is not None and unit in by_mailbox and by_mailbox[unit] not in admin.unit_ids:
            outside = sorted({*outside, unit})
        if outside:
            raise await self.scope.refuse(admin, "import_into", ", ".join(outside), client)
        return unit

    # Centre settings

    async def forwarding_allowlist(self, admin: AdminIdentity, client: str) -> tuple[str, ...]:
        await self.scope.require_centre(admin, "view_settings", client)
        return await self.forwarding.allowlist()

    async def set_forwarding_allowlist(
        self, admin: AdminIdentity, text: str, client: str
    ) -> list[Rule]:
        """Replace the forwarding allowlist; return the forwarding rules it turned off."""
        await self.scope.require_centre(admin, "set_forwarding_allowlist", client)
        return await self.forwarding.set_allowlist(text, admin.address)
