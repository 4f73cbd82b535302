"""Message operations inside one transaction: insert, flags, expunge, copy.

Each operation bumps the folder's modification sequence once and gives every message it
touches that value, and changes the account's quota usage in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.errors import OverQuota
from appliance.models import Account, Expunged, Folder, Message
from appliance.store.types import MAX_MESSAGES, MessageInfo


def flags_text(flags: Iterable[str]) -> str:
    return " ".join(sorted(set(flags)))


def flags_set(text: str) -> frozenset[str]:
    return frozenset(text.split()) if text else frozenset()


def info(row: Message) -> MessageInfo:
    return MessageInfo(
        uid=row.uid,
        flags=flags_set(row.flags),
        internal_date=row.internal_date,
        size=row.size,
        modseq=row.modseq,
        blob_key=row.blob_key,
    )


def charge(account: Account, size: int, count: int = 1) -> None:
    """Add `size` bytes to the account's usage, or raise OverQuota if it would not fit."""
    if count > 0 and account.message_count + count > MAX_MESSAGES:
        raise OverQuota(f"Mailbox {account.address} holds the most messages allowed.")
    if size > 0 and account.used_bytes + size > account.quota_bytes:
        raise OverQuota(
            f"Mailbox {account.address} is full: {account.used_bytes} of "
            f"{account.quota_bytes} bytes used, message needs {size}."
        )
    account.used_bytes += size
    account.message_count += count


async def insert(
    session: AsyncSession,
    account: Account,
    folder: Folder,
    *,
    blob_key: str,
    size: int,
    structure: str,
    flags: Iterable[str],
    internal_date: datetime,
) -> Message:
    """Insert one message at the folder's next UID (RFC 3501 2.3.1.1: UIDs only grow)."""
    charge(account, size)
    folder.highestmodseq += 1
    row = Message(
        folder_id=folder.id,
        uid=folder.uidnext,
        blob_key=blob_key,
        size=size,
        internal_date=internal_date,
        flags=flags_text(flags),
        modseq=folder.highestmodseq,
        structure=structure,
    )
    folder.uidnext += 1
    session.add(row)
    return row


async def select_uids(session: AsyncSession, folder_id: int, uids: Sequence[int]) -> list[Message]:
    """Return the rows of the given UIDs that exist, by UID."""
    rows: list[Message] = []
    for start in range(0, len(uids), 500):
        chunk = uids[start : start + 500]
        rows.extend(
            await session.scalars(
                select(Message).where(Message.folder_id == folder_id, Message.uid.in_(chunk))
            )
        )
    rows.sort(key=lambda row: row.uid)
    return rows


def updated_flags(current: frozenset[str], mode: str, flags: frozenset[str]) -> frozenset[str]:
    """Return the flags after a STORE of `flags` by mode ("set", "add" or "remove")."""
    if mode == "set":
        return flags
    if mode == "add":
        return current | flags
    if mode == "remove":
        return current - flags
    raise ValueError(f"unknown flag mode {mode!r}")


def apply_flags(row: Message, mode: str, flags: frozenset[str]) -> bool:
    """Change a row's flags by STORE mode ("set", "add" or "remove"); tell whether it changed."""
    current = flags_set(row.flags)
    updated = updated_flags(current, mode, flags)
    if updated == current:
        return False
    row.flags = flags_text(updated)
    return True


async def remove(
    session: AsyncSession, account: Account, folder: Folder, rows: Sequence[Message]
) -> list[int]:
    """Delete rows, record their UIDs as expunged and release their quota."""
    if not rows:
        return []
    folder.highestmodseq += 1
    uids = [row.uid for row in rows]
    for row in rows:
        account.used_bytes -= row.size
        account.message_count -= 1
        session.add(Expunged(folder_id=folder.id, uid=row.uid, modseq=folder.highestmodseq))
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        await session.execute(delete(Message).where(Message.id.in_(ids[start : start + 500])))
    return sorted(uids)
