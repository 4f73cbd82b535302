"""`appliance lifecycle`, run as a real process per command."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from appliance.lifecycle.records import local_day
from appliance.locks import add_months
from tests.test_cli import run


def test_hire_transfer_and_move(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
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
