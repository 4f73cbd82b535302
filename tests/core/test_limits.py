from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import (
    AccountLocked,
    AuthenticationFailed,
    BulkSenderRequires2FA,
    ForwardingNotAllowed,
    ForwardingTargetUnknown,
    MailboxFull,
    MailLoop,
    MessageTooLarge,
    OverQuota,
    SendingLimitReached,
)
from appliance.forwarding import domain_allowed
from appliance.models import Account, OutboundMessage
from appliance.quota_warnings import human_size
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD, message


async def inbox_bytes(core: Core, account: AccountInfo) -> list[bytes]:
    inbox = await core.store.folder(account.id, "INBOX")
    return [await core.store.read(m.blob_key) for m in await core.store.messages(inbox.id)]


async def submit_many(core: Core, account: AccountInfo, count: int) -> None:
    for number in range(count):
        await core.submission.submit(
            account,
            account.address,
            ["x@example.com"],
            message(str(number), author=account.address),
        )


async def test_hundred_and_first_submission_locks(core: Core, account: AccountInfo) -> None:
    centre = await core.accounts.create("ttcntt@hue.gov.vn", PASSWORD, kind="centre_admin")
    admin = await core.accounts.create("admin.skhcn@hue.gov.vn", PASSWORD, kind="unit_admin")
    await submit_many(core, account, 100)
    with pytest.raises(SendingLimitReached):
        await core.submission.submit(
            account, account.address, ["x@example.com"], message(author=account.address)
        )
    async with core.sessions() as session:
        row = await session.get_one(Account, account.id)
        queued = len(list(await session.scalars(select(OutboundMessage))))
    assert (row.state, row.lock_reason) == ("locked", "rate_limit")
    assert queued == 100
    with pytest.raises(AccountLocked):
        await core.submission.submit(
            account, account.address, ["x@example.com"], message(author=account.address)
        )
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, PASSWORD, service="smtp", client="127.0.0.1")
    await core.delivery.drain()
    for notified in (centre, admin):
        [notice] = await inbox_bytes(core, notified)
        parsed = email.message_from_bytes(notice, policy=email.policy.default)
        assert parsed["Subject"] == "Tài khoản nvan.skhcn@hue.gov.vn bị khóa do gửi quá nhiều thư"


async def test_window_slides_after_thirty_minutes(core: Core, account: AccountInfo) -> None:
    await submit_many(core, account, 100)
    core.clock.advance(timedelta(minutes=30, seconds=1))
    await core.submission.submit(
        account, account.address, ["x@example.com"], message(author=account.address)
    )


async def test_bulk_sender_needs_totp(core: Core, account: AccountInfo) -> None:
    with pytest.raises(BulkSenderRequires2FA):
        await core.sending_rate.set_bulk_sender(account.id, True, "ttcntt@hue.gov.vn")


async def test_bulk_sender_with_totp_not_locked(core: Core, account: AccountInfo) -> None:
    secret = await core.credentials.begin_totp(account.id)
    await core.credentials.confirm_totp(account.id, pyotp.TOTP(secret).at(core.clock.now()), "x")
    await core.sending_rate.set_bulk_sender(account.id, True, "ttcntt@hue.gov.vn")
    await submit_many(core, account, 101)
    async with core.sessions() as session:
        assert (await session.get_one(Account, account.id)).state == "active"


@pytest.mark.parametrize(
    ("domain", "allowed"),
    [
        ("hue.gov.vn", True),
        ("HUE.GOV.VN", True),
        ("danang.gov.vn", True),
        ("mail.chinhphu.gov.vn", True),
        ("gov.vn", False),
        ("gmail.com", False),
        ("gov.vn.example.com", False),
        ("evilgov.vn", False),
    ],
)
def test_allowlist_patterns(domain: str, allowed: bool) -> None:
    assert domain_allowed(domain, ("hue.gov.vn", "*.gov.vn")) is allowed


async def test_forward_to_public_provider_refused(core: Core, account: AccountInfo) -> None:
    with pytest.raises(ForwardingNotAllowed) as refused:
        await core.forwarding.add_rule(account.id, "nguyenvanan@gmail.com")
    assert "nguyenvanan@gmail.com" in refused.value.message
    assert "hue.gov.vn, *.gov.vn" in refused.value.message
    assert await core.forwarding.rules(account.id) == []


