"""IDLE (RFC 2177): push mailbox changes until the client sends DONE."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from imap.commands import AUTHENTICATED, Command, Reply, command, ok
from imap.errors import BadCommand, CloseConnection

if TYPE_CHECKING:
    from imap.session import Session


@command("IDLE", states=AUTHENTICATED)
async def idle(session: Session, cmd: Command) -> Reply:
    """Wake on the change hub and send EXISTS, EXPUNGE and FETCH FLAGS at once."""
    cmd.parser.end()
    await session.send(b"+ idling\r\n")
    await session.send_updates(allow_expunge=True)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + session.autologout_seconds
    read = asyncio.ensure_future(session.commands.read_line())
    try:
        while not read.done():
            waiters: set[asyncio.Future[bytes] | asyncio.Future[bool]] = {read}
            watch = None
            if session.selected is not None:
                watch = asyncio.ensure_future(session.selected.watcher.wait())
                waiters.add(watch)
            done, _ = await asyncio.wait(
                waiters, timeout=deadline - loop.time(), return_when=asyncio.FIRST_COMPLETED
            )
            if watch is not None and not watch.done():
                watch.cancel()
            if not done:
                raise CloseConnection("Autologout: IDLE for 30 minutes without DONE")
            if watch in done:
                await session.send_updates(allow_expunge=True, force=True)
        line = read.result()
    finally:
        if not read.done():
            read.cancel()
    if line.upper() != b"DONE":
        raise BadCommand("Expected DONE to end IDLE")
    return ok("IDLE terminated")
