"""Secrets shown once: a new password on its hand-over slip, an import's password list.

A secret is kept in memory only, bound to the admin session that produced it, and
removed the first time it is read, so reloading the page or the link shows nothing.
Entries not read within `LIFETIME` are dropped; a restart drops them all, and the admin
then resets the password again.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

LIFETIME = 15 * 60.0  # seconds


@dataclass(frozen=True)
class Handover:
    """One secret waiting to be shown: a "slip", an import's password "list", or the rows
    of an import "plan" waiting to be applied (in `payload`)."""

    session_id: str
    kind: str
    address: str
    secret: str
    extra: dict[str, str] = field(default_factory=dict)
    payload: Any = None


class HandoverStore:
    def __init__(self) -> None:
        self._items: dict[str, tuple[float, Handover]] = {}

    def put(self, item: Handover) -> str:
        """Keep `item` and return the random key of the link that shows it once."""
        self._drop_expired()
        key = secrets.token_urlsafe(24)
        self._items[key] = (time.monotonic() + LIFETIME, item)
        return key

    def take(self, key: str, session_id: str, kind: str) -> Handover | None:
        """Return and forget the item, if it belongs to this session and is of `kind`."""
        self._drop_expired()
        found = self._items.get(key)
        if found is None or found[1].session_id != session_id or found[1].kind != kind:
            return None
        del self._items[key]
        return found[1]

    def _drop_expired(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expires, _) in self._items.items() if expires <= now]:
            del self._items[key]
