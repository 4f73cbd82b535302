"""The city's units file: the departments, the 40 communes and wards, the security intake."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from appliance.directory import naming

UNITS_FILE = Path(__file__).parent / "data" / "hue-units.csv"
COLUMNS = ("kind", "name", "mailbox", "mailbox_confirmed", "basis")


@dataclass(frozen=True)
class UnitRow:
    """One row of the units file, with the mailbox name checked against the naming rules."""

    kind: str
    name: str
    mailbox: str
    confirmed: str  # "yes", "assumed" or "derived", as the file states


def read_units_file(path: Path = UNITS_FILE) -> list[UnitRow]:
    """Read and check the units file.

    Departments and the special mailbox take the file's abbreviation. Communes and wards
    are named by the rules, and the file must agree, except for a name joined from two
    places, whose abbreviation the file may set.
    """
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise naming.InvalidName(f"{path.name}: missing columns: {', '.join(missing)}")
        return [_check_row(number, row) for number, row in enumerate(reader, start=2)]


def _check_row(number: int, row: dict[str, str]) -> UnitRow:
    kind, name, mailbox = row["kind"].strip(), row["name"].strip(), row["mailbox"].strip()
    if kind in ("department", "special"):
        derived = naming.agency_mailbox(kind, name, mailbox)
    else:
        derived = naming.agency_mailbox(kind, name)
        if derived != mailbox and " - " in name:
            derived = naming.agency_mailbox(kind, name, mailbox)
    if derived != mailbox:
        raise naming.InvalidName(
            f"units file row {number}: {name!r} has mailbox {mailbox!r} but the naming rule "
            f"gives {derived!r}"
        )
    return UnitRow(kind=kind, name=name, mailbox=mailbox, confirmed=row["mailbox_confirmed"])
