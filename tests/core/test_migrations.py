from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from appliance.config import Settings
from appliance.core import Core
from appliance.models import Base


async def test_migrated_schema_matches_models(tmp_path: Path) -> None:
    core = await Core.open(Settings(data_dir=tmp_path))
    await core.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'appliance.db'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []
