"""The IMAP listeners: "imap" with STARTTLS and "imaps" with implicit TLS (RFC 8314).

Closing a listener also ends its open sessions (each gets an untagged BYE), because
asyncio.Server.close() before Python 3.12 leaves accepted connections running.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

from appliance.core import Core
from imap.session import Session

log = logging.getLogger("imap")

SHUTDOWN_SECONDS = 5.0  # time sessions get to send BYE and close when a listener stops

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ImapServer(asyncio.Server):
    """An asyncio.Server that also stops the sessions it accepted when it is closed."""

    def __init__(self, inner: asyncio.Server, tasks: set[asyncio.Task[None]]) -> None:
        # The listening socket stays in `inner`; this object only adds the session set.
        self._inner = inner
        self._tasks = tasks

    def close(self) -> None:
        self._inner.close()
        for task in list(self._tasks):
            task.cancel()

    async def wait_closed(self) -> None:
        await self._inner.wait_closed()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=SHUTDOWN_SECONDS)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._inner.get_loop()

    def is_serving(self) -> bool:
        return self._inner.is_serving()

    async def start_serving(self) -> None:
        await self._inner.start_serving()

    async def serve_forever(self) -> None:
        await self._inner.serve_forever()

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        return self._inner.sockets

    async def __aenter__(self) -> ImapServer:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()
        await self.wait_closed()


async def _listen(
    core: Core, port: int, *, starttls: ssl.SSLContext | None, implicit: ssl.SSLContext | None
) -> ImapServer:
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            session = Session(core, reader, writer, tls=starttls, secure=implicit is not None)
            await session.run()
        finally:
            tasks.discard(task)

    inner = await asyncio.start_server(handle, core.settings.listen, port, ssl=implicit)
    return ImapServer(inner, tasks)


async def start_imap(core: Core, tls: ssl.SSLContext) -> dict[str, asyncio.Server]:
    """Start both listeners on `core.settings.listen`; port 0 lets the kernel choose."""
    settings = core.settings
    imap = await _listen(core, settings.imap_port, starttls=tls, implicit=None)
    imaps = await _listen(core, settings.imaps_port, starttls=None, implicit=tls)
    return {"imap": imap, "imaps": imaps}
