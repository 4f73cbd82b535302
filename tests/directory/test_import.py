"""Bulk import of staff lists: dry run, all-or-nothing apply, re-runs, the command line."""

from __future__ import annotations

import csv
import itertools
import os
import stat
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from appliance.cli.main import main
from appliance.core import Core
from appliance.directory.importing import ImportFileError, ImportRejected, read_staff_file
from appliance.models import Account, Person

HEADER = [
    "Họ",
    "Tên đệm",
    "Tên",
    "Chức vụ",
    "Loại hợp đồng",
    "Ngày hết hạn hợp đồng",
    "Điện thoại",
    "Đơn vị",
]
FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Tôn Nữ", "Nguyễn Phúc", "Hồ"]
MIDDLES = ["Văn", "Thị", "Đình", "Thị Thu", "Quang", "Ngọc", "", "Hữu"]
GIVENS = ["An", "Hà", "Bình", "Thu Hà", "Đức", "Hương", "Minh", "Phúc", "Lan", "Dũng", "Ý", "Hùng"]
UNITS = ["skhcn", "snv", "syt", "vyda", "aluoi1"]


def write_csv(path: Path, rows: list[list[str]], bom: bool = True) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def staff_rows(count: int) -> list[list[str]]:
    """Return `count` real-shaped rows with many homonyms, spread over five units."""
    names = itertools.cycle(itertools.product(FAMILIES, MIDDLES, GIVENS))
    rows = []
    for number in range(count):
        family, middle, given = next(names)
        unit = UNITS[number % len(UNITS)]
        rows.append([family, middle, given, "Chuyên viên", "biên chế", "", "", unit])
    return rows


async def count(core: Core, model: type[Account] | type[Person]) -> int:
    async with core.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


SMALL = [
    ["Nguyễn", "Văn", "An", "Giám đốc", "biên chế", "", "0234 3822 111", "skhcn"],
    ["Nguyễn", "Văn", "An", "Chuyên viên", "Hợp đồng không xác định thời hạn", "", "", "skhcn"],
    ["Tôn Nữ", "Thị", "Hà", "Chuyên viên", "", "", "", "skhcn"],
    ["Trần", "Thị", "Thu Hà", "Kế toán", "", "", "", "vyda"],
    ["Âu Dương", "", "Min", "Chuyên viên", "", "", "", "skhcn"],
]


async def test_dry_run_proposes(core: Core, tmp_path: Path) -> None:
    rows = read_staff_file(write_csv(tmp_path / "staff.csv", SMALL))

    proposals = await core.directory.plan_import(rows, None)

    assert [(p.number, p.address, p.status) for p in proposals] == [
        (2, "nvan.skhcn", "new"),
        (3, "nvan2.skhcn", "new"),
        (4, "tntha.skhcn", "new"),
        (5, "ttthuha.vyda", "new"),
        (6, "admin2.skhcn", "new"),
    ]
    assert all(p.problems == [] for p in proposals)
    assert await count(core, Person) == 0


async def test_apply_then_rerun_creates_nothing(core: Core, tmp_path: Path) -> None:
    rows = read_staff_file(write_csv(tmp_path / "staff.csv", SMALL))

    created = await core.directory.apply_import(rows, None)
    again = await core.directory.apply_import(rows, None)
    plan = await core.directory.plan_import(rows, None)

    assert [(c.number, c.address) for c in created] == [
        (2, "nvan.skhcn"),
        (3, "nvan2.skhcn"),
        (4, "tntha.skhcn"),
        (5, "ttthuha.vyda"),
        (6, "admin2.skhcn"),
    ]
    assert again == []
    assert [p.status for p in plan] == ["exists"] * 5
    assert [p.address for p in plan] == [c.address for c in created]
    assert await count(core, Person) == 5
    assert await count(core, Account) == 57 + 5


