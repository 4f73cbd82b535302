"""`appliance queue`: list, retry and delete outbound queue entries.

The commands change the database directly and never open the full core, so they are safe
while the appliance runs on the same data folder. A running appliance picks the change up
at its queue runner's next tick (at most 30 seconds later).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import delete, select, update

from appliance.clock import Clock
from appliance.config import Settings
from appliance.db import make_engine, make_sessionmaker
from appliance.models import OutboundMessage

COMMANDS = ("queue",)
WAITING = ("queued", "deferred")


def add_parser(commands: Any) -> None:
    """Add `appliance queue list|retry|retry-all|delete` to the main parser."""
    queue = commands.add_parser("queue", help="inspect and manage the outbound queue")
    actions = queue.add_subparsers(dest="queue_command", required=True)
    listing = actions.add_parser("list", help="list entries waiting for delivery")
    listing.add_argument("--all", action="store_true", help="include sent and bounced entries")
    retry = actions.add_parser("retry", help="try one entry again at the next queue run")
    retry.add_argument("id", type=int)
    actions.add_parser("retry-all", help="try every waiting entry again at the next queue run")
    remove = actions.add_parser("delete", help="remove one entry without sending it or a bounce")
    remove.add_argument("id", type=int)


async def run_queue(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(settings.database)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions() as session:
            if args.queue_command == "list":
                return await _list(session, args.all)
            if args.queue_command == "retry-all":
                return await _retry(session, None)
            if args.queue_command == "retry":
                return await _retry(session, args.id)
            return await _delete(session, args.id)
    finally:
        await engine.dispose()


async def _list(session: Any, everything: bool) -> int:
    query = select(OutboundMessage).order_by(OutboundMessage.id)
    if not everything:
        query = query.where(OutboundMessage.state.in_(WAITING))
    rows = list(await session.scalars(query))
    print(f"{'id':>6}  {'state':<9} {'tries':>5}  {'next attempt (UTC)':<19}  sender -> recipient")
    for row in rows:
        next_attempt = row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S")
        print(
            f"{row.id:>6}  {row.state:<9} {row.attempts:>5}  {next_attempt}  "
            f"<{row.mail_from}> -> <{row.rcpt_to}>"
        )
        if row.last_error:
            print(f"{'':>8}last error: {row.last_error}")
    print(f"{len(rows)} entr{'y' if len(rows) == 1 else 'ies'}")
    return 0


async def _retry(session: Any, entry_id: int | None) -> int:
    statement = (
        update(OutboundMessage)
        .where(OutboundMessage.state.in_(WAITING))
        .values(next_attempt_at=Clock().now())
    )
    if entry_id is not None:
        statement = statement.where(OutboundMessage.id == entry_id)
    changed = (await session.execute(statement)).rowcount
    await session.commit()
    if entry_id is not None and changed == 0:
        print(f"error: no waiting queue entry has id {entry_id}", file=sys.stderr)
        return 1
    print(f"{changed} entr{'y' if changed == 1 else 'ies'} due now")
    return 0


async def _delete(session: Any, entry_id: int) -> int:
    statement = delete(OutboundMessage).where(
        OutboundMessage.id == entry_id, OutboundMessage.state.in_(WAITING)
    )
    changed = (await session.execute(statement)).rowcount
    await session.commit()
    if changed == 0:
        print(f"error: no waiting queue entry has id {entry_id}", file=sys.stderr)
        return 1
    print(f"entry {entry_id} deleted")
    return 0
