"""One IMAP connection: the read, parse, dispatch, reply cycle (RFC 3501 sections 3 and 5).

The session owns the connection state (not authenticated, authenticated, selected,
logout), the logged-in account and the selected mailbox. Command handlers live in
`imap.commands`, grouped by the state that allows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import ssl
import time
from typing import Any, Protocol

from appliance.core import Core
from appliance.errors import ApplianceError, MailboxNotFound
from appliance.metrics import record_command, record_connection
from appliance.store.types import AccountInfo
from imap import wirelog
from imap.capabilities import capabilities
from imap.commands import COMMANDS, Command, Reply, State
from imap.errors import BadCommand, CloseConnection, CommandError
from imap.mailbox import SelectedMailbox
from imap.streams import CommandReader, ConnectionEnded, Refusal
from imap.wire import Parser

log = logging.getLogger("imap")

AUTOLOGOUT_SECONDS = 30 * 60  # RFC 3501 section 5.4: at least 30 minutes
_connection_ids = itertools.count(1)

# RFC 3501 section 7.4.1: no EXPUNGE response while answering these (their UID forms may).
_NO_EXPUNGE = frozenset({"FETCH", "STORE", "SEARCH"})


class Stream(Protocol):
    """The writing side of a connection; asyncio.StreamWriter is one."""

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    async def start_tls(self, sslcontext: ssl.SSLContext) -> None: ...

    def close(self) -> None: ...

    def get_extra_info(self, name: str, default: Any = None) -> Any: ...


class Session:
    """The state of one client connection."""

    def __init__(
        self,
        core: Core,
        reader: asyncio.StreamReader,
        writer: Stream,
        *,
        tls: ssl.SSLContext | None,
        secure: bool,
    ) -> None:
        self.core = core
        self.reader = reader
        self.writer = writer
        self.tls = tls
        self.secure = secure
        self.id = f"imap-{next(_connection_ids)}"
        peer = writer.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        self.state = State.NOT_AUTHENTICATED
        self.account: AccountInfo | None = None
        self.selected: SelectedMailbox | None = None
        self.commands = CommandReader(reader, self.send, core.settings.max_message_size)
        self.autologout_seconds: float = AUTOLOGOUT_SECONDS

    # Output

    async def send(self, data: bytes) -> None:
        wirelog.server(self.id, data)
        self.writer.write(data)
        await self.writer.drain()

    def capability_text(self) -> str:
        return capabilities(
            self.secure, self.account is not None, can_starttls=self.tls is not None
        )

    # The command cycle

    async def run(self) -> None:
        """Serve the connection until LOGOUT, a fatal error or the client leaving."""
        log.info("connect id=%s peer=%s tls=%s", self.id, self.peer, self.secure)
        listener = "imap" if self.tls is not None else "imaps"  # STARTTLS clears self.tls
        record_connection(listener, opened=True)
        try:
            await self.send(b"* OK [CAPABILITY %s] IMAP server ready\r\n" % self._caps())
            while self.state is not State.LOGOUT:
                if not await self._serve_one():
                    break
        except ConnectionEnded as error:
            log.info("disconnect id=%s reason=%s", self.id, error)
        except (ConnectionError, ssl.SSLError) as error:
            log.info("disconnect id=%s reason=%s", self.id, error.__class__.__name__)
        except CloseConnection as error:
            await self._bye(error.text)
        except asyncio.CancelledError:
            # The listener is closing: say goodbye without waiting for the client.
            log.info("disconnect id=%s reason=server shutdown", self.id)
            with contextlib.suppress(ConnectionError, RuntimeError):
                self.writer.write(b"* BYE Server shutting down\r\n")
            raise
        except Exception:
            log.exception("unexpected failure id=%s", self.id)
            await self._bye("[SERVERBUG] Internal server error, closing the connection")
        else:
            log.info("disconnect id=%s reason=logout", self.id)
        finally:
            record_connection(listener, opened=False)
            self.deselect()
            self.writer.close()

    def _caps(self) -> bytes:
        return self.capability_text().encode("ascii")

    async def _bye(self, text: str) -> None:
        log.info("disconnect id=%s reason=%s", self.id, text)
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.send(b"* BYE %s\r\n" % text.encode())

    async def _serve_one(self) -> bool:
        """Read and answer one command; return False when the connection should end."""
        try:
            data = await asyncio.wait_for(
                self.commands.read_command(self.account is not None), self.autologout_seconds
            )
        except TimeoutError:
            raise CloseConnection("Autologout: no command for 30 minutes") from None
        except Refusal as refusal:
            await self.send(refusal.reply)
            return True
        wirelog.client(self.id, data)
        await self.execute(data)
        return True

    async def execute(self, data: bytes) -> None:
        """Parse one command, run its handler and send the tagged reply."""
        started = time.monotonic()
        parser = Parser(data)
        try:
            tag = parser.atom_tag()
        except BadCommand:
            await self.send(b"* BAD Missing or invalid command tag\r\n")
            return
        name = ""
        try:
            name = self._command_name(parser)
            reply = await self._dispatch(Command(tag, name, parser))
        except CommandError as error:
            reply = Reply(error.status, error.text, error.code)
        if reply is not None:
            await self._finish(name, reply)
            await self.send(reply.render(tag))
            known = name if name in COMMANDS else "other"
            record_command("imap", known, reply.status == "OK", time.monotonic() - started)
            log.info(
                "command id=%s tag=%s name=%s outcome=%s ms=%d",
                self.id,
                tag.decode("ascii", "replace"),
                name or "?",
                reply.status,
                (time.monotonic() - started) * 1000,
            )

    def _command_name(self, parser: Parser) -> str:
        if parser.at_end():
            raise BadCommand("Missing command name")
        parser.space()
        name = parser.keyword()
        if name == "UID":
            parser.space()
            name = "UID " + parser.keyword()
        return name

    async def _dispatch(self, command: Command) -> Reply | None:
        spec = COMMANDS.get(command.name)
        if spec is None:
            raise BadCommand(f"Unknown command: {command.name}")
        if self.state not in spec.states:
            raise BadCommand(f"{command.name} is not allowed in the {self.state.value} state")
        try:
            return await spec.handler(self, command)
        except CommandError:
            raise
        except ApplianceError as error:
            return Reply("NO", error.message, error.imap_code)
        except (ConnectionError, ssl.SSLError, CloseConnection, ConnectionEnded):
            raise
        except Exception:
            log.exception("command failed id=%s name=%s", self.id, command.name)
            return Reply("NO", "Internal server error", "SERVERBUG")

    async def _finish(self, name: str, reply: Reply) -> None:
        """Send untagged updates of the selected mailbox before the tagged reply."""
        if self.selected is None or self.state is State.LOGOUT:
            return
        allow_expunge = name not in _NO_EXPUNGE
        await self.send_updates(allow_expunge, with_uid=name.startswith("UID "))

    async def send_updates(
        self, allow_expunge: bool, with_uid: bool = False, force: bool = False
    ) -> None:
        """Send what changed in the selected mailbox since the client last heard."""
        if self.selected is None:
            return
        try:
            updates = await self.selected.refresh(self.core.store, allow_expunge, with_uid, force)
        except MailboxNotFound:
            raise CloseConnection("The selected mailbox was deleted by another session") from None
        if updates:
            await self.send(b"".join(updates))

    # State changes used by handlers

    def login(self, account: AccountInfo) -> None:
        self.account = account
        self.state = State.AUTHENTICATED

    def select(self, selected: SelectedMailbox) -> None:
        self.deselect()
        self.selected = selected
        self.state = State.SELECTED

    def deselect(self) -> None:
        if self.selected is not None:
            self.selected.watcher.close()
            self.selected = None
        if self.state is State.SELECTED:
            self.state = State.AUTHENTICATED
