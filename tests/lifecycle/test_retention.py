from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import UnknownRecipient
from appliance.lifecycle.retention import Retention
from appliance.models import Account, AuditEntry

PASSWORD = "Mật-khẩu-2026!"
MESSAGE = b"Subject: x\r\n\r\nx\r\n"


async def set_forwarding(core: Core, address: str, target: str, days: int) -> None:
    async with core.sessions.begin() as session:
        row = await session.scalar(select(Account).where(Account.address == address))
        assert row is not None
        row.state = "forwarding"
        row.forward_to = target
        row.forward_until = core.clock.now() + timedelta(days=days)


async def test_forwarding_period_then_bounce(core: Core, retention: Retention) -> None:
    await core.accounts.create("nvan.skhcn@hue.gov.vn", PASSWORD)
    new = await core.accounts.create("nvan.snv@hue.gov.vn", PASSWORD)
    await set_forwarding(core, "nvan.skhcn@hue.gov.vn", new.address, 30)
    await core.delivery.check_recipient("nvan.skhcn@hue.gov.vn", may_relay=False)
    await core.delivery.deliver(MESSAGE, "s@example.org", ["nvan.skhcn@hue.gov.vn"])
    assert (await core.store.folder(new.id, "INBOX")).messages == 1
    core.clock.advance(timedelta(days=30))
    with pytest.raises(UnknownRecipient):
        await core.delivery.check_recipient("nvan.skhcn@hue.gov.vn", may_relay=False)
    assert await retention.end_forwarding(core.clock.now()) == "revoked 1"
    with pytest.raises(UnknownRecipient):
        await core.delivery.check_recipient("nvan.skhcn@hue.gov.vn", may_relay=False)


async def test_purge_after_retention(core: Core, retention: Retention) -> None:
    account = await core.accounts.create("nvan.skhcn@hue.gov.vn", PASSWORD)
    await core.store.append(account.id, "INBOX", MESSAGE)
    await retention.revoke(account.id, core.clock.now(), "retired")
    assert await retention.purge(core.clock.now() + timedelta(days=364)) == "purged 0"
    assert (await core.store.quota(account.id)).messages == 1
    assert await retention.purge(core.clock.now() + timedelta(days=365)) == "purged 1"
    assert (await core.store.quota(account.id)).messages == 0
    assert await core.store.list_folders(account.id) == []
    async with core.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.event == "account_purged"))
        state = await session.scalar(select(Account.state).where(Account.id == account.id))
    assert entry is not None
    assert entry.detail == f"1 messages, {len(MESSAGE)} bytes, 7 folders"
    assert state == "purged"
