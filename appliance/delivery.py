"""Delivery of an accepted message: into local INBOXes, and into the outbound queue.

One blob is written per message whatever the number of recipients; every local
recipient gets a row that references it, every foreign recipient a queue entry. All of it
commits in one transaction, so the message is either stored for every recipient or for
none, and SMTP may answer 250 only after `deliver` returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.clock import Clock
from appliance.config import Settings
from appliance.errors import MessageTooLarge, OverQuota, RelayDenied, UnknownRecipient
from appliance.models import Account, OutboundMessage
from appliance.store import folders, messages
from appliance.store.mailstore import MailStore
from appliance.store.writer import Transaction

log = logging.getLogger("appliance.delivery")


def split_address(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


class Delivery:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        store: MailStore,
        clock: Clock,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.clock = clock
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def drain(self) -> None:
        """Wait until every delivery already started has committed or failed."""
        await self._idle.wait()

    def is_local(self, address: str) -> bool:
        return self.settings.is_local_domain(split_address(address)[1])

    async def check_recipient(self, address: str, *, may_relay: bool) -> None:
        """Raise unless mail for `address` may be accepted (called at SMTP RCPT TO).

        A local address must have an active or locked account (a locked account still
        receives mail) whose mailbox is not already full; a foreign one needs `may_relay`.
        """
        if not self.is_local(address):
            if not may_relay:
                raise RelayDenied(f"Relaying to {address} denied")
            return
        async with self.sessions() as session:
            account = await session.scalar(
                select(Account).where(Account.address == address.lower())
            )
        if account is None or account.state == "revoked":
            raise UnknownRecipient(f"No mailbox here has the address {address}")
        if account.used_bytes >= account.quota_bytes:
            raise OverQuota(f"Mailbox {address} is full")

    async def deliver(
        self,
        raw: bytes,
        mail_from: str,
        recipients: Sequence[str],
        *,
        internal_date: datetime | None = None,
    ) -> None:
        """Store `raw` for every recipient; return only once it is durable."""
        self._in_flight += 1
        self._idle.clear()
        try:
            await self._deliver(raw, mail_from, recipients, internal_date)
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _deliver(
        self,
        raw: bytes,
        mail_from: str,
        recipients: Sequence[str],
        internal_date: datetime | None,
    ) -> None:
        if len(raw) > self.settings.max_message_size:
            raise MessageTooLarge()
        local = sorted({r.lower() for r in recipients if self.is_local(r)})
        foreign = [r for r in dict.fromkeys(recipients) if not self.is_local(r)]
        structure = self.store.parse(raw) if local else ""
        blob_key = await self.store.blobs.put(raw)
        now = self.clock.now()
        date = internal_date or now
        hub = self.store.hub

        async def write(tx: Transaction) -> None:
            for address in local:
                account = await tx.session.scalar(select(Account).where(Account.address == address))
                if account is None or account.state == "revoked":
                    raise UnknownRecipient(f"No mailbox here has the address {address}")
                inbox = await folders.find(tx.session, account.id, "INBOX")
                await messages.insert(
                    tx.session,
                    account,
                    inbox,
                    blob_key=blob_key,
                    size=len(raw),
                    structure=structure,
                    flags=(),
                    internal_date=date,
                )
                tx.after_commit(partial(hub.publish, inbox.id))
            for address in foreign:
                tx.session.add(
                    OutboundMessage(
                        blob_key=blob_key,
                        mail_from=mail_from,
                        rcpt_to=address,
                        created_at=now,
                        next_attempt_at=now,
                        attempts=0,
                        state="queued",
                        last_error="",
                    )
                )

        await self.store.writer.run(write)
        log.info(
            "delivered size=%d local=%d queued=%d blob=%s",
            len(raw),
            len(local),
            len(foreign),
            blob_key,
        )
