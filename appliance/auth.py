"""One authentication service for SMTP AUTH, IMAP, the webmail and the admin console.

Mail clients (IMAP, SMTP) log in with the account password, or only with an app password
once two-factor login is on. They are refused an expired password, or an initial one never
changed, with a pointer to the webmail. The web front ends check the password here, then
read `status` to ask for the TOTP code or a new password. Every attempt is audited, and the
reply never tells whether the account exists.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.accounts import info
from appliance.audit import Audit
from appliance.clock import Clock
from appliance.credentials import app_password_hash
from appliance.errors import AuthenticationFailed, PasswordExpired
from appliance.metrics import LOGINS
from appliance.models import Account, AppPassword, AuditEntry
from appliance.password_policy import max_age
from appliance.passwords import hash_password, verify_password
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer
from appliance.throttle import Throttle

# Verified against when the account does not exist, so both cases take the same time.
_DUMMY_HASH = hash_password(secrets.token_hex(16))
MAIL_CLIENT_SERVICES = frozenset({"imap", "smtp"})


@dataclass(frozen=True)
class CredentialStatus:
    """The steps a web front end requires after a correct password."""

    must_change_password: bool  # initial or reset password, or expired
    password_expires_at: datetime | None
    totp_enabled: bool


@dataclass(frozen=True)
class LoginRecord:
    """One login attempt of an account, as its owner sees it in the webmail."""

    time: datetime
    client: str
    service: str  # "imap", "smtp", "web", "admin"
    outcome: str  # "ok", "app_password", "failed", "expired", "held", or the account state


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
        # The pause before replying to an attempt after failures. Tests replace it to record it.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    async def login(
        self, username: str, password: str, *, service: str, client: str
    ) -> AccountInfo:
        """Return the account if the credentials are right, else raise.

        Raises AuthenticationFailed, or PasswordExpired for a mail client whose account
        must change its password first.
        """
        address = username.strip().lower()
        async with self.throttle.turn(address, client):
            delay = self.throttle.delay(address, client)
            held = self.throttle.is_held(address)
            if not held:
                if delay:
                    await self.sleep(delay)
                return await self._attempt(address, password, service, client)
        # Outside the turn: a held attempt checks no password, so the next may go at once.
        if delay:
            await self.sleep(delay)
        await self._record(address, client, service, "held")
        raise AuthenticationFailed()

    async def _attempt(self, address: str, password: str, service: str, client: str) -> AccountInfo:
        """Check the password and record the outcome, inside the throttle's turn."""
        async with self.sessions() as session:
            account = await session.scalar(select(Account).where(Account.address == address))
        outcome, new_hash, app_password_id = await self._check(account, password, service)
        if account is None or outcome == "failed":
            await self._fail(address, client, service)
            raise AuthenticationFailed()
        if account.state != "active":
            await self._record(address, client, service, account.state)
            raise AuthenticationFailed()
        self.throttle.succeeded(address, client)
        mail_client = service in MAIL_CLIENT_SERVICES
        if outcome == "password" and mail_client and self._must_change(account):
            await self._record(address, client, service, "expired")
            raise PasswordExpired()
        await self._note_login(account.id, new_hash, app_password_id, client, service)
        await self._record(address, client, service, "ok" if outcome == "password" else outcome)
        return info(account)

    async def _check(
        self, account: Account | None, password: str, service: str
    ) -> tuple[str, str | None, int | None]:
        """Return (outcome, upgraded hash, app password id); outcome "failed" on no match."""
        if account is not None:
            async with self.sessions() as session:
                app_password = await session.scalar(
                    select(AppPassword).where(
                        AppPassword.account_id == account.id,
                        AppPassword.secret_hash == app_password_hash(password),
                        AppPassword.revoked_at.is_(None),
                    )
                )
            if app_password is not None and service in MAIL_CLIENT_SERVICES:
                return "app_password", None, app_password.id
        uses_totp = account is not None and account.totp_enabled
        stored = account.password_hash if account is not None else _DUMMY_HASH
        ok, new_hash = await asyncio.to_thread(verify_password, password, stored)
        if not ok or (uses_totp and service in MAIL_CLIENT_SERVICES):
            return "failed", None, None
        return "password", new_hash, None

    def _must_change(self, account: Account) -> bool:
        if account.must_change_password or account.password_changed_at is None:
            return True
        return account.password_changed_at + max_age(account.kind) <= self.clock.now()

    async def status(self, account_id: int) -> CredentialStatus:
        """Return what the web must ask for before letting the account in."""
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
        expires = (
            None
            if account.password_changed_at is None
            else account.password_changed_at + max_age(account.kind)
        )
        return CredentialStatus(self._must_change(account), expires, account.totp_enabled)

    async def recent_logins(self, address: str, limit: int = 20) -> list[LoginRecord]:
        """Return the last `limit` login attempts of an address from the audit log, newest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.event == "login", AuditEntry.account == address.lower())
                .order_by(AuditEntry.time.desc(), AuditEntry.id.desc())
                .limit(limit)
            )
            return [LoginRecord(row.time, row.client, row.service, row.outcome) for row in rows]

    async def _fail(self, address: str, client: str, service: str) -> None:
        held = self.throttle.failed(address, client)
        await self._record(address, client, service, "failed")
        if held:
            await self.audit.record(
                "login_hold", account=address, client=client, service=service, outcome="held"
            )

    async def _record(self, address: str, client: str, service: str, outcome: str) -> None:
        LOGINS.labels(service=service, outcome=outcome).inc()
        await self.audit.record(
            "login", account=address, client=client, service=service, outcome=outcome
        )

    async def _note_login(
        self,
        account_id: int,
        new_hash: str | None,
        app_password_id: int | None,
        client: str,
        service: str,
    ) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            account = await tx.session.get_one(Account, account_id)
            account.last_login_at = now
            if new_hash:
                account.password_hash = new_hash
            if app_password_id is not None:
                used = await tx.session.get_one(AppPassword, app_password_id)
                used.last_used_at = now
                used.last_used_client = client
                used.last_used_service = service

        await self.writer.run(write)
