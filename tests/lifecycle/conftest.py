from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from appliance.config import Settings
from appliance.core import Core
from appliance.lifecycle.moves import MailboxMoves
from appliance.lifecycle.retention import Retention

# 10:00 in Huế on a Tuesday; every lifecycle test starts its test clock here.
START = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    # No daily backup: the scheduler tests run every job on many simulated days.
    opened = await Core.open(Settings(data_dir=tmp_path / "data", backup_keep=0))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def moves(core: Core) -> MailboxMoves:
    return MailboxMoves(core.sessions, core.writer, core.hub, core.clock)


@pytest.fixture
def retention(core: Core) -> Retention:
    return Retention(core.sessions, core.writer, core.audit, timedelta(days=365))


@pytest.fixture
async def city(core: Core) -> Core:
    """The core with a stopped clock and three units: skhcn (with vp.skhcn) and snv."""
    core.clock.stop_at(START)

    async def no_pause(_seconds: float) -> None:
        return None

    core.auth.sleep = no_pause
    await core.directory.add_unit("department", "Sở Khoa học và Công nghệ", abbreviation="skhcn")
    await core.directory.add_unit("division", "Văn phòng", abbreviation="vp", parent="skhcn")
    await core.directory.add_unit("department", "Sở Nội vụ", abbreviation="snv")
    return core
