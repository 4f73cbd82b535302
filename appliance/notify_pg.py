"""Change notifications across appliance nodes that share one PostgreSQL database.

Each node keeps its in-process `ChangeHub`. This subclass also sends every published
folder id to the other nodes with PostgreSQL's NOTIFY. When another node's NOTIFY arrives
on its LISTEN connection, it wakes its own watchers of that folder. A notification still carries no
data, only "look again at folder N", so a lost or merged one costs nothing but a delay.
When the LISTEN connection drops, the node reconnects and wakes every watcher once,
because notifications sent while it was away are not delivered later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets

import asyncpg
from sqlalchemy.engine import URL, make_url

from appliance.notify import ChangeHub

log = logging.getLogger("appliance.notify")
CHANNEL = "appliance_changes"
MAX_PAYLOAD = 7000  # bytes; PostgreSQL's limit is 8000
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0)


def connect_arguments(url: URL) -> dict[str, object]:
    """Return asyncpg.connect keywords for a SQLAlchemy postgresql+asyncpg URL."""
    arguments: dict[str, object] = {
        "user": url.username,
        "password": url.password,
        "database": url.database,
        "port": url.port,
        "host": url.host or url.query.get("host"),
    }
    return {name: value for name, value in arguments.items() if value is not None}


def split_payloads(node: str, folder_ids: list[int]) -> list[str]:
    """Return NOTIFY payloads "node:id,id,..." that each fit PostgreSQL's payload limit."""
    payloads: list[str] = []
    current: list[str] = []
    size = len(node) + 1
    for folder_id in folder_ids:
        text = str(folder_id)
        if current and size + len(text) + 1 > MAX_PAYLOAD:
            payloads.append(f"{node}:{','.join(current)}")
            current, size = [], len(node) + 1
        current.append(text)
        size += len(text) + 1
    if current:
        payloads.append(f"{node}:{','.join(current)}")
    return payloads


class PostgresChangeHub(ChangeHub):
    """A ChangeHub whose publications also reach the other nodes through LISTEN/NOTIFY."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self._arguments = connect_arguments(make_url(database_url))
        self.node = secrets.token_hex(6)  # marks this node's own notifications, which it skips
        self._outgoing: set[int] = set()
        self._wake = asyncio.Event()
        self._connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def publish(self, folder_id: int) -> None:
        super().publish(folder_id)
        self._outgoing.add(folder_id)
        self._wake.set()

    def publish_local(self, folder_id: int) -> None:
        super().publish(folder_id)

    async def start(self) -> None:
        """Connect and LISTEN; return once the first connection is listening."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pg-notify")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), 30)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                connection = await asyncpg.connect(**self._arguments)
            except (OSError, asyncpg.PostgresError) as error:
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                log.warning("LISTEN connection failed (%r); retrying in %.1f s", error, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            attempt = 0
            try:
                await self._serve(connection)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("LISTEN connection lost (%r); reconnecting", error)
            finally:
                self._connected.clear()
                with contextlib.suppress(Exception):
                    await connection.close(timeout=5)

    async def _serve(self, connection: asyncpg.Connection) -> None:
        lost = False

        def on_termination(_connection: object) -> None:
            nonlocal lost
            lost = True
            self._wake.set()

        connection.add_termination_listener(on_termination)
        await connection.add_listener(CHANNEL, self._on_notification)
        self._connected.set()
        log.info("listening for changes from other nodes node=%s", self.node)
        self._wake_all()  # changes made while this node was not listening
        while True:
            await self._wake.wait()
            self._wake.clear()
            if lost:
                raise asyncpg.InterfaceError("the LISTEN connection was closed by the server")
            outgoing, self._outgoing = sorted(self._outgoing), set()
            for payload in split_payloads(self.node, outgoing):
                await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)

    def _on_notification(
        self, _connection: object, _pid: int, _channel: str, payload: object
    ) -> None:
        node, _, ids = str(payload).partition(":")
        if node == self.node:
            return
        for text in ids.split(","):
            if text.isdigit():
                self.publish_local(int(text))

    def _wake_all(self) -> None:
        for folder_id in list(self._watchers):
            self.publish_local(folder_id)
