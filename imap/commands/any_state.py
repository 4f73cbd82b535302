"""Commands valid in every state: CAPABILITY, NOOP, LOGOUT (RFC 3501 6.1) and ID (RFC 2971)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from imap import response
from imap.commands import ANY, Command, Reply, State, command, ok
from imap.errors import BadCommand

if TYPE_CHECKING:
    from imap.session import Session

log = logging.getLogger("imap")

SERVER_ID = (("name", "Hue mail appliance"), ("vendor", "City of Hue"))


@command("CAPABILITY", states=ANY)
async def capability(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.1.1."""
    cmd.parser.end()
    await session.send(b"* CAPABILITY %s\r\n" % session.capability_text().encode("ascii"))
    return ok("CAPABILITY completed")


@command("NOOP", states=ANY)
async def noop(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.1.2: mailbox updates go out before the tagged reply."""
    cmd.parser.end()
    return ok("NOOP completed")


@command("LOGOUT", states=ANY)
async def logout(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.1.3."""
    cmd.parser.end()
    await session.send(b"* BYE Logging out\r\n")
    session.deselect()
    session.state = State.LOGOUT
    return ok("LOGOUT completed")


@command("ID", states=ANY)
async def id_(session: Session, cmd: Command) -> Reply:
    """RFC 2971: log what the client says it is and tell it what this server is."""
    parser = cmd.parser
    parser.space()
    client: list[str] = []
    if not parser.nil():
        parser.open_list()
        while parser.list_continues():
            if client:
                parser.space()
            key = parser.string().decode("utf-8", "replace")
            parser.space()
            value = "NIL" if parser.nil() else parser.string().decode("utf-8", "replace")
            client.append(f"{key}={value}")
            if len(client) > 30:
                raise BadCommand("ID has more than 30 field-value pairs")
    parser.end()
    if client:
        log.info("client id=%s %s", session.id, " ".join(client)[:500])
    items = b" ".join(response.string(k) + b" " + response.string(v) for k, v in SERVER_ID)
    await session.send(b"* ID (%s)\r\n" % items)
    return ok("ID completed")
