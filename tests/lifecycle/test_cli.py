"""`appliance lifecycle`, run as a real process per command."""

from __future__ import annotations

import asyncio
import getpass
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.config import load_settings
from appliance.core import Core
from appliance.lifecycle.records import local_day
from appliance.locks import add_months
from tests.test_cli import run

AN = "nvan.skhcn@hue.gov.vn"


def hire(data: Path) -> subprocess.CompletedProcess[str]:
    """Hire Nguyễn Văn An into the unit skhcn with the command line."""
    hired = run(
        data,
        "lifecycle",
        "hire",
        "--family",
        "Nguyễn",
        "--middle",
        "Văn",
        "--given",
        "An",
        "--unit",
        "skhcn",
    )
    assert hired.returncode == 0, hired.stderr
    return hired


def test_hire_transfer_and_move(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    hired = hire(data)
    created, password, end = hired.stdout.split("\n")
    assert created == "created nvan.skhcn@hue.gov.vn"
    assert password.startswith("initial password (shown only now): ")
    assert len(password.rpartition(": ")[2]) == 16
    assert end == ""

    until = local_day(add_months(datetime.now(UTC), 1))
    moved = run(data, "lifecycle", "transfer", "nvan.skhcn@hue.gov.vn", "--to", "snv")
    assert moved.returncode == 0, moved.stderr
    summary, new_password, end = moved.stdout.split("\n")
    assert summary == (
        "nvan.skhcn@hue.gov.vn is now nvan.snv@hue.gov.vn; the old address forwards "
        f"until {until}; mailbox move #1 waits to be run"
    )
    assert new_password.startswith("initial password of nvan.snv@hue.gov.vn (shown only now): ")

    ran = run(data, "lifecycle", "move-run", "1")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == (
        "move #1 done: 0 of 0 messages moved from nvan.skhcn@hue.gov.vn to nvan.snv@hue.gov.vn\n"
    )
    listed = run(data, "account", "list")
    assert "nvan.skhcn@hue.gov.vn\tpersonal\tforwarding\tNguyễn Văn An\n" in listed.stdout
    assert "nvan.snv@hue.gov.vn\tpersonal\tactive\tNguyễn Văn An\n" in listed.stdout


def test_hire_refused_with_reason(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    refused = run(
        data,
        "lifecycle",
        "hire",
        "--family",
        "Lê",
        "--given",
        "Hoa",
        "--unit",
        "skhcn",
        "--contract-type",
        "thời vụ",
    )
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr.endswith(
        "error: Lê Hoa: no personal mailbox: seasonal contracts get no personal mailbox\n"
    )


def test_cancel_departure_before_date(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    hire(data)
    address = AN
    on = local_day(datetime.now(UTC)) + timedelta(days=30)
    scheduled = run(data, "lifecycle", "retire", address, "--on", on.isoformat())
    assert scheduled.returncode == 0, scheduled.stderr

    cancelled = run(
        data, "lifecycle", "cancel-departure", address, "--reason", "scheduled by mistake"
    )
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == (
        f"the departure of {address} on {on.isoformat()} (event #1) is cancelled: "
        "scheduled by mistake\n"
    )
    listed = run(data, "lifecycle", "events")
    assert "cancelled" in listed.stdout
    assert run(data, "lifecycle", "events", "--open").stdout.count(address) == 0

    again = run(data, "lifecycle", "cancel-departure", address, "--reason", "twice")
    assert again.returncode == 1
    assert again.stdout == ""
    assert again.stderr.endswith(
        f"error: the departure #1 of {address} on {on.isoformat()} is already cancelled "
        "(cancelled by cli:" + getpass.getuser() + ": scheduled by mistake)\n"
    )
    accounts = run(data, "account", "list")
    assert f"{address}\tpersonal\tactive\tNguyễn Văn An\n" in accounts.stdout


def test_cancel_departure_nothing_or_started(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    hire(data)
    address = AN
    nothing = run(data, "lifecycle", "cancel-departure", address, "--reason", "why")
    assert nothing.returncode == 1
    assert nothing.stderr.endswith(f"error: {address} has no scheduled departure to cancel\n")
    missing_reason = run(data, "lifecycle", "cancel-departure", address)
    assert missing_reason.returncode == 2
    assert "the following arguments are required: --reason" in missing_reason.stderr

    today = local_day(datetime.now(UTC))
    retire = ("lifecycle", "retire", address, "--on", today.isoformat(), "--handover", "mbox")
    assert run(data, *retire).returncode == 0
    assert asyncio.run(run_departures(data)) == "ran 1, failed 0"

    late = run(data, "lifecycle", "cancel-departure", address, "--reason", "too late")
    assert late.returncode == 1
    assert late.stdout == ""
    assert late.stderr.endswith(
        f"error: the departure #1 of {address} on {today.isoformat()} has started "
        "(state done) and can no longer be cancelled: the account is already revoked\n"
    )


async def run_departures(data: Path) -> str:
    """Run the hourly departures job once, on a core opened on the command line's data."""
    core = await Core.open(load_settings(data.resolve()))
    try:
        return await core.lifecycle.run_due_events(datetime.now(UTC))
    finally:
        await core.close()
