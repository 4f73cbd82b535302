"""Fixtures for the IMAP tests: a core with IMAP listeners only, and in-memory sessions.

`imap_appliance` runs the core and the IMAP listeners in a background thread, like the
whole-appliance fixture but without the other protocols, so these tests exercise the
IMAP server alone over real sockets.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from appliance.cli.serve import Services
from appliance.config import Settings
from appliance.core import Core
from appliance.tls import make_self_signed, server_context
from imap.server import start_imap
from tests import postgres
from tests.harness import DEFAULT_PASSWORD, TEST_SETTINGS, RunningAppliance

ADDRESS = "an.nguyen@hue.gov.vn"


class ImapAppliance(RunningAppliance):
    """A running core with only the "imap" and "imaps" listeners."""

    async def _start(self) -> Services:
        core = await Core.open(self.settings, self.clock)
        services = Services(core)
        services.servers.update(await start_imap(core, server_context(self.settings)))
        for name, server in services.servers.items():
            services.ports[name] = server.sockets[0].getsockname()[1]
        return services


@contextmanager
def imap_only(data_dir: Path, **overrides: Any) -> Iterator[ImapAppliance]:
    settings = replace(Settings(data_dir=data_dir), **{**TEST_SETTINGS, **overrides})
    data_dir.mkdir(parents=True, exist_ok=True)
    make_self_signed(settings.cert_file, settings.key_file, settings.hostname)
    running = ImapAppliance(settings)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def imap_appliance(tmp_path: Path) -> Iterator[ImapAppliance]:
    with imap_only(tmp_path / "data") as running:
        running.add_account(ADDRESS)
        yield running


@pytest.fixture(scope="session")
def core_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated data folder with one account, made once and copied for each test."""
    data_dir = tmp_path_factory.mktemp("template") / "data"

    async def make() -> None:
        core = await Core.open(Settings(data_dir=data_dir))
        await core.accounts.create(ADDRESS, DEFAULT_PASSWORD)
        await core.close()

    asyncio.run(make())
    return data_dir


@pytest.fixture
async def core(tmp_path: Path, core_template: Path) -> AsyncIterator[Core]:
    """An open core on the test's own event loop, with one account."""
    data_dir = tmp_path / "data"
    shutil.copytree(core_template, data_dir)
    settings = replace(Settings(data_dir=data_dir), max_message_size=100_000)
    core = await Core.open(settings)
    if postgres.enabled():
        # The copied template is a SQLite file, which a PostgreSQL run does not read.
        await core.accounts.create(ADDRESS, DEFAULT_PASSWORD)
    yield core
    await core.close()
