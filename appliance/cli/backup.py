"""`appliance backup`, `appliance restore` and `appliance migrate-to-postgres`.

None of them opens the full core: the appliance may be running on the same data folder,
and these commands must not run its start-up work (migrations, clearing half-written
blobs) underneath it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from appliance.backup import BackupError, create_backup, is_sqlite, snapshot_sqlite, sqlite_path
from appliance.blobs import open_blob_store
from appliance.clock import Clock
from appliance.config import Settings
from appliance.db import make_engine
from appliance.dbcopy import CopyError, compare_summaries, copy_tables, summarize_mailboxes
from appliance.pgtools import ToolMissing
from appliance.restore import restore_backup

COMMANDS = ("backup", "restore", "migrate-to-postgres")


def add_parser(commands: Any) -> None:
    """Add the backup, restore and migrate-to-postgres commands to the main parser."""
    backup = commands.add_parser("backup", help="write a backup archive while the appliance runs")
    backup.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder or archive file (.tar or .tar.gz); default: the backup_dir setting",
    )
    restore = commands.add_parser("restore", help="restore a backup into an empty data folder")
    restore.add_argument("archive", type=Path)
    migrate = commands.add_parser(
        "migrate-to-postgres", help="copy the SQLite database into an empty PostgreSQL database"
    )
    migrate.add_argument("url", help="SQLAlchemy URL, e.g. postgresql+asyncpg://user:pw@host/db")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        if args.command == "backup":
            return await run_backup(settings, args.output or settings.backup_folder)
        if args.command == "restore":
            return await run_restore(settings, args.archive)
        return await run_migrate(settings, args.url)
    except (BackupError, CopyError, ToolMissing) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


async def run_backup(settings: Settings, output: Path) -> int:
    engine = make_engine(settings.database)
    try:
        result = await create_backup(
            settings, engine, open_blob_store(settings), output, Clock().now()
        )
    finally:
        await engine.dispose()
    print(
        f"backup written: {result.path} ({result.messages} messages, {result.blobs} blobs, "
        f"{result.blob_bytes} bytes of mail)"
    )
    return 0


async def run_restore(settings: Settings, archive: Path) -> int:
    result = await restore_backup(archive, settings, open_blob_store(settings))
    print(
        f"restored {result.blobs} blobs and {result.messages} messages in "
        f"{result.mailboxes} folders into {settings.data_dir}; every folder matches the backup"
    )
    return 0


async def run_migrate(settings: Settings, url: str) -> int:
    """Copy a consistent snapshot of the SQLite database into PostgreSQL and compare them."""
    if not is_sqlite(settings.database):
        raise CopyError(f"the appliance already uses {make_url(settings.database).drivername}")
    if make_url(url).get_backend_name() != "postgresql":
        raise CopyError(f"{url!r} is not a PostgreSQL URL (postgresql+asyncpg://...)")
    with tempfile.TemporaryDirectory(prefix="migrate-", dir=settings.data_dir) as work:
        snapshot = Path(work) / "snapshot.db"
        snapshot_sqlite(sqlite_path(settings.database), snapshot)
        source = create_async_engine(f"sqlite+aiosqlite:///{snapshot}")
        target = create_async_engine(url)
        try:
            counts = await copy_tables(source, target)
            async with source.connect() as connection:
                expected = await summarize_mailboxes(connection)
            async with target.connect() as connection:
                actual = await summarize_mailboxes(connection)
        finally:
            await source.dispose()
            await target.dispose()
    problems = compare_summaries(expected, actual)
    if problems:
        raise CopyError("the copy differs from the source:\n" + "\n".join(problems))
    messages = sum(summary.messages for summary in actual.values())
    size = sum(summary.size for summary in actual.values())
    print(
        f"copied {sum(counts.values())} rows; {len(actual)} folders match by message count, "
        f"size and digest ({messages} messages, {size} bytes)"
    )
    print(f'next: set database_url = "{make_url(url).render_as_string()}" and restart')
    return 0
