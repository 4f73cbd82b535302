"""The queue runner: sends queued messages, retries, and reports delays and failures.

Temporary failures are retried with a growing pause (5 minutes, doubling, at most 4 hours)
for up to 5 days; a delay notice goes to the sender once after 4 hours, and a bounce for a
permanent failure or at expiry. Each recipient's outcome is committed as soon as its
domain's batch returns. A crash after the remote server's 250 and before that commit
sends the message again on restart: that window, one batch wide, is the duplicate SMTP
itself allows (RFC 5321 6.1 prefers a duplicate to a loss).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.blobs import BlobStore
from appliance.clock import Clock
from appliance.config import Settings
from appliance.delivery import Delivery
from appliance.models import OutboundMessage
from appliance.outbound.dsn import FailedRecipient, build_dsn
from appliance.outbound.transport import Envelope, RecipientResult, Transport
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("appliance.queue")

FIRST_RETRY = timedelta(minutes=5)
MAX_RETRY = timedelta(hours=4)
DELAY_NOTICE_AFTER = timedelta(hours=4)
EXPIRE_AFTER = timedelta(days=5)
EXPIRED_STATUS = "5.4.7"  # RFC 3463: delivery time expired
LOCAL_DIAGNOSTIC = "X-Appliance"  # RFC 3464 diagnostic type of a failure with no remote reply
BATCH = 100  # queue rows taken per run
TICK_SECONDS = 30.0
STOP_GRACE_SECONDS = 10.0  # time a run in progress gets to finish before it is cancelled


def retry_delay(attempts: int) -> timedelta:
    """Return the pause after the given number of failed attempts."""
    return min(MAX_RETRY, FIRST_RETRY * (1 << min(max(attempts - 1, 0), 16)))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


class QueueRunner:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        writer: Writer,
        blobs: BlobStore,
        delivery: Delivery,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.writer = writer
        self.blobs = blobs
        self.delivery = delivery
        self.clock = clock
        self.transport: Transport | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    @property
    def postmaster(self) -> str:
        return f"postmaster@{self.settings.domain}"

    def start(self, transport: Transport) -> None:
        self.transport = transport
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="queue")

    async def stop(self) -> None:
        """Let a run in progress finish (or cancel it after a grace period), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("queue run still busy after %.0f s; cancelling it", STOP_GRACE_SECONDS)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        self._stopping = False

    def wake(self) -> None:
        """Ask for a run now (after new mail is queued, or a retry-now command)."""
        self._wake.set()

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.run_once()
            except Exception:
                log.exception("queue run failed; trying again at the next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS)
            self._wake.clear()

    async def run_once(self) -> int:
        """Send every due entry once; return how many entries were tried."""
        if self.transport is None:
            raise RuntimeError("the queue runner has no transport")
        now = self.clock.now()
        async with self.sessions() as session:
            due = list(
                await session.scalars(
                    select(OutboundMessage)
                    .where(
                        OutboundMessage.state.in_(("queued", "deferred")),
                        OutboundMessage.next_attempt_at <= now,
                    )
                    .order_by(OutboundMessage.id)
                    .limit(BATCH)
                )
            )
        by_domain: dict[str, dict[tuple[str, str], list[OutboundMessage]]] = defaultdict(dict)
        for row in due:
            by_domain[domain_of(row.rcpt_to)].setdefault((row.blob_key, row.mail_from), []).append(
                row
            )
        for domain, groups in by_domain.items():
            if self._stopping:
                break  # the rest stays due and is sent after the restart
            await self._send_domain(domain, groups)
        return len(due)

    async def _send_domain(
        self, domain: str, groups: dict[tuple[str, str], list[OutboundMessage]]
    ) -> None:
        assert self.transport is not None
        envelopes = []
        for (blob_key, mail_from), rows in groups.items():
            raw = await self.blobs.get(blob_key)
            envelopes.append(Envelope(mail_from, tuple(r.rcpt_to for r in rows), raw))
        results = await self.transport.send(domain, envelopes)
        for (envelope, rows), outcome in zip(
            zip(envelopes, groups.values(), strict=True), results, strict=True
        ):
            await self._record(envelope, rows, outcome)

    async def _record(
        self, envelope: Envelope, rows: list[OutboundMessage], results: list[RecipientResult]
    ) -> None:
        now = self.clock.now()
        by_recipient = {result.recipient: result for result in results}
        failed: list[FailedRecipient] = []
        delayed: list[FailedRecipient] = []

        async def write(tx: Transaction) -> None:
            for original in rows:
                row = await tx.session.get_one(OutboundMessage, original.id)
                result = by_recipient.get(row.rcpt_to) or RecipientResult(
                    row.rcpt_to, 0, "4.4.0", "no result from the transport"
                )
                row.attempts += 1
                row.last_error = "" if result.delivered else f"{result.code} {result.text}"[:2000]
                report = FailedRecipient(
                    row.rcpt_to,
                    result.enhanced,
                    _reply(result),
                    result.remote,
                    "smtp" if result.remote else LOCAL_DIAGNOSTIC,
                )
                if result.delivered:
                    row.state = "sent"
                elif result.permanent:
                    row.state = "bounced"
                    failed.append(report)
                elif now - row.created_at >= EXPIRE_AFTER:
                    row.state = "bounced"
                    failed.append(replace(report, status=EXPIRED_STATUS))
                else:
                    row.state = "deferred"
                    row.next_attempt_at = now + retry_delay(row.attempts)
                    if not row.delay_notified and now - row.created_at >= DELAY_NOTICE_AFTER:
                        row.delay_notified = True
                        delayed.append(report)

        await self.writer.run(write)
        arrival = rows[0].created_at
        for action, items in (("failed", failed), ("delayed", delayed)):
            if items and envelope.mail_from:
                await self._notify(envelope, items, action, arrival, now)

    async def _notify(
        self,
        envelope: Envelope,
        items: list[FailedRecipient],
        action: str,
        arrival: datetime,
        now: datetime,
    ) -> None:
        dsn = build_dsn(
            original=envelope.raw,
            sender=envelope.mail_from,
            failed=items,
            action=action,
            hostname=self.settings.hostname,
            postmaster=self.postmaster,
            arrival=arrival,
            now=now,
        )
        try:
            # Return-Path of a local delivery (RFC 5321 4.4); the transport strips it if the
            # notice leaves for another domain.
            await self.delivery.deliver(b"Return-Path: <>\r\n" + dsn, "", [envelope.mail_from])
        except Exception:
            log.exception("could not deliver a %s notice to %s", action, envelope.mail_from)
        log.info("dsn action=%s to=%s recipients=%d", action, envelope.mail_from, len(items))


def _reply(result: RecipientResult) -> str:
    if result.code == 0 or not result.remote:
        return result.text
    return f"{result.code} {result.enhanced} {result.text}".strip()
