from __future__ import annotations

from appliance.core import Core
from appliance.models import Account
from appliance.quota_reconcile import UsageDifference, reconcile
from appliance.store.types import AccountInfo
from tests.core.conftest import message


async def test_consistent_store_has_no_difference(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message())
    await core.store.append(account.id, "Sent", message("b"))
    assert await reconcile(core.writer) == []


async def test_difference_reported_then_fixed(core: Core, account: AccountInfo) -> None:
    raw = message()
    await core.store.append(account.id, "INBOX", raw)
    async with core.sessions.begin() as session:
        row = await session.get_one(Account, account.id)
        row.used_bytes = 5
        row.message_count = 3
    expected = [UsageDifference("nvan.skhcn@hue.gov.vn", 5, len(raw), 3, 1)]
    assert await reconcile(core.writer) == expected
    assert await reconcile(core.writer, fix=True) == expected
    assert await reconcile(core.writer) == []
    quota = await core.store.quota(account.id)
    assert (quota.used_bytes, quota.messages) == (len(raw), 1)
