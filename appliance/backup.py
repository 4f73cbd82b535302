"""Consistent backups of a running appliance, and their restore into an empty data folder.

A backup is one tar archive (gzip-compressed when its name ends in `.gz`) containing:

| member | content |
|---|---|
| `database/appliance.db` | a SQLite snapshot taken with SQLite's online backup API |
| `database/appliance.pgdump` | or a `pg_dump --format=custom` of PostgreSQL |
| `blobs/<key>` | every message blob that the snapshot references |
| `config/appliance.toml`, `config/tls/*` | the settings file and certificate, when present |
| `blobs.sha256` | `sha256sum` lines for every blob |
| `manifest.json` | format version, table row counts and a summary of every mailbox |

The database snapshot is taken first and the blobs it references are copied afterwards.
Blobs are immutable and written durably before the row that references them commits,
so every blob the snapshot references exists when it is copied. Deliveries that commit
after the snapshot are not in this backup.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, union
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from appliance.blobs import BlobStore
from appliance.config import Settings
from appliance.dbcopy import MailboxSummary, summarize_mailboxes
from appliance.models import Base, Message, OutboundMessage
from appliance.pgtools import libpq_environment, pg_tool

if TYPE_CHECKING:
    from appliance.core import Core

FORMAT_VERSION = 1
SQLITE_MEMBER = "database/appliance.db"
PGDUMP_MEMBER = "database/appliance.pgdump"
ARCHIVE_NAME = re.compile(r"^appliance-(\d{8}T\d{6}Z)\.tar(?:\.gz)?$")


class BackupError(Exception):
    """A backup or restore failed; the message states why and what to do next."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    messages: int  # rows of the messages table in the snapshot
    blobs: int
    blob_bytes: int


@dataclass
class Snapshot:
    """A consistent view of the database: a file to archive and what it references."""

    member: str  # archive member name of the database file
    file: Path
    blob_keys: list[str]
    tables: dict[str, int]
    mailboxes: dict[tuple[str, str], MailboxSummary]


def archive_name(now: datetime) -> str:
    return f"appliance-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}.tar"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:
        raise BackupError(f"the SQLite URL {url!r} names no database file")
    return Path(database)


def snapshot_sqlite(database: Path, target: Path) -> None:
    """Copy a live SQLite database into `target` with the online backup API.

    One backup step copies every page under a single read transaction, so the copy is
    one committed state even while the appliance keeps writing (WAL lets it).
    """
    source = sqlite3.connect(database, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()


async def _read_snapshot(connection: AsyncConnection, member: str, file: Path) -> Snapshot:
    """Read the blob keys, row counts and mailbox summaries that describe a snapshot."""
    keys = await connection.scalars(
        union(select(Message.blob_key), select(OutboundMessage.blob_key))
    )
    tables = {
        table.name: int(await connection.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }
    mailboxes = await summarize_mailboxes(connection)
    return Snapshot(member, file, sorted(set(keys)), tables, mailboxes)


async def _sqlite_snapshot(url: str, workdir: Path) -> Snapshot:
    file = workdir / "appliance.db"
    await asyncio.to_thread(snapshot_sqlite, sqlite_path(url), file)
    engine = create_async_engine(f"sqlite+aiosqlite:///{file}")
    try:
        async with engine.connect() as connection:
            return await _read_snapshot(connection, SQLITE_MEMBER, file)
    finally:
        await engine.dispose()


async def _postgres_snapshot(engine: AsyncEngine, workdir: Path) -> Snapshot:
    """Dump PostgreSQL with pg_dump and read the blob keys in the very same snapshot.

    The keys are read in a REPEATABLE READ transaction whose snapshot is exported to
    pg_dump (`--snapshot`), so the dump and the key list describe one committed state.
    """
    file = workdir / "appliance.pgdump"
    dump = pg_tool("pg_dump")
    async with engine.connect() as connection:
        connection = await connection.execution_options(isolation_level="REPEATABLE READ")
        async with connection.begin():
            snapshot_id = await connection.scalar(select(func.pg_export_snapshot()))
            conninfo, environment = libpq_environment(engine.url)
            process = await asyncio.create_subprocess_exec(
                dump,
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot_id}",
                f"--file={file}",
                f"--dbname={conninfo}",
                env={**os.environ, **environment},
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                _out, errors = await process.communicate()
            except asyncio.CancelledError:
                # The appliance is stopping: end pg_dump instead of leaving it behind.
                process.kill()
                await process.wait()
                raise
            if process.returncode != 0:
                raise BackupError(f"pg_dump failed: {errors.decode(errors='replace').strip()}")
            return await _read_snapshot(connection, PGDUMP_MEMBER, file)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def _summary_json(mailboxes: dict[tuple[str, str], MailboxSummary]) -> list[dict[str, Any]]:
    return [
        {
            "account": account,
            "folder": folder,
            "messages": summary.messages,
            "size": summary.size,
            "digest": summary.digest,
        }
        for (account, folder), summary in sorted(mailboxes.items())
    ]


async def create_backup(
    settings: Settings, engine: AsyncEngine, blobs: BlobStore, destination: Path, now: datetime
) -> BackupResult:
    """Write a backup archive to `destination`: a file ending .tar or .tar.gz, else a folder.

    The archive is written under a temporary name and renamed when complete, so a file
    with the final name is always a whole backup.
    """
    if not destination.name.endswith((".tar", ".tar.gz")):
        destination = destination / archive_name(now)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="backup-", dir=destination.parent) as work:
        if is_sqlite(settings.database):
            snapshot = await _sqlite_snapshot(settings.database, Path(work))
        else:
            snapshot = await _postgres_snapshot(engine, Path(work))
        blob_bytes = await asyncio.to_thread(
            _write_archive, partial, snapshot, settings, blobs, now, asyncio.get_running_loop()
        )
    os.replace(partial, destination)
    _fsync_directory(destination.parent)
    return BackupResult(
        destination, snapshot.tables.get("messages", 0), len(snapshot.blob_keys), blob_bytes
    )


def _write_archive(
    path: Path,
    snapshot: Snapshot,
    settings: Settings,
    blobs: BlobStore,
    now: datetime,
    loop: asyncio.AbstractEventLoop,
) -> int:
    """Write the archive from a worker thread; blob reads run on the appliance's loop."""
    mtime = now.timestamp()
    mode = "w:gz" if path.name.endswith(".gz") else "w"
    checksums: list[str] = []
    total = 0
    with path.open("wb") as raw, tarfile.open(fileobj=raw, mode=mode) as archive:  # type: ignore[call-overload]
        archive.add(snapshot.file, snapshot.member)
        for key in snapshot.blob_keys:
            try:
                data = asyncio.run_coroutine_threadsafe(blobs.get(key), loop).result()
            except FileNotFoundError:
                raise BackupError(
                    f"blob {key} is referenced by the database but missing from the blob store"
                ) from None
            _add_bytes(archive, f"blobs/{key}", data, mtime)
            checksums.append(f"{hashlib.sha256(data).hexdigest()}  {key}\n")
            total += len(data)
        for name, file in _config_files(settings):
            archive.add(file, name)
        _add_bytes(archive, "blobs.sha256", "".join(checksums).encode(), mtime)
        manifest = {
            "format": FORMAT_VERSION,
            "created": now.astimezone(UTC).isoformat(),
            "database": snapshot.member,
            "blobs": len(snapshot.blob_keys),
            "blob_bytes": total,
            "tables": snapshot.tables,
            "mailboxes": _summary_json(snapshot.mailboxes),
        }
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode(), mtime)
        raw.flush()
        os.fsync(raw.fileno())
    path.chmod(0o600)
    return total


