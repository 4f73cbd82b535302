"""Virus scanning of every delivered message with clamd, over its UNIX socket.

The client speaks clamd's INSTREAM command (clamd(8), "INSTREAM"): the command name with a
`z` prefix and a NUL terminator, then the message in chunks that each start with their
length as a 4-byte big-endian integer, then a zero-length chunk. clamd replies with one line:
`stream: OK`, `stream: <signature> FOUND` or `<reason> ERROR`.

An infected message is either rejected (SMTP 554 5.7.1, the `reject` action) or stored in
the Junk folder of its local recipients with an `X-Virus-Found` header (`quarantine`);
a quarantined message is never forwarded nor sent to other domains.
When clamd cannot be reached the delivery fails with a temporary error, so the sender
retries later: mail is never accepted unscanned while scanning is configured.
"""

from __future__ import annotations

import asyncio
import logging
import re
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.config import Settings
from appliance.errors import MailboxNotFound, ScanFailed, VirusFound
from appliance.metrics import REFUSALS
from appliance.models import Account
from appliance.store.mailstore import MailStore

log = logging.getLogger("appliance.antivirus")
CHUNK_BYTES = 64 * 1024
SCAN_TIMEOUT = 120.0  # seconds for one message, from connect to verdict
ACTIONS = ("reject", "quarantine")


@dataclass(frozen=True)
class Verdict:
    infected: bool
    signature: str = ""  # clamd's name of what it found, e.g. "Eicar-Signature"


def parse_reply(reply: bytes) -> Verdict:
    """Parse clamd's reply to INSTREAM; raise ScanFailed for anything but OK or FOUND."""
    text = reply.rstrip(b"\0\n").decode("utf-8", "replace")
    if text == "stream: OK":
        return Verdict(False)
    if text.startswith("stream: ") and text.endswith(" FOUND"):
        name = text.removeprefix("stream: ").removesuffix(" FOUND")
        # The name goes into an SMTP reply and a header, so only printable ASCII is kept.
        return Verdict(True, re.sub(r"[^\x21-\x7e]", "?", name))
    raise ScanFailed(f"clamd replied {text!r}")


class ClamdClient:
    """A clamd connection per scan, on the UNIX socket at `socket_path`."""

    def __init__(self, socket_path: str, timeout: float = SCAN_TIMEOUT) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    async def scan(self, data: bytes) -> Verdict:
        try:
            return await asyncio.wait_for(self._scan(data), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            raise ScanFailed(f"clamd at {self.socket_path} failed: {error!r}") from error

    async def _scan(self, data: bytes) -> Verdict:
        reader, writer = await asyncio.open_unix_connection(self.socket_path)
        try:
            writer.write(b"zINSTREAM\0")
            view = memoryview(data)
            for start in range(0, len(view), CHUNK_BYTES):
                chunk = view[start : start + CHUNK_BYTES]
                writer.write(struct.pack(">I", len(chunk)))
                writer.write(chunk)
                await writer.drain()
            writer.write(struct.pack(">I", 0))
            await writer.drain()
            reply = await reader.readuntil(b"\0")
        finally:
            writer.close()
        return parse_reply(reply)

    async def ping(self) -> bool:
        """Return whether clamd replies PONG to PING."""
        reader, writer = await asyncio.open_unix_connection(self.socket_path)
        try:
            writer.write(b"zPING\0")
            await writer.drain()
            return await reader.readuntil(b"\0") == b"PONG\0"
        finally:
            writer.close()


class Antivirus:
    """The scan that delivery runs on each message, and what it does with infected mail."""

    def __init__(
        self,
        client: ClamdClient,
        action: str,
        store: MailStore,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"antivirus_action = {action!r} is invalid: use reject or quarantine")
        self.client = client
        self.action = action
        self.store = store
        self.sessions = sessions

    @classmethod
    def from_settings(
        cls, settings: Settings, store: MailStore, sessions: async_sessionmaker[AsyncSession]
    ) -> Antivirus | None:
        if not settings.clamd_socket:
            return None
        return cls(ClamdClient(settings.clamd_socket), settings.antivirus_action, store, sessions)

    async def quarantined(
        self, raw: bytes, recipients: Sequence[str], is_local: Callable[[str], bool]
    ) -> bool:
        """Scan `raw`; return False when it is clean and should be delivered as usual.

        An infected message raises VirusFound (reject), or is stored marked in the Junk
        folder of each local recipient, bypassing forwarding and the outbound queue, and
        True is returned (quarantine).
        """
        verdict = await self.client.scan(raw)
        if not verdict.infected:
            return False
        REFUSALS.labels(rule="virus", service="delivery").inc()
        local = sorted({address.lower() for address in recipients if is_local(address)})
        async with self.sessions() as session:
            accounts = list(
                await session.scalars(select(Account).where(Account.address.in_(local)))
            )
        if self.action == "reject" or not accounts:
            log.info("virus rejected signature=%s size=%d", verdict.signature, len(raw))
            raise VirusFound(verdict.signature)
        marked = f"X-Virus-Found: {verdict.signature} (quarantined)\r\n".encode() + raw
        for account in accounts:
            try:
                await self.store.append(account.id, "Junk", marked)
            except MailboxNotFound:  # the owner deleted Junk: the copy still reaches them
                await self.store.append(account.id, "INBOX", marked)
        log.info(
            "virus quarantined signature=%s size=%d local=%d dropped=%d",
            verdict.signature,
            len(raw),
            len(accounts),
            len(recipients) - len(accounts),
        )
        return True
