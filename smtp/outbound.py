"""The outbound SMTP client: the transport the core's queue runner sends through.

For one destination domain, `SmtpTransport.send` opens one connection (the first server
of `smtp.routing` that answers) and sends every envelope of the batch over it, with RSET
after a failed transaction (RFC 5321 section 4.1.1.5). STARTTLS is used whenever the server
offers it (RFC 3207); for a domain whose TLS policy is `required` a server without it is
skipped, and the mail is deferred with the reason when no server offers it. Certificates
are not verified: opportunistic TLS (RFC 7435) protects against passive listening only.

Each recipient's outcome becomes a `RecipientResult`: the server's reply code for a
refused or accepted recipient, or code 0 (temporary) when no server could be reached or
the connection broke. Every message is DKIM-signed once, just before it is sent, after a
Return-Path header field left from local delivery is removed (RFC 5321 section 4.4: a
message in transit must not carry one).
"""

from __future__ import annotations

import logging
import re
import ssl
from dataclasses import dataclass

import aiosmtplib
from aiosmtplib import SMTPException, SMTPResponseException

from appliance.config import Settings
from appliance.outbound.transport import Envelope, RecipientResult
from smtp.dkim_sign import DkimSigner
from smtp.resolver import Resolver, normalize
from smtp.routing import SMTP_PORT, Hop, RouteFailure, Router

log = logging.getLogger("smtp.outbound")

CONNECT_SECONDS = 30.0
# RFC 5321 section 4.5.3.2 asks for at least 5 minutes for most replies, 10 after the data.
COMMAND_SECONDS = 300.0
POLICIES = ("opportunistic", "required")
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\s+")
_RETURN_PATH = re.compile(rb"\A(?:return-path:[^\r\n]*\r\n(?:[ \t][^\r\n]*\r\n)*)+", re.IGNORECASE)


class ConnectionFailed(Exception):
    """No server of the destination could be used; the message says why."""


def parse_tls_policy(entries: tuple[str, ...]) -> dict[str, str]:
    """Parse `tls_policy` entries "domain:required" or "domain:opportunistic"."""
    policy = {}
    for entry in entries:
        domain, _, mode = entry.rpartition(":")
        mode = mode.strip().lower()
        if not domain.strip() or mode not in POLICIES:
            raise ValueError(
                f"tls_policy entry {entry!r} is not domain:required or domain:opportunistic"
            )
        policy[normalize(domain.strip())] = mode
    return policy


