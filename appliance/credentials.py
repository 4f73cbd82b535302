"""What an account owner or an admin does with credentials: passwords, TOTP, app passwords.

Every change here goes through the password rules and the password history; a reset by an
admin also ends the account's web sessions and revokes its app passwords.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.clock import Clock
from appliance.errors import AuthenticationFailed, InvalidCode
from appliance.models import Account, AppPassword, PasswordHistory, RecoveryCode, WebSession
from appliance.password_policy import rejection, violations
from appliance.passwords import generate_password, hash_password, verify_password
from appliance.store.writer import Transaction, Writer
from appliance.twofactor import matching_step, new_recovery_codes, new_secret, recovery_hash

APP_PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyz"  # 4.7 bits a letter, 20 letters: 94 bits


@dataclass(frozen=True)
class AppPasswordInfo:
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    last_used_client: str
    last_used_service: str


def app_password_hash(secret: str) -> str:
    return hashlib.sha256(secret.replace(" ", "").lower().encode()).hexdigest()


class Credentials:
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

    # Passwords

    async def check_new_password(self, account_id: int, password: str) -> None:
        """Raise PasswordRejected if `password` breaks a rule or was used before."""
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
            history = list(
                await session.scalars(
                    select(PasswordHistory.password_hash).where(
                        PasswordHistory.account_id == account_id
                    )
                )
            )
        rules = violations(password, account.kind, account.address)
        if not rules:
            for old_hash in [account.password_hash, *history]:
                matched, _ = await asyncio.to_thread(verify_password, password, old_hash)
                if matched:
                    rules.append("password.reused")
                    break
        if rules:
            raise rejection(rules, account.kind)

    async def verify_password(self, account_id: int, password: str) -> bool:
        """Tell whether `password` is the account's password (not an app password).

        For confirming a sensitive change in a signed-in session; not a login, so it is
        neither audited nor throttled here.
        """
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
        matched, _ = await asyncio.to_thread(verify_password, password, account.password_hash)
        return matched

    async def change_password(self, account_id: int, current: str, new: str, client: str) -> None:
        """Change the owner's password after checking the current one and the rules."""
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
        matched, _ = await asyncio.to_thread(verify_password, current, account.password_hash)
        if not matched:
            await self.audit.record(
                "password_change", account=account.address, client=client, outcome="wrong_current"
            )
            raise AuthenticationFailed("The current password is wrong.")
        await self.check_new_password(account_id, new)
        await self._store_password(account_id, new, must_change=False)
        await self.audit.record(
            "password_change", account=account.address, client=client, outcome="ok"
        )

    async def reset_password(self, account_id: int, admin: str, client: str) -> str:
        """Give the account a generated password that must be changed at first login.

        Ends its web sessions and revokes its app passwords; returns the password once.
        """
        password = generate_password()
        await self._store_password(account_id, password, must_change=True, revoke=True)
        async with self.sessions() as session:
            address = (await session.get_one(Account, account_id)).address
        await self.audit.record(
            "password_reset", account=address, client=client, outcome="ok", detail=f"by {admin}"
        )
        return password

    async def set_password_by_admin(
        self, account_id: int, password: str, admin: str, client: str
    ) -> None:
        """Give the account a password an admin chose, which must be changed at first login.

        The password must pass the rules and differ from every earlier one. As with
        `reset_password`, the account's web sessions end and its app passwords are revoked.
        """
        await self.check_new_password(account_id, password)
        await self._store_password(account_id, password, must_change=True, revoke=True)
        async with self.sessions() as session:
            address = (await session.get_one(Account, account_id)).address
        await self.audit.record(
            "password_reset", account=address, client=client, outcome="ok", detail=f"by {admin}"
        )

    async def _store_password(
        self, account_id: int, password: str, *, must_change: bool, revoke: bool = False
    ) -> None:
        new_hash = await asyncio.to_thread(hash_password, password)
        now = self.clock.now()
        await self.writer.run(
            lambda tx: self.store_password_in(
                tx, account_id, new_hash, now, must_change=must_change, revoke=revoke
            )
        )

    async def store_password_in(
        self,
        tx: Transaction,
        account_id: int,
        new_hash: str,
        now: datetime,
        *,
        must_change: bool,
        revoke: bool = False,
    ) -> None:
        """Store a password hash inside the caller's transaction, as `reset_password` does.

        With `revoke`, the account's web sessions end and its app passwords are revoked.
        """
        account = await tx.session.get_one(Account, account_id)
        tx.session.add(
            PasswordHistory(account_id=account_id, password_hash=new_hash, created_at=now)
        )
        account.password_hash = new_hash
        account.password_changed_at = now
        account.must_change_password = must_change
        if revoke:
            await tx.session.execute(delete(WebSession).where(WebSession.account_id == account_id))
            await tx.session.execute(
                update(AppPassword)
                .where(AppPassword.account_id == account_id, AppPassword.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    # TOTP

    async def begin_totp(self, account_id: int) -> str:
        """Store a new, not yet active TOTP secret and return it for the QR code."""
        secret = new_secret()

        async def write(tx: Transaction) -> None:
            account = await tx.session.get_one(Account, account_id)
            if account.totp_enabled:
                raise InvalidCode("Two-factor login is already on.")
            account.totp_secret = secret
            account.totp_last_step = None

        await self.writer.run(write)
        return secret

    async def confirm_totp(self, account_id: int, code: str, client: str) -> list[str]:
        """Turn 2FA on once a code from the new secret checks; return ten recovery codes."""
        codes = new_recovery_codes()
        now = self.clock.now()

        async def write(tx: Transaction) -> str:
            account = await tx.session.get_one(Account, account_id)
            if account.totp_enabled or not account.totp_secret:
                raise InvalidCode("Start the enrolment again.")
            step = matching_step(account.totp_secret, code, now, account.totp_last_step)
            if step is None:
                raise InvalidCode()
            account.totp_enabled = True
            account.totp_last_step = step
            await tx.session.execute(
                delete(RecoveryCode).where(RecoveryCode.account_id == account_id)
            )
            for recovery in codes:
                tx.session.add(
                    RecoveryCode(account_id=account_id, code_hash=recovery_hash(recovery))
                )
            return account.address

        address = await self.writer.run(write)
        await self.audit.record("totp_enabled", account=address, client=client, outcome="ok")
        return codes

    async def disable_totp(self, account_id: int, client: str, by: str = "") -> None:
        address = await self.writer.run(lambda tx: self.clear_totp_in(tx, account_id))
        await self.audit.record(
            "totp_disabled", account=address, client=client, outcome="ok", detail=by
        )

    async def clear_totp_in(self, tx: Transaction, account_id: int) -> str:
        """Turn TOTP off and drop the recovery codes in the caller's transaction."""
        account = await tx.session.get_one(Account, account_id)
        account.totp_enabled = False
        account.totp_secret = None
        account.totp_last_step = None
        await tx.session.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account_id))
        return account.address

    async def verify_second_factor(self, account_id: int, code: str, client: str) -> bool:
        """Check a TOTP code or an unused recovery code; either works only once."""
        now = self.clock.now()

        async def write(tx: Transaction) -> tuple[str, str]:
            account = await tx.session.get_one(Account, account_id)
            if not account.totp_enabled or not account.totp_secret:
                return account.address, "not_enrolled"
            step = matching_step(account.totp_secret, code, now, account.totp_last_step)
            if step is not None:
                account.totp_last_step = step
                return account.address, "ok"
            recovery = await tx.session.scalar(
                select(RecoveryCode).where(
                    RecoveryCode.account_id == account_id,
                    RecoveryCode.code_hash == recovery_hash(code),
                    RecoveryCode.used_at.is_(None),
                )
            )
            if recovery is None:
                return account.address, "failed"
            recovery.used_at = now
            return account.address, "recovery_code"

        address, outcome = await self.writer.run(write)
        await self.audit.record(
            "second_factor", account=address, client=client, service="web", outcome=outcome
        )
        return outcome in {"ok", "recovery_code"}

    # App passwords

    async def create_app_password(self, account_id: int, name: str) -> tuple[int, str]:
        """Create an app password for one device; return (id, password shown once)."""
        name = name.strip()[:100] or "thiết bị"
        secret = "".join(secrets.choice(APP_PASSWORD_ALPHABET) for _ in range(20))
        now = self.clock.now()

        async def write(tx: Transaction) -> int:
            row = AppPassword(
                account_id=account_id,
                name=name,
                secret_hash=app_password_hash(secret),
                created_at=now,
                last_used_client="",
                last_used_service="",
            )
            tx.session.add(row)
            await tx.session.flush()
            return row.id

        row_id = await self.writer.run(write)
        formatted = " ".join(secret[i : i + 4] for i in range(0, 20, 4))
        return row_id, formatted

    async def list_app_passwords(self, account_id: int) -> list[AppPasswordInfo]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(AppPassword)
                .where(AppPassword.account_id == account_id, AppPassword.revoked_at.is_(None))
                .order_by(AppPassword.id)
            )
            return [
                AppPasswordInfo(
                    row.id,
                    row.name,
                    row.created_at,
                    row.last_used_at,
                    row.last_used_client,
                    row.last_used_service,
                )
                for row in rows
            ]

    async def revoke_app_password(self, account_id: int, app_password_id: int) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            await tx.session.execute(
                update(AppPassword)
                .where(AppPassword.id == app_password_id, AppPassword.account_id == account_id)
                .values(revoked_at=now)
            )

        await self.writer.run(write)
