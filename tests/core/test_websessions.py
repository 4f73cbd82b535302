"""Server-side web sessions against a real database in a temporary folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from appliance.config import Settings
from appliance.core import Core
from appliance.models import Account, WebSession
from appliance.store.writer import Transaction
from appliance.websessions import token_hash

PASSWORD = "Mật-khẩu-2026!"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    opened = await Core.open(Settings(data_dir=tmp_path / "data"))
    try:
        yield opened
    finally:
        await opened.close()


async def test_create_and_lookup(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD, display_name="An")
    token = await core.web_sessions.create(account.id, client="127.0.0.1", user_agent="UA/1")

    found = await core.web_sessions.lookup(token)

    assert found is not None
    assert found.account == account
    assert found.client == "127.0.0.1"
    assert found.user_agent == "UA/1"
    assert found.expires_at - found.created_at == timedelta(hours=12)


async def test_only_hash_is_stored(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    token = await core.web_sessions.create(account.id, client="", user_agent="")

    async with core.sessions() as session:
        ids = list(await session.scalars(select(WebSession.id)))

    assert ids == [token_hash(token)]
    assert token not in ids


async def test_unknown_token(core: Core) -> None:
    assert await core.web_sessions.lookup("no-such-token") is None


async def test_idle_timeout(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    token = await core.web_sessions.create(account.id, client="", user_agent="")

    core.clock.advance(timedelta(minutes=29))
    await core.web_sessions.touch(token)
    core.clock.advance(timedelta(minutes=29))
    still_alive = await core.web_sessions.lookup(token)
    core.clock.advance(timedelta(minutes=30))
    after_idle = await core.web_sessions.lookup(token)

    assert still_alive is not None
    assert after_idle is None


async def test_absolute_lifetime(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    token = await core.web_sessions.create(account.id, client="", user_agent="")

    for _ in range(24):
        core.clock.advance(timedelta(minutes=29))
        await core.web_sessions.touch(token)
    after_11h36 = await core.web_sessions.lookup(token)
    core.clock.advance(timedelta(minutes=29))
    after_12h05 = await core.web_sessions.lookup(token)

    assert after_11h36 is not None
    assert after_12h05 is None


async def test_inactive_account(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    token = await core.web_sessions.create(account.id, client="", user_agent="")

    async def lock(tx: Transaction) -> None:
        row = await tx.session.get_one(Account, account.id)
        row.state = "locked"

    await core.writer.run(lock)

    assert await core.web_sessions.lookup(token) is None


async def test_revoke_one_and_all(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    other = await core.accounts.create("binh@hue.gov.vn", PASSWORD)
    first = await core.web_sessions.create(account.id, client="", user_agent="")
    second = await core.web_sessions.create(account.id, client="", user_agent="")
    third = await core.web_sessions.create(account.id, client="", user_agent="")
    others = await core.web_sessions.create(other.id, client="", user_agent="")

    await core.web_sessions.revoke(first)
    revoked = await core.web_sessions.revoke_all(account.id)

    assert await core.web_sessions.lookup(first) is None
    assert revoked == 2
    assert await core.web_sessions.lookup(second) is None
    assert await core.web_sessions.lookup(third) is None
    assert await core.web_sessions.lookup(others) is not None


async def test_purge_expired(core: Core) -> None:
    account = await core.accounts.create("an@hue.gov.vn", PASSWORD)
    old = await core.web_sessions.create(account.id, client="", user_agent="")
    core.clock.advance(timedelta(minutes=31))
    fresh = await core.web_sessions.create(account.id, client="", user_agent="")

    purged = await core.web_sessions.purge_expired()

    assert purged == 1
    assert await core.web_sessions.lookup(old) is None
    assert await core.web_sessions.lookup(fresh) is not None
