"""The SMTP connection: aiosmtpd's protocol with the appliance's wire rules.

aiosmtpd (1.4.6) parses commands, runs STARTTLS and the AUTH exchange. This subclass
changes what the appliance needs different:

- every reply carries an enhanced status code (RFC 2034), so ENHANCEDSTATUSCODES can be
  advertised, and EHLO lists only extensions that hold (no CHUNKING: there is no BDAT);
- DATA is read by `smtp.data.DataReader`, which rejects bare CR, bare LF and NUL and
  keeps memory bounded past the size limit;
- the wire log goes to the `smtp.wire` logger at DEBUG with AUTH arguments masked, and
  aiosmtpd's own `mail.log` lines (which include whole command lines at INFO) are
  silenced by `quiet_aiosmtpd_log`;
- too many failed commands or failed AUTH attempts end the connection with 421, and an
  idle connection gets a 421 before it is closed (RFC 5321 section 4.5.3.2).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import re
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session, TLSSetupException, syntax

from appliance.metrics import record_command, record_connection
from smtp import replies
from smtp.data import DataReader

log = logging.getLogger("smtp")
wire_log = logging.getLogger("smtp.wire")

MAX_COMMAND_LINE = 998  # octets without CRLF: RFC 5321 section 4.5.3.1.4 allows 512, we allow more
STREAM_LIMIT = 64 * 1024  # bytes buffered for one line before a longer data line is split
MAX_ERRORS = 20  # failed commands before the connection is closed, as Postfix's default
MAX_AUTH_FAILURES = 3
COMMAND_TIMEOUT = 300.0  # seconds: RFC 5321 section 4.5.3.2.7 requires at least 5 minutes
AUTH_MECHANISMS = ("LOGIN", "PLAIN")
_connection_ids = itertools.count(1)
DECLARED_SIZE = re.compile(r"(?:^|\s)SIZE=(\d{1,20})(?:\s|$)", re.IGNORECASE)


def quiet_aiosmtpd_log() -> None:
    """Raise aiosmtpd's `mail.log` logger to ERROR unless a level was configured for it.

    aiosmtpd logs every command line at INFO and names unknown commands at WARNING; a
    client that sends its password where a command is expected would put it in the log.
    """
    aiosmtpd_log = logging.getLogger("mail.log")
    if aiosmtpd_log.level == logging.NOTSET:
        aiosmtpd_log.setLevel(logging.ERROR)


def has_control_characters(text: str) -> bool:
    """Tell whether `text` contains a C0 control character or DEL (NUL, CR, LF, ...)."""
    return any(ord(character) < 32 or ord(character) == 127 for character in text)


class ApplianceSession(Session):
    """aiosmtpd's session, plus what the appliance logs and traces."""

    def __init__(self, loop: asyncio.AbstractEventLoop, connection_id: int, listener: str):
        super().__init__(loop)
        self.connection_id = connection_id
        self.listener = listener
        self.tls: str | None = None  # e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"

    # aiosmtpd sets login_data after every AUTH and logs a deprecation warning each time.
    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value

    @property
    def peer_ip(self) -> str:
        peer = self.peer
        return str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"


