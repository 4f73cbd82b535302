"""Group fsync for blob files: concurrent writes share their syncs.

Every blob is made durable the usual way: written to a temporary name, fsynced, renamed
into place, and its directory fsynced. What changes is that the blobs waiting at the
moment a batch starts go through those steps together, in one call to a worker thread,
and their fsyncs are issued at the same time from a small pool of threads. ext4 (and
other journalling file systems) then commit them in one journal transaction. On a
2 vCPU VM with ext4 on a virtual disk, ten 5 KB files took about 6 ms together this way
and about 35 ms fsynced one after another in one thread (a timing loop run once, under
load, so an estimate).

A caller's `write` returns only once its file and its directory entry are on disk, so a
transaction that references the blob may commit after it.
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
        except OSError as write_error:
            errors[index] = write_error
    synced = _parallel(os.fsync, descriptors.values())
    for (index, descriptor), sync_error in zip(descriptors.items(), synced, strict=True):
        os.close(descriptor)
        errors[index] = sync_error
    for index, pending in enumerate(files):
        if errors[index] is None:
            try:
                os.rename(pending.temporary, pending.final)
            except OSError as rename_error:
                errors[index] = rename_error
    folders = sorted({files[index].final.parent for index, e in enumerate(errors) if e is None})
    for folder, folder_error in zip(folders, _parallel(_fsync_directory, folders), strict=True):
        if folder_error is not None:
            for index, pending in enumerate(files):
                if errors[index] is None and pending.final.parent == folder:
                    errors[index] = folder_error
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
