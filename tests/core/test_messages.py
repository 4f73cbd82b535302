from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from appliance.core import Core
from appliance.errors import MailboxNotFound, MessageTooLarge, OverQuota
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD, message


async def test_append_assigns_increasing_uids(core: Core, account: AccountInfo) -> None:
    results = [await core.store.append(account.id, "INBOX", message(str(i))) for i in range(3)]
    inbox = await core.store.folder(account.id, "INBOX")
    assert [uid for _validity, uid in results] == [1, 2, 3]
    assert {validity for validity, _uid in results} == {inbox.uidvalidity}
    assert inbox.uidnext == 4
    assert inbox.messages == 3
    assert inbox.unseen == 3


async def test_append_keeps_bytes_flags_and_date(core: Core, account: AccountInfo) -> None:
    raw = message("Báo cáo")
    date = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    await core.store.append(
        account.id, "Drafts", raw, flags=("\\Draft", "$Label1"), internal_date=date
    )
    folder = await core.store.folder(account.id, "Drafts")
    [stored] = await core.store.messages(folder.id)
    assert stored.flags == frozenset({"\\Draft", "$Label1"})
    assert stored.internal_date == date
    assert stored.size == len(raw)
    assert await core.store.read(stored.blob_key) == raw


async def test_append_to_missing_folder(core: Core, account: AccountInfo) -> None:
    with pytest.raises(MailboxNotFound):
        await core.store.append(account.id, "Không có", message())


async def test_concurrent_appends_commit_together(core: Core, account: AccountInfo) -> None:
    results = await asyncio.gather(
        *(core.store.append(account.id, "INBOX", message(str(i))) for i in range(60))
    )
    assert sorted(uid for _v, uid in results) == list(range(1, 61))
    quota = await core.store.quota(account.id)
    assert quota.messages == 60
    assert quota.used_bytes == sum(len(message(str(i))) for i in range(60))


async def test_failed_write_leaves_batch_intact(core: Core, account: AccountInfo) -> None:
    outcomes = await asyncio.gather(
        core.store.append(account.id, "INBOX", message("a")),
        core.store.append(account.id, "Không có", message("b")),
        core.store.append(account.id, "INBOX", message("c")),
        return_exceptions=True,
    )
    assert isinstance(outcomes[1], MailboxNotFound)
    inbox = await core.store.folder(account.id, "INBOX")
    assert inbox.messages == 2


async def test_store_flags_modes(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message(), flags=("\\Flagged",))
    inbox = await core.store.folder(account.id, "INBOX")
    [added] = await core.store.store_flags(inbox.id, [1], "add", ["\\Seen"])
    assert added.flags == frozenset({"\\Flagged", "\\Seen"})
    [removed] = await core.store.store_flags(inbox.id, [1], "remove", ["\\Flagged"])
    assert removed.flags == frozenset({"\\Seen"})
    [replaced] = await core.store.store_flags(inbox.id, [1], "set", ["$Important"])
    assert replaced.flags == frozenset({"$Important"})


async def test_flag_change_reported_by_modseq(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message())
    await core.store.append(account.id, "INBOX", message())
    inbox = await core.store.folder(account.id, "INBOX")
    mark = inbox.highestmodseq
    await core.store.store_flags(inbox.id, [2], "add", ["\\Seen"])
    changes = await core.store.changes(inbox.id, mark)
    assert [m.uid for m in changes.changed] == [2]
    assert changes.expunged == []
    assert changes.highestmodseq == mark + 1


async def test_unchanged_flags_keep_modseq(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message(), flags=("\\Seen",))
    inbox = await core.store.folder(account.id, "INBOX")
    await core.store.store_flags(inbox.id, [1], "add", ["\\Seen"])
    assert (await core.store.folder(account.id, "INBOX")).highestmodseq == inbox.highestmodseq


async def test_expunge_removes_only_deleted(core: Core, account: AccountInfo) -> None:
    sizes = []
    for i in range(4):
        raw = message(str(i), "x" * i)
        sizes.append(len(raw))
        await core.store.append(account.id, "INBOX", raw)
    inbox = await core.store.folder(account.id, "INBOX")
    await core.store.store_flags(inbox.id, [2, 4], "add", ["\\Deleted"])
    mark = (await core.store.folder(account.id, "INBOX")).highestmodseq
    assert await core.store.expunge(inbox.id) == [2, 4]
    assert [m.uid for m in await core.store.messages(inbox.id)] == [1, 3]
    assert (await core.store.changes(inbox.id, mark)).expunged == [2, 4]
    quota = await core.store.quota(account.id)
    assert quota.used_bytes == sizes[0] + sizes[2]
    assert quota.messages == 2


async def test_uid_expunge_limits_to_set(core: Core, account: AccountInfo) -> None:
    for _ in range(3):
        await core.store.append(account.id, "INBOX", message(), flags=("\\Deleted",))
    inbox = await core.store.folder(account.id, "INBOX")
    assert await core.store.expunge(inbox.id, [1, 3]) == [1, 3]
    assert [m.uid for m in await core.store.messages(inbox.id)] == [2]


async def test_uids_not_reused_after_expunge(core: Core, account: AccountInfo) -> None:
    await core.store.append(account.id, "INBOX", message(), flags=("\\Deleted",))
    inbox = await core.store.folder(account.id, "INBOX")
    await core.store.expunge(inbox.id)
    _validity, uid = await core.store.append(account.id, "INBOX", message())
    assert uid == 2


async def test_copy_gives_copyuid_and_charges(core: Core, account: AccountInfo) -> None:
    raw = message()
    for _ in range(2):
        await core.store.append(account.id, "INBOX", raw, flags=("\\Seen",))
    inbox = await core.store.folder(account.id, "INBOX")
    result = await core.store.copy(inbox.id, [1, 2, 9], "Archive")
    archive = await core.store.folder(account.id, "Archive")
    assert result.uidvalidity == archive.uidvalidity
    assert result.source_uids == [1, 2]
    assert result.target_uids == [1, 2]
    assert [m.flags for m in await core.store.messages(archive.id)] == [frozenset({"\\Seen"})] * 2
    assert (await core.store.quota(account.id)).used_bytes == 4 * len(raw)


async def test_move_removes_source(core: Core, account: AccountInfo) -> None:
    raw = message()
    await core.store.append(account.id, "INBOX", raw)
    inbox = await core.store.folder(account.id, "INBOX")
    result = await core.store.copy(inbox.id, [1], "Trash", move=True)
    assert result.target_uids == [1]
    assert await core.store.messages(inbox.id) == []
    assert (await core.store.quota(account.id)).used_bytes == len(raw)


async def test_quota_refuses_append(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    with pytest.raises(OverQuota):
        await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    assert (await small_core.store.quota(account.id)).used_bytes == 7_800


async def test_move_fits_in_full_mailbox(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    inbox = await small_core.store.folder(account.id, "INBOX")
    await small_core.store.copy(inbox.id, [1, 2], "Archive", move=True)
    assert (await small_core.store.quota(account.id)).used_bytes == 7_800


async def test_message_size_limit(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    with pytest.raises(MessageTooLarge):
        await small_core.store.append(account.id, "INBOX", b"x" * 4_001)
