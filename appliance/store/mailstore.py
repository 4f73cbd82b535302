"""The mail store: folders, messages, flags, UIDs and quota, for every protocol.

Reads open their own short session; writes go through the group-commit writer and publish
the changed folders to the change hub once committed. Message bytes are written to the
blob store before the transaction that references them, and never changed afterwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from functools import partial

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from appliance.blobs import BlobStore
from appliance.clock import Clock
from appliance.errors import MailboxNotFound, MessageTooLarge, NoSuchMessage, OverQuota
from appliance.mime.structure import MessageStructure
from appliance.models import Account, Expunged, Folder, Message
from appliance.notify import ChangeHub
from appliance.store import folders, messages
from appliance.store import message_rows as rows
from appliance.store.types import (
    DEFAULT_FOLDERS,
    Changes,
    CopyResult,
    FolderInfo,
    MessageInfo,
    QuotaInfo,
)
from appliance.store.writer import Transaction, Writer


class MailStore:
    """Folders and messages of every account."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        blobs: BlobStore,
        hub: ChangeHub,
        clock: Clock,
        max_message_size: int,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.blobs = blobs
        self.hub = hub
        self.clock = clock
        self.max_message_size = max_message_size
        # Called with (rule, account id) when a write is refused by a limit (quota, size).
        self.on_refusal: Callable[[str, int], Awaitable[None]] | None = None
        # Called after a commit that added messages to a folder, with (account id, folder name).
        self.added_hooks: list[Callable[[int, str], None]] = []

    # Folders

    async def create_default_folders(self, tx: Transaction, account_id: int) -> None:
        """Create the default folders (`DEFAULT_FOLDERS`) in a new account."""
        await self.create_default_folders_many(tx, [account_id])

    async def create_default_folders_many(
        self, tx: Transaction, account_ids: Sequence[int]
    ) -> None:
        """Create the default folders in many new accounts at once (for bulk imports)."""
        await folders.create_top_level(tx.session, account_ids, DEFAULT_FOLDERS, self.clock.now())

    async def list_folders(self, account_id: int) -> list[FolderInfo]:
        """Return every folder of the account with its counts, sorted by name."""
        async with self.sessions() as session:
            return await self._folder_infos(session, account_id, None)

    async def folder(self, account_id: int, name: str) -> FolderInfo:
        """Return one folder with its counts, or raise MailboxNotFound."""
        async with self.sessions() as session:
            found = await self._folder_infos(session, account_id, folders.normalize_name(name))
        if not found:
            raise MailboxNotFound(f"Mailbox does not exist: {name}")
        return found[0]

    async def _folder_infos(
        self, session: AsyncSession, account_id: int, name: str | None
    ) -> list[FolderInfo]:
        unseen = case(
            (Message.id.is_(None), 0),
            (Message.flags.contains("\\Seen", autoescape=True), 0),
            else_=1,
        )
        query = (
            select(
                Folder,
                func.count(Message.id),
                func.coalesce(func.sum(unseen), 0),
                func.coalesce(func.sum(Message.size), 0),
            )
            .outerjoin(Message, Message.folder_id == Folder.id)
            .where(Folder.account_id == account_id)
            .group_by(Folder.id)
            .order_by(Folder.name)
        )
        if name is not None:
            query = query.where(Folder.name == name)
        result = await session.execute(query)
        return [
            FolderInfo(
                id=row.id,
                account_id=row.account_id,
                name=row.name,
                special_use=row.special_use,
                uidvalidity=row.uidvalidity,
                uidnext=row.uidnext,
                highestmodseq=row.highestmodseq,
                subscribed=row.subscribed,
                messages=count,
                unseen=int(unseen_count),
                size=int(size),
            )
            for row, count, unseen_count, size in result
        ]

    async def create_folder(self, account_id: int, name: str) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            await folders.create(tx.session, account_id, name, now)

        await self.writer.run(write)

    async def delete_folder(self, account_id: int, name: str) -> None:
        """Delete a folder and its messages, releasing their quota."""

        async def write(tx: Transaction) -> None:
            folder = await folders.find(tx.session, account_id, name)
            rows = list(
                await tx.session.scalars(select(Message).where(Message.folder_id == folder.id))
            )
            account = await tx.session.get_one(Account, account_id)
            await messages.remove(tx.session, account, folder, rows)
            await folders.remove(tx.session, account_id, name)
            tx.after_commit(lambda: self.hub.publish(folder.id))

        await self.writer.run(write)

    async def rename_folder(self, account_id: int, old: str, new: str) -> None:
        now = self.clock.now()

        async def write(tx: Transaction) -> None:
            changed = await folders.rename(tx.session, account_id, old, new, now)
            for folder_id in changed:
                tx.after_commit(partial(self.hub.publish, folder_id))

        await self.writer.run(write)

    async def set_subscribed(self, account_id: int, name: str, subscribed: bool) -> None:
        async def write(tx: Transaction) -> None:
            folder = await folders.find(tx.session, account_id, name)
            folder.subscribed = subscribed

        await self.writer.run(write)

    # Messages

    def parse(self, raw: bytes) -> str:
        """Parse a message once and return its structure as stored (JSON)."""
        from appliance.mime.parse import parse_structure
        from appliance.mime.serialize import to_json

        return to_json(parse_structure(raw))

    async def append(
        self,
        account_id: int,
        folder_name: str,
        raw: bytes,
        flags: Iterable[str] = (),
        internal_date: datetime | None = None,
    ) -> tuple[int, int]:
        """Store a message in a folder; return (UIDVALIDITY, UID) once it is durable."""
        if len(raw) > self.max_message_size:
            await self._refused("message_size", account_id)
            raise MessageTooLarge(f"Message of {len(raw)} bytes exceeds {self.max_message_size}.")
        structure = self.parse(raw)
        blob_key = await self.blobs.put(raw)
        date = internal_date or self.clock.now()
        wanted = frozenset(flags) - {"\\Recent"}

        item = rows.NewMessage(blob_key, len(raw), structure, wanted, date)
        stored_name = folders.normalize_name(folder_name)

        def write(session: Session) -> tuple[rows.Slot, int]:
            connection = session.connection()
            slot = rows.claim_by_name(connection, account_id, stored_name, 1)
            if slot is None:
                raise MailboxNotFound(f"Mailbox does not exist: {folder_name}")
            rows.charge(connection, account_id, [item.size])
            [uid] = rows.insert_rows(connection, slot, [item])
            return slot, uid

        try:
            slot, uid = await self.writer.run_sync(write, self._after_insert)
        except OverQuota:
            await self._refused("quota", account_id)
            raise
        return slot.uidvalidity, uid

    async def _refused(self, rule: str, account_id: int) -> None:
        if self.on_refusal is not None:
            await self.on_refusal(rule, account_id)

    def _after_insert(self, result: tuple[rows.Slot, object]) -> None:
        slot = result[0]
        self.hub.publish(slot.folder_id)
        self._added(slot.account_id, slot.name)

    def _added(self, account_id: int, folder_name: str) -> None:
        for hook in self.added_hooks:
            hook(account_id, folder_name)

    async def message(self, folder_id: int, uid: int) -> MessageInfo:
        """Return one message's metadata, or raise NoSuchMessage."""
        async with self.sessions() as session:
            row = await session.scalar(
                select(Message).where(Message.folder_id == folder_id, Message.uid == uid)
            )
        if row is None:
            raise NoSuchMessage(f"No message with UID {uid} in this mailbox")
        return messages.info(row)

    async def messages(self, folder_id: int) -> list[MessageInfo]:
        """Return every message of the folder, by ascending UID."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Message).where(Message.folder_id == folder_id).order_by(Message.uid)
            )
            return [messages.info(row) for row in rows]

    async def changes(self, folder_id: int, since_modseq: int) -> Changes:
        """Return what changed in the folder after `since_modseq`."""
        async with self.sessions() as session:
            changed = await session.scalars(
                select(Message)
                .where(Message.folder_id == folder_id, Message.modseq > since_modseq)
                .order_by(Message.uid)
            )
            infos = [messages.info(row) for row in changed]
            expunged = await session.scalars(
                select(Expunged.uid)
                .where(Expunged.folder_id == folder_id, Expunged.modseq > since_modseq)
                .order_by(Expunged.uid)
            )
            expunged_uids = list(expunged)
            highest = await session.scalar(
                select(Folder.highestmodseq).where(Folder.id == folder_id)
            )
        if highest is None:
            raise MailboxNotFound("The selected mailbox was deleted.")
        return Changes(changed=infos, expunged=expunged_uids, highestmodseq=highest)

    async def structures(self, folder_id: int, uids: Sequence[int]) -> dict[int, MessageStructure]:
        """Return the stored MIME structure of each of the given UIDs that exists."""
        from appliance.mime.serialize import from_json

        result: dict[int, MessageStructure] = {}
        async with self.sessions() as session:
            for start in range(0, len(uids), 500):
                chunk = list(uids[start : start + 500])
                rows = await session.execute(
                    select(Message.uid, Message.structure).where(
                        Message.folder_id == folder_id, Message.uid.in_(chunk)
                    )
                )
                for uid, text in rows:
                    result[uid] = from_json(text)
        return result

    async def read(self, blob_key: str) -> bytes:
        """Return the stored bytes of a message."""
        return await self.blobs.get(blob_key)

    async def store_flags(
        self, folder_id: int, uids: Sequence[int], mode: str, flags: Iterable[str]
    ) -> list[MessageInfo]:
        """Set, add or remove flags on messages; return every matched message afterwards."""
        wanted = frozenset(flags) - {"\\Recent"}

        def write(session: Session) -> tuple[list[MessageInfo], bool]:
            return rows.store_flags(session.connection(), folder_id, uids, mode, wanted)

        infos, _changed = await self.writer.run_sync(
            write, lambda result: self._publish_if(folder_id, result[1])
        )
        return infos

    def _publish_if(self, folder_id: int, changed: bool) -> None:
        if changed:
            self.hub.publish(folder_id)

    async def expunge(self, folder_id: int, uids: Sequence[int] | None = None) -> list[int]:
        """Remove messages flagged \\Deleted (only among `uids` if given); return their UIDs."""

        def write(session: Session) -> tuple[list[int], bool]:
            connection = session.connection()
            removed = rows.remove(
                connection, folder_id, rows.deleted_rows(connection, folder_id, uids)
            )
            return removed, bool(removed)

        removed, _changed = await self.writer.run_sync(
            write, lambda result: self._publish_if(folder_id, result[1])
        )
        return removed

    async def copy(
        self, folder_id: int, uids: Sequence[int], target_name: str, *, move: bool = False
    ) -> CopyResult:
        """Copy (or move) messages into another folder of the same account (RFC 6851)."""

        def write(session: Session) -> tuple[CopyResult, rows.Slot]:
            connection = session.connection()
            source = connection.execute(
                select(Folder.account_id).where(Folder.id == folder_id)
            ).scalar_one_or_none()
            if source is None:
                raise MailboxNotFound("The selected mailbox was deleted.")
            target = folders.normalize_name(target_name)
            found = connection.execute(
                select(Folder.id).where(Folder.account_id == source, Folder.name == target)
            ).first()
            if found is None:
                raise MailboxNotFound(f"Mailbox does not exist: {target_name}")
            originals = rows.select_uids(
                connection, folder_id, uids, *rows.INFO_COLUMNS, Message.structure
            )
            if move:
                # Release the source first so a move within a full mailbox still fits.
                rows.remove(connection, folder_id, originals)
            items = [
                rows.NewMessage(
                    row.blob_key,
                    row.size,
                    row.structure,
                    messages.flags_set(row.flags),
                    row.internal_date,
                )
                for row in originals
            ]
            slot = rows.claim_by_id(connection, found.id, len(items))
            assert slot is not None  # found above, in this transaction
            rows.charge(connection, source, [item.size for item in items])
            new_uids = rows.insert_rows(connection, slot, items)
            copied = CopyResult(slot.uidvalidity, [row.uid for row in originals], new_uids)
            return copied, slot

        try:
            result, _slot = await self.writer.run_sync(
                write, lambda result: self._after_copy(folder_id, move, result[1])
            )
        except OverQuota:
            async with self.sessions() as session:
                owner = await session.scalar(
                    select(Folder.account_id).where(Folder.id == folder_id)
                )
            await self._refused("quota", owner or 0)
            raise
        return result

    def _after_copy(self, folder_id: int, move: bool, slot: rows.Slot) -> None:
        if move:
            self.hub.publish(folder_id)
        self._after_insert((slot, None))

    async def quota(self, account_id: int) -> QuotaInfo:
        async with self.sessions() as session:
            account = await session.get_one(Account, account_id)
            return QuotaInfo(account.used_bytes, account.quota_bytes, account.message_count)
