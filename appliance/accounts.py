"""Accounts: creation with default folders, lookup and password changes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.clock import Clock
from appliance.errors import ApplianceError
from appliance.models import Account, PasswordHistory
from appliance.passwords import hash_password
from appliance.store.mailstore import MailStore
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer

ACCOUNT_KINDS = ("personal", "agency", "unit_admin", "centre_admin", "service")
LOCAL_PART = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")


class AccountExists(ApplianceError):
    """An account with that address already exists."""


class AccountNotFound(ApplianceError):
    """No account has that address."""


class InvalidAddress(ApplianceError):
    """The address is not a valid mailbox address of a local domain."""


def info(account: Account) -> AccountInfo:
    return AccountInfo(
        id=account.id,
        address=account.address,
        display_name=account.display_name,
        kind=account.kind,
        state=account.state,
    )


class Accounts:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        store: MailStore,
        clock: Clock,
        default_quota: int,
        is_local_domain: object,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.store = store
        self.clock = clock
        self.default_quota = default_quota
        self._is_local = is_local_domain

    def check_address(self, address: str) -> str:
        """Return the address in lower case, or raise InvalidAddress."""
        address = address.strip().lower()
        local, _, domain = address.rpartition("@")
        if not local or not LOCAL_PART.match(local) or ".." in local:
            raise InvalidAddress(f"Invalid mailbox address: {address!r}")
        if not callable(self._is_local) or not self._is_local(domain):
            raise InvalidAddress(f"{domain!r} is not a domain served here: {address!r}")
        return address

    async def create(
        self,
        address: str,
        password: str,
        *,
        display_name: str = "",
        kind: str = "personal",
        must_change_password: bool = False,
    ) -> AccountInfo:
        """Create an account with its default folders."""
        address = self.check_address(address)
        if kind not in ACCOUNT_KINDS:
            raise ValueError(
                f"unknown account kind {kind!r}; use one of {', '.join(ACCOUNT_KINDS)}"
            )
        password_hash = hash_password(password)

        async def write(tx: Transaction) -> AccountInfo:
            return await self.add(
                tx,
                address,
                password_hash,
                display_name=display_name,
                kind=kind,
                must_change_password=must_change_password,
            )

        return await self.writer.run(write)

    async def add(
        self,
        tx: Transaction,
        address: str,
        password_hash: str,
        *,
        display_name: str = "",
        kind: str = "personal",
        must_change_password: bool = False,
        default_folders: bool = True,
    ) -> AccountInfo:
        """Create an account with its default folders inside the caller's transaction.

        For callers that create accounts together with other rows, all or nothing (the
        directory's bulk import). An empty `password_hash` makes an account nobody can log
        in to until a password is set, as for agency mailboxes. Without `default_folders`
        the account has no folders at all, which suits an old address that only forwards.
        """
        address = self.check_address(address)
        if kind not in ACCOUNT_KINDS:
            raise ValueError(
                f"unknown account kind {kind!r}; use one of {', '.join(ACCOUNT_KINDS)}"
            )
        now = self.clock.now()
        taken = await tx.session.scalar(select(Account.id).where(Account.address == address))
        if taken is not None:
            raise AccountExists(f"Account already exists: {address}")
        account = Account(
            address=address,
            display_name=display_name,
            kind=kind,
            state="active",
            password_hash=password_hash,
            must_change_password=must_change_password,
            password_changed_at=now if password_hash else None,
            quota_bytes=self.default_quota,
            used_bytes=0,
            message_count=0,
            created_at=now,
        )
        tx.session.add(account)
        await tx.session.flush()
        if password_hash:
            tx.session.add(
                PasswordHistory(account_id=account.id, password_hash=password_hash, created_at=now)
            )
        if default_folders:
            await self.store.create_default_folders(tx, account.id)
        return info(account)

    async def add_many(
        self,
        tx: Transaction,
        entries: Sequence[tuple[str, str, str]],
        *,
        kind: str = "personal",
        must_change_password: bool = False,
    ) -> list[AccountInfo]:
        """Create accounts from (address, password hash, display name) in a few statements.

        Bulk form of `add` for imports of thousands of accounts, in the caller's transaction.
        Raises AccountExists, before inserting anything, if an address is taken or repeated.
        """
        if kind not in ACCOUNT_KINDS:
            raise ValueError(
                f"unknown account kind {kind!r}; use one of {', '.join(ACCOUNT_KINDS)}"
            )
        addresses = [self.check_address(address) for address, _, _ in entries]
        if len(set(addresses)) != len(addresses):
            raise AccountExists("the same address is listed twice")
        for start in range(0, len(addresses), 500):  # stay below SQLite's parameter limit
            chunk = addresses[start : start + 500]
            taken = await tx.session.scalar(
                select(Account.address).where(Account.address.in_(chunk))
            )
            if taken is not None:
                raise AccountExists(f"Account already exists: {taken}")
        now = self.clock.now()
        rows = [
            {
                "address": address,
                "display_name": display_name,
                "kind": kind,
                "state": "active",
                "password_hash": password_hash,
                "must_change_password": must_change_password,
                "password_changed_at": now if password_hash else None,
                "quota_bytes": self.default_quota,
                "used_bytes": 0,
                "message_count": 0,
                "created_at": now,
            }
            for address, (_, password_hash, display_name) in zip(addresses, entries, strict=True)
        ]
        if not rows:
            return []
        # Plain executemany: SQLite cannot return ids in parameter order for a batch, so the
        # ids are read back by address.
        await tx.session.execute(insert(cast(Table, Account.__table__)), rows)
        by_address: dict[str, int] = {}
        for start in range(0, len(addresses), 500):
            found = await tx.session.execute(
                select(Account.address, Account.id).where(
                    Account.address.in_(addresses[start : start + 500])
                )
            )
            by_address.update({address: account_id for address, account_id in found})
        ids = [by_address[address] for address in addresses]
        history = [
            {"account_id": account_id, "password_hash": row["password_hash"], "created_at": now}
            for account_id, row in zip(ids, rows, strict=True)
            if row["password_hash"]
        ]
        if history:
            await tx.session.execute(insert(cast(Table, PasswordHistory.__table__)), history)
        await self.store.create_default_folders_many(tx, ids)
        return [
            AccountInfo(
                id=account_id,
                address=str(row["address"]),
                display_name=str(row["display_name"]),
                kind=kind,
                state="active",
            )
            for account_id, row in zip(ids, rows, strict=True)
        ]

    async def find(self, address: str) -> AccountInfo | None:
        async with self.sessions() as session:
            account = await session.scalar(
                select(Account).where(Account.address == address.strip().lower())
            )
            return None if account is None else info(account)

    async def by_id(self, account_id: int) -> AccountInfo:
        async with self.sessions() as session:
            account = await session.get(Account, account_id)
            if account is None:
                raise AccountNotFound(f"No account has the id {account_id}")
            return info(account)

    async def get(self, address: str) -> AccountInfo:
        found = await self.find(address)
        if found is None:
            raise AccountNotFound(f"No account has the address {address}")
        return found

    async def list(self) -> list[AccountInfo]:
        async with self.sessions() as session:
            rows = await session.scalars(select(Account).order_by(Account.address))
            return [info(row) for row in rows]

    async def has_password(self, address: str) -> bool:
        """Tell whether anyone can log in to the account with a password yet."""
        async with self.sessions() as session:
            stored = await session.scalar(
                select(Account.password_hash).where(Account.address == address.strip().lower())
            )
        return bool(stored)

    async def set_password(self, address: str, password: str, *, must_change: bool = False) -> None:
        password_hash = hash_password(password)
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            account = await tx.session.scalar(
                select(Account).where(Account.address == address.strip().lower())
            )
            if account is None:
                raise AccountNotFound(f"No account has the address {address}")
            account.password_hash = password_hash
            account.password_changed_at = now
            tx.session.add(
                PasswordHistory(account_id=account.id, password_hash=password_hash, created_at=now)
            )
            account.must_change_password = must_change

        await self.writer.run(write)
