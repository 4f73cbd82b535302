"""Server-side web sessions: create, look up, touch and revoke.

The browser's cookie contains a random token; the table stores only its SHA-256, so a copy of
the database does not let anyone sign in. Keeping sessions on the server lets a password
reset or an administrator end every session of an account at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.accounts import info
from appliance.clock import Clock
from appliance.models import Account, WebSession
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction, Writer

IDLE_TIMEOUT = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)


def token_hash(token: str) -> str:
    """Return the key under which the session of a cookie token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class WebSessionInfo:
    """A live session and the account it belongs to."""

    id: str
    account: AccountInfo
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str
    user_agent: str


class WebSessions:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        clock: Clock,
        idle_timeout: timedelta = IDLE_TIMEOUT,
        lifetime: timedelta = LIFETIME,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.clock = clock
        self.idle_timeout = idle_timeout
        self.lifetime = lifetime

    async def create(self, account_id: int, *, client: str, user_agent: str) -> str:
        """Start a session for the account and return the token for its cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock.now()
        row = WebSession(
            id=token_hash(token),
            account_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + self.lifetime,
            client=client[:100],
            user_agent=user_agent[:300],
        )

        async def write(tx: Transaction) -> None:
            tx.session.add(row)

        await self.writer.run(write)
        return token

    async def lookup(self, token: str) -> WebSessionInfo | None:
        """Return the session of a cookie token, or None if unknown, expired or idle too long.

        A session of an account that is no longer active is not returned either.
        """
        async with self.sessions() as session:
            found = (
                await session.execute(
                    select(WebSession, Account)
                    .join(Account, Account.id == WebSession.account_id)
                    .where(WebSession.id == token_hash(token))
                )
            ).first()
        if found is None:
            return None
        row, account = found
        now = self.clock.now()
        if now >= row.expires_at or now - row.last_seen_at >= self.idle_timeout:
            await self.revoke(token)
            return None
        if account.state != "active":
            return None
        return WebSessionInfo(
            id=row.id,
            account=info(account),
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            client=row.client,
            user_agent=row.user_agent,
        )

    async def touch(self, token: str) -> None:
        """Record activity now, which restarts the idle timeout."""
        now = self.clock.now()
        key = token_hash(token)

        async def write(tx: Transaction) -> None:
            row = await tx.session.get(WebSession, key)
            if row is not None:
                row.last_seen_at = now

        await self.writer.run(write)

    async def revoke(self, token: str) -> None:
        """End one session (logging out)."""
        key = token_hash(token)

        async def write(tx: Transaction) -> None:
            await tx.session.execute(delete(WebSession).where(WebSession.id == key))

        await self.writer.run(write)

    async def revoke_all(self, account_id: int) -> int:
        """End every session of an account and return how many there were."""

        async def write(tx: Transaction) -> int:
            result = await tx.session.execute(
                delete(WebSession).where(WebSession.account_id == account_id)
            )
            return int(getattr(result, "rowcount", 0) or 0)

        return await self.writer.run(write)

    async def purge_expired(self) -> int:
        """Delete sessions past their lifetime or idle timeout; return how many."""
        now = self.clock.now()

        async def write(tx: Transaction) -> int:
            result = await tx.session.execute(
                delete(WebSession).where(
                    (WebSession.expires_at <= now)
                    | (WebSession.last_seen_at <= now - self.idle_timeout)
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

        return await self.writer.run(write)