async def test_bad_row_applies_nothing(core: Core, tmp_path: Path) -> None:
    bad = [*SMALL, ["NguyÔn", "V¨n", "B×nh", "Chuyên viên", "", "", "", "skhcn"]]
    rows = read_staff_file(write_csv(tmp_path / "staff.csv", bad))

    with pytest.raises(ImportRejected) as raised:
        await core.directory.apply_import(rows, None)

    assert "row 7 (NguyÔn V¨n B×nh)" in raised.value.message
    assert "TCVN3" in raised.value.message
    assert "row 2" not in raised.value.message
    assert await count(core, Person) == 0
    assert await count(core, Account) == 57


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (["Nguyeãn", "Vaên", "An", "", "", "", "", "skhcn"], "VNI"),
        (["Nguyễn", "Văn", "", "", "", "", "", "skhcn"], "given name (Tên) is missing"),
        (["Nguyễn", "Văn", "An", "", "", "", "", "khongco"], "unknown unit 'khongco'"),
        (["Nguyễn", "Văn", "An", "", "", "", "", ""], "no unit"),
        (["Nguyễn", "Văn", "An", "", "thời vụ", "", "", "skhcn"], "seasonal contracts"),
        (
            ["Nguyễn", "Văn", "An", "", "hợp đồng xác định thời hạn", "2020-01-01", "", "skhcn"],
            "less than 12 months",
        ),
        (
            ["Nguyễn", "Văn", "An", "", "hợp đồng xác định thời hạn", "31/02/2030", "", "skhcn"],
            "invalid date",
        ),
        (["Nguyễn", "Văn", "An", "", "tạm tuyển", "", "", "skhcn"], "unknown contract type"),
        (["Nguyễn", "Văn", "Ăn$", "", "", "", "", "skhcn"], "U+0024"),
    ],
)
async def test_row_problems(core: Core, tmp_path: Path, row: list[str], problem: str) -> None:
    rows = read_staff_file(write_csv(tmp_path / "staff.csv", [SMALL[2], row]))

    proposals = await core.directory.plan_import(rows, None)

    assert proposals[0].problems == []
    assert proposals[1].number == 3
    assert any(problem in text for text in proposals[1].problems), proposals[1].problems


async def test_fixed_term_long_enough(core: Core, tmp_path: Path) -> None:
    end = core.clock.now().date().replace(year=core.clock.now().year + 2)
    row = [
        "Lê",
        "Văn",
        "Tám",
        "",
        "hợp đồng xác định thời hạn",
        end.strftime("%d/%m/%Y"),
        "",
        "snv",
    ]
    rows = read_staff_file(write_csv(tmp_path / "staff.csv", [row]))

    created = await core.directory.apply_import(rows, None)

    assert [c.address for c in created] == ["lvtam.snv"]


async def test_default_unit_option(core: Core, tmp_path: Path) -> None:
    rows = read_staff_file(
        write_csv(tmp_path / "staff.csv", [["Lê", "Thị", "Hoa", "", "", "", "", ""]])
    )

    proposals = await core.directory.plan_import(rows, "vyda")

    assert proposals[0].address == "lthoa.vyda"


async def test_reordered_file_creates_nothing(core: Core, tmp_path: Path) -> None:
    await core.directory.apply_import(read_staff_file(write_csv(tmp_path / "a.csv", SMALL)), None)

    reordered = read_staff_file(write_csv(tmp_path / "b.csv", list(reversed(SMALL))))
    plan = await core.directory.plan_import(reordered, None)

    assert [p.status for p in plan] == ["exists"] * 5
    assert sorted(p.address for p in plan) == sorted(
        ["nvan.skhcn", "nvan2.skhcn", "tntha.skhcn", "ttthuha.vyda", "admin2.skhcn"]
    )


