from __future__ import annotations

import hashlib
import mailbox
import re
from collections import Counter
from pathlib import Path

from appliance.core import Core
from appliance.directory.records import PersonInput
from appliance.lifecycle.moves import MailboxMoves
from appliance.lifecycle.retention import export_mbox
from appliance.store.types import AccountInfo
from tests.conftest import CORPUS

PASSWORD = "Mật-khẩu-2026!"


def corpus() -> list[bytes]:
    found = []
    for path in sorted(CORPUS.rglob("*.eml")):
        data = re.sub(rb"\r\n|\r|\n", b"\r\n", path.read_bytes())
        found.append(data if data.endswith(b"\r\n") else data + b"\r\n")
    return found


async def fill(core: Core, account: AccountInfo) -> Counter[str]:
    """Put the corpus in three folders of the account; return the digests stored."""
    await core.store.create_folder(account.id, "Công văn")
    digests: Counter[str] = Counter()
    for number, raw in enumerate(corpus()):
        folder = ("INBOX", "Sent", "Công văn")[number % 3]
        await core.store.append(account.id, folder, raw, flags=("\\Seen",) if number % 2 else ())
        digests[hashlib.sha256(raw).hexdigest()] += 1
    return digests


async def digests_of(core: Core, account: AccountInfo) -> Counter[str]:
    found: Counter[str] = Counter()
    for folder in await core.store.list_folders(account.id):
        for message in await core.store.messages(folder.id):
            found[hashlib.sha256(await core.store.read(message.blob_key)).hexdigest()] += 1
    return found


async def test_interrupted_move_resumes_exactly_once(core: Core, moves: MailboxMoves) -> None:
    old = await core.accounts.create("nvan.skhcn@hue.gov.vn", PASSWORD)
    new = await core.accounts.create("nvan.snv@hue.gov.vn", PASSWORD)
    expected = await fill(core, old)
    move_id = await moves.start(old.id, new.id, "", "admin.skhcn@hue.gov.vn")
    halfway = await moves.run(move_id, batch_size=20, max_batches=3)
    assert (halfway.total, halfway.moved, halfway.state) == (137, 60, "running")
    assert sum((await digests_of(core, old)).values()) == 77
    assert await digests_of(core, old) + await digests_of(core, new) == expected
    done = await moves.run(move_id, batch_size=20)
    assert (done.moved, done.state) == (137, "done")
    assert await digests_of(core, new) == expected
    assert await digests_of(core, old) == Counter()
    assert (await core.store.quota(old.id)).used_bytes == 0
    assert (await core.store.quota(new.id)).used_bytes == sum(len(raw) for raw in corpus())
    names = {f.name: f.messages for f in await core.store.list_folders(new.id)}
    assert (names["INBOX"], names["Sent"], names["Công văn"]) == (46, 46, 45)


async def test_move_under_prefix_keeps_flags(core: Core, moves: MailboxMoves) -> None:
    old = await core.accounts.create("nvan.skhcn@hue.gov.vn", PASSWORD)
    unit = await core.accounts.create("skhcn@hue.gov.vn", PASSWORD, kind="agency")
    await core.store.append(old.id, "INBOX", b"Subject: a\r\n\r\na\r\n", flags=("\\Flagged",))
    move_id = await moves.start(old.id, unit.id, "Bàn giao/Nguyễn Văn An", "x")
    await moves.run(move_id)
    folder = await core.store.folder(unit.id, "Bàn giao/Nguyễn Văn An/INBOX")
    [message] = await core.store.messages(folder.id)
    assert message.flags == frozenset({"\\Flagged"})


async def test_export_mbox(core: Core, tmp_path: Path) -> None:
    account = await core.accounts.create("nvan.skhcn@hue.gov.vn", PASSWORD)
    await fill(core, account)
    path = tmp_path / "nvan.mbox"
    assert await export_mbox(core.sessions, core.blobs, account.id, path) == 137
    assert path.stat().st_mode & 0o777 == 0o600
    box = mailbox.mbox(path, create=False)
    try:
        assert len(box) == 137
    finally:
        box.close()


async def test_transfer_move_resumes_exactly_once(core: Core) -> None:
    await core.directory.add_unit("department", "Sở Khoa học và Công nghệ", abbreviation="skhcn")
    await core.directory.add_unit("department", "Sở Nội vụ", abbreviation="snv")
    hired = await core.lifecycle.hire(
        PersonInput("Nguyễn", "Văn", "An", "skhcn"), by="admin@hue.gov.vn"
    )
    old = await core.accounts.get(hired.address)
    expected = await fill(core, old)
    moved = await core.lifecycle.transfer(hired.address, "snv", by="admin.snv@hue.gov.vn")
    assert moved.move_id is not None
    new = await core.accounts.get(moved.new_address)
    for _ in range(4):
        halfway = await core.lifecycle.move_step(moved.move_id, batch_size=25)
    assert (halfway.total, halfway.moved, halfway.state) == (137, 100, "running")
    assert await digests_of(core, old) + await digests_of(core, new) == expected
    while (await core.lifecycle.move_progress(moved.move_id)).state != "done":
        await core.lifecycle.move_step(moved.move_id, batch_size=25)
    assert await digests_of(core, new) == expected
    assert await digests_of(core, old) == Counter()
    assert (await core.store.quota(new.id)).used_bytes == sum(len(raw) for raw in corpus())
