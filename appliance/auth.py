"""One authentication service for SMTP AUTH, IMAP, the webmail and the admin console.

Every attempt is audited with the service and client address; the reply never tells
whether the account exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.accounts import info
from appliance.audit import Audit
from appliance.clock import Clock
from appliance.errors import AuthenticationFailed
from appliance.models import Account
from appliance.passwords import verify_password
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer
from appliance.throttle import Throttle

# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "0nWgRGbS4G0bXGk8b2bNwW9yrSbtCNHfXaBj8qcqN0o"
)


class Authenticator:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        audit: Audit,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.audit = audit
        self.clock = clock
        self.throttle = Throttle(clock)
        # The pause before answering an attempt after failures; tests replace it to record.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def login(
        self, username: str, password: str, *, service: str, client: str
    ) -> AccountInfo:
        """Return the account if the password is right, else raise AuthenticationFailed."""
        address = username.strip().lower()
        delay = self.throttle.delay(address, client)
        if delay:
            await self.sleep(delay)
        if self.throttle.is_held(address):
            await self.audit.record(
                "login", account=address, client=client, service=service, outcome="held"
            )
            raise AuthenticationFailed()
        async with self.sessions() as session:
            account = await session.scalar(select(Account).where(Account.address == address))
        stored = account.password_hash if account is not None else _DUMMY_HASH
        ok, new_hash = await asyncio.to_thread(verify_password, password, stored)
        if account is None or not ok:
            held = self.throttle.failed(address, client)
            await self.audit.record(
                "login", account=address, client=client, service=service, outcome="failed"
            )
            if held:
                await self.audit.record(
                    "login_hold", account=address, client=client, service=service, outcome="held"
                )
            raise AuthenticationFailed()
        if account.state != "active":
            await self.audit.record(
                "login", account=address, client=client, service=service, outcome=account.state
            )
            raise AuthenticationFailed()
        self.throttle.succeeded(address, client)
        await self._note_login(account.id, new_hash)
        await self.audit.record(
            "login", account=address, client=client, service=service, outcome="ok"
        )
        return info(account)

    async def _note_login(self, account_id: int, new_hash: str | None) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            account = await tx.session.get_one(Account, account_id)
            account.last_login_at = now
            if new_hash:
                account.password_hash = new_hash

        await self.writer.run(write)
