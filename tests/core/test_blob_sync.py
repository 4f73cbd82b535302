"""Blob writes that share their fsyncs: results per file, errors kept to their file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from appliance import blob_sync
from appliance.blob_sync import GroupWriter, PendingFile, write_files
from appliance.blobs import FileBlobStore


def pending(root: Path, name: str, data: bytes) -> PendingFile:
    return PendingFile(root / "tmp" / name, root / name[:2] / name, data)


def test_write_files_renames_into_place(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    files = [pending(tmp_path, f"{index:02x}" * 16, bytes([index]) * 5000) for index in range(5)]
    assert write_files(files) == [None] * 5
    for index, file in enumerate(files):
        assert file.final.read_bytes() == bytes([index]) * 5000
        assert not file.temporary.exists()


def test_write_files_error_stays_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    good = pending(tmp_path, "aa" * 16, b"good")
    taken = pending(tmp_path, "bb" * 16, b"new")
    taken.temporary.write_bytes(b"left by an earlier crash")
    errors = write_files([good, taken])
    assert errors[0] is None
    assert isinstance(errors[1], FileExistsError)
    assert good.final.read_bytes() == b"good"
    assert not taken.final.exists()
    assert taken.temporary.read_bytes() == b"left by an earlier crash"


async def test_concurrent_puts_are_all_stored(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    contents = [f"blob {index}\r\n".encode() * (index + 1) for index in range(50)]
    keys = await asyncio.gather(*(store.put(data) for data in contents))
    assert len(set(keys)) == 50
    for key, data in zip(keys, contents, strict=True):
        assert await store.get(key) == data
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_failed_put_leaves_others(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    (tmp_path / "tmp" / ("cc" * 16)).write_bytes(b"")
    results = await asyncio.gather(
        store.put(b"first"),
        store.put_key("cc" * 16, b"clashes with a leftover"),
        store.put(b"third"),
        return_exceptions=True,
    )
    first, clash, third = results
    assert isinstance(clash, FileExistsError)
    assert isinstance(first, str)
    assert isinstance(third, str)
    assert await store.get(first) == b"first"
    assert await store.get(third) == b"third"


async def test_group_writer_batches_waiting_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []

    def counting_write_files(files: list[PendingFile]) -> list[BaseException | None]:
        batches.append(len(files))
        return write_files(files)

    monkeypatch.setattr(blob_sync, "write_files", counting_write_files)
    (tmp_path / "tmp").mkdir()
    writer = GroupWriter()
    first = [pending(tmp_path, f"{index:02x}" * 16, b"x") for index in range(20)]
    await asyncio.gather(*(writer.write(file) for file in first))
    second = [pending(tmp_path, f"{index:02x}" * 16, b"y") for index in range(20, 23)]
    await asyncio.gather(*(writer.write(file) for file in second))
    assert batches == [20, 3]
    assert all(file.final.read_bytes() == b"x" for file in first)
    assert all(file.final.read_bytes() == b"y" for file in second)
