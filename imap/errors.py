"""Errors that end an IMAP command, each knowing its tagged reply (RFC 3501 section 7.1)."""

from __future__ import annotations


class CommandError(Exception):
    """A command that ends with a tagged NO or BAD."""

    status = "NO"

    def __init__(self, text: str, code: str | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.code = code


class BadCommand(CommandError):
    """A command that is malformed or not allowed in the current state: tagged BAD."""

    status = "BAD"


class CommandFailed(CommandError):
    """A well-formed command that could not be carried out: tagged NO."""


class CloseConnection(Exception):
    """Stop the session after sending the untagged BYE built from `text`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text
