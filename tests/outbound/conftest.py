from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from appliance.clock import Clock
from appliance.config import Settings
from appliance.core import Core
from appliance.dkim_keys import key_path, make_key
from appliance.tls import make_self_signed
from smtp.dkim_sign import DkimSigner
from smtp.outbound import SmtpTransport
from smtp.resolver import TableResolver
from tests.outbound.sink import Sink, start_sink

SENDER = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Mật-khẩu-2026!"
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

# example.test has one MX host on 127.0.0.1; the sink's port is given to the transport.
TABLE = {
    ("example.test", "MX"): ["10 mx.example.test."],
    ("mx.example.test", "A"): ["127.0.0.1"],
}


def message(subject: str = "Báo cáo tuần", to: str = "an@example.test") -> bytes:
    return (
        f"From: Nguyễn Văn An <{SENDER}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        "Date: Mon, 02 Mar 2026 08:00:00 +0700\r\nMessage-ID: <m1@hue.gov.vn>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nNội dung báo cáo.\r\n"
    ).encode()


class Outbound:
    """A core with a stopped clock, a sink, and a transport aimed at the sink."""

    def __init__(self, core: Core, sink: Sink, port: int, resolver: TableResolver) -> None:
        self.core = core
        self.sink = sink
        self.port = port
        self.resolver = resolver
        self.transport = self.make_transport()
        core.queue.transport = self.transport

    def make_transport(self, **settings: Any) -> SmtpTransport:
        configured = replace(self.core.settings, **settings)
        return SmtpTransport(
            configured,
            self.resolver,
            port=self.port,
            signer=DkimSigner.from_settings(configured),
            command_seconds=10,
        )

    async def send(self, raw: bytes | None = None, to: str = "an@example.test") -> None:
        await self.core.delivery.deliver(raw or message(to=to), SENDER, [to])

    async def rows(self) -> list[tuple[str, str, int]]:
        from sqlalchemy import select

        from appliance.models import OutboundMessage

        async with self.core.sessions() as session:
            found = await session.scalars(select(OutboundMessage).order_by(OutboundMessage.id))
            return [(row.rcpt_to, row.state, row.attempts) for row in found]

    async def inbox(self) -> list[bytes]:
        account = await self.core.accounts.get(SENDER)
        folder = await self.core.store.folder(account.id, "INBOX")
        return [
            await self.core.store.read(info.blob_key)
            for info in await self.core.store.messages(folder.id)
        ]


def sink_tls(tmp_path: Path) -> ssl.SSLContext:
    cert, key = tmp_path / "sink-cert.pem", tmp_path / "sink-key.pem"
    make_self_signed(cert, key, "mx.example.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


OutboundFactory = Callable[..., Any]


def with_port(value: Any, port: int) -> Any:
    """Put the sink's port where a setting says PORT."""
    if isinstance(value, str):
        return value.replace("PORT", str(port))
    if isinstance(value, tuple):
        return tuple(item.replace("PORT", str(port)) for item in value)
    return value


@pytest.fixture
async def outbound_factory(tmp_path: Path) -> AsyncIterator[OutboundFactory]:
    """Build an `Outbound` with a sink (STARTTLS with `tls=True`) and settings overrides."""
    built: list[Outbound] = []
    servers: list[asyncio.Server] = []

    async def build(
        *,
        tls: bool = False,
        auth: bool = False,
        table: dict[Any, Any] | None = None,
        **settings: Any,
    ) -> Outbound:
        data_dir = tmp_path / f"data{len(built)}"
        make_key(key_path(data_dir))
        sink = Sink()
        server, port = await start_sink(sink, sink_tls(tmp_path) if tls else None, auth=auth)
        servers.append(server)
        values = {key: with_port(value, port) for key, value in settings.items()}
        clock = Clock()
        clock.stop_at(START)
        core = await Core.open(replace(Settings(data_dir=data_dir), **values), clock)
        await core.accounts.create(SENDER, PASSWORD)
        outbound = Outbound(core, sink, port, TableResolver(TABLE if table is None else table))
        built.append(outbound)
        return outbound

    yield build
    for outbound in built:
        await outbound.core.close()  # a test that restarts leaves its newest core here
    for server in servers:
        server.close()
        await server.wait_closed()
