"""Reads in one thread hop, and the recipient lookups that delivery runs through them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from appliance.core import Core
from appliance.delivery import Plan
from appliance.errors import UnknownRecipient
from appliance.models import Account, Counter
from appliance.recipients import resolve
from appliance.store import message_rows as rows
from appliance.store.reader import Reader
from appliance.store.types import AccountInfo
from tests import postgres
from tests.core.conftest import PASSWORD, message


async def test_reader_runs_in_its_threads(core: Core) -> None:
    name = await core.reader.run(lambda _connection: threading.current_thread().name)
    if postgres.enabled():
        assert name == "MainThread"  # through AsyncConnection.run_sync
    else:
        assert name.startswith("db-reader")


async def test_reader_sees_last_commit(core: Core) -> None:
    def add(session: Session) -> None:
        session.add(Counter(name="seen", value=3))

    await core.writer.run_sync(add)
    value = await core.reader.run(
        lambda connection: connection.scalar(select(Counter.value).where(Counter.name == "seen"))
    )
    assert value == 3


async def test_reader_async_path(core: Core, account: AccountInfo) -> None:
    # Without a synchronous engine (PostgreSQL) the function runs through run_sync.
    reader = Reader(core.engine)
    address = await reader.run(
        lambda connection: connection.scalar(
            select(Account.address).where(Account.id == account.id)
        )
    )
    await reader.close()
    assert address == "nvan.skhcn@hue.gov.vn"


async def test_resolve_follows_forwarding_period(core: Core) -> None:
    new = await core.accounts.create("moi.skhcn@hue.gov.vn", PASSWORD)
    old = await core.accounts.create("cu.skhcn@hue.gov.vn", PASSWORD)
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def forward(until: datetime) -> Callable[[Session], None]:
        def write(session: Session) -> None:
            session.execute(
                update(Account)
                .where(Account.id == old.id)
                .values(state="forwarding", forward_to=new.address, forward_until=until)
            )

        return write

    await core.writer.run_sync(forward(now + timedelta(days=30)))
    found = await core.reader.run(
        lambda connection: resolve(connection, [old.address, "khong.co@hue.gov.vn"], now)
    )
    assert found[old.address] is not None
    assert found[old.address].account_id == new.id
    assert found["khong.co@hue.gov.vn"] is None

    await core.writer.run_sync(forward(now))
    with pytest.raises(UnknownRecipient):
        await core.reader.run(lambda connection: resolve(connection, [old.address], now))


async def test_store_with_stale_folder_id(core: Core, account: AccountInfo) -> None:
    # The folder id read before the write is only a hint: if that folder is gone by the
    # time the writer runs, the copy goes to the account's INBOX found by address.
    plan = Plan(folders={account.address: 987654})
    item = rows.NewMessage("ab" * 16, 42, "", frozenset(), datetime(2026, 1, 1, tzinfo=UTC))
    slot = await core.writer.run_sync(
        lambda session: core.delivery._store(
            session.connection(), plan, account.address, item, "Junk"
        )
    )
    junk = await core.store.folder(account.id, "Junk")
    assert slot.folder_id == junk.id
    assert slot.first_uid == 1
    assert (await core.store.quota(account.id)).used_bytes == 42


async def test_delivery_to_deleted_junk_reaches_inbox(core: Core, account: AccountInfo) -> None:
    await core.store.delete_folder(account.id, "Junk")
    await core.delivery.deliver(message(), "s@example.org", [account.address], folder="Junk")
    inbox = await core.store.folder(account.id, "INBOX")
    assert inbox.messages == 1
