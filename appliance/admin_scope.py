"""What each administrator may see and do, checked in the core for every admin action.

A centre admin (operations centre) manages every account. A unit admin, whose address is
`admin.<unit mailbox>@domain`, manages only the accounts of that unit and of the units
below it (`units.parent_id`), and never an admin account. Every refusal raises
OutOfScope and is audited as `out_of_scope`, with the refused admin as the account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.admin_units import UNIT_ADMIN_PREFIX, account_units, descendants, unit_tree
from appliance.audit import Audit
from appliance.clock import Clock
from appliance.errors import OutOfScope
from appliance.models import Account, Unit
from appliance.password_policy import ADMIN_KINDS
from appliance.store.writer import Writer


class CentreOnly(OutOfScope):
    """Only a centre admin may do this."""


@dataclass(frozen=True)
class AdminIdentity:
    """A signed-in administrator. `unit_ids` is empty for a centre admin, who sees all."""

    account_id: int
    address: str
    kind: str
    unit_id: int | None
    unit_ids: frozenset[int]

    @property
    def is_centre(self) -> bool:
        return self.kind == "centre_admin"


@dataclass(frozen=True)
class Target:
    """An account an admin acts on."""

    id: int
    address: str
    kind: str
    unit_id: int | None


class AdminScope:
    """Scope checks shared by every admin action and read (see `appliance.admin_actions`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        domain: str,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.domain = domain

    async def identify(self, account_id: int) -> AdminIdentity:
        """Return the admin identity of an active admin account, or raise OutOfScope."""
        async with self.sessions() as session:
            account = await session.get(Account, account_id)
            if account is None or account.kind not in ADMIN_KINDS or account.state != "active":
                raise OutOfScope("This account may not use the admin console.")
            if account.kind == "centre_admin":
                return AdminIdentity(account.id, account.address, account.kind, None, frozenset())
            unit_id = await self._unit_of_admin(session, account.address)
            unit_ids = (
                frozenset() if unit_id is None else descendants(unit_id, await unit_tree(session))
            )
        return AdminIdentity(account.id, account.address, account.kind, unit_id, unit_ids)

    async def _unit_of_admin(self, session: AsyncSession, address: str) -> int | None:
        local = address.rpartition("@")[0]
        if not local.startswith(UNIT_ADMIN_PREFIX):
            return None
        mailbox = local[len(UNIT_ADMIN_PREFIX) :]
        return await session.scalar(select(Unit.id).where(Unit.mailbox == mailbox))

    async def refuse(
        self,
        admin: AdminIdentity,
        action: str,
        target: str,
        client: str,
        error: type[OutOfScope] = OutOfScope,
    ) -> OutOfScope:
        """Audit a refusal and return the error for the caller to raise."""
        await self.audit.record(
            "out_of_scope",
            account=admin.address,
            client=client,
            service="admin",
            outcome="refused",
            detail=f"{action} {target}".strip(),
        )
        return error(f"{admin.address} may not {action} {target}".strip())

    async def target(
        self, admin: AdminIdentity, account_id: int, action: str, client: str, *, view: bool = False
    ) -> Target:
        """Return the account if `admin` may act on it (or see it), else raise OutOfScope.

        The refusal is audited. An unknown id is refused the same way, so a unit admin
        cannot probe for ids.
        """
        async with self.sessions() as session:
            account = await session.get(Account, account_id)
            units = (
                {} if account is None else await account_units(session, self.domain, [account_id])
            )
        if account is None:
            raise await self.refuse(admin, action, f"account #{account_id}", client)
        found = Target(account.id, account.address, account.kind, units.get(account.id))
        allowed = self.may_see_unit(admin, found.unit_id) if view else self.may_manage(admin, found)
        if not allowed:
            raise await self.refuse(admin, action, found.address, client)
        return found

    def may_manage(self, admin: AdminIdentity, target: Target) -> bool:
        if admin.is_centre:
            return True
        if target.kind in ADMIN_KINDS:
            return False
        return target.unit_id is not None and target.unit_id in admin.unit_ids

    def may_see_unit(self, admin: AdminIdentity, unit_id: int | None) -> bool:
        return admin.is_centre or (unit_id is not None and unit_id in admin.unit_ids)

    async def require_centre(
        self, admin: AdminIdentity, action: str, client: str, target: str = ""
    ) -> None:
        """Raise CentreOnly (audited) unless `admin` is a centre admin."""
        if not admin.is_centre:
            raise await self.refuse(admin, action, target, client, CentreOnly)

    async def visible_accounts(self, admin: AdminIdentity) -> dict[int, int | None]:
        """Return the unit of every account the admin may see, by account id."""
        async with self.sessions() as session:
            units = await account_units(session, self.domain)
            ids = list(await session.scalars(select(Account.id)))
        if admin.is_centre:
            return {account_id: units.get(account_id) for account_id in ids}
        return {
            account_id: unit_id
            for account_id, unit_id in units.items()
            if unit_id in admin.unit_ids
        }
