from __future__ import annotations

from pathlib import Path

import pytest

from appliance.blobs import FileBlobStore, collect_garbage


async def test_put_get_round_trip(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    key = await store.put(b"\x00\xffbytes")
    assert await store.get(key) == b"\x00\xffbytes"
    assert store.path(key).stat().st_mode & 0o777 == 0o600
    assert list((tmp_path / "tmp").iterdir()) == []


async def test_keys_are_unique(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    keys = {await store.put(b"same") for _ in range(20)}
    assert len(keys) == 20


def test_key_outside_store_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        FileBlobStore(tmp_path).path("../../etc/passwd")


async def test_garbage_collection_keeps_referenced(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    kept = await store.put(b"kept")
    lost = await store.put(b"lost")
    assert await collect_garbage(store, {kept}) == []
    assert await collect_garbage(store, {kept}, min_age=0) == [lost]
    assert sorted(store.iter_keys()) == [kept]


def test_clear_temporary(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path)
    (tmp_path / "tmp" / "half").write_bytes(b"x")
    assert store.clear_temporary() == 1
