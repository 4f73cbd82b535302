"""Commands of the not-authenticated state: STARTTLS, LOGIN, AUTHENTICATE (RFC 3501 6.2).

No password is accepted before TLS: LOGIN and AUTHENTICATE answer NO [PRIVACYREQUIRED]
on a plain connection (RFC 3501 section 6.2.3, RFC 5530 for the code).
"""

from __future__ import annotations

import binascii
import logging
from typing import TYPE_CHECKING

from appliance.errors import AuthenticationFailed
from imap import wirelog
from imap.commands import NOT_AUTHENTICATED, Command, Reply, command, ok
from imap.errors import BadCommand, CommandFailed

if TYPE_CHECKING:
    from imap.session import Session

log = logging.getLogger("imap")


@command("STARTTLS", states=NOT_AUTHENTICATED)
async def starttls(session: Session, cmd: Command) -> Reply | None:
    """RFC 3501 section 6.2.1; the client must ask for CAPABILITY again afterwards."""
    cmd.parser.end()
    if session.secure or session.tls is None:
        raise BadCommand("TLS is already active on this connection")
    # Bytes sent after STARTTLS but before the handshake could be injected by an attacker
    # (RFC 7817 section 3); asyncio offers no public way to see them, so look at the buffer.
    if getattr(session.reader, "_buffer", b""):
        raise BadCommand("Commands were pipelined after STARTTLS")
    await session.send(cmd.tag + b" OK Begin TLS negotiation now\r\n")
    await session.writer.start_tls(session.tls)
    session.secure = True
    log.info("starttls id=%s", session.id)
    return None


@command("LOGIN", states=NOT_AUTHENTICATED)
async def login(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.2.3."""
    parser = cmd.parser
    parser.space()
    user = parser.text_astring()
    parser.space()
    password = parser.text_astring()
    parser.end()
    return await _authenticate(session, user, password)


@command("AUTHENTICATE", states=NOT_AUTHENTICATED)
async def authenticate(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.2.2 with SASL PLAIN (RFC 4616) and an initial response (RFC 4959)."""
    parser = cmd.parser
    parser.space()
    mechanism = parser.keyword()
    initial: bytes | None = None
    if parser.try_space():
        initial = parser.atom().encode("ascii") if parser.peek() != b"=" else b"="
        parser.position += 1 if initial == b"=" else 0
    parser.end()
    if mechanism != "PLAIN":
        raise CommandFailed(f"Unsupported authentication mechanism: {mechanism}", "CANNOT")
    _require_tls(session)
    if initial is None:
        await session.send(b"+ \r\n")
        initial = await session.commands.read_line()
        wirelog.client(session.id, initial, secret=True)
    if initial == b"*":
        raise BadCommand("AUTHENTICATE cancelled by the client")
    user, password = _decode_plain(b"" if initial == b"=" else initial)
    return await _authenticate(session, user, password)


def _decode_plain(data: bytes) -> tuple[str, str]:
    try:
        message = binascii.a2b_base64(data, strict_mode=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadCommand("Authentication data is not valid base64 of UTF-8 text") from None
    parts = message.split("\0")
    if len(parts) != 3:
        raise BadCommand("PLAIN data must be authzid NUL authcid NUL password (RFC 4616)")
    authzid, user, password = parts
    if authzid and authzid != user:
        raise CommandFailed("Acting as another user is not supported", "AUTHORIZATIONFAILED")
    return user, password


def _require_tls(session: Session) -> None:
    if not session.secure:
        raise CommandFailed("Use STARTTLS before logging in", "PRIVACYREQUIRED")


async def _authenticate(session: Session, user: str, password: str) -> Reply:
    _require_tls(session)
    try:
        account = await session.core.auth.login(user, password, service="imap", client=session.peer)
    except AuthenticationFailed as error:
        log.info("login failed id=%s user=%s peer=%s", session.id, user[:100], session.peer)
        raise CommandFailed("Invalid user name or password", error.imap_code) from None
    session.login(account)
    log.info("login id=%s account=%s peer=%s", session.id, account.address, session.peer)
    return ok("Logged in", f"CAPABILITY {session.capability_text()}")
