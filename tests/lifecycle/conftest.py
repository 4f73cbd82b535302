from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from appliance.config import Settings
from appliance.core import Core
from appliance.lifecycle.moves import MailboxMoves
from appliance.lifecycle.retention import Retention


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    opened = await Core.open(Settings(data_dir=tmp_path / "data"))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def moves(core: Core) -> MailboxMoves:
    return MailboxMoves(core.sessions, core.writer, core.hub, core.clock)


@pytest.fixture
def retention(core: Core) -> Retention:
    from datetime import timedelta

    return Retention(core.sessions, core.writer, core.audit, timedelta(days=365))
