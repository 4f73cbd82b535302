"""The end of an address: forwarding periods that run out, and purging after retention.

An old address forwards until its period ends; then it is revoked and mail to it bounces
with 550 5.1.1. A revoked mailbox's content is kept for the retention period (setting
`retention_days`), then purged; the account row stays, so the address is never issued
again, and the audit log records what was purged.
"""

from __future__ import annotations

import mailbox
import os
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.audit import Audit
from appliance.blobs import BlobStore
from appliance.models import Account, Folder, Message, WebSession
from appliance.store.writer import Transaction, Writer


async def revoke_in(tx: Transaction, account_id: int, now: datetime) -> str:
    """Revoke an account inside the caller's transaction and return its address."""
    account = await tx.session.get_one(Account, account_id)
    account.state = "revoked"
    account.revoked_at = now
    await tx.session.execute(delete(WebSession).where(WebSession.account_id == account_id))
    return account.address


class Retention:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        audit: Audit,
        retention: timedelta,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.audit = audit
        self.retention = retention

    async def revoke(self, account_id: int, now: datetime, reason: str) -> str:
        """Revoke an account now: no login, mail to it bounces; content kept for retention."""

        address = await self.writer.run(lambda tx: revoke_in(tx, account_id, now))
        await self.audit.record("account_revoked", account=address, outcome=reason)
        return address

    async def end_forwarding(self, now: datetime) -> str:
        """Job: revoke every address whose forwarding period has ended."""
        async with self.sessions() as session:
            due = list(
                await session.scalars(
                    select(Account.id).where(
                        Account.state == "forwarding", Account.forward_until <= now
                    )
                )
            )
        for account_id in due:
            await self.revoke(account_id, now, "forwarding_ended")
        return f"revoked {len(due)}"

    async def purge(self, now: datetime) -> str:
        """Job: delete the content of mailboxes revoked longer ago than the retention."""
        async with self.sessions() as session:
            due = list(
                await session.scalars(
                    select(Account.id).where(
                        Account.state == "revoked", Account.revoked_at <= now - self.retention
                    )
                )
            )
        for account_id in due:
            await self._purge_one(account_id)
        return f"purged {len(due)}"

    async def _purge_one(self, account_id: int) -> None:
        async def write(tx: Transaction) -> tuple[str, int, int, int]:
            account = await tx.session.get_one(Account, account_id)
            folder_ids = list(
                await tx.session.scalars(select(Folder.id).where(Folder.account_id == account_id))
            )
            count, size = (
                await tx.session.execute(
                    select(func.count(Message.id), func.coalesce(func.sum(Message.size), 0)).where(
                        Message.folder_id.in_(folder_ids)
                    )
                )
            ).one()
            await tx.session.execute(delete(Message).where(Message.folder_id.in_(folder_ids)))
            await tx.session.execute(delete(Folder).where(Folder.account_id == account_id))
            account.used_bytes = 0
            account.message_count = 0
            account.state = "purged"
            return account.address, len(folder_ids), int(count), int(size)

        address, folder_count, count, size = await self.writer.run(write)
        await self.audit.record(
            "account_purged",
            account=address,
            outcome="ok",
            detail=f"{count} messages, {size} bytes, {folder_count} folders",
        )


async def export_mbox(
    sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, account_id: int, path: Path
) -> int:
    """Write every message of an account to an mbox file readable only by its owner.

    The file uses Python's mailbox module (mboxo quoting of "From " lines); each message's
    folder is kept in an X-Folder header. Return the number of messages written.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    box = mailbox.mbox(path, create=False)
    written = 0
    try:
        box.lock()
        async with sessions() as session:
            rows = await session.execute(
                select(Folder.name, Message.blob_key)
                .join(Folder, Folder.id == Message.folder_id)
                .where(Folder.account_id == account_id)
                .order_by(Folder.name, Message.uid)
            )
            entries = list(rows)
        for folder_name, blob_key in entries:
            raw = await blobs.get(blob_key)
            box.add(b"X-Folder: " + folder_name.encode() + b"\r\n" + raw)
            written += 1
        box.flush()
    finally:
        box.unlock()
        box.close()
    return written
