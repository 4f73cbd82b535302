from __future__ import annotations

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import OverQuota, RelayDenied, SenderNotAllowed, UnknownRecipient
from appliance.models import OutboundMessage
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD, message


async def test_local_and_foreign_recipients(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("tntha.skhcn@hue.gov.vn", PASSWORD)
    raw = message()
    await core.delivery.deliver(
        raw,
        "sender@example.org",
        ["NVAN.skhcn@hue.gov.vn", "tntha.skhcn@hue.gov.vn", "x@example.com"],
    )
    for owner in (account, other):
        inbox = await core.store.folder(owner.id, "INBOX")
        [stored] = await core.store.messages(inbox.id)
        assert await core.store.read(stored.blob_key) == raw
    async with core.sessions() as session:
        queued = list(await session.scalars(select(OutboundMessage)))
    assert [(q.rcpt_to, q.mail_from, q.state) for q in queued] == [
        ("x@example.com", "sender@example.org", "queued")
    ]


async def test_unknown_local_recipient(core: Core) -> None:
    with pytest.raises(UnknownRecipient):
        await core.delivery.check_recipient("khongco@hue.gov.vn", may_relay=False)


async def test_relay_denied_without_auth(core: Core) -> None:
    with pytest.raises(RelayDenied):
        await core.delivery.check_recipient("x@example.com", may_relay=False)
    await core.delivery.check_recipient("x@example.com", may_relay=True)


async def test_full_mailbox_refused_at_rcpt(small_core: Core) -> None:
    await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    await small_core.delivery.deliver(b"x" * 3_500, "s@example.org", ["a@hue.gov.vn"])
    await small_core.delivery.deliver(b"x" * 3_500, "s@example.org", ["a@hue.gov.vn"])
    await small_core.delivery.deliver(b"x" * 3_000, "s@example.org", ["a@hue.gov.vn"])
    with pytest.raises(OverQuota):
        await small_core.delivery.check_recipient("a@hue.gov.vn", may_relay=False)


async def test_over_quota_delivers_to_nobody(small_core: Core) -> None:
    full = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    roomy = await small_core.accounts.create("b@hue.gov.vn", PASSWORD)
    await small_core.store.append(full.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(full.id, "INBOX", b"x" * 3_900)
    with pytest.raises(OverQuota):
        await small_core.delivery.deliver(
            b"y" * 3_000, "s@example.org", ["a@hue.gov.vn", "b@hue.gov.vn"]
        )
    assert (await small_core.store.quota(roomy.id)).messages == 0


async def test_submission_checks_sender(core: Core, account: AccountInfo) -> None:
    with pytest.raises(SenderNotAllowed):
        core.submission.check_sender(account, "tntha.skhcn@hue.gov.vn")
    core.submission.check_sender(account, "NVAN.SKHCN@hue.gov.vn")


async def test_submission_saves_copy_in_sent(core: Core, account: AccountInfo) -> None:
    raw = message(author=account.address)
    await core.submission.submit(account, account.address, ["x@example.com"], raw, save_copy=True)
    sent = await core.store.folder(account.id, "Sent")
    [copy] = await core.store.messages(sent.id)
    assert copy.flags == frozenset({"\\Seen"})
    stored = await core.store.read(copy.blob_key)
    # Submission adds the Message-ID and Date the message lacks, at the end of the header.
    header, body = raw.split(b"\r\n\r\n", 1)
    assert stored.startswith(header + b"\r\nMessage-ID: <")
    assert stored.endswith(b"\r\n\r\n" + body)
    assert stored.count(b"\r\nDate: ") == 1
