"""Submission: mail sent by an authenticated account, from SMTP submission or the webmail.

Both paths call this one service, so every rule on what an account may send is checked in
one place, and both get the same completed message: a Message-ID and a Date field when the
client left them out (RFC 6409 section 8), and a Return-Path for local recipients.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import format_datetime, make_msgid

from appliance.delivery import Delivery
from appliance.errors import AuthorNotAllowed, MessageTooLarge, SenderNotAllowed
from appliance.mime.authors import author_addresses, display_addresses, from_names_no_mailbox
from appliance.sending_rate import SendingRate
from appliance.store.mailstore import MailStore
from appliance.store.types import AccountInfo


class Submission:
    def __init__(
        self,
        delivery: Delivery,
        store: MailStore,
        sending_rate: SendingRate,
        max_message_size: int,
    ) -> None:
        self.delivery = delivery
        self.store = store
        self.sending_rate = sending_rate
        self.max_message_size = max_message_size

    def check_sender(self, account: AccountInfo, mail_from: str) -> None:
        """Raise SenderNotAllowed unless `mail_from` is the account's own address."""
        if mail_from.strip().lower() != account.address:
            raise SenderNotAllowed(f"{account.address} may not send as {mail_from or '<>'}")

    @staticmethod
    def check_author(account: AccountInfo, raw: bytes) -> None:
        """Raise AuthorNotAllowed unless every From: and Sender: address is the account's own.

        RFC 6409 section 8 lets a submission server check header fields. The rule is the
        one `check_sender` applies to MAIL FROM, and an address shown in a decoded display
        name counts too, since a reader cannot tell it from the real one. A From: field with no
        mailbox is refused; a message with no From: field claims no author and passes.
        """
        if from_names_no_mailbox(raw):
            raise AuthorNotAllowed(f"{account.address} sent a From: field that names no mailbox")
        claimed = author_addresses(raw) + display_addresses(raw, ("From", "Sender"))
        others = sorted({address for address in claimed if address != account.address})
        if others:
            raise AuthorNotAllowed(f"{account.address} may not send as {', '.join(others)}")

    async def check_recipient(self, account: AccountInfo, address: str) -> None:
        await self.delivery.check_recipient(address, may_relay=True)

    async def submit(
        self,
        account: AccountInfo,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        *,
        save_copy: bool = False,
    ) -> None:
        """Deliver a message sent by `account`; with `save_copy`, also store it in Sent.

        Raises SenderNotAllowed, AuthorNotAllowed, MessageTooLarge, AccountLocked or
        SendingLimitReached before anything is stored.
        """
        self.check_sender(account, mail_from)
        self.check_author(account, raw)
        if len(raw) > self.max_message_size:
            raise MessageTooLarge()
        await self.sending_rate.record(account, len(recipients))
        raw = complete_header(raw, self.delivery.settings.hostname, self.delivery.clock.now())
        # RFC 5321 4.4: Return-Path at final delivery; the outbound client removes it again.
        return_path = f"Return-Path: <{mail_from}>\r\n".encode()
        await self.delivery.deliver(return_path + raw, mail_from, recipients)
        if save_copy:
            await self.store.append(account.id, "Sent", raw, flags=("\\Seen",))


def complete_header(raw: bytes, hostname: str, now: datetime) -> bytes:
    """Add Message-ID and Date fields that the message lacks (RFC 6409 8.2 and 8.3).

    The fields go at the end of the header, so the rest of the message is unchanged.
    """
    end, newline = _header_end(raw)
    header = raw[:end]
    added = b""
    if not _has_field(header, b"message-id"):
        added += b"Message-ID: " + make_msgid(domain=hostname).encode() + newline
    if not _has_field(header, b"date"):
        added += b"Date: " + format_datetime(now).encode() + newline
    if not added:
        return raw
    if header and not header.endswith(newline):
        header += newline
    return header + added + raw[end:]


def _header_end(raw: bytes) -> tuple[int, bytes]:
    """Return where the header ends (before the empty line) and its line ending."""
    for separator, newline in ((b"\r\n\r\n", b"\r\n"), (b"\n\n", b"\n")):
        found = raw.find(separator)
        if found != -1:
            return found + len(newline), newline
    return len(raw), b"\r\n"  # no body: the whole message is header


def _has_field(header: bytes, name: bytes) -> bool:
    return re.search(rb"^" + name + rb"[ \t]*:", header, re.IGNORECASE | re.MULTILINE) is not None