class ApplianceSMTP(SMTP):
    """One SMTP connection on one listener."""

    line_length_limit = STREAM_LIMIT
    command_size_limit = MAX_COMMAND_LINE
    # The prompts most clients expect for AUTH LOGIN (draft-murchison-sasl-login).
    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"

    def __init__(
        self,
        handler: Any,
        *,
        listener: str,
        hostname: str,
        max_size: int,
        tls_context: Any,
        require_starttls: bool,
        offers_auth: bool,
        timeout: float,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(
            handler,
            data_size_limit=max_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=hostname,
            ident="ESMTP",
            tls_context=tls_context,
            require_starttls=require_starttls,
            timeout=timeout,
            auth_required=offers_auth,
            auth_require_tls=True,
            auth_exclude_mechanism=() if offers_auth else AUTH_MECHANISMS,
            loop=loop,
        )
        # aiosmtpd keeps these limits in a dict shared by all connections and grows it on
        # every EHLO; a fixed per-connection dict keeps the limit where we set it.
        self.command_size_limits = defaultdict(lambda: MAX_COMMAND_LINE)
        self.listener = listener
        self.max_size = max_size
        self.offers_auth = offers_auth
        self.connection_id = next(_connection_ids)
        self.errors = 0
        self.auth_failures = 0
        self.greeted = False
        self.last_reply = ""
        self._smtp_methods = {
            name: self._logged(name, method) for name, method in self._smtp_methods.items()
        }

    # Connection life

    def _create_session(self) -> ApplianceSession:
        return ApplianceSession(self.loop, self.connection_id, self.listener)

    # Methods, not properties: aiosmtpd reads every attribute with inspect.getmembers in
    # __init__, before a session or envelope exists.
    def current_session(self) -> ApplianceSession:
        assert isinstance(self.session, ApplianceSession)
        return self.session

    def current_envelope(self) -> Envelope:
        assert self.envelope is not None
        return self.envelope

    def _cancel_command_loop(self) -> None:
        if self._handler_coroutine is not None:
            self._handler_coroutine.cancel()

    def _reset_state(self) -> None:
        """Start a new mail transaction (RFC 5321 section 4.1.4)."""
        self.envelope = self._create_envelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        after_starttls = self._original_transport is not None
        super().connection_made(transport)
        session = self.current_session()
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            session.tls = f"{ssl_object.version()} {ssl_object.cipher()[0]}"
            if not after_starttls:
                # Implicit TLS: aiosmtpd only counts STARTTLS as encryption for AUTH.
                self._auth_require_tls = False
        if after_starttls:
            log.info("starttls conn=%d tls=%s", self.connection_id, session.tls)
            return
        record_connection(self.listener, opened=True)
        log.info(
            "connect conn=%d listener=%s peer=%s",
            self.connection_id,
            self.listener,
            session.peer,
        )
        if self._handler_coroutine is not None:
            self._handler_coroutine.add_done_callback(_retrieve_outcome)

    def connection_lost(self, error: Exception | None) -> None:
        log.info("disconnect conn=%d errors=%d", self.connection_id, self.errors)
        record_connection(self.listener, opened=False)
        super().connection_lost(error)

    def _timeout_cb(self) -> None:
        log.info("timeout conn=%d", self.connection_id)
        if isinstance(self.transport, asyncio.WriteTransport):
            self.transport.write(replies.TIMEOUT.encode() + b"\r\n")
        super()._timeout_cb()  # type: ignore[no-untyped-call]

    def tls_active(self) -> bool:
        return (
            self.transport is not None and self.transport.get_extra_info("ssl_object") is not None
        )

    # Replies

    async def push(self, status: str | bytes, *, exact: bool = False) -> None:
        """Send one reply line; add its enhanced code unless `exact` (greeting, EHLO).

        The text is folded to ASCII (RFC 5321 section 4.2), whatever its source.
        """
        text = status.decode("utf-8", "replace") if isinstance(status, bytes) else status
        text = replies.ascii_text(text)
        if not self.greeted:
            self.greeted = exact = True
        if not exact:
            text = replies.with_enhanced_code(text)
        wire_log.debug("conn=%d S: %s", self.connection_id, text)
        self.last_reply = text
        await super().push(text)
        if replies.is_error(text) and not text.startswith("421"):
            await self._count_error(text)

    async def _count_error(self, reply: str) -> None:
        self.errors += 1
        if reply.startswith("535"):
            self.auth_failures += 1
        if self.errors >= MAX_ERRORS:
            await self._close_with(replies.TOO_MANY_ERRORS)
        elif self.auth_failures >= MAX_AUTH_FAILURES:
            await self._close_with("421 4.7.0 Too many failed authentication attempts")

    async def _close_with(self, reply: str) -> None:
        log.info("closing conn=%d reply=%r", self.connection_id, reply)
        await self.push(reply, exact=True)
        if self.transport is not None:
            self.transport.close()
        # The next await in the command loop ends it, so nothing buffered is processed.
        self._cancel_command_loop()

    async def handle_exception(self, error: Exception) -> str:
        """Log an unexpected failure with its traceback and return a generic 451 reply."""
        if isinstance(error, TLSSetupException):
            log.info("TLS handshake failed conn=%d: %r", self.connection_id, error.__cause__)
            return "454 4.7.0 TLS handshake failed"
        log.exception("unexpected error conn=%d", self.connection_id)
        return replies.SERVER_ERROR

    # Wire log

    def _logged(
        self, name: str, method: Callable[[str | None], Awaitable[None]]
    ) -> Callable[[str | None], Awaitable[None]]:
        @functools.wraps(method)
        async def logged(arg: str | None) -> None:
            logged_arg = arg
            if name == "AUTH" and arg:
                # The initial response of AUTH PLAIN carries the password.
                mechanism, _, initial = arg.partition(" ")
                logged_arg = f"{mechanism} ********" if initial else mechanism
            wire_log.debug(
                "conn=%d C: %s%s", self.connection_id, name, f" {logged_arg}" if logged_arg else ""
            )
            started = time.monotonic()
            await method(arg)
            ok = not replies.is_error(self.last_reply)
            record_command("smtp", name, ok, time.monotonic() - started)

        return logged

    # Commands whose aiosmtpd version does not fit

    @syntax("HELO hostname")
    async def smtp_HELO(self, hostname: str | None) -> None:
        """RFC 5321 section 4.1.1.1."""
        if not hostname or has_control_characters(hostname):
            await self.push(replies.BAD_HELO if hostname else "501 5.5.4 Syntax: HELO hostname")
            return
        self._reset_state()
        self.current_session().extended_smtp = False
        self.current_session().host_name = hostname
        await self.push(f"250 {self.hostname}", exact=True)

    @syntax("EHLO hostname")
    async def smtp_EHLO(self, hostname: str | None) -> None:
        """RFC 5321 section 4.1.1.1: list only the extensions this server implements."""
        if not hostname or has_control_characters(hostname):
            await self.push(replies.BAD_HELO if hostname else "501 5.5.4 Syntax: EHLO hostname")
            return
        self._reset_state()
        self.current_session().extended_smtp = True
        self.current_session().host_name = hostname
        lines = [
            self.hostname,
            "PIPELINING",
            f"SIZE {self.data_size_limit}",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
        ]
        if self.tls_context and not self._tls_protocol:
            lines.append("STARTTLS")
        if self.offers_auth and self.tls_active():
            lines.append("AUTH " + " ".join(sorted(self._auth_methods)))
        for index, line in enumerate(lines):
            separator = " " if index == len(lines) - 1 else "-"
            await self.push(f"250{separator}{line}", exact=True)

    @syntax("AUTH <mechanism>", when="offers_auth")
    async def smtp_AUTH(self, arg: str | None) -> None:
        """RFC 4954: only where offered, and not inside a mail transaction."""
        if not self.offers_auth:
            await self.push(replies.AUTH_NOT_OFFERED)
            return
        if self.current_envelope().mail_from:
            await self.push("503 5.5.1 AUTH not permitted during a mail transaction")
            return
        await super().smtp_AUTH(arg)

    @syntax("VRFY <address>")
    async def smtp_VRFY(self, arg: str | None) -> None:
        """RFC 5321 section 3.5.3: never tell which addresses exist."""
        await self.push(replies.VRFY_UNSUPPORTED if arg else "501 5.5.4 Syntax: VRFY <address>")

    async def smtp_EXPN(self, arg: str | None) -> None:
        """RFC 5321 section 3.5.3: mailing lists are not expanded for clients."""
        await self.push(replies.EXPN_UNSUPPORTED)

    @syntax("MAIL FROM: <address>", extended=" [SP <mail-parameters>]")
    async def smtp_MAIL(self, arg: str | None) -> None:
        """RFC 1870 section 6.1: a declared SIZE over the limit is refused before any data."""
        await super().smtp_MAIL(arg)
        if self.last_reply == replies.TOO_BIG:
            declared = DECLARED_SIZE.search(arg or "")
            await self._size_refused("MAIL", int(declared.group(1)) if declared else 0)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str | None) -> None:
        """RFC 5321 section 4.1.1.4, with the checks described in `smtp.data`."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if not self.current_envelope().rcpt_tos:
            await self.push(replies.NEED_RCPT)
            return
        if arg:
            await self.push(replies.DATA_SYNTAX)
            return
        await self.push(replies.DATA_START)
        try:
            result = await DataReader(self.max_size).read(self._reader, self._reset_timeout)
        except asyncio.IncompleteReadError:
            raise ConnectionResetError("connection closed during DATA") from None
        if result.rejection is not None:
            log.info(
                "rejected conn=%d stage=DATA size=%d reply=%r",
                self.connection_id,
                result.size,
                result.rejection,
            )
            self._reset_state()
            await self.push(result.rejection)
            if result.rejection == replies.TOO_BIG:
                await self._size_refused("DATA", result.size)
            return
        envelope = self.current_envelope()
        envelope.content = envelope.original_content = result.content
        status = await self._call_handler_hook("DATA")
        self._reset_state()
        await self.push(status)

    async def _size_refused(self, stage: str, size: int) -> None:
        """Audit a message refused for its size before the core saw it."""
        await self.event_handler.size_refused(self.current_session(), stage, size)


def _retrieve_outcome(task: asyncio.Task[None]) -> None:
    """Mark the command loop's outcome as seen: a reset connection is no error to report."""
    if not task.cancelled():
        task.exception()
