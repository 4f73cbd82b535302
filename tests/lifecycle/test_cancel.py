"""Cancelling a scheduled departure before, and not after, its first step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from appliance.core import Core
from appliance.errors import OutOfScope
from appliance.jobs import register_jobs
from appliance.lifecycle.records import LifecycleError, start_of_day
from tests.lifecycle.conftest import START
from tests.lifecycle.helpers import BY, account_row, audit_entries, hire, issued_state
from tests.lifecycle.test_departure import NEXT_WEEK
from tests.lifecycle.test_requests import admin_of


async def test_cancelled_departure_never_runs(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "vp.skhcn")
    scheduled = await city.lifecycle.schedule_departure(
        hired.address, NEXT_WEEK, "retirement", "folder", by=BY
    )
    city.clock.stop_at(START + timedelta(days=2))
    cancelled = await city.lifecycle.cancel_departure(
        hired.address, by=BY, client="cli", reason="  scheduled by mistake "
    )
    assert cancelled.summary() == (
        "the departure of nvan.skhcn@hue.gov.vn on 2026-03-17 (event #1) is cancelled: "
        "scheduled by mistake"
    )

    register_jobs(city)
    city.clock.stop_at(start_of_day(NEXT_WEEK) + timedelta(hours=1))
    await city.scheduler.run_due()
    row = await account_row(city, hired.address)
    assert (row.state, row.revoked_at) == ("active", None)
    assert await issued_state(city, "nvan.skhcn") == "live"
    [person] = await city.directory.people("vp.skhcn")
    assert person.address == hired.address
    [event] = await city.lifecycle.events()
    assert (event.id, event.state) == (scheduled.event_id, "cancelled")
    assert event.outcome == "cancelled by admin@hue.gov.vn: scheduled by mistake"
    assert event.done_at == START + timedelta(days=2)
    assert await city.lifecycle.events(open_only=True) == []
    assert await audit_entries(city, "lifecycle_departed") == []
    scheduled_entry, cancelled_entry = await audit_entries(city, "lifecycle_departure")
    assert scheduled_entry.outcome == "ok"
    assert (cancelled_entry.outcome, cancelled_entry.account, cancelled_entry.client) == (
        "cancelled",
        hired.address,
        "cli",
    )
    assert cancelled_entry.service == "lifecycle"
    assert cancelled_entry.detail == f"{cancelled.summary()}; by admin@hue.gov.vn"


async def test_cancel_by_event_id_then_reschedule(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    first = await city.lifecycle.schedule_departure(
        hired.address, NEXT_WEEK, "leaving", "mbox", by=BY
    )
    await city.lifecycle.cancel_departure(first.event_id, by=BY, reason="postponed")
    later = NEXT_WEEK + timedelta(days=30)
    second = await city.lifecycle.schedule_departure(hired.address, later, "leaving", "mbox", by=BY)
    assert second.event_id == first.event_id + 1
    [open_event] = await city.lifecycle.events(open_only=True)
    assert (open_event.id, open_event.state) == (second.event_id, "pending")
    with pytest.raises(LifecycleError) as again:
        await city.lifecycle.cancel_departure(first.event_id, by=BY, reason="twice")
    assert again.value.message == (
        "the departure #1 of nvan.skhcn@hue.gov.vn on 2026-03-17 is already cancelled "
        "(cancelled by admin@hue.gov.vn: postponed)"
    )


async def test_cancel_after_first_step_refused(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "leaving", "mbox", by=BY)
    # A file where the exports directory belongs makes the second step (the mbox export)
    # fail, so the event stays in state `handover` after its first step.
    city.settings.data_dir.mkdir(parents=True, exist_ok=True)
    (city.settings.data_dir / "exports").write_bytes(b"")
    register_jobs(city)
    city.clock.stop_at(start_of_day(NEXT_WEEK))
    await city.scheduler.run_due()
    [event] = await city.lifecycle.events()
    assert event.state == "handover"

    with pytest.raises(LifecycleError) as refused:
        await city.lifecycle.cancel_departure(hired.address, by=BY, reason="too late")
    assert refused.value.message == (
        "the departure #1 of nvan.skhcn@hue.gov.vn on 2026-03-17 has started (state handover) "
        "and can no longer be cancelled: the account is already revoked"
    )
    [after] = await city.lifecycle.events()
    assert after.state == "handover"
    assert (await account_row(city, hired.address)).state == "revoked"
    entries = await audit_entries(city, "lifecycle_departure")
    assert [entry.outcome for entry in entries] == ["ok", "refused"]
    assert entries[1].detail == f"{refused.value.message}; by {BY}"


async def test_cancel_done_or_missing_refused(city: Core) -> None:
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    with pytest.raises(LifecycleError) as missing:
        await city.lifecycle.cancel_departure(hired.address, by=BY, reason="none")
    assert missing.value.message == "nvan.skhcn@hue.gov.vn has no scheduled departure to cancel"
    with pytest.raises(LifecycleError) as unknown:
        await city.lifecycle.cancel_departure(42, by=BY, reason="none")
    assert unknown.value.message == "no scheduled departure has the id 42"

    # A missing reason is rejected before the departure is looked up.
    with pytest.raises(LifecycleError) as no_reason_first:
        await city.lifecycle.cancel_departure(hired.address, by=BY, reason="")
    assert no_reason_first.value.message == "a reason is required to cancel a departure"

    await city.lifecycle.schedule_departure(hired.address, NEXT_WEEK, "leaving", "mbox", by=BY)
    with pytest.raises(LifecycleError) as no_reason:
        await city.lifecycle.cancel_departure(hired.address, by=BY, reason="  ")
    assert no_reason.value.message == "a reason is required to cancel a departure"

    register_jobs(city)
    city.clock.stop_at(start_of_day(NEXT_WEEK))
    await city.scheduler.run_due()
    with pytest.raises(LifecycleError) as done:
        await city.lifecycle.cancel_departure(hired.address, by=BY, reason="too late")
    assert "has started (state done) and can no longer be cancelled" in done.value.message

    entries = await audit_entries(city, "lifecycle_departure")
    assert [(entry.account, entry.outcome) for entry in entries] == [
        ("nvan.skhcn@hue.gov.vn", "refused"),
        ("event #42", "refused"),
        ("nvan.skhcn@hue.gov.vn", "refused"),
        ("nvan.skhcn@hue.gov.vn", "ok"),
        ("nvan.skhcn@hue.gov.vn", "refused"),
        ("nvan.skhcn@hue.gov.vn", "refused"),
    ]


async def test_unit_admin_cancels_only_own_unit(city: Core) -> None:
    own = await hire(city, "Nguyễn", "Văn", "An", "vp.skhcn")
    other = await hire(city, "Trần", "Thị", "Bình", "snv")
    for address in (own.address, other.address):
        await city.lifecycle.schedule_departure(address, NEXT_WEEK, "leaving", "mbox", by=BY)
    unit_admin = await admin_of(city, "admin.skhcn@hue.gov.vn")

    with pytest.raises(OutOfScope):
        await city.lifecycle.cancel_departure(other.address, by=unit_admin, reason="not mine")
    [entry] = await audit_entries(city, "out_of_scope")
    assert (entry.account, entry.outcome, entry.detail) == (
        "admin.skhcn@hue.gov.vn",
        "refused",
        "cancel the departure of ttbinh.snv@hue.gov.vn",
    )
    with pytest.raises(OutOfScope):
        await city.lifecycle.cancel_departure(99, by=unit_admin, reason="probe")
    unknown = (await audit_entries(city, "out_of_scope"))[-1]
    assert unknown.detail == "cancel the departure of event #99"
    cancelled = await city.lifecycle.cancel_departure(
        own.address, by=unit_admin, client="127.0.0.1", reason="stays on"
    )
    assert cancelled.address == own.address
    states = {event.address: event.state for event in await city.lifecycle.events()}
    assert states == {own.address: "cancelled", other.address: "pending"}
    outcomes = [
        (entry.account, entry.outcome) for entry in await audit_entries(city, "lifecycle_departure")
    ]
    assert outcomes[2:] == [(own.address, "cancelled")]


async def test_centre_admin_cancels_any_unit(city: Core) -> None:
    other = await hire(city, "Trần", "Thị", "Bình", "snv")
    await city.lifecycle.schedule_departure(other.address, NEXT_WEEK, "leaving", "mbox", by=BY)
    centre = await admin_of(city, "trungtam@hue.gov.vn", "centre_admin")
    await city.lifecycle.cancel_departure(other.address, by=centre, reason="postponed")
    [event] = await city.lifecycle.events()
    assert event.outcome == "cancelled by trungtam@hue.gov.vn: postponed"
    assert event.done_at == datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


async def test_job_step_after_cancel_does_nothing(city: Core) -> None:
    # run_one is what the job calls for each due event; a cancelled one is left alone.
    hired = await hire(city, "Nguyễn", "Văn", "An", "skhcn")
    scheduled = await city.lifecycle.schedule_departure(
        hired.address, NEXT_WEEK, "leaving", "mbox", by=BY
    )
    await city.lifecycle.cancel_departure(hired.address, by=BY, reason="postponed")
    city.clock.stop_at(start_of_day(NEXT_WEEK))
    await city.lifecycle.departures.run_one(scheduled.event_id, city.clock.now())
    assert (await account_row(city, hired.address)).state == "active"
    [event] = await city.lifecycle.events()
    assert (event.state, event.outcome) == ("cancelled", "cancelled by admin@hue.gov.vn: postponed")
    assert not (city.settings.data_dir / "exports").exists()
    assert await audit_entries(city, "account_revoked") == []
    # The job read the event as pending before the cancel: its locked step still stops.
    departures = city.lifecycle.departures
    state = await city.writer.run(lambda tx: departures._left(tx, scheduled.event_id, True))
    assert state == "cancelled"
    assert (await account_row(city, hired.address)).state == "active"
