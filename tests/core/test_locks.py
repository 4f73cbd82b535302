from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import AuthenticationFailed, PasswordExpired
from appliance.jobs import register_jobs
from appliance.locks import RequestNotActionable, add_months
from appliance.models import Account, Job
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD


async def state(core: Core, account: AccountInfo) -> tuple[str, str]:
    async with core.sessions() as session:
        row = await session.get_one(Account, account.id)
        return row.state, row.lock_reason


async def subjects(core: Core, account: AccountInfo) -> list[str]:
    inbox = await core.store.folder(account.id, "INBOX")
    found = []
    for message in await core.store.messages(inbox.id):
        raw = await core.store.read(message.blob_key)
        found.append(str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]))
    return found


def test_add_months_clamps_day() -> None:
    assert add_months(datetime(2026, 8, 31, 9, tzinfo=UTC), 6) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert add_months(datetime(2026, 6, 15, tzinfo=UTC), 6) == datetime(2026, 12, 15, tzinfo=UTC)


async def test_manual_lock_blocks_login_keeps_mail(core: Core, account: AccountInfo) -> None:
    await core.locks.lock(account.id, "compromised", "ttcntt@hue.gov.vn", "phishing")
    assert await state(core, account) == ("locked", "compromised")
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, PASSWORD, service="web", client="127.0.0.1")
    await core.delivery.check_recipient(account.address, may_relay=False)
    await core.delivery.deliver(b"Subject: x\r\n\r\nx\r\n", "s@example.org", [account.address])
    assert (await core.store.folder(account.id, "INBOX")).messages == 1


async def test_unknown_lock_reason_rejected(core: Core, account: AccountInfo) -> None:
    with pytest.raises(ValueError, match="unknown lock reason"):
        await core.locks.lock(account.id, "because", "x")


async def test_inactivity_warning_then_lock(core: Core, account: AccountInfo) -> None:
    register_jobs(core)
    core.clock.advance(timedelta(days=150))
    await core.scheduler.run_due()
    assert await state(core, account) == ("active", "")
    # 14 days before six months: one warning, not repeated at the next run.
    created = core.clock.now() - timedelta(days=150)
    core.clock.stop_at(add_months(created, 6) - timedelta(days=14))
    await core.scheduler.run_due()
    core.clock.advance(timedelta(hours=2))
    await core.scheduler.run_due()
    await core.delivery.drain()
    assert [s for s in await subjects(core, account) if "khóa" in s] == [
        "Tài khoản nvan.skhcn@hue.gov.vn sắp bị khóa do không sử dụng"
    ]
    assert await state(core, account) == ("active", "")
    core.clock.advance(timedelta(days=14))
    await core.scheduler.run_due()
    assert await state(core, account) == ("locked", "inactive")


async def test_missed_job_runs_at_start(tmp_path, account: AccountInfo, core: Core) -> None:
    register_jobs(core)
    await core.scheduler.run_due()
    async with core.sessions() as session:
        job = await session.get_one(Job, "lock_inactive")
    assert job.next_run_at == job.last_run_at + timedelta(hours=1)
    # The appliance was down for seven months: the first run after start catches up.
    core.clock.advance(timedelta(days=215))
    ran = await core.scheduler.run_due()
    assert "lock_inactive" in ran
    assert await state(core, account) == ("locked", "inactive")


async def test_login_resets_inactivity(core: Core, account: AccountInfo) -> None:
    register_jobs(core)
    core.clock.advance(timedelta(days=170))
    await core.auth.login(account.address, PASSWORD, service="web", client="127.0.0.1")
    core.clock.advance(timedelta(days=30))
    await core.scheduler.run_due()
    assert await state(core, account) == ("active", "")


async def test_password_expiry_warned_once(core: Core, account: AccountInfo) -> None:
    register_jobs(core)
    core.clock.advance(timedelta(days=76))
    await core.scheduler.run_due()
    core.clock.advance(timedelta(hours=2))
    await core.scheduler.run_due()
    await core.delivery.drain()
    expiry = [s for s in await subjects(core, account) if "hết hạn" in s]
    assert len(expiry) == 1
    assert expiry[0].startswith("Mật khẩu của nvan.skhcn@hue.gov.vn sẽ hết hạn ngày ")


async def test_unlock_after_one_working_day(core: Core, account: AccountInfo) -> None:
    admin = await core.accounts.create(
        "admin.skhcn@hue.gov.vn", "Quản-trị-2026-Huế", kind="unit_admin"
    )
    await core.locks.lock(account.id, "rule_violation", "ttcntt@hue.gov.vn")
    # Friday 24 April 2026, 10:00 in Huế; Monday 27 April is a public holiday.
    core.clock.stop_at(datetime(2026, 4, 24, 3, 0, tzinfo=UTC))
    request_id = await core.locks.file_unlock_request(account.id, admin.address, "đã xử lý")
    [queued] = await core.locks.unlock_requests()
    assert queued.actionable_at == datetime(2026, 4, 28, 3, 0, tzinfo=UTC)
    core.clock.stop_at(datetime(2026, 4, 28, 2, 59, tzinfo=UTC))
    with pytest.raises(RequestNotActionable, match="28/04/2026 10:00"):
        await core.locks.approve(request_id, "ttcntt@hue.gov.vn")
    core.clock.advance(timedelta(minutes=1))
    password = await core.locks.approve(request_id, "ttcntt@hue.gov.vn")
    assert await state(core, account) == ("active", "")
    with pytest.raises(PasswordExpired):
        await core.auth.login(account.address, password, service="imap", client="127.0.0.1")
    await core.delivery.drain()
    assert await subjects(core, admin) == ["Tài khoản nvan.skhcn@hue.gov.vn đã được mở khóa"]
    assert await core.locks.unlock_requests() == []


async def test_unlock_request_needs_locked_account(core: Core, account: AccountInfo) -> None:
    with pytest.raises(RequestNotActionable, match="is not locked"):
        await core.locks.file_unlock_request(account.id, "admin.skhcn@hue.gov.vn", "")


async def test_reject_unlock_request(core: Core, account: AccountInfo) -> None:
    await core.locks.lock(account.id, "compromised", "ttcntt@hue.gov.vn")
    request_id = await core.locks.file_unlock_request(account.id, "admin.skhcn@hue.gov.vn", "")
    await core.locks.reject(request_id, "ttcntt@hue.gov.vn", "chưa đổi máy")
    [done] = await core.locks.unlock_requests(state=None)
    assert (done.state, done.decision_reason) == ("rejected", "chưa đổi máy")
    assert await state(core, account) == ("locked", "compromised")
    async with core.sessions() as session:
        assert (
            await session.scalar(select(Account.state).where(Account.id == account.id)) == "locked"
        )