async def test_forward_to_unknown_local_refused(core: Core, account: AccountInfo) -> None:
    with pytest.raises(ForwardingTargetUnknown) as refused:
        await core.forwarding.add_rule(account.id, "x%gmail.com@hue.gov.vn")
    assert refused.value.message == (
        "Không chuyển tiếp được tới x%gmail.com@hue.gov.vn: không có hộp thư nào đang hoạt "
        "động với địa chỉ này. / Cannot forward to x%gmail.com@hue.gov.vn: no active mailbox "
        "has this address."
    )
    assert await core.forwarding.rules(account.id) == []
    retired = await core.accounts.create("tntha.skhcn@hue.gov.vn", PASSWORD)
    async with core.sessions() as session:
        row = await session.get_one(Account, retired.id)
        row.state = "revoked"
        await session.commit()
    with pytest.raises(ForwardingTargetUnknown):
        await core.forwarding.add_rule(account.id, retired.address)
    assert await core.forwarding.rules(account.id) == []


async def test_forward_to_local_and_gov(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("tntha.skhcn@hue.gov.vn", PASSWORD)
    await core.forwarding.add_rule(account.id, "tntha.skhcn@hue.gov.vn")
    await core.forwarding.add_rule(account.id, "an@danang.gov.vn", keep_copy=False)
    raw = message("Chuyển tiếp")
    await core.delivery.deliver(raw, "s@example.org", [account.address])
    assert await inbox_bytes(core, account) == [raw]
    forwarded = b"Delivered-To: nvan.skhcn@hue.gov.vn\r\n" + raw
    assert await inbox_bytes(core, other) == [forwarded]
    async with core.sessions() as session:
        [queued] = list(await session.scalars(select(OutboundMessage)))
    assert queued.rcpt_to == "an@danang.gov.vn"
    assert await core.store.read(queued.blob_key) == forwarded


async def test_forward_without_copy(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("tntha.skhcn@hue.gov.vn", PASSWORD)
    await core.forwarding.add_rule(account.id, other.address, keep_copy=False)
    await core.delivery.deliver(message(), "s@example.org", [account.address])
    assert await inbox_bytes(core, account) == []
    assert len(await inbox_bytes(core, other)) == 1


async def test_forwarding_loop_stops(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("tntha.skhcn@hue.gov.vn", PASSWORD)
    await core.forwarding.add_rule(account.id, other.address, keep_copy=False)
    await core.forwarding.add_rule(other.id, account.address, keep_copy=False)
    await core.delivery.deliver(message(), "s@example.org", [account.address])
    assert await inbox_bytes(core, account) == []
    [copy] = await inbox_bytes(core, other)
    assert copy.startswith(b"Delivered-To: nvan.skhcn@hue.gov.vn\r\n")
    # The copy comes back (through another server): a mailbox already named in a
    # Delivered-To header keeps the message instead of forwarding it again.
    returned = b"Delivered-To: tntha.skhcn@hue.gov.vn\r\n" + copy
    await core.delivery.deliver(returned, "s@example.org", [account.address])
    assert await inbox_bytes(core, account) == [returned]
    assert len(await inbox_bytes(core, other)) == 1


async def test_too_many_hops_refused(core: Core, account: AccountInfo) -> None:
    raw = b"Received: from a by b\r\n" * 101 + message()
    with pytest.raises(MailLoop):
        await core.delivery.deliver(raw, "s@example.org", [account.address])


async def test_allowlist_change_turns_rules_off(core: Core, account: AccountInfo) -> None:
    await core.forwarding.add_rule(account.id, "an@danang.gov.vn")
    turned_off = await core.forwarding.set_allowlist("hue.gov.vn", "ttcntt@hue.gov.vn")
    assert [rule.target for rule in turned_off] == ["an@danang.gov.vn"]
    [rule] = await core.forwarding.rules(account.id)
    assert rule.active is False
    await core.delivery.deliver(message(), "s@example.org", [account.address])
    async with core.sessions() as session:
        assert list(await session.scalars(select(OutboundMessage))) == []
    await core.forwarding.set_allowlist("hue.gov.vn\n*.gov.vn", "ttcntt@hue.gov.vn")
    assert [r.active for r in await core.forwarding.rules(account.id)] == [True]


async def test_quota_warnings_once_per_threshold(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    for size in (3_000, 3_000, 2_100):  # 30%, 60%, 81%
        await small_core.delivery.deliver(b"x" * size, "s@example.org", [account.address])
    await small_core.delivery.drain()
    notices = [m for m in await inbox_bytes(small_core, account) if not m.startswith(b"x")]
    assert len(notices) == 1
    parsed = email.message_from_bytes(notices[0], policy=email.policy.default)
    assert parsed["Subject"] == "Hộp thư a@hue.gov.vn đã dùng 81% dung lượng"
    assert parsed["From"].addresses[0].addr_spec == "postmaster@hue.gov.vn"


async def test_full_mailbox_temporary_at_rcpt(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(account.id, "INBOX", b"x" * 2_200)
    with pytest.raises(MailboxFull) as full:
        await small_core.delivery.check_recipient(account.address, may_relay=False)
    assert full.value.smtp_reply == (452, "4.2.2 Mailbox full, try again later")


def test_human_size() -> None:
    assert human_size(812) == "812 B"
    assert human_size(4 * 1024 * 1024 * 1024 + 200 * 1024 * 1024) == "4.2 GB"
    assert human_size(5 * 1024**3) == "5.0 GB"


async def test_report_sends_original_unchanged(core: Core, account: AccountInfo) -> None:
    intake = await core.accounts.create("tiepnhan@hue.gov.vn", PASSWORD, kind="service")
    raw = (
        b"From: =?utf-8?b?VGjDtG5nIGLDoW8=?= <x@example.org>\r\n"
        b"Subject: =?utf-8?q?Tr=C3=BAng_th=C6=B0=E1=BB=9Fng?=\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"B\xe1\xba\xa5m v\xc3\xa0o \xc4\x91\xc3\xa2y\r\n"
    )
    await core.delivery.deliver(raw, "x@example.org", [account.address])
    inbox = await core.store.folder(account.id, "INBOX")
    await core.reports.report(account, inbox, 1, "web")
    [report] = await inbox_bytes(core, intake)
    parsed = email.message_from_bytes(report, policy=email.policy.default)
    assert parsed["Subject"] == "[Báo cáo thư đáng ngờ] Trúng thưởng"
    assert parsed["To"] == "tiepnhan@hue.gov.vn"
    attached = [part for part in parsed.walk() if part.get_content_type() == "message/rfc822"]
    assert len(attached) == 1
    start = report.index(b'filename="original.eml"\r\n\r\n') + len(
        b'filename="original.eml"\r\n\r\n'
    )
    assert report[start : start + len(raw)] == raw
    assert await inbox_bytes(core, account) == []
    junk = await core.store.folder(account.id, "Junk")
    assert junk.messages == 1


async def refusals(core: Core) -> list[tuple[str, str, str]]:
    from appliance.models import AuditEntry

    async with core.sessions() as session:
        rows = await session.scalars(select(AuditEntry).where(AuditEntry.event == "refused"))
        return [(row.service, row.outcome, row.account) for row in rows]


async def test_refusals_audited(small_core: Core) -> None:
    account = await small_core.accounts.create("a@hue.gov.vn", PASSWORD)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    with pytest.raises(OverQuota):
        await small_core.store.append(account.id, "INBOX", b"x" * 3_900)
    with pytest.raises(MessageTooLarge):
        await small_core.delivery.deliver(b"x" * 4_001, "s@example.org", [account.address])
    with pytest.raises(ForwardingNotAllowed):
        await small_core.forwarding.add_rule(account.id, "a@gmail.com")
    assert await refusals(small_core) == [
        ("store", "quota", "a@hue.gov.vn"),
        ("delivery", "message_size", "a@hue.gov.vn"),
        ("forwarding", "forwarding_domain", "a@hue.gov.vn"),
    ]


async def test_submissions_kept_after_window(core: Core, account: AccountInfo) -> None:
    from appliance.models import Submission

    await submit_many(core, account, 3)
    core.clock.advance(timedelta(hours=2))
    await submit_many(core, account, 1)
    async with core.sessions() as session:
        rows = list(await session.scalars(select(Submission)))
    assert len(rows) == 4
