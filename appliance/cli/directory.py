"""`appliance directory`: import staff lists, list units, search the directory."""

from __future__ import annotations

import argparse
import csv
import os
from datetime import datetime
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from appliance.core import Core
from appliance.directory.admins import add_unit_admin
from appliance.directory.bulk import Created
from appliance.directory.importing import Proposal, SourceRow, read_staff_file

# Files with at least this many new rows show a progress bar while applying.
PROGRESS_THRESHOLD = 100


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `directory import|units|search` to the top-level parser."""
    directory = commands.add_parser(
        "directory", help="the city directory: staff imports, units, search"
    ).add_subparsers(dest="directory_command", required=True)
    staff = directory.add_parser(
        "import", help="import a staff list (.csv or .xlsx); a dry run unless --apply"
    )
    staff.add_argument("file", type=Path)
    staff.add_argument("--unit", help="mailbox name of the unit of rows without an Đơn vị value")
    staff.add_argument("--apply", action="store_true", help="create the accounts, all or nothing")
    staff.add_argument(
        "--handover",
        type=Path,
        help="where to write the initial passwords, readable only by you "
        "(default: FILE-handover-TIME.csv beside FILE)",
    )
    directory.add_parser("units", help="list every unit with its mailbox name")
    admin = directory.add_parser(
        "add-unit-admin", help="create the IT admin mailbox admin.<agency>@ of a unit"
    )
    admin.add_argument("unit", help="mailbox name of the unit, e.g. skhcn or vyda")
    search = directory.add_parser("search", help="find people by name, unit or address")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=20, help="most results shown (default 20)")


async def run_directory(core: Core, args: argparse.Namespace) -> int:
    console = Console()
    if args.directory_command == "units":
        return await _units(core, console)
    if args.directory_command == "add-unit-admin":
        address, password = await add_unit_admin(core.directory, args.unit)
        console.print(f"created {address}")
        console.print(f"initial password (shown only now; change it at first login): {password}")
        return 0
    if args.directory_command == "search":
        return await _search(core, console, args.query, args.limit)
    return await _import(core, console, args)


async def _units(core: Core, console: Console) -> int:
    table = Table("kind", "mailbox", "name", "state", "published")
    for unit in await core.directory.units():
        address = f"{unit.mailbox}@{core.settings.domain}" if unit.mailbox else "-"
        table.add_row(unit.kind, address, unit.name, unit.state, "yes" if unit.publish else "no")
    console.print(table)
    return 0


async def _search(core: Core, console: Console, query: str, limit: int) -> int:
    table = Table("name", "address", "unit")
    for result in await core.directory.search(query, limit):
        address = f"{result.address}@{core.settings.domain}" if result.address else "-"
        table.add_row(result.full_name, address, result.unit_name)
    console.print(table)
    return 0


def _proposal_table(proposals: list[Proposal], domain: str) -> Table:
    table = Table("row", "name", "address", "status", "problems")
    for proposal in proposals:
        address = f"{proposal.address}@{domain}" if proposal.address else "-"
        status = "error" if proposal.problems else proposal.status
        table.add_row(
            str(proposal.number), proposal.full_name, address, status, "\n".join(proposal.problems)
        )
    return table


async def _import(core: Core, console: Console, args: argparse.Namespace) -> int:
    rows = read_staff_file(args.file)
    proposals = await core.directory.plan_import(rows, args.unit)
    console.print(_proposal_table(proposals, core.settings.domain))
    new = sum(p.status == "new" and not p.problems for p in proposals)
    existing = sum(p.status == "exists" for p in proposals)
    failed = sum(bool(p.problems) for p in proposals)
    console.print(f"{len(proposals)} rows: {new} new, {existing} existing, {failed} with problems")
    if failed:
        console.print("nothing was created: fix the rows listed with problems and run again")
        return 1
    if not args.apply:
        console.print("dry run: nothing was created; run again with --apply to create them")
        return 0
    if new == 0:
        console.print("nothing new to create")
        return 0
    handover = args.handover or args.file.with_name(
        f"{args.file.stem}-handover-{datetime.now():%Y%m%d-%H%M%S}.csv"
    )
    file = open_private(handover)
    try:
        created = await _apply_with_progress(core, rows, args.unit, new)
    except BaseException:
        file.close()
        handover.unlink()
        raise
    with file:
        write_handover(file, created, core.settings.domain)
    console.print(f"created {len(created)} accounts")
    console.print(f"initial passwords written to {handover} (readable only by you)")
    return 0


async def _apply_with_progress(
    core: Core, source: list[SourceRow], unit: str | None, new: int
) -> list[Created]:
    if new < PROGRESS_THRESHOLD:
        return await core.directory.apply_import(source, unit)
    with Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("passwords, then accounts", total=2 * new)
        return await core.directory.apply_import(
            source, unit, lambda done: progress.advance(task, done)
        )


def open_private(path: Path) -> TextIO:
    """Create `path` readable and writable only by its owner; never overwrite a file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SystemExit(f"error: {path} already exists; choose another --handover file") from None
    return os.fdopen(descriptor, "w", encoding="utf-8", newline="")


def write_handover(file: TextIO, created: list[Created], domain: str) -> None:
    """Write the hand-over list: row, name, address and initial password of each account."""
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow(["row", "name", "address", "initial_password"])
    for item in created:
        writer.writerow([item.number, item.full_name, f"{item.address}@{domain}", item.password])
