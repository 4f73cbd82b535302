from __future__ import annotations

import mailbox
from datetime import UTC, date, datetime, timedelta

import pytest

from appliance.core import Core
from appliance.errors import AuthenticationFailed, UnknownRecipient
from appliance.jobs import register_jobs
from appliance.lifecycle.records import LifecycleError, start_of_day
from tests.lifecycle.conftest import START
from tests.lifecycle.helpers import BY, account_row, audit_entries, hire, issued_state
from tests.lifecycle.test_moves import corpus

NEXT_WEEK = date(2026, 3, 17)


async def stored(core: Core, account_id: int) -> tuple[int, int]:
    """Return the number of messages and their total size, over every folder."""
    count = size = 0
    for folder in await core.store.list_folders(account_id):
        for message in await core.store.messages(folder.id):
            count += 1
            size += message.size
    return count, size


async def test_retirement_revokes_on_the_day_not_before(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "vp.skhcn")
    account = await city.accounts.get(hired.address)
    for number, raw in enumerate(corpus()[:12]):
        await city.store.append(account.id, ("INBOX", "Sent")[number % 2], raw)
    before = await stored(city, account.id)
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "retirement", "folder", by=BY)
    register_jobs(city)
    for day in range(7):
        city.clock.stop_at(START + timedelta(days=day))
        await city.scheduler.run_due()
        assert (await account_row(city, hired.address)).state == "active", day
    city.clock.stop_at(START + timedelta(days=7))
    await city.scheduler.run_due()

    row = await account_row(city, hired.address)
    assert (row.state, row.revoked_at) == ("revoked", start_of_day(NEXT_WEEK))
    assert row.revoked_at == datetime(2026, 3, 16, 17, 0, tzinfo=UTC)
    with pytest.raises(UnknownRecipient):
        await city.delivery.check_recipient(hired.address, may_relay=False)
    with pytest.raises(AuthenticationFailed):
        await city.auth.login(hired.address, hired.password, service="webmail", client="t")
    unit = await city.accounts.get("vp.skhcn@hue.gov.vn")
    inbox = await city.store.folder(unit.id, "Bàn giao/Nguyễn Văn An/INBOX")
    sent = await city.store.folder(unit.id, "Bàn giao/Nguyễn Văn An/Sent")
    assert (inbox.messages, sent.messages) == (6, 6)
    assert await stored(city, unit.id) == before
    assert await stored(city, account.id) == (0, 0)
    assert await issued_state(city, "nvan.skhcn") == "retired"
    assert await city.directory.people("vp.skhcn") == []
    [event] = await city.lifecycle.events()
    assert (event.state, event.outcome) == (
        "done",
        "moved 12 messages into vp.skhcn@hue.gov.vn (move #1)",
    )
    [entry] = await audit_entries(city, "lifecycle_departed")
    assert entry.account == hired.address


async def test_departure_mbox_then_purge(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    account = await city.accounts.get(hired.address)
    for raw in corpus()[:5]:
        await city.store.append(account.id, "INBOX", raw)
    count, size = await stored(city, account.id)
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "leaving", "mbox", by=BY)
    register_jobs(city)
    city.clock.stop_at(start_of_day(NEXT_WEEK))
    await city.scheduler.run_due()
    path = city.settings.data_dir / "exports" / "nvan.skhcn@hue.gov.vn-2026-03-17.mbox"
    assert path.stat().st_mode & 0o777 == 0o600
    box = mailbox.mbox(path, create=False)
    try:
        assert len(box) == 5
    finally:
        box.close()
    assert await stored(city, account.id) == (count, size)

    city.clock.advance(timedelta(days=364))
    await city.scheduler.run_due()
    assert (await account_row(city, hired.address)).state == "revoked"
    city.clock.advance(timedelta(days=1))
    await city.scheduler.run_due()
    assert (await account_row(city, hired.address)).state == "purged"
    [entry] = await audit_entries(city, "account_purged")
    assert entry.account == hired.address
    assert (
        entry.detail
        == f"{count} messages, {size} bytes, {len(await default_folders(city))} folders"
    )


async def default_folders(core: Core) -> list[str]:
    probe = await core.accounts.create("probe@hue.gov.vn", "Mật-khẩu-2026!")
    return [folder.name for folder in await core.store.list_folders(probe.id)]


async def test_missed_departure_runs_at_next_start(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "transfer_out", "mbox", by=BY)
    register_jobs(city)
    await city.scheduler.run_due()
    assert (await account_row(city, hired.address)).state == "active"
    city.clock.advance(timedelta(days=40))  # the appliance was down all that time
    ran = await city.scheduler.run_due()
    assert "run_lifecycle_events" in ran
    row = await account_row(city, hired.address)
    assert (row.state, row.revoked_at) == ("revoked", start_of_day(NEXT_WEEK))
    [event] = await city.lifecycle.events()
    assert event.state == "done"
    assert await city.scheduler.run_due() == []


async def test_departure_in_the_past_is_refused(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    with pytest.raises(LifecycleError) as refused:
        await city.lifecycle.schedule_departure(
            hired.address, date(2026, 3, 9), "retirement", "folder", by=BY
        )
    assert refused.value.message == "the official date 2026-03-09 is already past"
    assert await city.lifecycle.events() == []


async def test_departure_scheduled_twice_is_refused(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "retirement", "folder", by=BY)
    with pytest.raises(LifecycleError) as refused:
        await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "leaving", "mbox", by=BY)
    assert refused.value.message == f"{hired.address} already has a departure scheduled (#1)"


async def test_departure_resumes_after_crash(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    account = await city.accounts.get(hired.address)
    for raw in corpus()[:30]:
        await city.store.append(account.id, "INBOX", raw)
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "retirement", "folder", by=BY)
    city.clock.stop_at(start_of_day(NEXT_WEEK))
    departures = city.lifecycle.departures
    [event] = await city.lifecycle.events()
    # The first step commits; then the process stops after one batch of the move.
    await city.writer.run(lambda tx: departures._left(tx, event.id, revoke=True))
    assert (await account_row(city, hired.address)).state == "revoked"
    [stopped] = await city.lifecycle.events()
    assert stopped.state == "handover"
    await city.moves.run(1, batch_size=10, max_batches=1)
    assert await city.lifecycle.run_due_events(city.clock.now()) == "ran 1, failed 0"
    unit = await city.accounts.get("skhcn@hue.gov.vn")
    assert (await city.store.folder(unit.id, "Bàn giao/Nguyễn Văn An/INBOX")).messages == 30
    assert await stored(city, account.id) == (0, 0)
    assert await city.lifecycle.run_due_events(city.clock.now()) == "ran 0, failed 0"
