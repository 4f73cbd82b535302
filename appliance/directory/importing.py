"""Bulk import of a unit's staff list (CSV or .xlsx): read, check and propose addresses.

Planning is pure: it takes a snapshot of the directory (units, every taken address, the
people already present) and returns one proposal per row. Rows are numbered as in the
file (the header is row 1). New addresses are handed out in a stable order, by candidate
address and then row number, so a re-run of the same file proposes the same addresses;
a row whose person already exists (same unit and same name parts, the k-th such row
matching the k-th such person) is reported as existing and creates nothing.
"""

from __future__ import annotations

import csv
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from appliance.directory import naming
from appliance.directory.contracts import mailbox_refusal, parse_contract_type
from appliance.directory.records import PersonInput
from appliance.errors import ApplianceError

# Canonical column: accepted headers, folded to ASCII (Vietnamese first).
COLUMNS: dict[str, tuple[str, ...]] = {
    "family": ("ho", "family"),
    "middle": ("tendem", "tenlot", "middle"),
    "given": ("ten", "given"),
    "unit": ("donvi", "unit"),
    "position": ("chucvu", "position"),
    "contract_type": ("loaihopdong", "contracttype"),
    "contract_end": ("ngayhethanhopdong", "contractend"),
    "phone": ("dienthoai", "phone"),
    "leader": ("lanhdao", "leader"),
}
REQUIRED_COLUMNS = ("family", "given")
YES = frozenset({"x", "1", "co", "yes", "true"})
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")


class ImportFileError(ApplianceError):
    """The staff list cannot be read."""


class ImportRejected(ApplianceError):
    """The staff list has rows with problems, so nothing was created."""


@dataclass(frozen=True)
class SourceRow:
    """One data row of the file: its row number and values by canonical column."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class UnitSnapshot:
    id: int
    name: str
    state: str
    agency_mailbox: str


@dataclass(frozen=True)
class Snapshot:
    """The directory state that planning reads."""

    units: dict[str, UnitSnapshot]  # by unit mailbox
    taken: frozenset[str]
    existing: dict[tuple[int, str, str, str], list[str]]  # name key: local parts, oldest first


@dataclass
class Proposal:
    """The plan for one row: status "new", "exists" or "error", with the problems found."""

    number: int
    full_name: str
    address: str = ""
    status: str = "error"
    problems: list[str] = field(default_factory=list)
    person: PersonInput | None = None
    candidate: str = ""


def _header_key(header: object) -> str | None:
    try:
        folded = naming.fold_ascii(str(header or ""))
    except naming.InvalidName:
        return None
    for column, aliases in COLUMNS.items():
        if folded in aliases:
            return column
    return None


def _rows_from_table(table: list[list[object]], name: str) -> list[SourceRow]:
    if not table:
        raise ImportFileError(f"{name}: the file is empty")
    keys = [_header_key(header) for header in table[0]]
    missing = [column for column in REQUIRED_COLUMNS if column not in keys]
    if missing:
        wanted = ", ".join(f"{column} ({COLUMNS[column][0]})" for column in missing)
        raise ImportFileError(f"{name}: missing columns: {wanted}; see docs/directory.md")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {
            key: _cell_text(cell) for key, cell in zip(keys, cells, strict=False) if key is not None
        }
        if any(values.values()):
            rows.append(SourceRow(number, values))
    return rows


def _cell_text(cell: object) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return unicodedata.normalize("NFC", str(cell)).strip()


def read_staff_file(path: Path) -> list[SourceRow]:
    """Read a staff list: CSV in UTF-8 (with or without BOM) or the first sheet of .xlsx."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as file:
                table: list[list[object]] = [list(row) for row in csv.reader(file)]
        except UnicodeDecodeError as error:
            raise ImportFileError(
                f"{path.name}: not UTF-8 (byte {error.start}); save the file as CSV UTF-8"
            ) from None
    elif suffix == ".xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            table = [list(row) for row in sheet.iter_rows(values_only=True)]
        finally:
            workbook.close()
    else:
        raise ImportFileError(f"{path.name}: unsupported file type; use .csv or .xlsx")
    return _rows_from_table(table, path.name)