async def test_import_2000_rows_twice(core: Core, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "staff.csv", staff_rows(2000))
    rows = read_staff_file(path)
    dry_run = await core.directory.plan_import(rows, None)

    created = await core.directory.apply_import(rows, None)
    second = await core.directory.apply_import(read_staff_file(path), None)

    assert len(rows) == 2000
    assert [(p.number, p.address) for p in dry_run] == [(c.number, c.address) for c in created]
    assert len({c.address for c in created}) == 2000
    assert second == []
    assert await count(core, Person) == 2000
    assert await count(core, Account) == 57 + 2000


def test_xlsx_read(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        ["Nguyễn Phúc", "Bửu", "Chánh", "Phó Giám đốc", "biên chế", None, 2343822111, "svhtt"]
    )
    workbook.save(tmp_path / "staff.xlsx")

    rows = read_staff_file(tmp_path / "staff.xlsx")

    assert len(rows) == 1
    assert rows[0].number == 2
    assert rows[0].values["family"] == "Nguyễn Phúc"
    assert rows[0].values["given"] == "Chánh"
    assert rows[0].values["phone"] == "2343822111"
    assert rows[0].values["unit"] == "svhtt"


def test_csv_without_bom_and_english_headers(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("family,middle,given,unit\nLê,Thị,Hoa,vyda\n", encoding="utf-8")

    rows = read_staff_file(path)

    assert rows[0].values == {"family": "Lê", "middle": "Thị", "given": "Hoa", "unit": "vyda"}


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("Họ và tên,Đơn vị\nNguyễn Văn An,skhcn\n", encoding="utf-8")

    with pytest.raises(ImportFileError, match="missing columns: family"):
        read_staff_file(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_bytes(b"Ho,Ten\nNguy\xeau,An\n")

    with pytest.raises(ImportFileError, match="not UTF-8"):
        read_staff_file(path)


def test_cli_dry_run_and_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["--data", data, "init"]) == 0
    staff = write_csv(tmp_path / "staff.csv", SMALL)
    handover = tmp_path / "handover.csv"
    capsys.readouterr()

    dry = main(["--data", data, "directory", "import", str(staff)])
    dry_out = capsys.readouterr().out
    applied = main(
        ["--data", data, "directory", "import", str(staff), "--apply", "--handover", str(handover)]
    )
    apply_out = capsys.readouterr().out
    again = main(["--data", data, "directory", "import", str(staff), "--apply"])
    again_out = capsys.readouterr().out

    assert dry == 0
    assert "nvan2.skhcn@hue.gov.vn" in dry_out
    assert "5 rows: 5 new, 0 existing, 0 with problems" in dry_out
    assert "dry run: nothing was created" in dry_out
    assert applied == 0
    assert "created 5 accounts" in apply_out
    assert stat.S_IMODE(os.stat(handover).st_mode) == 0o600
    with handover.open(encoding="utf-8") as file:
        listed = list(csv.DictReader(file))
    assert [row["address"] for row in listed] == [
        "nvan.skhcn@hue.gov.vn",
        "nvan2.skhcn@hue.gov.vn",
        "tntha.skhcn@hue.gov.vn",
        "ttthuha.vyda@hue.gov.vn",
        "admin2.skhcn@hue.gov.vn",
    ]
    assert all(len(row["initial_password"]) == 16 for row in listed)
    assert again == 0
    assert "0 new, 5 existing" in again_out
    assert "nothing new to create" in again_out


def test_cli_bad_row_names_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert main(["--data", data, "init"]) == 0
    staff = write_csv(
        tmp_path / "staff.csv", [*SMALL, ["Leâ", "Thò", "Hoa", "", "", "", "", "vyda"]]
    )
    handover = tmp_path / "handover.csv"
    capsys.readouterr()

    code = main(
        ["--data", data, "directory", "import", str(staff), "--apply", "--handover", str(handover)]
    )
    out = capsys.readouterr().out

    assert code == 1
    assert "VNI" in out
    assert "│ 7 " in out
    assert "1 with problems" in out
    assert "nothing was created" in out
    assert not handover.exists()
