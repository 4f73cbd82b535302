"""Copy every table from one metadata database to another, and compare mailboxes across them.

Used to move an appliance from SQLite to PostgreSQL (`appliance migrate-to-postgres`) and
to restore a SQLite backup into PostgreSQL. The target must be empty and at the same
schema revision as the source: both are brought to the newest migration first. Rows keep
their ids, so blob keys, UIDs and foreign keys stay valid, and PostgreSQL's id sequences
are moved past the copied ids afterwards.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from appliance.migrate import upgrade
from appliance.models import Account, Base, Folder, Message

BATCH_ROWS = 1000
ALEMBIC_TABLE = "alembic_version"


class CopyError(Exception):
    """The copy cannot start or did not produce the same mailboxes."""


@dataclass(frozen=True)
class MailboxSummary:
    """Summary of one folder: message count, total bytes and a digest of its rows."""

    messages: int
    size: int
    digest: str  # SHA-256 over UID, blob key, size, flags and modseq of each message


async def table_names(connection: AsyncConnection) -> set[str]:
    return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def check_empty(engine: AsyncEngine) -> None:
    """Raise CopyError if any table of the schema contains a row in `engine`'s database."""
    async with engine.connect() as connection:
        present = await table_names(connection)
        for table in Base.metadata.sorted_tables:
            if table.name in present:
                count = await connection.scalar(select(func.count()).select_from(table))
                if count:
                    raise CopyError(
                        f"the target database is not empty: table {table.name} has {count} "
                        "rows; copy into a new, empty database"
                    )


async def copy_tables(source: AsyncEngine, target: AsyncEngine) -> dict[str, int]:
    """Copy every row of every table; return the row count per table.

    The source is read inside one transaction, so a source that stays in use gives a
    consistent copy only if it is a snapshot (see `appliance.backup.snapshot_sqlite`).
    """
    await upgrade(source)
    await check_empty(target)
    await upgrade(target)
    async with source.connect() as reader:
        unknown = await table_names(reader) - {t.name for t in Base.metadata.tables.values()}
        unknown.discard(ALEMBIC_TABLE)
        if unknown:
            raise CopyError(f"the source has tables this version does not know: {sorted(unknown)}")
        counts: dict[str, int] = {}
        async with target.begin() as writer:
            for table in Base.metadata.sorted_tables:
                counts[table.name] = await _copy_table(reader, writer, table)
            if writer.dialect.name == "postgresql":
                for table in Base.metadata.sorted_tables:
                    await _advance_sequence(writer, table)
    return counts


async def _copy_table(reader: AsyncConnection, writer: AsyncConnection, table: Table) -> int:
    copied = 0
    order = list(table.primary_key.columns)
    result = await reader.stream(select(table).order_by(*order))
    async for partition in result.mappings().partitions(BATCH_ROWS):
        rows = [dict(row) for row in partition]
        await writer.execute(insert(table), rows)
        copied += len(rows)
    return copied


async def _advance_sequence(writer: AsyncConnection, table: Table) -> None:
    """Set the id sequence of `table` to its largest copied id, so new rows do not collide."""
    column = table.autoincrement_column
    if column is None:
        return
    sequence = await writer.scalar(
        text("SELECT pg_get_serial_sequence(:table, :column)"),
        {"table": table.name, "column": column.name},
    )
    if sequence is None:
        return
    largest = await writer.scalar(select(func.max(column)))
    if largest is None:
        await writer.execute(text("SELECT setval(:sequence, 1, false)"), {"sequence": sequence})
    else:
        await writer.execute(
            text("SELECT setval(:sequence, :value, true)"),
            {"sequence": sequence, "value": largest},
        )


async def summarize_mailboxes(
    connection: AsyncConnection,
) -> dict[tuple[str, str], MailboxSummary]:
    """Return a summary of every folder, keyed by (account address, folder name)."""
    query = (
        select(
            Account.address,
            Folder.name,
            Message.uid,
            Message.blob_key,
            Message.size,
            Message.flags,
            Message.modseq,
        )
        .join(Folder, Folder.account_id == Account.id)
        .outerjoin(Message, Message.folder_id == Folder.id)
        .order_by(Account.address, Folder.name, Message.uid)
    )
    digests: dict[tuple[str, str], hashlib._Hash] = {}
    counts: dict[tuple[str, str], list[int]] = {}
    result = await connection.stream(query)
    async for address, folder, uid, blob_key, size, flags, modseq in result:
        key = (address, folder)
        digest = digests.setdefault(key, hashlib.sha256())
        tally = counts.setdefault(key, [0, 0])
        if uid is None:
            continue
        digest.update(f"{uid} {blob_key} {size} {flags} {modseq}\n".encode())
        tally[0] += 1
        tally[1] += size
    return {
        key: MailboxSummary(counts[key][0], counts[key][1], digest.hexdigest())
        for key, digest in digests.items()
    }


def compare_summaries(
    expected: dict[tuple[str, str], MailboxSummary],
    actual: dict[tuple[str, str], MailboxSummary],
) -> list[str]:
    """Return one line per folder that differs; empty when every folder matches."""
    problems = []
    for key in sorted(set(expected) | set(actual)):
        want, got = expected.get(key), actual.get(key)
        if want != got:
            problems.append(f"{key[0]} {key[1]}: expected {want}, found {got}")
    return problems