def name_key(unit_id: int, family: str, middle: str, given: str) -> tuple[int, str, str, str]:
    """Return the identity of a person in a unit: the unit and the name parts as written."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return (unit_id, norm(family), norm(middle), norm(given))


def parse_date(text: str) -> date | None:
    if not text:
        return None
    for form in DATE_FORMATS:
        try:
            return datetime.strptime(text, form).date()
        except ValueError:
            continue
    raise ValueError(f"invalid date {text!r}; use YYYY-MM-DD or DD/MM/YYYY")


def _check_row(
    row: SourceRow, default_unit: str | None, snapshot: Snapshot, today: date
) -> Proposal:
    values = row.values
    family, middle, given = (
        values.get("family", ""),
        values.get("middle", ""),
        values.get("given", ""),
    )
    proposal = Proposal(row.number, " ".join(part for part in (family, middle, given) if part))
    problems = proposal.problems
    unit_name = (values.get("unit") or default_unit or "").strip().lower()
    unit = snapshot.units.get(unit_name)
    if not unit_name:
        problems.append("no unit: fill the Đơn vị column or pass --unit")
    elif unit is None:
        problems.append(f"unknown unit {unit_name!r} (use its mailbox name, e.g. skhcn)")
    elif unit.state != "open":
        problems.append(f"the unit {unit_name!r} is closed")
    try:
        contract_type = parse_contract_type(values.get("contract_type", ""))
        contract_end = parse_date(values.get("contract_end", ""))
    except (ValueError, naming.InvalidName) as error:
        problems.append(str(error))
        contract_type, contract_end = "permanent", None
    refusal = mailbox_refusal(contract_type, contract_end, today)
    if refusal is not None:
        problems.append(f"no personal mailbox: {refusal}")
    if unit is not None:
        try:
            proposal.candidate = naming.person_local_part(
                family, middle, given, unit.agency_mailbox
            )
        except naming.InvalidName as error:
            problems.append(error.message)
    if not problems:
        proposal.person = PersonInput(
            family=family,
            middle=middle,
            given=given,
            unit=unit_name,
            position=values.get("position", ""),
            contract_type=contract_type,
            contract_end=contract_end,
            phone=values.get("phone", ""),
            is_leader=naming.fold_ascii(values.get("leader", "")) in YES,
        )
    return proposal


def plan_import(
    rows: list[SourceRow], default_unit: str | None, snapshot: Snapshot, today: date
) -> list[Proposal]:
    """Return one proposal per row, in file order."""
    proposals = [_check_row(row, default_unit, snapshot, today) for row in rows]
    by_key: dict[tuple[int, str, str, str], list[Proposal]] = defaultdict(list)
    for proposal in proposals:
        if proposal.person is not None:
            person = proposal.person
            unit_id = snapshot.units[person.unit].id
            by_key[name_key(unit_id, person.family, person.middle, person.given)].append(proposal)
    fresh = []
    for key, group in by_key.items():
        existing = snapshot.existing.get(key, [])
        for index, proposal in enumerate(sorted(group, key=lambda item: item.number)):
            if index < len(existing):
                proposal.status, proposal.address = "exists", existing[index]
            else:
                fresh.append(proposal)
    taken = set(snapshot.taken)
    for proposal in sorted(fresh, key=lambda item: (item.candidate, item.number)):
        proposal.address = naming.next_free(proposal.candidate, taken)
        proposal.status = "new"
        taken.add(proposal.address)
    return proposals


def problems_summary(proposals: list[Proposal]) -> str:
    """Return one line per row with problems: "row N (name): problem; problem"."""
    lines = [
        f"row {proposal.number} ({proposal.full_name or 'no name'}): {'; '.join(proposal.problems)}"
        for proposal in proposals
        if proposal.problems
    ]
    return "\n".join(lines)
