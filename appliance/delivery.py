"""Delivery of an accepted message: into local INBOXes, forwards, and the outbound queue.

One blob is written per message, whatever the number of recipients. Every local
recipient gets a row that references it and every foreign recipient a queue entry. All of
it commits in one transaction, so the message is stored for every recipient or for none,
and SMTP may reply 250 only after `deliver` returns.

Forwarding is applied here, once: a forwarded copy gets a `Delivered-To:` header naming
the forwarding mailbox and is not forwarded again, so forwarding never chains or loops
inside the appliance. A message that already carries `Delivered-To:` for a mailbox is not
forwarded by it again but stored there (a loop through another server). A message with
more than `MAX_HOPS` trace headers is refused.

A forwarding target is not a recipient the sender asked for, so a local target that cannot
take the copy (no such account, not receiving, or full) is skipped and logged, and never
fails delivery to the forwarding mailbox. A mailbox left with no target that took the copy
keeps the original even if no rule keeps a copy.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from appliance.antivirus import Antivirus
from appliance.clock import Clock
from appliance.config import Settings
from appliance.errors import (
    MailboxFull,
    MailLoop,
    MessageTooLarge,
    OverQuota,
    RelayDenied,
    UnknownRecipient,
)
from appliance.metrics import DELIVERIES, DELIVERY_SECONDS
from appliance.models import Account, Folder, OutboundMessage
from appliance.recipients import Recipient, accounts, folder_ids, forwarding_rules, resolve
from appliance.store import message_rows as rows
from appliance.store.mailstore import MailStore
from appliance.store.reader import Reader

log = logging.getLogger("appliance.delivery")

MAX_HOPS = 100  # Received and Delivered-To fields: RFC 5321 6.3 recommends at least 100
_TRACE_LINE = re.compile(rb"^(?:received|delivered-to):", re.IGNORECASE | re.MULTILINE)
_DELIVERED_TO = re.compile(rb"^delivered-to:[ \t]*<?([^\r\n>]+)>?", re.IGNORECASE | re.MULTILINE)

# A locked account still receives mail; forwarding, revoked and purged ones do not.
RECEIVING_STATES = frozenset({"active", "locked"})
OUTBOUND = cast(Table, OutboundMessage.__table__)

AfterDelivery = Callable[[list[int]], Awaitable[None]]
AfterQueue = Callable[[], None]


def split_address(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain.lower()


def header_block(raw: bytes) -> bytes:
    """Return the header of a message, up to the first empty line."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            return raw[: end + 2]
    return raw


@dataclass
class Plan:
    """The destinations of one message: local copies, queue entries and forwards."""

    store_original: list[str] = field(default_factory=list)  # local addresses
    queue_original: list[str] = field(default_factory=list)  # foreign addresses
    forwards: dict[str, list[str]] = field(default_factory=dict)  # forwarder -> targets
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (forwarder, dead target)
    # Folder id to store into, by local address, as read before the write (a hint: the
    # write looks the folder up again if it is gone by then).
    folders: dict[str, int | None] = field(default_factory=dict)


