"""`appliance migrate-to-postgres`: a running SQLite appliance copied into PostgreSQL."""

from __future__ import annotations

import re
import smtplib
from pathlib import Path

import pytest

from tests import postgres
from tests.backup.helpers import (
    ACCOUNTS,
    DeliveryLoad,
    add_accounts,
    fetch_all,
    run_cli,
    stored_by_message_id,
)
from tests.harness import running_appliance

pytestmark = pytest.mark.skipif(
    not postgres.enabled(), reason="needs the PostgreSQL server of the second test pass"
)


@pytest.mark.timeout(600)
def test_migrate_running_appliance(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sqlite_url = f"sqlite+aiosqlite:///{data / 'appliance.db'}"
    target = postgres.DEFAULT.run(postgres.create_blank_database)
    with running_appliance(data, database_url=sqlite_url) as source:
        add_accounts(source)
        load = DeliveryLoad(source, senders=2, per_sender=20)
        load.start()
        load.join()
        migrated = run_cli(
            data, "migrate-to-postgres", target, env={"APPLIANCE_DATABASE_URL": sqlite_url}
        )
        original = {address: stored_by_message_id(source, address) for address in ACCOUNTS}
    assert migrated.returncode == 0, migrated.stderr
    lines = migrated.stdout.splitlines()
    assert re.fullmatch(
        r"copied \d+ rows; \d+ folders match by message count, size and digest "
        r"\(40 messages, \d+ bytes\)",
        lines[0],
    ), lines[0]
    assert len(lines) == 2
    assert lines[1].startswith('next: set database_url = "postgresql+asyncpg://')

    with running_appliance(data, database_url=target) as migrated_appliance:
        assert migrated_appliance.core.engine.dialect.name == "postgresql"
        for address in ACCOUNTS:
            assert fetch_all(migrated_appliance, address) == original[address]
        # New rows get ids past the copied ones, so delivery goes on after the move.
        with smtplib.SMTP("127.0.0.1", migrated_appliance.ports["smtp"], timeout=60) as client:
            client.sendmail(
                "friend@example.org",
                [ACCOUNTS[0]],
                b"From: friend@example.org\r\nMessage-ID: <after@example.org>\r\n\r\nHi.\r\n",
            )
        after = fetch_all(migrated_appliance, ACCOUNTS[0])
    assert len(after) == len(original[ACCOUNTS[0]]) + 1
    assert after["<after@example.org>"].endswith(b"\r\n\r\nHi.\r\n")


def test_migrate_refuses_non_empty_target(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sqlite_url = f"sqlite+aiosqlite:///{data / 'appliance.db'}"
    with running_appliance(data, database_url=sqlite_url) as source:
        add_accounts(source, ACCOUNTS[:1])
    busy = postgres.DEFAULT.run(postgres.create_database)
    with running_appliance(tmp_path / "other", database_url=busy) as other:
        add_accounts(other, ACCOUNTS[:1])
    result = run_cli(data, "migrate-to-postgres", busy, env={"APPLIANCE_DATABASE_URL": sqlite_url})
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: the target database is not empty: table accounts has 1 rows; "
        "copy into a new, empty database"
    )


@pytest.mark.timeout(600)
def test_sqlite_backup_restores_into_postgres(tmp_path: Path) -> None:
    data = tmp_path / "data"
    sqlite_url = f"sqlite+aiosqlite:///{data / 'appliance.db'}"
    with running_appliance(data, database_url=sqlite_url) as source:
        add_accounts(source)
        load = DeliveryLoad(source, senders=1, per_sender=12)
        load.start()
        load.join()
        backup = run_cli(
            data,
            "backup",
            "--output",
            str(tmp_path / "sqlite.tar.gz"),
            env={"APPLIANCE_DATABASE_URL": sqlite_url},
        )
        original = {address: stored_by_message_id(source, address) for address in ACCOUNTS}
    assert backup.returncode == 0, backup.stderr
    target = postgres.DEFAULT.run(postgres.create_blank_database)
    restored_data = tmp_path / "restored"
    restore = run_cli(
        restored_data,
        "restore",
        str(tmp_path / "sqlite.tar.gz"),
        env={"APPLIANCE_DATABASE_URL": target},
    )
    assert restore.returncode == 0, restore.stderr
    assert "restored 12 blobs and 12 messages" in restore.stdout
    with running_appliance(restored_data, database_url=target) as restored:
        assert restored.core.engine.dialect.name == "postgresql"
        for address in ACCOUNTS:
            assert fetch_all(restored, address) == original[address]
