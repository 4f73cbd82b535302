"""The SMTP client interface the queue runner uses. The `smtp` package implements it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Envelope:
    """One message for one destination domain."""

    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class RecipientResult:
    """The remote reply for one recipient: an SMTP reply, or a connection failure (code 0)."""

    recipient: str
    code: int
    enhanced: str  # e.g. "5.1.1"; a reasonable default when the server sent none
    text: str
    remote: str = ""  # the MX host that replied

    @property
    def delivered(self) -> bool:
        return 200 <= self.code < 300

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class Transport(Protocol):
    async def send(self, domain: str, envelopes: list[Envelope]) -> list[list[RecipientResult]]:
        """Deliver envelopes for one domain, on one connection where possible.

        Returns, for each envelope, one result per recipient. Never raises for a remote
        failure: a failure to connect is a result with code 0 for every recipient.
        """
        ...
