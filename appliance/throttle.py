"""Slowing down password guessing, per account and per client address, for every service.

Each failure in a row adds delay before the reply (1 s, 2 s, 4 s, … up to 30 s); ten
failures in a row hold the account for 15 minutes, during which every login to it fails
without a password check. A success clears the account's count. The state is in memory:
a restart forgets it, which only shortens a hold.

Concurrent attempts must not all be checked against a count that none of them has updated
yet, so `turn` lets one attempt per account at a time go from the hold check to the
recording of its outcome. An address with failures in a row is serialised the same way.
An address without failures is not, because an office behind one NAT address sends many
logins at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from appliance.clock import Clock

MAX_FAILURES = 10
HOLD = timedelta(minutes=15)
MAX_DELAY = 30.0
FORGET_AFTER = timedelta(hours=1)  # a count with no failure for this long starts over
MAX_TRACKED = 100_000  # entries kept before the oldest are dropped


@dataclass
class _Failures:
    count: int
    last: datetime
    held_until: datetime | None = None


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # attempts holding or waiting for the lock


class _Turns:
    """One asyncio lock per key, dropped once no attempt holds or waits for it."""

    def __init__(self) -> None:
        self._turns: dict[str, _Turn] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        turn = self._turns.setdefault(key, _Turn())
        turn.users += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.users -= 1
            if turn.users == 0:
                del self._turns[key]


class Throttle:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._accounts: dict[str, _Failures] = {}
        self._clients: dict[str, _Failures] = {}
        self._account_turns = _Turns()
        self._client_turns = _Turns()

    @asynccontextmanager
    async def turn(self, account: str, client: str) -> AsyncIterator[None]:
        """Wait until no other attempt on `account` is between its hold check and its outcome.

        The caller checks `is_held` and `delay`, verifies the password and records the
        outcome with `failed` or `succeeded` inside the turn, so each attempt reads the count
        left by the one before. While `client` has failures in a row, its attempts on any
        account also take turns. Every attempt takes the client's turn before the account's,
        in that one order, so two attempts cannot deadlock.
        """
        async with AsyncExitStack() as stack:
            if self._count(self._clients, client):
                await stack.enter_async_context(self._client_turns.hold(client))
            await stack.enter_async_context(self._account_turns.hold(account))
            yield

    def is_held(self, account: str) -> bool:
        """Tell whether logins to `account` are refused for now after too many failures."""
        entry = self._accounts.get(account)
        return bool(entry and entry.held_until and entry.held_until > self.clock.now())

    def delay(self, account: str, client: str) -> float:
        """Return the seconds to wait before answering a login attempt."""
        count = max(self._count(self._accounts, account), self._count(self._clients, client))
        return 0.0 if count == 0 else min(MAX_DELAY, 2.0 ** (count - 1))

    def failed(self, account: str, client: str) -> bool:
        """Count a failure; return True when it puts the account on hold."""
        now = self.clock.now()
        self._bump(self._clients, client, now)
        entry = self._bump(self._accounts, account, now)
        if entry.count >= MAX_FAILURES and not entry.held_until:
            entry.held_until = now + HOLD
            return True
        return False

    def succeeded(self, account: str, client: str) -> None:
        self._accounts.pop(account, None)
        self._clients.pop(client, None)

    def _count(self, table: dict[str, _Failures], key: str) -> int:
        entry = table.get(key)
        if entry is None:
            return 0
        now = self.clock.now()
        if entry.held_until and entry.held_until <= now:
            del table[key]
            return 0
        if now - entry.last > FORGET_AFTER:
            del table[key]
            return 0
        return entry.count

    def _bump(self, table: dict[str, _Failures], key: str, now: datetime) -> _Failures:
        self._count(table, key)
        entry = table.get(key)
        if entry is None:
            if len(table) >= MAX_TRACKED:
                oldest = min(table, key=lambda name: table[name].last)
                del table[oldest]
            entry = table[key] = _Failures(0, now)
        entry.count += 1
        entry.last = now
        return entry