def client_tls_context() -> ssl.SSLContext:
    """Return the context for STARTTLS to other servers: TLS 1.2 or newer, no verification."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def strip_return_path(raw: bytes) -> bytes:
    """Remove Return-Path fields at the top of `raw`, which local delivery prepends."""
    return _RETURN_PATH.sub(b"", raw, count=1)


def split_reply(code: int, message: str) -> tuple[str, str]:
    """Return the enhanced status code of a reply (or a default for its class) and its text."""
    match = _ENHANCED.match(message)
    if match:
        return match.group(0).strip(), message[match.end() :].strip()
    return f"{str(code)[:1]}.0.0", message.strip()


@dataclass
class Connection:
    """An open client connection to one server."""

    client: aiosmtplib.SMTP
    hop: Hop
    tls: bool


class SmtpTransport:
    """Sends queued mail to other domains over SMTP (the core's `Transport`)."""

    def __init__(
        self,
        settings: Settings,
        resolver: Resolver,
        *,
        port: int = SMTP_PORT,
        signer: DkimSigner | None = None,
        command_seconds: float = COMMAND_SECONDS,
    ) -> None:
        self.settings = settings
        self.router = Router(settings, resolver, port)
        self.policy = parse_tls_policy(settings.tls_policy)
        self.signer = signer
        self.command_seconds = command_seconds
        self.tls_context = client_tls_context()
        self.connections_opened = 0

    def tls_required(self, domain: str) -> bool:
        if self.settings.smarthost and self.settings.smarthost_user:
            return True  # AUTH at the smarthost sends a password: never in clear
        return self.policy.get(normalize(domain)) == "required"

    async def send(self, domain: str, envelopes: list[Envelope]) -> list[list[RecipientResult]]:
        """Deliver `envelopes` for `domain` on one connection; remote failures become results."""
        try:
            hops = await self.router.hops(domain)
        except RouteFailure as route_failure:
            log.info("outbound domain=%s route failed: %s", domain, route_failure)
            code, enhanced, text = route_failure.code, route_failure.enhanced, route_failure.text
            return [_all(envelope, code, enhanced, text) for envelope in envelopes]
        results: list[list[RecipientResult]] = []
        connection: Connection | None = None
        failure: ConnectionFailed | None = None
        for envelope in envelopes:
            if connection is None and failure is None:
                try:
                    connection = await self._connect(hops, domain)
                except ConnectionFailed as connect_failure:
                    failure = connect_failure
            if connection is None:
                results.append(_all(envelope, 0, "4.4.1", str(failure)))
                continue
            outcome, keep_open = await self._transaction(connection, envelope)
            results.append(outcome)
            if not keep_open:
                connection.client.close()
                connection = None
        if connection is not None:
            await _quit(connection.client)
        return results

    async def _connect(self, hops: list[Hop], domain: str) -> Connection:
        """Open a connection to the first usable server, in the order given."""
        required = self.tls_required(domain)
        reason = f"no server to try for {domain}"
        for hop in hops:
            for use_tls in (True, False):
                try:
                    return await self._open(hop, domain, required, use_tls)
                except ssl.SSLError as error:
                    reason = f"TLS with {hop.host} [{hop.address}] failed: {error}"
                    if required:
                        break  # RFC 7435: retrying in clear is for opportunistic TLS only
                except ConnectionFailed as error:
                    reason = str(error)
                    break
        log.info("outbound domain=%s deferred: %s", domain, reason)
        raise ConnectionFailed(reason)

    async def _open(self, hop: Hop, domain: str, required: bool, use_tls: bool) -> Connection:
        client = aiosmtplib.SMTP(
            hostname=hop.address,
            port=hop.port,
            local_hostname=self.settings.hostname,
            timeout=self.command_seconds,
            start_tls=False,
            validate_certs=False,
        )
        where = f"{hop.host} [{hop.address}]:{hop.port}"
        try:
            await client.connect(timeout=CONNECT_SECONDS)
            self.connections_opened += 1
            await _greet(client)
            offered = client.supports_extension("starttls")
            if required and not offered:
                await _quit(client)
                raise ConnectionFailed(
                    f"TLS is required for {domain}, but {where} did not offer STARTTLS"
                )
            tls = use_tls and offered
            if tls:
                await client.starttls(server_hostname=hop.host, tls_context=self.tls_context)
                await _greet(client)
            if self.settings.smarthost and self.settings.smarthost_user:
                await client.login(self.settings.smarthost_user, self.settings.smarthost_password)
        except ssl.SSLError:
            client.close()
            raise
        except SMTPResponseException as error:
            client.close()
            raise ConnectionFailed(f"{where} answered {error.code} {error.message}") from None
        except (SMTPException, OSError) as error:
            client.close()
            cause = error.__cause__ if isinstance(error.__cause__, ssl.SSLError) else None
            if cause is not None:
                raise cause from None
            raise ConnectionFailed(f"connection to {where} failed: {error}") from None
        log.info("outbound connected domain=%s host=%s tls=%s", domain, where, tls)
        return Connection(client, hop, tls)

    async def _transaction(
        self, connection: Connection, envelope: Envelope
    ) -> tuple[list[RecipientResult], bool]:
        """Send one envelope; return its results and whether the connection is still usable."""
        client, host = connection.client, connection.hop.host
        raw = self.prepare(envelope.raw)
        needs_utf8 = not envelope.mail_from.isascii() or not all(
            r.isascii() for r in envelope.recipients
        )
        if needs_utf8 and not client.supports_extension("smtputf8"):
            text = f"{host} does not support SMTPUTF8, needed for a non-ASCII address"
            return _all(envelope, 550, "5.6.7", text, host), True
        options = _mail_options(client, raw, needs_utf8)
        encoding = "utf-8" if needs_utf8 else "ascii"
        replies: dict[str, tuple[int, str]] = {}
        try:
            try:
                await client.mail(envelope.mail_from, options=options, encoding=encoding)
            except SMTPResponseException as error:
                await _reset(client, error.code)
                return _all(
                    envelope, error.code, *split_reply(error.code, error.message), host
                ), error.code != 421
            accepted = []
            for recipient in envelope.recipients:
                try:
                    await client.rcpt(recipient, encoding=encoding)
                    accepted.append(recipient)
                except SMTPResponseException as error:
                    replies[recipient] = (error.code, error.message)
            if accepted:
                try:
                    response = await client.data(raw)
                    reply = (response.code, response.message)
                except SMTPResponseException as error:
                    reply = (error.code, error.message)
                replies.update(dict.fromkeys(accepted, reply))
            else:
                await _reset(client, 550)
        except (SMTPException, OSError) as error:
            text = f"connection to {host} lost: {error}"
            return [_result(r, replies.get(r), host, text) for r in envelope.recipients], False
        results = [_result(r, replies.get(r), host, "") for r in envelope.recipients]
        for result in results:
            log.info(
                "outbound host=%s from=<%s> to=<%s> reply=%r",
                host,
                envelope.mail_from,
                result.recipient,
                f"{result.code} {result.enhanced} {result.text}",
            )
        return results, all(code != 421 for code, _text in replies.values())

    def prepare(self, raw: bytes) -> bytes:
        """Return the bytes to send: Return-Path removed, DKIM signature added, CRLF ended."""
        raw = strip_return_path(raw)
        if not raw.endswith(b"\r\n"):
            raw += b"\r\n"
        return self.signer.sign(raw) if self.signer is not None else raw


def _mail_options(client: aiosmtplib.SMTP, raw: bytes, needs_utf8: bool) -> list[str]:
    options = []
    if client.supports_extension("size"):
        options.append(f"SIZE={len(raw)}")
    if not raw.isascii() and client.supports_extension("8bitmime"):
        options.append("BODY=8BITMIME")
    if needs_utf8:
        options.append("SMTPUTF8")
    return options


def _all(
    envelope: Envelope, code: int, enhanced: str, text: str, host: str = ""
) -> list[RecipientResult]:
    return [
        RecipientResult(recipient, code, enhanced, text, host) for recipient in envelope.recipients
    ]


def _result(recipient: str, reply: tuple[int, str] | None, host: str, lost: str) -> RecipientResult:
    if reply is None:
        return RecipientResult(recipient, 0, "4.4.2", lost or "no reply", host)
    code, message = reply
    enhanced, text = split_reply(code, message)
    return RecipientResult(recipient, code, enhanced, text, host)


async def _greet(client: aiosmtplib.SMTP) -> None:
    """Send EHLO, or HELO when the server rejects EHLO (RFC 5321 section 3.2)."""
    try:
        await client.ehlo()
    except SMTPResponseException as error:
        if error.code == 421:
            raise
        await client.helo()


async def _reset(client: aiosmtplib.SMTP, code: int) -> None:
    if code != 421:
        await client.rset()


async def _quit(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (SMTPException, OSError):
        client.close()
