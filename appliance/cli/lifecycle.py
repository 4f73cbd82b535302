"""`appliance lifecycle`: hire, transfer, rename units, retire, hand over; requests; moves.

Each event command applies one lifecycle event, wholly or not at all, and prints what it
did. An initial or reset password is printed once and stored nowhere in clear.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from appliance.admin_scope import AdminIdentity
from appliance.core import Core
from appliance.directory.contracts import parse_contract_type
from appliance.directory.records import PersonInput
from appliance.lifecycle.actions import EVENTS, REQUEST_EVENTS
from appliance.lifecycle.moves import BATCH_SIZE, MoveProgress
from appliance.lifecycle.records import (
    DEPARTURE_REASONS,
    HANDOVER_FORMS,
    LifecycleError,
    local_day,
)
from appliance.lifecycle.requests import REQUEST_STATES, RequestInfo

COMMANDS = ("lifecycle",)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `lifecycle ...` to the top-level parser."""
    lifecycle = commands.add_parser(
        "lifecycle", help="account lifecycle: hire, transfer, rename, retire, requests"
    ).add_subparsers(dest="lifecycle_command", required=True)
    _add_event_parsers(lifecycle)
    _add_move_parsers(lifecycle)
    _add_request_parsers(lifecycle)
    events = lifecycle.add_parser("events", help="list scheduled departures and their state")
    events.add_argument("--open", action="store_true", help="only those not done yet")


