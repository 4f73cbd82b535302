from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from appliance.config import Settings
from appliance.core import Core
from appliance.migrate import alembic_config
from appliance.models import Base, Counter, Folder
from appliance.store.types import REPORT_FOLDER


async def test_migrated_schema_matches_models(tmp_path: Path) -> None:
    core = await Core.open(Settings(data_dir=tmp_path))
    try:
        async with core.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await core.close()
    assert differences == []


async def test_report_folder_added_to_old_accounts(tmp_path: Path) -> None:
    core = await Core.open(Settings(data_dir=tmp_path))
    try:
        old = await core.accounts.create("nvan.skhcn@hue.gov.vn", "Mật-khẩu-2026!")
        await core.writer.run(
            lambda tx: core.accounts.add(
                tx, "cu.skhcn@hue.gov.vn", "", kind="personal", default_folders=False
            )
        )
        before = {f.name: f.uidvalidity for f in await core.store.list_folders(old.id)}
        async with core.engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0009"))
            gone = await connection.scalar(
                select(func.count()).select_from(Folder).where(Folder.name == REPORT_FOLDER)
            )
            counter = await connection.scalar(
                select(Counter.value).where(Counter.name == "uidvalidity")
            )
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "head"))
        after = {f.name: f.uidvalidity for f in await core.store.list_folders(old.id)}
        forwarding_only = await core.accounts.get("cu.skhcn@hue.gov.vn")
        async with core.sessions() as session:
            new_counter = await session.scalar(
                select(Counter.value).where(Counter.name == "uidvalidity")
            )
        assert gone == 0
        assert counter is not None
        assert sorted(after) == sorted(before)
        assert after[REPORT_FOLDER] >= counter + 1
        assert after[REPORT_FOLDER] > max(before.values())
        assert new_counter == after[REPORT_FOLDER]
        assert await core.store.list_folders(forwarding_only.id) == []
    finally:
        await core.close()
