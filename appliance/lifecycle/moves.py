"""Moving a mailbox's content into another mailbox, in batches that each commit alone.

Each batch moves up to `batch_size` messages in one transaction: rows are inserted in the
target and removed from the source together, so a move stopped at any point (a crash, a
cancelled task, `max_batches`) leaves every message in exactly one of the two mailboxes,
and running it again continues where it stopped. Blobs are shared, so no bytes are copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.clock import Clock
from appliance.errors import ApplianceError, MailboxNotFound
from appliance.models import Account, Folder, MailboxMove, Message
from appliance.notify import ChangeHub
from appliance.store import folders, messages
from appliance.store.types import HIERARCHY_SEPARATOR
from appliance.store.writer import Transaction, Writer

BATCH_SIZE = 200


@dataclass(frozen=True)
class MoveProgress:
    id: int
    source: str
    target: str
    total: int
    moved: int
    state: str  # running or done


class MoveError(ApplianceError):
    """The mailbox move cannot go on."""


def target_name(prefix: str, source_name: str) -> str:
    """Return where a source folder's messages go: under `prefix`, or the same name."""
    return f"{prefix}{HIERARCHY_SEPARATOR}{source_name}" if prefix else source_name


class MailboxMoves:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        hub: ChangeHub,
        clock: Clock,
    ) -> None:
        self.sessions = sessions
        self.writer = writer
        self.hub = hub
        self.clock = clock

    async def start(self, source_id: int, target_id: int, prefix: str, by: str) -> int:
        """Record a move of every message of `source_id` into `target_id`; return its id."""
        return await self.writer.run(partial(self.start_in, source_id, target_id, prefix, by))

    async def start_in(
        self, source_id: int, target_id: int, prefix: str, by: str, tx: Transaction
    ) -> int:
        """Record a move inside the caller's transaction; nothing moves until `run`."""
        if source_id == target_id:
            raise MoveError("A mailbox cannot be moved into itself.")
        if prefix:
            folders.check_name(prefix)
        now = self.clock.now()
        total = await tx.session.scalar(
            select(func.count(Message.id))
            .join(Folder, Folder.id == Message.folder_id)
            .where(Folder.account_id == source_id)
        )
        row = MailboxMove(
            source_account_id=source_id,
            target_account_id=target_id,
            prefix=prefix,
            total=total or 0,
            moved=0,
            state="running",
            started_by=by,
            started_at=now,
            updated_at=now,
        )
        tx.session.add(row)
        await tx.session.flush()
        return row.id

    async def run(
        self, move_id: int, batch_size: int = BATCH_SIZE, max_batches: int | None = None
    ) -> MoveProgress:
        """Move batches until done (or `max_batches` ran); return the progress."""
        batches = 0
        while max_batches is None or batches < max_batches:
            if await self.writer.run(partial(self._batch, move_id, batch_size)) == 0:
                break
            batches += 1
        return await self.progress(move_id)

    async def _batch(self, move_id: int, batch_size: int, tx: Transaction) -> int:
        move = await tx.session.get_one(MailboxMove, move_id)
        if move.state == "done":
            return 0
        rows = list(
            await tx.session.execute(
                select(Message, Folder)
                .join(Folder, Folder.id == Message.folder_id)
                .where(Folder.account_id == move.source_account_id)
                .order_by(Message.id)
                .limit(batch_size)
            )
        )
        now = self.clock.now()
        move.updated_at = now
        if not rows:
            move.state = "done"
            return 0
        source = await tx.session.get_one(Account, move.source_account_id)
        target = await tx.session.get_one(Account, move.target_account_id)
        by_folder: dict[int, tuple[Folder, list[Message]]] = {}
        for message, folder in rows:
            by_folder.setdefault(folder.id, (folder, []))[1].append(message)
        for folder, moved in by_folder.values():
            destination = await self._destination(
                tx, target.id, target_name(move.prefix, folder.name)
            )
            for message in moved:
                await messages.insert(
                    tx.session,
                    target,
                    destination,
                    blob_key=message.blob_key,
                    size=message.size,
                    structure=message.structure,
                    flags=messages.flags_set(message.flags),
                    internal_date=message.internal_date,
                )
            await messages.remove(tx.session, source, folder, moved)
            tx.after_commit(partial(self.hub.publish, folder.id))
            tx.after_commit(partial(self.hub.publish, destination.id))
        move.moved += len(rows)
        return len(rows)

    async def _destination(self, tx: Transaction, account_id: int, name: str) -> Folder:
        try:
            return await folders.find(tx.session, account_id, name)
        except MailboxNotFound:
            return await folders.create(tx.session, account_id, name, self.clock.now())

    async def progress(self, move_id: int) -> MoveProgress:
        async with self.sessions() as session:
            move = await session.get_one(MailboxMove, move_id)
            source = await session.get_one(Account, move.source_account_id)
            target = await session.get_one(Account, move.target_account_id)
            return MoveProgress(
                move.id, source.address, target.address, move.total, move.moved, move.state
            )
