"""Group fsync for blob files: concurrent writes share their syncs.

The blobs waiting at the moment a batch starts are written together in one call to a
worker thread: each to a temporary name, then renamed into place. Then every file and
every directory that received a new name is fsynced, all at the same time from a small
pool of threads, and ext4 (like other journalling file systems) commits them in one
journal transaction. A blob is durable once its file and its directory are synced, and
only then does its `write` return. A power loss before that may leave an incomplete file
under its final name, but no row refers to it: the writes come before the transaction
that references the blob, and `collect_garbage` removes unreferenced blobs.

On a 2 vCPU VM with ext4 on a virtual disk, ten 5 KB files took about 6 ms together this
way and about 35 ms fsynced one after another in one thread (a timing loop run once,
under load, so an estimate).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

Item = TypeVar("Item")

# Enough threads for the fsyncs of every delivery that a busy server has in flight; they
# wait on the disk, not the CPU.
MAX_PARALLEL_SYNCS = 32
_pool: ThreadPoolExecutor | None = None


def _sync_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(MAX_PARALLEL_SYNCS, thread_name_prefix="blob-fsync")
    return _pool


@dataclass(frozen=True)
class PendingFile:
    """A file to write: its bytes go to `temporary`, then are renamed to `final`."""

    temporary: Path
    final: Path
    data: bytes


def write_files(files: list[PendingFile]) -> list[BaseException | None]:
    """Write files durably, sharing their syncs; return each file's error or None."""
    errors: list[BaseException | None] = [None] * len(files)
    descriptors: dict[int, int] = {}
    for index, pending in enumerate(files):
        try:
            descriptors[index] = _write_unsynced(pending)
            os.rename(pending.temporary, pending.final)
        except OSError as write_error:
            errors[index] = write_error
    # One round of syncs: every file's data and every directory's new entries together.
    folders = sorted({files[index].final.parent for index in descriptors if errors[index] is None})
    synced = _parallel(os.fsync, descriptors.values())
    folder_errors = dict(zip(folders, _parallel(_fsync_directory, folders), strict=True))
    for (index, descriptor), sync_error in zip(descriptors.items(), synced, strict=True):
        os.close(descriptor)
        errors[index] = errors[index] or sync_error or folder_errors.get(files[index].final.parent)
    return errors


def _write_unsynced(pending: PendingFile) -> int:
    pending.final.parent.mkdir(exist_ok=True)
    descriptor = os.open(pending.temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        view = memoryview(pending.data)
        while view:
            written = os.write(descriptor, view)
            view = view[written:]
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _parallel(sync: Callable[[Item], None], items: Iterable[Item]) -> list[BaseException | None]:
    """Run `sync` on every item at the same time; return each call's error or None."""
    futures = [_sync_pool().submit(sync, item) for item in items]
    return [future.exception() for future in futures]


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class GroupWriter:
    """Hands waiting files to `write_files` in batches, one batch at a time."""

    def __init__(self) -> None:
        self._waiting: list[tuple[PendingFile, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, pending: PendingFile) -> None:
        """Write one file durably; return once it and its directory entry are synced."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((pending, future))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drain())
        await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    errors = await asyncio.to_thread(write_files, [item for item, _ in batch])
                except asyncio.CancelledError:
                    for _item, future in batch:
                        future.cancel()
                    raise
                except Exception as batch_error:
                    errors = [batch_error] * len(batch)
                for (_item, future), error in zip(batch, errors, strict=True):
                    if future.done():
                        continue
                    if error is None:
                        future.set_result(None)
                    else:
                        future.set_exception(error)
        finally:
            self._task = None
