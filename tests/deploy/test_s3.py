"""The S3 blob backend against moto's S3 server on 127.0.0.1.

moto is an emulator of Amazon S3's API, not a production object store; these tests prove
that the appliance speaks the API correctly, not how a given provider behaves.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from appliance.blobs import collect_garbage
from appliance.blobs_s3 import S3BlobStore
from appliance.config import Settings
from tests.backup.helpers import (
    ACCOUNTS,
    DeliveryLoad,
    add_accounts,
    fetch_all,
    restore_target,
    run_cli,
)
from tests.harness import running_appliance

CREDENTIALS = {"s3_access_key": "testing", "s3_secret_key": "testing", "s3_region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "moto_server exited"
                assert time.monotonic() < deadline, "moto_server did not listen within 60 s"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def make_bucket(endpoint: str, name: str) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=name)


def s3_settings(endpoint: str, bucket: str) -> dict[str, str]:
    return {"blob_backend": "s3", "s3_endpoint": endpoint, "s3_bucket": bucket, **CREDENTIALS}


def environment(settings: dict[str, str]) -> dict[str, str]:
    return {f"APPLIANCE_{name.upper()}": value for name, value in settings.items()}


async def test_store_round_trip(s3_endpoint: str, tmp_path: Path) -> None:
    make_bucket(s3_endpoint, "round-trip")
    settings = replace(Settings(data_dir=tmp_path), **s3_settings(s3_endpoint, "round-trip"))
    store = S3BlobStore.from_settings(settings)
    await store.check()
    data = bytes(range(256)) * 1000
    key = await store.put(data)
    assert await store.get(key) == data
    assert list(store.iter_keys()) == [key]
    await store.delete(key)
    with pytest.raises(FileNotFoundError):
        await store.get(key)
    assert list(store.iter_keys()) == []


async def test_garbage_collection_keeps_referenced(s3_endpoint: str, tmp_path: Path) -> None:
    make_bucket(s3_endpoint, "garbage")
    settings = replace(Settings(data_dir=tmp_path), **s3_settings(s3_endpoint, "garbage"))
    store = S3BlobStore.from_settings(settings)
    kept = await store.put(b"kept")
    dropped = await store.put(b"dropped")
    assert await collect_garbage(store, [kept], min_age=3600) == []
    assert await collect_garbage(store, [kept], min_age=0) == [dropped]
    assert sorted(store.iter_keys()) == [kept]


async def test_check_fails_for_missing_bucket(s3_endpoint: str, tmp_path: Path) -> None:
    settings = replace(Settings(data_dir=tmp_path), **s3_settings(s3_endpoint, "absent"))
    store = S3BlobStore.from_settings(settings)
    with pytest.raises(ClientError) as failed:
        await store.check()
    assert failed.value.response["Error"]["Code"] == "404"


@pytest.mark.timeout(600)
def test_appliance_on_s3_backup_and_restore(s3_endpoint: str, tmp_path: Path) -> None:
    make_bucket(s3_endpoint, "mail")
    make_bucket(s3_endpoint, "restored")
    with running_appliance(tmp_path / "data", **s3_settings(s3_endpoint, "mail")) as appliance:
        add_accounts(appliance)
        load = DeliveryLoad(appliance, senders=1, per_sender=9)
        load.start()
        load.join()
        served = {address: fetch_all(appliance, address) for address in ACCOUNTS}
        assert sum(len(messages) for messages in served.values()) == 9
        assert not (tmp_path / "data" / "blobs").exists()
        backup = run_cli(
            appliance.settings.data_dir,
            "backup",
            "--output",
            str(tmp_path / "b.tar"),
            env=environment(s3_settings(s3_endpoint, "mail")),
        )
        assert backup.returncode == 0, backup.stderr
    target, target_overrides = restore_target()
    restore = run_cli(
        tmp_path / "restored",
        "restore",
        str(tmp_path / "b.tar"),
        env={**environment(s3_settings(s3_endpoint, "restored")), **target},
    )
    assert restore.returncode == 0, restore.stderr
    assert "restored 9 blobs and 9 messages" in restore.stdout
    with running_appliance(
        tmp_path / "restored", **s3_settings(s3_endpoint, "restored"), **target_overrides
    ) as restored:
        for address in ACCOUNTS:
            assert fetch_all(restored, address) == served[address]
