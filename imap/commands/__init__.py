"""IMAP command handlers, registered by name with the connection states that allow them.

Each handler reads its arguments from `Command.parser`, may send untagged responses
through the session, and returns the tagged reply (or None when it sent it itself).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from imap.wire import Parser

if TYPE_CHECKING:
    from imap.session import Session


class State(enum.Enum):
    """Connection states of RFC 3501 section 3."""

    NOT_AUTHENTICATED = "not authenticated"
    AUTHENTICATED = "authenticated"
    SELECTED = "selected"
    LOGOUT = "logout"


ANY = frozenset({State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED})
NOT_AUTHENTICATED = frozenset({State.NOT_AUTHENTICATED})
AUTHENTICATED = frozenset({State.AUTHENTICATED, State.SELECTED})
SELECTED = frozenset({State.SELECTED})


@dataclass(frozen=True)
class Command:
    tag: bytes
    name: str  # upper case; "UID FETCH" for the UID forms
    parser: Parser  # positioned after the command name

    @property
    def by_uid(self) -> bool:
        return self.name.startswith("UID ")


@dataclass(frozen=True)
class Reply:
    """A tagged status response (RFC 3501 section 7.1)."""

    status: str
    text: str
    code: str | None = None

    def render(self, tag: bytes) -> bytes:
        code = f"[{self.code}] " if self.code else ""
        line = f" {self.status} {code}{self.text}\r\n".encode("utf-8", "replace")
        return tag + line


Handler = Callable[["Session", Command], Awaitable[Reply | None]]


@dataclass(frozen=True)
class CommandSpec:
    handler: Handler
    states: frozenset[State]


COMMANDS: dict[str, CommandSpec] = {}


def command(*names: str, states: frozenset[State]) -> Callable[[Handler], Handler]:
    """Register a handler under one or more command names."""

    def register(handler: Handler) -> Handler:
        for name in names:
            COMMANDS[name] = CommandSpec(handler, states)
        return handler

    return register


def ok(text: str, code: str | None = None) -> Reply:
    return Reply("OK", text, code)


# Importing the modules registers their commands.
from imap.commands import (  # noqa: E402
    any_state,
    fetch,
    idle,
    listing,
    mailboxes,
    messages,
    nonauth,
    quota,
    search,
)

__all__ = [
    "COMMANDS",
    "Command",
    "Reply",
    "State",
    "any_state",
    "fetch",
    "idle",
    "listing",
    "mailboxes",
    "messages",
    "nonauth",
    "quota",
    "search",
]