def _config_files(settings: Settings) -> Iterator[tuple[str, Path]]:
    config = settings.data_dir / "appliance.toml"
    if config.is_file():
        yield "config/appliance.toml", config
    tls = settings.data_dir / "tls"
    if tls.is_dir():
        for file in sorted(tls.iterdir()):
            if file.is_file():
                yield f"config/tls/{file.name}", file


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_old_backups(folder: Path, now: datetime, keep_days: int) -> list[Path]:
    """Delete archives named by `archive_name` that are `keep_days` days old or older."""
    removed = []
    for file in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = ARCHIVE_NAME.match(file.name)
        if match is None:
            continue
        taken = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if (now - taken).total_seconds() >= keep_days * 86400:
            file.unlink()
            removed.append(file)
    return removed


@contextmanager
def open_archive(path: Path) -> Iterator[tuple[tarfile.TarFile, dict[str, Any]]]:
    """Open a backup archive and return it with its manifest, after checking the format."""
    try:
        archive = tarfile.open(path, "r:*")  # noqa: SIM115 (closed by the with below)
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"cannot read backup archive {path}: {error}") from None
    with archive:
        try:
            member = archive.extractfile("manifest.json")
        except KeyError:
            raise BackupError(f"{path} has no manifest.json: not a backup archive") from None
        assert member is not None
        manifest: dict[str, Any] = json.loads(member.read())
        if manifest.get("format") != FORMAT_VERSION:
            raise BackupError(
                f"{path} has backup format {manifest.get('format')!r}; "
                f"this version reads format {FORMAT_VERSION}"
            )
        yield archive, manifest


def read_member(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.extractfile(name)
    if member is None:
        raise BackupError(f"archive member {name} is not a file")
    return member.read()


def extract_to(archive: tarfile.TarFile, name: str, target: Path) -> None:
    """Write one member to `target` durably, through a temporary name."""
    member = archive.extractfile(name)
    if member is None:
        raise BackupError(f"archive member {name} is not a file")
    temporary = target.with_name(target.name + ".restoring")
    with temporary.open("wb") as handle:
        shutil.copyfileobj(member, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


def add_daily_backup(core: Core) -> None:
    """Schedule a daily backup into `backup_dir`, keeping `backup_keep` days of archives."""
    settings = core.settings
    if settings.backup_keep <= 0:
        return

    async def daily_backup(now: datetime) -> str:
        result = await create_backup(settings, core.engine, core.blobs, settings.backup_folder, now)
        removed = remove_old_backups(settings.backup_folder, now, settings.backup_keep)
        return f"wrote {result.path.name} ({result.messages} messages); removed {len(removed)}"

    core.scheduler.add("backup", timedelta(days=1), daily_backup)
