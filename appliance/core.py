"""The core services of one appliance, built once and shared by every protocol."""

from __future__ import annotations

import logging
from datetime import timedelta

from appliance.accounts import Accounts
from appliance.admin_actions import AdminActions
from appliance.admin_scope import AdminScope
from appliance.audit import Audit
from appliance.auth import Authenticator
from appliance.blobs import open_blob_store
from appliance.clock import Clock
from appliance.config import Settings
from appliance.credentials import Credentials
from appliance.db import (
    make_engine,
    make_reader_engine,
    make_sessionmaker,
    make_writer_engine,
)
from appliance.delivery import Delivery
from appliance.directory.service import Directory
from appliance.forwarding import Forwarding
from appliance.lifecycle.events import Lifecycle
from appliance.lifecycle.moves import MailboxMoves
from appliance.lifecycle.requests import Requests
from appliance.lifecycle.retention import Retention
from appliance.locks import Locks
from appliance.migrate import upgrade
from appliance.notifications import Notifier
from appliance.notify import make_change_hub
from appliance.outbound.runner import QueueRunner
from appliance.quota_warnings import QuotaWarnings
from appliance.reports import Reports
from appliance.scheduler import Scheduler
from appliance.sending_rate import SendingRate
from appliance.store.mailstore import MailStore
from appliance.store.reader import Reader
from appliance.store.writer import Writer
from appliance.submission import Submission
from appliance.websessions import WebSessions

log = logging.getLogger("appliance")


class Core:
    """Every core service, wired to one database and one blob store."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or Clock()
        self.engine = make_engine(settings.database)
        self.sessions = make_sessionmaker(self.engine)
        self.writer = Writer(self.sessions, make_writer_engine(settings.database))
        self.reader = Reader(self.engine, make_reader_engine(settings.database))
        self.blobs = open_blob_store(settings)
        self.hub = make_change_hub(settings.database)
        self.store = MailStore(
            self.sessions, self.writer, self.blobs, self.hub, self.clock, settings.max_message_size
        )
        self.audit = Audit(self.writer, self.clock)
        self.store.on_refusal = self._store_refusal
        self.accounts = Accounts(
            self.sessions,
            self.writer,
            self.store,
            self.clock,
            settings.default_quota,
            settings.is_local_domain,
        )
        self.auth = Authenticator(self.sessions, self.writer, self.audit, self.clock)
        self.credentials = Credentials(self.sessions, self.writer, self.audit, self.clock)
        self.delivery = Delivery(settings, self.sessions, self.store, self.clock, self.reader)
        self.delivery.on_refusal = self._delivery_refusal
        self.delivery.on_forward_skipped = self._forward_skipped
        self.notifier = Notifier(settings, self.delivery, self.clock)
        self.sending_rate = SendingRate(
            self.sessions, self.writer, self.clock, self.audit, self.notifier
        )
        self.submission = Submission(
            self.delivery, self.store, self.sending_rate, settings.max_message_size
        )
        self.forwarding = Forwarding(
            self.sessions, self.writer, self.clock, self.audit, settings.is_local_domain
        )
        self.queue = QueueRunner(
            settings, self.sessions, self.writer, self.blobs, self.delivery, self.clock
        )
        self.delivery.after_queue.append(self.queue.wake)
        self.quota_warnings = QuotaWarnings(self.sessions, self.writer, self.notifier, self.reader)
        self.delivery.after_delivery.append(self.quota_warnings.check)
        self.reports = Reports(
            self.store,
            self.delivery,
            self.writer,
            self.audit,
            self.clock,
            f"tiepnhan@{settings.domain}",
            settings.hostname,
        )
        self.reports.accounts_by_id = self.accounts.by_id
        self.store.added_hooks.append(self.reports.on_added)
        self.web_sessions = WebSessions(self.sessions, self.writer, self.clock)
        self.scheduler = Scheduler(self.sessions, self.writer, self.clock)
        self.locks = Locks(
            self.sessions, self.writer, self.clock, self.audit, self.notifier, self.credentials
        )
        self.directory = Directory(
            self.sessions, self.writer, self.clock, self.accounts, settings.domain
        )
        self.admin_scope = AdminScope(
            self.sessions, self.writer, self.clock, self.audit, settings.domain
        )
        self.admin_actions = AdminActions(
            self.admin_scope,
            self.credentials,
            self.locks,
            self.sending_rate,
            self.forwarding,
            self.directory,
        )
        self.retention = Retention(
            self.sessions, self.writer, self.audit, timedelta(days=settings.retention_days)
        )
        self.moves = MailboxMoves(self.sessions, self.writer, self.hub, self.clock)
        self.lifecycle = Lifecycle(
            self.sessions,
            self.writer,
            self.clock,
            self.audit,
            self.directory,
            self.accounts,
            self.credentials,
            self.moves,
            self.retention,
            self.blobs,
            settings.data_dir / "exports",
            settings.domain,
            self.admin_scope,
        )
        self.requests = Requests(
            self.sessions, self.writer, self.clock, self.audit, self.admin_scope, self.lifecycle
        )

    async def _delivery_refusal(self, rule: str, address: str) -> None:
        await self.audit.refused(rule, service="delivery", account=address)

    async def _forward_skipped(self, forwarder: str, target: str) -> None:
        await self.audit.refused(
            "forwarding_target", service="delivery", account=forwarder, detail=target
        )

    async def _store_refusal(self, rule: str, account_id: int) -> None:
        account = await self.accounts.by_id(account_id) if account_id else None
        await self.audit.refused(rule, service="store", account=account.address if account else "")

    @classmethod
    async def open(cls, settings: Settings, clock: Clock | None = None) -> Core:
        """Create the data folder, migrate the database and start the writer."""
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        core = cls(settings, clock)
        await upgrade(core.engine)
        # Other nodes may share a blob folder only with a shared (PostgreSQL) database.
        shared = not settings.database.startswith("sqlite")
        removed = core.blobs.clear_temporary(min_age=3600.0 if shared else 0.0)
        if removed:
            log.info("removed %d half-written blob files left by an earlier stop", removed)
        core.writer.start()
        await core.hub.start()
        return core

    async def close(self) -> None:
        """Finish pending writes and release the database."""
        await self.queue.stop()
        await self.scheduler.stop()
        await self.writer.stop()
        await self.reader.close()
        await self.hub.stop()
        await self.engine.dispose()
