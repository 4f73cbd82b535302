"""Restore a backup archive (see `appliance.backup`) into an empty data folder or database.

Every blob is checked against `blobs.sha256` before it is written. Once the database is
back, every mailbox is compared with the summary in the manifest, and any difference fails
the restore. A SQLite snapshot can be restored into SQLite or, by copying its rows, into
an empty PostgreSQL database; a PostgreSQL dump is restored with pg_restore.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from appliance.backup import (
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    extract_to,
    is_sqlite,
    open_archive,
    read_member,
    sqlite_path,
)
from appliance.blobs import BlobStore
from appliance.config import Settings
from appliance.db import make_engine
from appliance.dbcopy import (
    MailboxSummary,
    check_empty,
    compare_summaries,
    copy_tables,
    summarize_mailboxes,
)
from appliance.migrate import upgrade
from appliance.pgtools import libpq_environment, pg_tool


@dataclass(frozen=True)
class RestoreResult:
    blobs: int
    mailboxes: int
    messages: int


def parse_checksums(text: str) -> dict[str, str]:
    """Read `sha256sum` lines into {key: hex digest}."""
    checksums = {}
    for line in text.splitlines():
        digest, _, key = line.partition("  ")
        checksums[key] = digest
    return checksums


async def restore_backup(archive_path: Path, settings: Settings, blobs: BlobStore) -> RestoreResult:
    """Restore every blob, the database and missing config files; then verify mailboxes."""
    with open_archive(archive_path) as (archive, manifest):
        await _check_target(settings)
        checksums = parse_checksums(read_member(archive, "blobs.sha256").decode())
        restored = await _restore_blobs(archive, checksums, blobs)
        if restored != len(checksums):
            raise BackupError(f"the archive lists {len(checksums)} blobs but holds {restored}")
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        await _restore_database(archive, manifest["database"], settings)
        _restore_config(archive, settings)
    expected = {
        (entry["account"], entry["folder"]): MailboxSummary(
            entry["messages"], entry["size"], entry["digest"]
        )
        for entry in manifest["mailboxes"]
    }
    engine = make_engine(settings.database)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            actual = await summarize_mailboxes(connection)
    finally:
        await engine.dispose()
    problems = compare_summaries(expected, actual)
    if problems:
        raise BackupError("restored mailboxes differ from the backup:\n" + "\n".join(problems))
    messages = sum(summary.messages for summary in actual.values())
    return RestoreResult(restored, len(actual), messages)


async def _check_target(settings: Settings) -> None:
    if is_sqlite(settings.database):
        path = sqlite_path(settings.database)
        if path.exists():
            raise BackupError(
                f"{path} already exists; restore into a new data folder, or move it away first"
            )
        return
    engine = create_async_engine(settings.database)
    try:
        await check_empty(engine)
    finally:
        await engine.dispose()


async def _restore_blobs(
    archive: tarfile.TarFile, checksums: dict[str, str], blobs: BlobStore
) -> int:
    restored = 0
    for member in archive:
        if not member.name.startswith("blobs/") or not member.isfile():
            continue
        key = member.name.removeprefix("blobs/")
        handle = archive.extractfile(member)
        assert handle is not None
        data = handle.read()
        if hashlib.sha256(data).hexdigest() != checksums.get(key):
            raise BackupError(f"blob {key} in the archive does not match its SHA-256; aborted")
        await blobs.put_key(key, data)
        restored += 1
    return restored


async def _restore_database(archive: tarfile.TarFile, member: str, settings: Settings) -> None:
    target_sqlite = is_sqlite(settings.database)
    if member == SQLITE_MEMBER and target_sqlite:
        path = sqlite_path(settings.database)
        path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(extract_to, archive, member, path)
        return
    with tempfile.TemporaryDirectory(prefix="restore-", dir=settings.data_dir) as work:
        file = Path(work) / Path(member).name
        await asyncio.to_thread(extract_to, archive, member, file)
        if member == SQLITE_MEMBER:
            await _copy_sqlite_into(file, settings.database)
        elif member == PGDUMP_MEMBER and not target_sqlite:
            await _pg_restore(file, settings.database)
        else:
            raise BackupError(
                "a PostgreSQL backup can only be restored into PostgreSQL: set database_url"
            )


async def _copy_sqlite_into(file: Path, url: str) -> None:
    source = create_async_engine(f"sqlite+aiosqlite:///{file}")
    target = create_async_engine(url)
    try:
        await copy_tables(source, target)
    finally:
        await source.dispose()
        await target.dispose()


async def _pg_restore(file: Path, url: str) -> None:
    engine: AsyncEngine = create_async_engine(url)
    conninfo, environment = libpq_environment(engine.url)
    await engine.dispose()
    process = await asyncio.create_subprocess_exec(
        pg_tool("pg_restore"),
        "--no-owner",
        "--exit-on-error",
        f"--dbname={conninfo}",
        str(file),
        env={**os.environ, **environment},
        stderr=asyncio.subprocess.PIPE,
    )
    _out, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"pg_restore failed: {errors.decode(errors='replace').strip()}")


def _restore_config(archive: tarfile.TarFile, settings: Settings) -> None:
    """Put back appliance.toml and the certificate files that the data folder lacks."""
    for member in archive.getmembers():
        if not member.name.startswith("config/") or not member.isfile():
            continue
        relative = Path(member.name.removeprefix("config/"))
        if ".." in relative.parts or relative.is_absolute():
            raise BackupError(f"archive member {member.name} points outside the data folder")
        target = settings.data_dir / relative
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        extract_to(archive, member.name, target)
        target.chmod(0o600)
