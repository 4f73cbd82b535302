from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from appliance.config import Settings
from appliance.core import Core
from appliance.models import Base


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
