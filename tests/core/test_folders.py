from __future__ import annotations

import pytest

from appliance.core import Core
from appliance.errors import MailboxExists, MailboxNameInvalid, MailboxNotFound, MailboxProtected
from appliance.store.types import AccountInfo
from tests.core.conftest import message


async def test_new_account_has_default_folders(core: Core, account: AccountInfo) -> None:
    folders = {f.name: f.special_use for f in await core.store.list_folders(account.id)}
    assert folders == {
        "INBOX": None,
        "Sent": "\\Sent",
        "Drafts": "\\Drafts",
        "Trash": "\\Trash",
        "Junk": "\\Junk",
        "Archive": "\\Archive",
        "Báo cáo thư đáng ngờ": None,
    }


async def test_uidvalidity_distinct_per_folder(core: Core, account: AccountInfo) -> None:
    values = [f.uidvalidity for f in await core.store.list_folders(account.id)]
    assert len(set(values)) == 7


async def test_inbox_name_case_insensitive(core: Core, account: AccountInfo) -> None:
    folder = await core.store.folder(account.id, "inBox")
    assert folder.name == "INBOX"


async def test_create_makes_missing_parents(core: Core, account: AccountInfo) -> None:
    await core.store.create_folder(account.id, "Công văn/Đến/2026")
    names = [f.name for f in await core.store.list_folders(account.id)]
    assert "Công văn" in names
    assert "Công văn/Đến" in names
    assert "Công văn/Đến/2026" in names


async def test_create_existing_rejected(core: Core, account: AccountInfo) -> None:
    with pytest.raises(MailboxExists):
        await core.store.create_folder(account.id, "Sent")


@pytest.mark.parametrize("name", ["", "a//b", "/a", "a/", "x*y", "x%y", "tab\there"])
async def test_invalid_names_rejected(core: Core, account: AccountInfo, name: str) -> None:
    with pytest.raises(MailboxNameInvalid):
        await core.store.create_folder(account.id, name)


async def test_rename_moves_children(core: Core, account: AccountInfo) -> None:
    await core.store.create_folder(account.id, "Dự án/Năm 2026")
    await core.store.rename_folder(account.id, "Dự án", "Dự án cũ")
    names = {f.name for f in await core.store.list_folders(account.id)}
    assert {"Dự án cũ", "Dự án cũ/Năm 2026"} <= names
    assert "Dự án" not in names
    assert "Dự án/Năm 2026" not in names


async def test_rename_inbox_moves_messages(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message())
    before = await core.store.folder(account.id, "INBOX")
    await core.store.rename_folder(account.id, "INBOX", "Cũ")
    inbox = await core.store.folder(account.id, "INBOX")
    old = await core.store.folder(account.id, "Cũ")
    assert inbox.messages == 0
    assert old.messages == 1
    assert old.uidnext == 2
    assert inbox.uidvalidity != before.uidvalidity


async def test_rename_into_existing_rejected(core: Core, account: AccountInfo) -> None:
    with pytest.raises(MailboxExists):
        await core.store.rename_folder(account.id, "Drafts", "Sent")


async def test_delete_releases_quota(core: Core, account: AccountInfo) -> None:
    await core.store.create_folder(account.id, "Tạm")
    raw = message()
    await core.store.append(account.id, "Tạm", raw)
    assert (await core.store.quota(account.id)).used_bytes == len(raw)
    await core.store.delete_folder(account.id, "Tạm")
    quota = await core.store.quota(account.id)
    assert quota.used_bytes == 0
    assert quota.messages == 0
    with pytest.raises(MailboxNotFound):
        await core.store.folder(account.id, "Tạm")


async def test_delete_inbox_rejected(core: Core, account: AccountInfo) -> None:
    with pytest.raises(MailboxProtected):
        await core.store.delete_folder(account.id, "INBOX")


async def test_recreated_folder_gets_new_uidvalidity(core: Core, account: AccountInfo) -> None:
    await core.store.create_folder(account.id, "Tạm")
    first = await core.store.folder(account.id, "Tạm")
    await core.store.delete_folder(account.id, "Tạm")
    await core.store.create_folder(account.id, "Tạm")
    second = await core.store.folder(account.id, "Tạm")
    assert second.uidvalidity > first.uidvalidity
