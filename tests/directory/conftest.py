from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appliance.config import Settings
from appliance.core import Core


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """A core on a fresh database with the city's units loaded."""
    opened = await Core.open(Settings(data_dir=tmp_path / "data"))
    try:
        await opened.directory.load_units()
        yield opened
    finally:
        await opened.close()
