"""What each listener does with an envelope: the MX policy and the submission policy.

These are aiosmtpd handlers: `handle_MAIL`, `handle_RCPT` and `handle_DATA` run after the
protocol has parsed a command and return the reply. The rules themselves (who may send,
which recipients exist, where a message goes) belong to the core. A handler calls the core
and turns its errors into their SMTP replies.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Sequence
from typing import Any

from aiosmtpd.smtp import Envelope

from appliance.core import Core
from appliance.errors import ApplianceError
from appliance.metrics import record_refusal
from appliance.store.types import AccountInfo
from smtp import replies
from smtp.auth import PasswordMechanisms
from smtp.mx_policy import Inspection, MXPolicy
from smtp.protocol import ApplianceSession, has_control_characters
from smtp.resolver import Resolver
from smtp.trace import protocol_name, received_header

log = logging.getLogger("smtp")

# RFC 5321 section 4.5.3.1.8 requires accepting at least 100; Postfix's default is 1000.
MAX_RECIPIENTS = 1000


def address_problem(address: str, smtputf8: bool) -> str | None:
    """Return the rejection reply an envelope address earns, if any."""
    if has_control_characters(address):
        return replies.BAD_ADDRESS
    if not smtputf8 and not address.isascii():
        return replies.NEED_SMTPUTF8
    return None


def new_queue_id() -> str:
    return secrets.token_hex(6).upper()


class Handler:
    """Checks and delivery common to every listener; subclasses supply the policy."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._deliveries: set[asyncio.Task[str]] = set()

    async def check_sender(self, session: ApplianceSession, address: str) -> None:
        """Raise an ApplianceError if `address` may not be the reverse-path."""

    async def check_recipient(self, session: ApplianceSession, address: str) -> None:
        raise NotImplementedError

    async def size_refused(self, session: ApplianceSession, stage: str, size: int) -> None:
        """Record a message refused for its size at MAIL (declared SIZE=) or during DATA."""
        account = session.auth_data
        await self.core.audit.refused(
            "message_size",
            service="smtp",
            account=account.address if isinstance(account, AccountInfo) else "",
            client=session.peer_ip,
            detail=f"{stage} size={size}",
        )

    async def inspect(
        self, session: ApplianceSession, mail_from: str, content: bytes
    ) -> Inspection:
        """Decide on a received message: fields to prepend, the folder, or a rejection."""
        return Inspection(content=content)

    async def store(
        self,
        session: ApplianceSession,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        folder: str,
    ) -> None:
        """Hand the message to the core; return once it is durable."""
        raise NotImplementedError

    async def handle_MAIL(
        self,
        server: Any,
        session: ApplianceSession,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """RFC 5321 section 4.1.1.2 (aiosmtpd has checked the syntax and SIZE)."""
        problem = address_problem(address, envelope.smtp_utf8)
        if problem is None:
            try:
                await self.check_sender(session, address)
            except ApplianceError as error:
                problem = replies.of_error(error)
        if problem is not None:
            return self._reject(session, "MAIL", address, problem)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return replies.SENDER_OK

    async def handle_RCPT(
        self,
        server: Any,
        session: ApplianceSession,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """RFC 5321 section 4.1.1.3."""
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return self._reject(session, "RCPT", address, replies.TOO_MANY_RECIPIENTS)
        problem = address_problem(address, envelope.smtp_utf8)
        if problem is None:
            address = self._qualify(address)
            try:
                await self.check_recipient(session, address)
            except ApplianceError as error:
                problem = replies.of_error(error)
        if problem is not None:
            return self._reject(session, "RCPT", address, problem)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return replies.RECIPIENT_OK

    def _qualify(self, address: str) -> str:
        """Return `address`, with the bare "postmaster" of RFC 5321 section 4.5.1 qualified."""
        if address.lower() == "postmaster":
            return f"postmaster@{self.core.settings.domain}"
        return address

    async def handle_DATA(self, server: Any, session: ApplianceSession, envelope: Envelope) -> str:
        """Prepend the trace fields and deliver; the 250 comes only once it is durable.

        The delivery runs in its own task, shielded: once the data is in, a client that
        hangs up does not cancel a delivery half-way.
        """
        queue_id = new_queue_id()
        mail_from = "" if envelope.mail_from == "<>" else str(envelope.mail_from)
        try:
            inspection = await self.inspect(session, mail_from, envelope.original_content or b"")
        except Exception:
            log.exception("checks failed conn=%d id=%s", session.connection_id, queue_id)
            return replies.SERVER_ERROR
        if inspection.rejection is not None:
            return self._reject(session, "DATA", mail_from, inspection.rejection)
        trace = inspection.prefix + self._trace(session, envelope, queue_id)
        raw = trace + inspection.content
        task = asyncio.ensure_future(
            self._deliver(session, envelope, queue_id, raw, inspection.folder)
        )
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)
        return await asyncio.shield(task)

    def _trace(self, session: ApplianceSession, envelope: Envelope, queue_id: str) -> bytes:
        protocol = protocol_name(
            extended=session.extended_smtp,
            tls=session.tls is not None,
            authenticated=bool(session.authenticated),
            smtputf8=envelope.smtp_utf8,
        )
        return received_header(
            helo=session.host_name,
            peer_ip=session.peer_ip,
            hostname=self.core.settings.hostname,
            protocol=protocol,
            tls=session.tls,
            queue_id=queue_id,
            recipients=envelope.rcpt_tos,
            date=self.core.clock.now(),
        )

    async def _deliver(
        self,
        session: ApplianceSession,
        envelope: Envelope,
        queue_id: str,
        raw: bytes,
        folder: str,
    ) -> str:
        mail_from = "" if envelope.mail_from == "<>" else str(envelope.mail_from)
        try:
            await self.store(session, mail_from, list(envelope.rcpt_tos), raw, folder)
        except ApplianceError as error:
            reply = replies.of_error(error)
            record_refusal("smtp", reply)
        except Exception:
            log.exception("delivery failed conn=%d id=%s", session.connection_id, queue_id)
            reply = replies.SERVER_ERROR
        else:
            reply = f"250 2.0.0 Ok: queued as {queue_id}"
        log.info(
            "message conn=%d id=%s from=<%s> rcpts=%d size=%d reply=%r",
            session.connection_id,
            queue_id,
            mail_from,
            len(envelope.rcpt_tos),
            len(raw),
            reply,
        )
        return reply

    @staticmethod
    def _reject(session: ApplianceSession, stage: str, address: str, reply: str) -> str:
        record_refusal("smtp", reply)
        log.info(
            "rejected conn=%d stage=%s address=<%s> reply=%r",
            session.connection_id,
            stage,
            address,
            reply,
        )
        return reply


class MXHandler(Handler):
    """Inbound mail from other servers: local recipients only, no relaying."""

    def __init__(self, core: Core, resolver: Resolver) -> None:
        super().__init__(core)
        self.policy = MXPolicy(core.settings, resolver)

    async def check_sender(self, session: ApplianceSession, address: str) -> None:
        self.policy.check_sender(session.peer_ip, address)

    async def check_recipient(self, session: ApplianceSession, address: str) -> None:
        await self.core.delivery.check_recipient(address, may_relay=False)

    async def inspect(
        self, session: ApplianceSession, mail_from: str, content: bytes
    ) -> Inspection:
        return await self.policy.inspect(
            session.peer_ip, session.host_name or "", mail_from, content
        )

    async def store(
        self,
        session: ApplianceSession,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        folder: str,
    ) -> None:
        await self.core.delivery.deliver(raw, mail_from, recipients, folder=folder)


class SubmissionHandler(PasswordMechanisms, Handler):
    """Mail from an authenticated account: its own address as sender, any recipient."""

    async def check_sender(self, session: ApplianceSession, address: str) -> None:
        self.core.submission.check_sender(account_of(session), address)

    async def check_recipient(self, session: ApplianceSession, address: str) -> None:
        await self.core.submission.check_recipient(account_of(session), address)

    async def store(
        self,
        session: ApplianceSession,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        folder: str,
    ) -> None:
        await self.core.submission.submit(account_of(session), mail_from, recipients, raw)


def account_of(session: ApplianceSession) -> AccountInfo:
    """Return the account that authenticated on this session (set by `smtp.auth`)."""
    account = session.auth_data
    if not isinstance(account, AccountInfo):
        raise RuntimeError("submission command reached a handler before AUTH")
    return account
