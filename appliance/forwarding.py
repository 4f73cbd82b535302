"""Forwarding rules, allowed only to government mail domains on an allowlist.

The allowlist holds domain patterns: `hue.gov.vn` matches that domain, `*.gov.vn` any
domain under gov.vn. Centre admins change it at run time; every rule is then checked
again and those no longer allowed are turned off with the reason kept. A target in a local
domain must also be an account that receives mail when the rule is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.catalogue import both
from appliance.clock import Clock
from appliance.delivery import RECEIVING_STATES
from appliance.errors import ForwardingNotAllowed, ForwardingTargetUnknown
from appliance.models import Account, ForwardingRule, RuntimeSetting
from appliance.store.writer import Transaction, Writer

ALLOWLIST_KEY = "forwarding_allowlist"
DEFAULT_ALLOWLIST = ("hue.gov.vn", "*.gov.vn")
MAX_RULES = 10


@dataclass(frozen=True)
class Rule:
    id: int
    target: str
    keep_copy: bool
    active: bool
    disabled_reason: str


def domain_allowed(domain: str, patterns: tuple[str, ...]) -> bool:
    """Tell whether `domain` matches one of the allowlist patterns."""
    domain = domain.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern.startswith("*."):
            if domain.endswith(pattern[1:]) and domain != pattern[2:]:
                return True
        elif domain == pattern:
            return True
    return False


def parse_allowlist(text: str) -> tuple[str, ...]:
    patterns = tuple(p.strip().lower() for p in text.replace(",", "\n").splitlines() if p.strip())
    for pattern in patterns:
        bare = pattern.removeprefix("*.")
        if "*" in bare or "." not in bare or "@" in bare:
            raise ValueError(f"Invalid domain pattern {pattern!r}: use example.gov.vn or *.gov.vn")
    return patterns


class Forwarding:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        audit: Audit,
        is_local_domain: Callable[[str], bool],
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.audit = audit
        self.is_local_domain = is_local_domain

    async def allowlist(self) -> tuple[str, ...]:
        async with self.sessions() as session:
            row = await session.get(RuntimeSetting, ALLOWLIST_KEY)
        return DEFAULT_ALLOWLIST if row is None else parse_allowlist(row.value)

    async def _check(self, account_id: int, target: str, patterns: tuple[str, ...]) -> None:
        local, _, domain = target.rpartition("@")
        if not local or not domain_allowed(domain, patterns):
            await self.audit.refused(
                "forwarding_domain",
                service="forwarding",
                account=await self._address(account_id),
                detail=target,
            )
            raise ForwardingNotAllowed(
                both("forwarding.not_allowed", target=target, allowed=", ".join(patterns))
            )
        if self.is_local_domain(domain) and not await self._receives(target):
            await self.audit.refused(
                "forwarding_unknown_target",
                service="forwarding",
                account=await self._address(account_id),
                detail=target,
            )
            raise ForwardingTargetUnknown(both("forwarding.unknown_target", target=target))

    async def _receives(self, address: str) -> bool:
        """Tell whether a local address belongs to an account that receives mail now."""
        async with self.sessions() as session:
            state = await session.scalar(select(Account.state).where(Account.address == address))
        return state in RECEIVING_STATES

    async def _address(self, account_id: int) -> str:
        async with self.sessions() as session:
            owner = await session.scalar(select(Account.address).where(Account.id == account_id))
        return owner or ""

    async def add_rule(self, account_id: int, target: str, *, keep_copy: bool = True) -> Rule:
        """Add a forwarding target for the account, if its domain is allowed.

        Raises ForwardingNotAllowed for a domain off the allowlist and its subclass
        ForwardingTargetUnknown for a local address that no receiving account has.
        """
        target = target.strip().lower()
        patterns = await self.allowlist()
        await self._check(account_id, target, patterns)
        now = self.clock.now()

        async def write(tx: Transaction) -> Rule:
            rules = list(
                await tx.session.scalars(
                    select(ForwardingRule).where(ForwardingRule.account_id == account_id)
                )
            )
            if len(rules) >= MAX_RULES:
                raise ForwardingNotAllowed(f"At most {MAX_RULES} forwarding targets per mailbox.")
            if any(rule.target == target for rule in rules):
                raise ForwardingNotAllowed(f"{target} is already a forwarding target.")
            row = ForwardingRule(
                account_id=account_id,
                target=target,
                keep_copy=keep_copy,
                active=True,
                disabled_reason="",
                created_at=now,
            )
            tx.session.add(row)
            await tx.session.flush()
            return _rule(row)

        return await self.writer.run(write)

    async def remove_rule(self, account_id: int, rule_id: int) -> None:
        async def write(tx: Transaction) -> None:
            row = await tx.session.get(ForwardingRule, rule_id)
            if row is not None and row.account_id == account_id:
                await tx.session.delete(row)

        await self.writer.run(write)

    async def rules(self, account_id: int) -> list[Rule]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(ForwardingRule)
                .where(ForwardingRule.account_id == account_id)
                .order_by(ForwardingRule.id)
            )
            return [_rule(row) for row in rows]

    async def set_allowlist(self, text: str, by: str) -> list[Rule]:
        """Replace the allowlist and check every rule again; return the rules turned off."""
        patterns = parse_allowlist(text)
        now = self.clock.now()

        async def write(tx: Transaction) -> list[Rule]:
            setting = await tx.session.get(RuntimeSetting, ALLOWLIST_KEY)
            if setting is None:
                setting = RuntimeSetting(key=ALLOWLIST_KEY, value="", updated_by="", updated_at=now)
                tx.session.add(setting)
            setting.value = "\n".join(patterns)
            setting.updated_by = by
            setting.updated_at = now
            turned_off = []
            for row in await tx.session.scalars(select(ForwardingRule)):
                allowed = domain_allowed(row.target.rpartition("@")[2], patterns)
                if row.active and not allowed:
                    row.active = False
                    row.disabled_reason = "domain no longer on the forwarding allowlist"
                    turned_off.append(_rule(row))
                elif not row.active and allowed:
                    row.active = True
                    row.disabled_reason = ""
            return turned_off

        turned_off = await self.writer.run(write)
        await self.audit.record(
            "forwarding_allowlist", account=by, outcome="changed", detail=", ".join(patterns)
        )
        return turned_off


def _rule(row: ForwardingRule) -> Rule:
    return Rule(row.id, row.target, row.keep_copy, row.active, row.disabled_reason)
