"""Message bodies as immutable files, written durably before any row refers to them.

A blob is written to a temporary name and renamed into place, then the file and its
directory are fsynced. Only then may a transaction that references it commit. Blobs are
never changed. An unreferenced blob (left by a crash between the write and the commit) is removed by
`collect_garbage`; a referenced blob is never removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

from appliance.blob_sync import GroupWriter, PendingFile
from appliance.config import Settings


class BlobStore(Protocol):
    """Where message bytes live; the key is opaque to every caller."""

    async def put(self, data: bytes) -> str: ...

    async def put_key(self, key: str, data: bytes) -> None:
        """Write `data` durably under a key chosen elsewhere (restore, copy between stores)."""
        ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    def iter_keys(self) -> Iterator[str]: ...

    def list_blobs(self) -> Iterator[tuple[str, float]]:
        """Yield (key, modification time in epoch seconds); may block, so use a thread."""
        ...

    def clear_temporary(self, min_age: float = 0.0) -> int:
        """Remove what a crash left half-written and older than `min_age` seconds."""
        ...

    async def check(self) -> None:
        """Raise unless the store accepts writes now (for health checks)."""
        ...


def open_blob_store(settings: Settings) -> BlobStore:
    """Return the blob store that the `blob_backend` setting names."""
    if settings.blob_backend == "file":
        return FileBlobStore(settings.blob_dir)
    if settings.blob_backend == "s3":
        from appliance.blobs_s3 import S3BlobStore

        return S3BlobStore.from_settings(settings)
    raise ValueError(f"blob_backend = {settings.blob_backend!r} is invalid: use file or s3")


class FileBlobStore:
    """Blobs as files under one folder, spread over 256 subfolders by key prefix."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").mkdir(exist_ok=True)
        self._group = GroupWriter()

    def path(self, key: str) -> Path:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"invalid blob key {key!r}")
        return self.root / key[:2] / key

    async def put(self, data: bytes) -> str:
        """Write `data` durably and return its new key."""
        key = secrets.token_hex(16)
        await self.put_key(key, data)
        return key

    async def put_key(self, key: str, data: bytes) -> None:
        # Concurrent writes share their fsyncs (see appliance.blob_sync).
        final = self.path(key)  # rejects a malformed key before anything is written
        await self._group.write(PendingFile(self.root / "tmp" / key, final, data))

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self.path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path(key).unlink, True)

    def iter_keys(self) -> Iterator[str]:
        for folder in self.root.iterdir():
            if len(folder.name) == 2 and folder.is_dir():
                for blob in folder.iterdir():
                    yield blob.name

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        probe = self.root / "tmp" / f"health-{secrets.token_hex(8)}"
        probe.write_bytes(b"")
        probe.unlink(missing_ok=True)

    def list_blobs(self) -> Iterator[tuple[str, float]]:
        for key in self.iter_keys():
            with contextlib.suppress(FileNotFoundError):
                yield key, self.path(key).stat().st_mtime

    def clear_temporary(self, min_age: float = 0.0) -> int:
        """Remove half-written temporary files left by a crash; return how many.

        With `min_age` (seconds), only older files go: another node sharing the folder may
        be writing the newer ones right now.
        """
        count = 0
        cutoff = time.time() - min_age
        for leftover in (self.root / "tmp").iterdir():
            with contextlib.suppress(FileNotFoundError):
                if min_age and leftover.stat().st_mtime > cutoff:
                    continue
                leftover.unlink()
                count += 1
        return count


async def collect_garbage(
    store: BlobStore, referenced: Iterable[str], min_age: float = 3600.0
) -> list[str]:
    """Delete blobs that no row references and that are older than `min_age` seconds.

    A blob is unreferenced between its write and the commit of its transaction, so only
    blobs older than any delivery in flight may go. Return the removed keys.
    """
    wanted = set(referenced)
    cutoff = time.time() - min_age
    listed = await asyncio.to_thread(lambda: list(store.list_blobs()))
    removed = [key for key, modified in listed if key not in wanted and modified <= cutoff]
    for key in removed:
        await store.delete(key)
    return removed