class Delivery:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        store: MailStore,
        clock: Clock,
        reader: Reader,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.store = store
        self.clock = clock
        self.reader = reader
        self.after_delivery: list[AfterDelivery] = []  # run in the background, with account ids
        self.after_queue: list[AfterQueue] = []  # called once mail for other domains is queued
        # Called with (rule, address) when a limit refuses a recipient or a message.
        self.on_refusal: Callable[[str, str], Awaitable[None]] | None = None
        # Called with (forwarding mailbox, target) when a local target cannot take a copy.
        self.on_forward_skipped: Callable[[str, str], Awaitable[None]] | None = None
        self.antivirus = Antivirus.from_settings(settings, store, sessions)  # None: no clamd
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._background: set[asyncio.Task[None]] = set()

    async def drain(self) -> None:
        """Wait until every delivery already started has committed or failed."""
        await self._idle.wait()
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def _refused(self, rule: str, address: str) -> None:
        if self.on_refusal is not None:
            await self.on_refusal(rule, address[:300])

    def is_local(self, address: str) -> bool:
        return self.settings.is_local_domain(split_address(address)[1])

    async def check_recipient(self, address: str, *, may_relay: bool) -> None:
        """Raise unless mail for `address` may be accepted (called at SMTP RCPT TO).

        A local address needs an account that is not revoked and whose mailbox is not
        already full. A locked account still receives mail. A foreign address needs
        `may_relay`.
        """
        if not self.is_local(address):
            if not may_relay:
                raise RelayDenied(f"Relaying to {address} denied")
            return
        wanted = address.lower()
        now = self.clock.now()
        found = await self.reader.run(lambda connection: resolve(connection, [wanted], now))
        account = found[wanted]
        if account is None or account.state not in RECEIVING_STATES:
            raise UnknownRecipient(f"No mailbox here has the address {address}")
        if account.used_bytes >= account.quota_bytes:
            await self._refused("quota", account.address)
            raise MailboxFull(f"Mailbox {address} is full")

    async def deliver(
        self,
        raw: bytes,
        mail_from: str,
        recipients: Sequence[str],
        *,
        internal_date: datetime | None = None,
        folder: str = "INBOX",
    ) -> None:
        """Store `raw` for every recipient; return only once it is durable.

        Local copies go to `folder` of each mailbox ("Junk" for mail the checks distrust).
        """
        self._in_flight += 1
        self._idle.clear()
        try:
            if self.antivirus and await self.antivirus.quarantined(raw, recipients, self.is_local):
                return
            with DELIVERY_SECONDS.time():
                await self._deliver(raw, mail_from, recipients, internal_date, folder)
        except OverQuota:
            await self._refused("quota", ",".join(recipients))
            raise
        except MessageTooLarge:
            await self._refused("message_size", ",".join(recipients))
            raise
        except MailLoop:
            await self._refused("hop_limit", ",".join(recipients))
            raise
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
        folder: str,
    ) -> None:
        if len(raw) > self.settings.max_message_size:
            raise MessageTooLarge()
        header = header_block(raw)
        if len(_TRACE_LINE.findall(header)) > MAX_HOPS:
            raise MailLoop()
        plan = await self._plan(header, recipients, folder, len(raw))
        copies: dict[str, bytes] = {
            forwarder: b"Delivered-To: " + forwarder.encode() + b"\r\n" + raw
            for forwarder in plan.forwards
        }
        now = self.clock.now()
        date = internal_date or now
        original_key = await self.store.blobs.put(raw)
        # A forwarder whose every copy fails at write time stores the original after all.
        structure = self.store.parse(raw) if plan.store_original or plan.forwards else ""
        prepared = []
        for forwarder, copy in copies.items():
            local_targets = [t for t in plan.forwards[forwarder] if self.is_local(t)]
            prepared.append(
                (
                    forwarder,
                    await self.store.blobs.put(copy),
                    len(copy),
                    self.store.parse(copy) if local_targets else "",
                )
            )
        original = rows.NewMessage(original_key, len(raw), structure, frozenset(), date)

        late_skips: list[tuple[str, str]] = []

        def write(session: Session) -> list[rows.Slot]:
            connection = session.connection()
            late_skips.clear()
            slots = [
                self._store(connection, plan, address, original, folder)
                for address in plan.store_original
            ]
            self._queue(connection, original_key, mail_from, plan.queue_original, now)
            for forwarder, key, size, copy_structure in prepared:
                copy = rows.NewMessage(key, size, copy_structure, frozenset(), date)
                targets = plan.forwards[forwarder]
                taken = 0
                for target in (t for t in targets if self.is_local(t)):
                    slot = self._store_forwarded(connection, plan, target, copy, folder)
                    if slot is None:
                        late_skips.append((forwarder, target))
                    else:
                        slots.append(slot)
                        taken += 1
                foreign = [t for t in targets if not self.is_local(t)]
                self._queue(connection, key, mail_from, foreign, now)
                if not taken and not foreign and forwarder not in plan.store_original:
                    slots.append(self._store(connection, plan, forwarder, original, folder))
            return slots

        slots = await self.store.writer.run_sync(write, self._publish)
        await self._report_skipped(plan.skipped + late_skips)
        delivered_to = [slot.account_id for slot in slots]
        forwarded = sum(len(targets) for targets in plan.forwards.values())
        DELIVERIES.labels(destination="local").inc(len(plan.store_original))
        DELIVERIES.labels(destination="queued").inc(len(plan.queue_original))
        DELIVERIES.labels(destination="forwarded").inc(forwarded)
        log.info(
            "delivered size=%d local=%d queued=%d forwarded=%d blob=%s",
            len(raw),
            len(plan.store_original),
            len(plan.queue_original),
            forwarded,
            original_key,
        )
        self._run_after_delivery(delivered_to)
        queued = len(plan.queue_original) + sum(
            1 for targets in plan.forwards.values() for t in targets if not self.is_local(t)
        )
        if queued:
            for hook in self.after_queue:
                hook()

    async def _report_skipped(self, skipped: list[tuple[str, str]]) -> None:
        for forwarder, target in skipped:
            log.warning(
                "forwarding target skipped forwarder=%s target=%s reason=cannot receive",
                forwarder,
                target,
            )
            if self.on_forward_skipped is not None:
                await self.on_forward_skipped(forwarder, target)

    async def _plan(self, header: bytes, recipients: Sequence[str], folder: str, size: int) -> Plan:
        local = [r.lower() for r in recipients if self.is_local(r)]
        already = {
            m.strip().lower().decode("ascii", "replace") for m in _DELIVERED_TO.findall(header)
        }
        now = self.clock.now()
        plan = await self.reader.run(
            lambda connection: self._read_plan(connection, local, already, folder, now, size)
        )
        plan.queue_original = [r for r in dict.fromkeys(recipients) if not self.is_local(r)]
        return plan

    def _read_plan(
        self,
        connection: Connection,
        local: list[str],
        already: set[str],
        folder: str,
        now: datetime,
        size: int,
    ) -> Plan:
        """Read who gets the message and into which folder (in a reader thread)."""
        plan = Plan()
        receivers: dict[str, Recipient] = {}
        for address, account in resolve(connection, local, now).items():
            if account is None:
                raise UnknownRecipient(f"No mailbox here has the address {address}")
            receivers[account.address] = account
        addresses = sorted(receivers)
        rules = forwarding_rules(connection, addresses)
        local_targets = {t for fs in rules.values() for t, _keep in fs if self.is_local(t)}
        receivers.update(accounts(connection, local_targets - receivers.keys()))
        direct = set(addresses)
        for address in addresses:
            needed = size + len(f"Delivered-To: {address}\r\n".encode())  # the copy's size
            forwards = rules.get(address, [])
            if not forwards or address in already:
                plan.store_original.append(address)
                continue
            live = []
            covered = False
            for target, _keep in forwards:
                if target in direct and target != address:
                    # The target is a recipient of this message too, so it gets one copy.
                    covered = True
                    continue
                if self.is_local(target) and not _can_take(receivers.get(target), needed):
                    plan.skipped.append((address, target))
                else:
                    live.append(target)
            if live:
                plan.forwards[address] = live
            if (not live and not covered) or any(keep for _target, keep in forwards):
                plan.store_original.append(address)
        account_ids = [account.account_id for account in receivers.values()]
        ids = folder_ids(connection, account_ids, {folder, "INBOX"})
        for address, account in receivers.items():
            # The owner may have deleted that folder (Junk, say): the mail still reaches them.
            plan.folders[address] = ids.get((account.account_id, folder)) or ids.get(
                (account.account_id, "INBOX")
            )
        return plan

    def _store(
        self,
        connection: Connection,
        plan: Plan,
        address: str,
        item: rows.NewMessage,
        folder: str,
    ) -> rows.Slot:
        """Insert one copy for a local address (in the writer's thread)."""
        folder_id = plan.folders.get(address)
        slot = rows.claim_by_id(connection, folder_id, 1) if folder_id else None
        if slot is None:
            slot = self._claim_by_address(connection, address, folder)
        if slot is None:
            raise UnknownRecipient(f"No mailbox here has the address {address}")
        rows.charge(connection, slot.account_id, [item.size], states=RECEIVING_STATES)
        rows.insert_rows(connection, slot, [item])
        return slot

    def _store_forwarded(
        self,
        connection: Connection,
        plan: Plan,
        target: str,
        item: rows.NewMessage,
        folder: str,
    ) -> rows.Slot | None:
        """Insert a forwarded copy, or return None if the target cannot take it.

        The plan already left out targets that could not; this catches a target retired or
        filled between the plan and the write. Both errors are raised before the message row
        is inserted, so the transaction goes on, and the UID claimed for the copy stays unused.
        """
        try:
            return self._store(connection, plan, target, item, folder)
        except (UnknownRecipient, OverQuota):
            return None

    @staticmethod
    def _claim_by_address(connection: Connection, address: str, folder: str) -> rows.Slot | None:
        """Claim a UID in `folder` of the address's account, or its INBOX if that is gone."""
        found = dict(
            connection.execute(
                select(Folder.name, Folder.id)
                .join(Account, Account.id == Folder.account_id)
                .where(Account.address == address, Folder.name.in_([folder, "INBOX"]))
            ).all()
        )
        folder_id = found.get(folder) or found.get("INBOX")
        if folder_id is None:
            return None
        return rows.claim_by_id(connection, folder_id, 1)

    def _publish(self, slots: list[rows.Slot]) -> None:
        for slot in slots:
            self.store.hub.publish(slot.folder_id)

    @staticmethod
    def _queue(
        connection: Connection, blob_key: str, mail_from: str, targets: list[str], now: datetime
    ) -> None:
        if not targets:
            return
        entries: list[dict[str, Any]] = [
            {
                "blob_key": blob_key,
                "mail_from": mail_from,
                "rcpt_to": address,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "state": "queued",
                "last_error": "",
                "delay_notified": False,
            }
            for address in targets
        ]
        connection.execute(insert(OUTBOUND), entries)

    def _run_after_delivery(self, account_ids: list[int]) -> None:
        if not account_ids:
            return
        for hook in self.after_delivery:
            task = asyncio.get_running_loop().create_task(self._guarded(hook, account_ids))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _guarded(self, hook: AfterDelivery, account_ids: list[int]) -> None:
        try:
            await hook(account_ids)
        except Exception:
            log.exception("after-delivery task failed for accounts %s", account_ids)


def _can_take(account: Recipient | None, size: int) -> bool:
    """Tell whether a local forwarding target exists, receives mail and has room for `size`."""
    if account is None or account.state not in RECEIVING_STATES:
        return False
    return account.used_bytes + size <= account.quota_bytes