def _add_event_parsers(lifecycle: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hire = lifecycle.add_parser("hire", help="create a person's mailbox by the naming rules")
    hire.add_argument("--family", required=True, help="family name (Họ)")
    hire.add_argument("--middle", default="", help="middle names (Tên đệm)")
    hire.add_argument("--given", required=True, help="given name (Tên)")
    hire.add_argument("--unit", required=True, help="mailbox name of the unit, e.g. skhcn")
    hire.add_argument("--position", default="")
    hire.add_argument("--contract-type", default="permanent", help="e.g. biên chế, fixed_term")
    hire.add_argument("--contract-end", type=date.fromisoformat, help="YYYY-MM-DD")

    transfer = lifecycle.add_parser("transfer", help="move a person to another unit of the city")
    transfer.add_argument("address")
    transfer.add_argument("--to", required=True, dest="unit", help="mailbox name of the new unit")

    rename = lifecycle.add_parser("rename-unit", help="rename a unit and the addresses under it")
    rename.add_argument("unit", help="current mailbox name of the unit")
    rename.add_argument("--name", required=True, help="the unit's new name")
    rename.add_argument("--abbreviation", help="new abbreviation (the new mailbox name)")

    retire = lifecycle.add_parser(
        "retire", help="revoke a mailbox on an official date (retirement, leaving, moving away)"
    )
    retire.add_argument("address")
    retire.add_argument("--on", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    retire.add_argument("--reason", default="retirement", choices=DEPARTURE_REASONS)
    retire.add_argument(
        "--handover",
        default="folder",
        choices=HANDOVER_FORMS,
        help="folder: into the unit's mailbox; mbox: an archive file in DATA/exports",
    )

    cancel = lifecycle.add_parser(
        "cancel-departure", help="cancel a scheduled departure whose first step has not run"
    )
    cancel.add_argument("address", help="the address whose departure is cancelled")
    cancel.add_argument("--reason", required=True, help="why, kept with the event and audited")

    handover = lifecycle.add_parser("handover", help="hand a unit's mailbox to another person")
    handover.add_argument("unit", help="mailbox name of the unit, e.g. skhcn")
    handover.add_argument("--to", required=True, help="the new person's address or person id")
    handover.add_argument("--on", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")


def _add_move_parsers(lifecycle: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = lifecycle.add_parser("move-run", help="run (or resume) a mailbox move")
    run.add_argument("id", type=int)
    run.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="messages per transaction")
    run.add_argument("--batches", type=int, help="stop after this many batches (resume later)")
    status = lifecycle.add_parser("move-status", help="show the progress of mailbox moves")
    status.add_argument("id", type=int, nargs="?")


def _add_request_parsers(lifecycle: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    requests = lifecycle.add_parser("requests", help="list unit requests")
    requests.add_argument("--unit", help="mailbox name of one unit")
    requests.add_argument("--state", choices=REQUEST_STATES)
    request = lifecycle.add_parser("request", help="file a request as a unit admin")
    request.add_argument("kind", choices=tuple(REQUEST_EVENTS))
    request.add_argument("event", choices=EVENTS)
    request.add_argument("fields", nargs="*", metavar="KEY=VALUE", help="the event's fields")
    request.add_argument("--as", required=True, dest="admin", help="the unit admin's address")
    approve = lifecycle.add_parser("approve", help="approve a request and run its event")
    approve.add_argument("id", type=int)
    reject = lifecycle.add_parser("reject", help="reject a request")
    reject.add_argument("id", type=int)
    reject.add_argument("--reason", required=True, help="why, shown to the unit")


def _console() -> Console:
    """Return a console for tables; piped output gets wide lines instead of cut cells."""
    return Console() if sys.stdout.isatty() else Console(width=200)


def operator() -> str:
    """Name the person at the command line in audit lines: `cli:<login name>`."""
    return f"cli:{getpass.getuser()}"


async def run_lifecycle(core: Core, args: argparse.Namespace) -> int:
    command = args.lifecycle_command
    if command in ("hire", "transfer", "rename-unit", "retire", "cancel-departure", "handover"):
        return await _event(core, args)
    if command == "move-run":
        return await _move_run(core, args.id, args.batch_size, args.batches)
    if command == "move-status":
        return await _move_status(core, args.id)
    if command == "events":
        return await _events(core, args.open)
    return await _requests(core, args)


async def _event(core: Core, args: argparse.Namespace) -> int:
    by = operator()
    lifecycle = core.lifecycle
    command = args.lifecycle_command
    if command == "hire":
        person = PersonInput(
            family=args.family,
            middle=args.middle,
            given=args.given,
            unit=args.unit,
            position=args.position,
            contract_type=parse_contract_type(args.contract_type),
            contract_end=args.contract_end,
        )
        hired = await lifecycle.hire(person, by=by)
        print(f"created {hired.address}")
        print(f"initial password (shown only now): {hired.password}")
    elif command == "transfer":
        moved = await lifecycle.transfer(args.address, args.unit, by=by)
        print(moved.summary())
        if moved.password:
            print(f"initial password of {moved.new_address} (shown only now): {moved.password}")
    elif command == "rename-unit":
        renamed = await lifecycle.rename_unit(args.unit, args.name, args.abbreviation, by=by)
        print(renamed.summary())
        for old, new in renamed.renamed:
            print(f"  {old} -> {new}")
    elif command == "retire":
        scheduled = await lifecycle.schedule_departure(
            args.address, args.on, args.reason, args.handover, by=by
        )
        print(scheduled.summary())
    elif command == "cancel-departure":
        cancelled = await lifecycle.cancel_departure(args.address, by=by, reason=args.reason)
        print(cancelled.summary())
    else:
        person_id = await _person_id(core, args.to)
        handed = await lifecycle.handover(args.unit, person_id, args.on, by=by)
        print(handed.summary())
        print(f"new password of {handed.address} (shown only now): {handed.password}")
    return 0


async def _person_id(core: Core, reference: str) -> int:
    """Return the person id given as digits, or of the person whose mailbox is `reference`."""
    if reference.isdigit():
        return int(reference)
    address = reference.strip().lower()
    for person in await core.directory.people():
        if person.address == address:
            return person.id
    raise LifecycleError(f"no person in the directory has the address {reference!r}")


async def _move_run(core: Core, move_id: int, batch_size: int, batches: int | None) -> int:
    progress = await core.lifecycle.move_progress(move_id)
    ran = 0
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task(
            f"{progress.source} -> {progress.target}",
            total=progress.total,
            completed=progress.moved,
        )
        while progress.state != "done" and (batches is None or ran < batches):
            progress = await core.lifecycle.move_step(move_id, batch_size)
            bar.update(task, completed=progress.moved)
            ran += 1
    print(_move_line(progress))
    return 0


def _move_line(progress: MoveProgress) -> str:
    return (
        f"move #{progress.id} {progress.state}: {progress.moved} of {progress.total} messages "
        f"moved from {progress.source} to {progress.target}"
    )


async def _move_status(core: Core, move_id: int | None) -> int:
    ids = [move_id] if move_id is not None else await core.lifecycle.move_ids()
    table = Table("move", "from", "to", "moved", "total", "state")
    for each in ids:
        progress = await core.lifecycle.move_progress(each)
        table.add_row(
            f"#{progress.id}",
            progress.source,
            progress.target,
            str(progress.moved),
            str(progress.total),
            progress.state,
        )
    _console().print(table)
    return 0


async def _events(core: Core, open_only: bool) -> int:
    table = Table("event", "address", "date", "reason", "handover", "state", "outcome")
    for event in await core.lifecycle.events(open_only=open_only):
        table.add_row(
            f"#{event.id}",
            event.address,
            local_day(event.due_at).isoformat(),
            event.reason,
            event.handover,
            event.state,
            event.outcome,
        )
    _console().print(table)
    return 0


async def _requests(core: Core, args: argparse.Namespace) -> int:
    command = args.lifecycle_command
    if command == "requests":
        _print_requests(await core.requests.list_requests(unit=args.unit, state=args.state))
        return 0
    if command == "request":
        admin = await _admin(core, args.admin)
        fields = dict(_field(item) for item in args.fields)
        filed = await core.requests.file(admin, args.kind, args.event, fields, client="cli")
        print(f"request #{filed.id} filed for {filed.unit_mailbox}: {filed.state}")
        return 0
    if command == "reject":
        rejected = await core.requests.decide_reject(args.id, operator(), args.reason)
        print(f"request #{rejected.id} rejected: {rejected.reason}")
        return 0
    decision = await core.requests.decide_approve(args.id, operator())
    print(f"request #{decision.request.id} {decision.request.state}: {decision.request.outcome}")
    password = getattr(decision.result, "password", "")
    if password:
        print(f"password (shown only now): {password}")
    return 0 if decision.result is not None else 1


async def _admin(core: Core, address: str) -> AdminIdentity:
    account = await core.accounts.get(address)
    return await core.admin_scope.identify(account.id)


def _field(item: str) -> tuple[str, str]:
    key, equals, value = item.partition("=")
    if not equals or not key:
        raise LifecycleError(f"a field is KEY=VALUE, not {item!r}")
    return key, value


def _print_requests(requests: list[RequestInfo]) -> None:
    table = Table("request", "unit", "kind", "event", "filed by", "filed", "state", "outcome")
    for request in requests:
        table.add_row(
            f"#{request.id}",
            request.unit_mailbox,
            request.kind,
            request.event,
            request.filed_by,
            local_day(request.filed_at).isoformat(),
            request.state,
            request.reason or request.outcome,
        )
    _console().print(table)
