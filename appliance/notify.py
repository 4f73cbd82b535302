"""Change notifications between sessions in one process (IMAP IDLE, other selected sessions).

The store publishes a folder's id after every committed change to it; each watcher of
that folder wakes and asks the store what changed. A notification carries no data, so a
missed or merged one loses nothing.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Watcher:
    """One session's interest in one folder."""

    def __init__(self, hub: ChangeHub, folder_id: int) -> None:
        self._hub = hub
        self.folder_id = folder_id
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for a change; return False if `timeout` seconds passed first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True

    def pending(self) -> bool:
        """Tell whether a change arrived since the last `wait` or `clear`."""
        return self._event.is_set()

    def clear(self) -> None:
        self._event.clear()

    def close(self) -> None:
        self._hub._watchers[self.folder_id].discard(self)


class ChangeHub:
    """The registry of watchers, keyed by folder id."""

    def __init__(self) -> None:
        self._watchers: defaultdict[int, set[Watcher]] = defaultdict(set)

    def watch(self, folder_id: int) -> Watcher:
        watcher = Watcher(self, folder_id)
        self._watchers[folder_id].add(watcher)
        return watcher

    def publish(self, folder_id: int) -> None:
        for watcher in list(self._watchers.get(folder_id, ())):
            watcher.notify()

    async def start(self) -> None:
        """Start delivering changes from other processes; nothing to do in one process."""

    async def stop(self) -> None:
        """Stop what `start` started."""


def make_change_hub(database_url: str) -> ChangeHub:
    """Return an in-process hub, or one that also reaches other nodes on PostgreSQL."""
    if database_url.startswith("postgresql"):
        from appliance.notify_pg import PostgresChangeHub

        return PostgresChangeHub(database_url)
    return ChangeHub()
