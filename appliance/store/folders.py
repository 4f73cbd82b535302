"""Folder operations inside one transaction: names, creation, renaming, deletion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from appliance.errors import MailboxExists, MailboxNameInvalid, MailboxNotFound, MailboxProtected
from appliance.models import Counter, Folder, Message
from appliance.store.types import HIERARCHY_SEPARATOR

MAX_NAME_LENGTH = 1000


def normalize_name(name: str) -> str:
    """Return the stored form of a folder name: INBOX in any case is "INBOX" (RFC 3501 5.1)."""
    parts = name.split(HIERARCHY_SEPARATOR)
    if parts[0].upper() == "INBOX":
        parts[0] = "INBOX"
    return HIERARCHY_SEPARATOR.join(parts)


def check_name(name: str) -> str:
    """Validate a folder name for creation and return its stored form."""
    if not name or len(name.encode()) > MAX_NAME_LENGTH:
        raise MailboxNameInvalid("The mailbox name is empty or too long.")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        raise MailboxNameInvalid("The mailbox name contains a control character.")
    if "*" in name or "%" in name:
        raise MailboxNameInvalid("The mailbox name contains a wildcard character (* or %).")
    if any(part == "" for part in name.split(HIERARCHY_SEPARATOR)):
        raise MailboxNameInvalid("The mailbox name has an empty level.")
    return normalize_name(name)


async def find(session: AsyncSession, account_id: int, name: str) -> Folder:
    """Return the folder row named `name` of the account, or raise MailboxNotFound."""
    row = await session.scalar(
        select(Folder).where(Folder.account_id == account_id, Folder.name == normalize_name(name))
    )
    if row is None:
        raise MailboxNotFound(f"Mailbox does not exist: {name}")
    return row


async def next_uidvalidity(session: AsyncSession, now: datetime) -> int:
    """Return a UIDVALIDITY never used before on this appliance (RFC 3501 2.3.1.1).

    The last value is kept in a counter, so a folder deleted and created again within the
    same second still gets a new one.
    """
    counter = await session.get(Counter, "uidvalidity")
    if counter is None:
        counter = Counter(name="uidvalidity", value=0)
        session.add(counter)
    counter.value = max(int(now.timestamp()), counter.value + 1)
    return counter.value


async def create(
    session: AsyncSession, account_id: int, name: str, now: datetime, special_use: str | None = None
) -> Folder:
    """Create a folder and any missing parent folders (RFC 3501 6.3.3)."""
    name = check_name(name)
    existing = await session.scalar(
        select(Folder).where(Folder.account_id == account_id, Folder.name == name)
    )
    if existing is not None:
        raise MailboxExists(f"Mailbox already exists: {name}")
    parts = name.split(HIERARCHY_SEPARATOR)
    for depth in range(1, len(parts)):
        parent = HIERARCHY_SEPARATOR.join(parts[:depth])
        found = await session.scalar(
            select(Folder.id).where(Folder.account_id == account_id, Folder.name == parent)
        )
        if found is None:
            await _insert(session, account_id, parent, now, None)
    return await _insert(session, account_id, name, now, special_use)


async def create_top_level(
    session: AsyncSession,
    account_ids: Sequence[int],
    names: Sequence[tuple[str, str | None]],
    now: datetime,
) -> None:
    """Create top-level folders in accounts that have none of them yet, in one statement.

    For new accounts' default folders: one multi-row INSERT instead of a check and an
    INSERT per folder lets a bulk import create thousands of accounts in seconds.
    """
    rows = [
        {
            "account_id": account_id,
            "name": check_name(name),
            "special_use": special_use,
            "uidvalidity": await next_uidvalidity(session, now),
            "uidnext": 1,
            "highestmodseq": 1,
            "subscribed": True,
        }
        for account_id in account_ids
        for name, special_use in names
    ]
    if rows:
        await session.execute(insert(cast(Table, Folder.__table__)), rows)


async def _insert(
    session: AsyncSession, account_id: int, name: str, now: datetime, special_use: str | None
) -> Folder:
    folder = Folder(
        account_id=account_id,
        name=name,
        special_use=special_use,
        uidvalidity=await next_uidvalidity(session, now),
        uidnext=1,
        highestmodseq=1,
        subscribed=True,
    )
    session.add(folder)
    await session.flush()
    return folder


async def rename(
    session: AsyncSession, account_id: int, old: str, new: str, now: datetime
) -> list[int]:
    """Rename a folder and its children; return ids of folders whose content changed.

    Renaming INBOX moves its messages into a new folder and leaves INBOX empty
    (RFC 3501 6.3.5).
    """
    source = await find(session, account_id, old)
    new = check_name(new)
    taken = await session.scalar(
        select(Folder.id).where(Folder.account_id == account_id, Folder.name == new)
    )
    if taken is not None:
        raise MailboxExists(f"Mailbox already exists: {new}")
    if source.name == "INBOX":
        target = await create(session, account_id, new, now)
        await session.execute(
            update(Message).where(Message.folder_id == source.id).values(folder_id=target.id)
        )
        await _reset_after_move(session, source, target, now)
        return [source.id, target.id]
    if new.startswith(source.name + HIERARCHY_SEPARATOR):
        raise MailboxNameInvalid("A mailbox cannot be renamed into itself.")
    children = await session.scalars(
        select(Folder).where(
            Folder.account_id == account_id,
            Folder.name.startswith(source.name + HIERARCHY_SEPARATOR, autoescape=True),
        )
    )
    for child in children:
        # SQLite's LIKE ignores case, so "projects/x" also matched the prefix "Projects/".
        if not child.name.startswith(source.name + HIERARCHY_SEPARATOR):
            continue
        child.name = new + child.name[len(source.name) :]
    source.name = new
    await _create_missing_parents(session, account_id, new, now)
    return []


async def _reset_after_move(
    session: AsyncSession, source: Folder, target: Folder, now: datetime
) -> None:
    # The moved messages keep their UIDs, which are valid in the new folder because it is
    # new; INBOX gets a new UIDVALIDITY so no client mixes old UIDs with new ones.
    highest_uid = await session.scalar(
        select(func.max(Message.uid)).where(Message.folder_id == target.id)
    )
    target.uidnext = (highest_uid or 0) + 1
    target.highestmodseq = source.highestmodseq + 1
    source.uidvalidity = await next_uidvalidity(session, now)
    source.highestmodseq += 1


async def _create_missing_parents(
    session: AsyncSession, account_id: int, name: str, now: datetime
) -> None:
    parts = name.split(HIERARCHY_SEPARATOR)
    for depth in range(1, len(parts)):
        parent = HIERARCHY_SEPARATOR.join(parts[:depth])
        found = await session.scalar(
            select(Folder.id).where(Folder.account_id == account_id, Folder.name == parent)
        )
        if found is None:
            await _insert(session, account_id, parent, now, None)


async def remove(session: AsyncSession, account_id: int, name: str) -> Folder:
    """Delete a folder with its messages; its children stay (RFC 3501 6.3.4)."""
    folder = await find(session, account_id, name)
    if folder.name == "INBOX":
        raise MailboxProtected("INBOX cannot be deleted.")
    await session.execute(delete(Message).where(Message.folder_id == folder.id))
    await session.delete(folder)
    return folder
