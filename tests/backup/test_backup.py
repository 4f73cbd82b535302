"""`appliance backup` under delivery load, `appliance restore`, and the daily backup job."""

from __future__ import annotations

import io
import json
import tarfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.backup import remove_old_backups
from tests import postgres
from tests.backup.helpers import (
    ACCOUNTS,
    DeliveryLoad,
    add_accounts,
    fetch_all,
    restore_target,
    run_cli,
    stored_by_message_id,
)
from tests.harness import RunningAppliance, running_appliance


def only_archive(folder: Path) -> Path:
    archives = sorted(folder.glob("appliance-*.tar*"))
    assert len(archives) == 1, archives
    return archives[0]


@pytest.mark.timeout(600)
def test_backup_under_load_restores_every_message(
    appliance: RunningAppliance, tmp_path: Path
) -> None:
    add_accounts(appliance)
    load = DeliveryLoad(appliance)
    load.start()
    load.wait_for(60)
    backup_began = time.monotonic()
    backup = run_cli(appliance.settings.data_dir, "backup", "--output", str(tmp_path / "backups"))
    backup_ended = time.monotonic()
    acknowledged_during = len(load.acknowledged)
    load.join()
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.startswith("backup written: ")
    must_have = load.acknowledged_before(backup_began)
    assert len(must_have) >= 60
    # The load went on while the backup ran, so the test did exercise a live backup.
    assert acknowledged_during > len(must_have) or backup_ended - backup_began < 0.05
    assert len(load.acknowledged) == 300

    archive = only_archive(tmp_path / "backups")
    assert archive.stat().st_mode & 0o777 == 0o600
    restored_data = tmp_path / "restored"
    target, target_overrides = restore_target()
    restore = run_cli(restored_data, "restore", str(archive), env=target)
    assert restore.returncode == 0, restore.stderr
    assert "every folder matches the backup" in restore.stdout

    original: dict[str, bytes] = {}
    for address in ACCOUNTS:
        original.update(stored_by_message_id(appliance, address))
    assert len(original) == 300
    with running_appliance(restored_data, **target_overrides) as restored:
        served: dict[str, bytes] = {}
        for address in ACCOUNTS:
            served.update(fetch_all(restored, address))
    assert must_have <= set(served)
    for message_id in must_have:
        assert served[message_id] == original[message_id], message_id
    # Whatever else the backup holds was delivered by the original, byte for byte.
    for message_id, raw in served.items():
        assert raw == original[message_id], message_id
    assert len(served) <= 300


def test_restore_refuses_existing_database(appliance: RunningAppliance, tmp_path: Path) -> None:
    add_accounts(appliance, ACCOUNTS[:1])
    assert run_cli(appliance.settings.data_dir, "backup", "--output", str(tmp_path)).returncode == 0
    archive = only_archive(tmp_path)
    again = run_cli(appliance.settings.data_dir, "restore", str(archive))
    assert again.returncode == 1
    database = appliance.settings.data_dir / "appliance.db"
    if postgres.enabled():
        assert again.stderr.startswith("error: the target database is not empty: table ")
        assert again.stderr.endswith(" rows; copy into a new, empty database\n")
    else:
        assert again.stderr == (
            f"error: {database} already exists; restore into a new data folder, or move it "
            "away first\n"
        )


def test_restore_rejects_damaged_blob(appliance: RunningAppliance, tmp_path: Path) -> None:
    add_accounts(appliance)
    load = DeliveryLoad(appliance, senders=1, per_sender=3)
    load.start()
    load.join()
    archive = tmp_path / "good.tar.gz"
    made = run_cli(appliance.settings.data_dir, "backup", "--output", str(archive))
    assert made.returncode == 0, made.stderr
    damaged = tmp_path / "damaged.tar"
    damaged_key = ""
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source:
            data = source.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name.startswith("blobs/") and not damaged_key:
                damaged_key = member.name.removeprefix("blobs/")
                data = data.replace(b"load", b"LOAD", 1)
            target.addfile(member, io.BytesIO(data))
    target, _overrides = restore_target()
    result = run_cli(tmp_path / "restored", "restore", str(damaged), env=target)
    assert result.returncode == 1
    assert result.stderr == (
        f"error: blob {damaged_key} in the archive does not match its SHA-256; aborted\n"
    )


def test_manifest_summarises_mailboxes(appliance: RunningAppliance, tmp_path: Path) -> None:
    add_accounts(appliance)
    load = DeliveryLoad(appliance, senders=1, per_sender=6)
    load.start()
    load.join()
    archive = tmp_path / "backup.tar"
    assert run_cli(appliance.settings.data_dir, "backup", "--output", str(archive)).returncode == 0
    with tarfile.open(archive) as opened:
        manifest = json.loads(opened.extractfile("manifest.json").read())  # type: ignore[union-attr]
        names = opened.getnames()
    assert manifest["format"] == 1
    assert manifest["blobs"] == 6
    assert manifest["tables"]["messages"] == 6
    assert manifest["tables"]["accounts"] == 3
    inboxes = {m["account"]: m for m in manifest["mailboxes"] if m["folder"] == "INBOX"}
    assert {address: inboxes[address]["messages"] for address in ACCOUNTS} == {
        address: 2 for address in ACCOUNTS
    }
    stored = sum(len(raw) for a in ACCOUNTS for raw in stored_by_message_id(appliance, a).values())
    assert sum(m["size"] for m in manifest["mailboxes"]) == stored
    assert manifest["blob_bytes"] == stored
    assert names[0] == (
        "database/appliance.pgdump" if postgres.enabled() else "database/appliance.db"
    )
    assert names[-1] == "manifest.json"
    assert "config/tls/cert.pem" in names


def test_daily_backup_keeps_configured_days(tmp_path: Path) -> None:
    with running_appliance(tmp_path / "data", backup_keep=2) as appliance:
        add_accounts(appliance, ACCOUNTS[:1])
        folder = appliance.settings.backup_folder
        assert folder == tmp_path / "data" / "backups"
        appliance.call(appliance.core.scheduler.run_due)  # the start-up run, if still pending
        names = [sorted(p.name for p in folder.iterdir())]
        for _day in range(4):
            appliance.clock.advance(timedelta(days=1))
            ran = appliance.call(appliance.core.scheduler.run_due)
            assert "backup" in ran
            names.append(sorted(p.name for p in folder.iterdir()))
    assert [len(listing) for listing in names] == [1, 2, 2, 2, 2]
    assert names[2] == [names[1][1], names[2][1]]  # the start-up backup is two days old
    assert names[4] == [names[3][1], names[4][1]]


def test_remove_old_backups_by_name(tmp_path: Path) -> None:
    for name in (
        "appliance-20260101T020000Z.tar",
        "appliance-20260102T020000Z.tar.gz",
        "appliance-20260103T020000Z.tar",
        "notes.txt",
    ):
        (tmp_path / name).write_bytes(b"")
    now = datetime(2026, 1, 4, 2, 0, tzinfo=UTC)
    removed = remove_old_backups(tmp_path, now, keep_days=2)
    assert [p.name for p in removed] == [
        "appliance-20260101T020000Z.tar",
        "appliance-20260102T020000Z.tar.gz",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "appliance-20260103T020000Z.tar",
        "notes.txt",
    ]
