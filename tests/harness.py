"""A whole appliance running in a background thread, for tests that use real clients.

Every listener binds 127.0.0.1 on a port chosen by the kernel; `ports` maps the listener
name ("smtp", "submission", "submissions", "imap", "imaps", "http", "https", "admin")
to it.
Blocking clients (smtplib, imaplib, a browser) run in the test's thread while the
appliance's event loop runs in its own.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from appliance.cli.serve import Services, start_services
from appliance.clock import Clock
from appliance.config import Settings
from appliance.core import Core
from appliance.store.types import AccountInfo
from appliance.tls import client_context, make_self_signed
from smtp.resolver import Resolver, TableResolver

T = TypeVar("T")
DEFAULT_PASSWORD = "Mật-khẩu-2026!"
TEST_SETTINGS = dict(
    listen="127.0.0.1",
    smtp_port=0,
    submission_port=0,
    submissions_port=0,
    imap_port=0,
    imaps_port=0,
    http_port=0,
    https_port=0,
    admin_port=0,
    backup_keep=0,  # no daily backup at every start; the backup tests turn it on
    secure_cookies=False,
)


class RunningAppliance:
    def __init__(self, settings: Settings, resolver: Resolver | None = None) -> None:
        self.settings = settings
        # No test may query real DNS: by default every lookup fails as temporary.
        self.resolver = resolver or TableResolver(missing="servfail")
        self.clock = Clock()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.services: Services | None = None

    @property
    def core(self) -> Core:
        assert self.services is not None
        return self.services.core

    @property
    def ports(self) -> dict[str, int]:
        assert self.services is not None
        return self.services.ports

    def start(self) -> None:
        self.thread.start()
        self.services = self.call(self._start)

    async def _start(self) -> Services:
        core = await Core.open(self.settings, self.clock)
        return await start_services(core, resolver=self.resolver)

    def stop(self) -> None:
        if self.services is not None:
            self.call(self.services.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def call(self, function: Callable[[], Awaitable[T]], timeout: float = 120) -> T:
        """Run a coroutine function on the appliance's loop and return its result."""

        async def wrapper() -> T:
            return await function()

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self.loop)
        return future.result(timeout)

    def add_account(
        self, address: str, password: str = DEFAULT_PASSWORD, **fields: Any
    ) -> AccountInfo:
        return self.call(lambda: self.core.accounts.create(address, password, **fields))

    def client_tls(self) -> ssl.SSLContext:
        """Return a client TLS context that trusts this appliance's self-signed certificate."""
        return client_context(self.settings)


@contextmanager
def running_appliance(
    data_dir: Path, resolver: Resolver | None = None, **overrides: Any
) -> Iterator[RunningAppliance]:
    settings = replace(Settings(data_dir=data_dir), **{**TEST_SETTINGS, **overrides})
    data_dir.mkdir(parents=True, exist_ok=True)
    make_self_signed(settings.cert_file, settings.key_file, settings.hostname)
    appliance = RunningAppliance(settings, resolver)
    appliance.start()
    try:
        yield appliance
    finally:
        appliance.stop()
