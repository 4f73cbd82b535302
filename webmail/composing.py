"""Build outgoing messages with `email.message.EmailMessage`, and prefill replies and forwards.

Headers are encoded by the `email` package: non-ASCII display names and subjects become
RFC 2047 encoded words and non-ASCII file names RFC 2231 parameters, so the message is
7-bit clean in its headers and readable by every client.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy

from appliance.mime.structure import Envelope
from appliance.store.types import AccountInfo
from webmail.display import address_text, decode_words, format_addresses, real_addresses
from webmail.i18n import VIETNAM_TIME, Translator
from webmail.reading import READ_POLICY

ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to"})
DOMAIN_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class SendPolicy(EmailPolicy):
    """The SMTP policy, with a folder for non-ASCII Subject and address headers.

    CPython 3.11's folder drops the space between two encoded words when it splits a long
    value ("sử dụng hệ" comes back as "sử dụnghệ"). These headers are therefore encoded
    with `email.header.Header`, which keeps each space inside an encoded word (RFC 2047
    section 5).
    """

    def fold(self, name: str, value: str) -> str:
        return self._fold_encoded(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = self._fold_encoded(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)

    def _fold_encoded(self, name: str, value: str) -> str | None:
        lowered = name.lower()
        if str(value).isascii() or lowered not in ADDRESS_HEADERS | {"subject"}:
            return None
        if lowered == "subject":
            text = Header(str(value), "utf-8", header_name=name).encode(linesep=self.linesep)
        else:
            addresses = getattr(value, "addresses", ())
            text = f",{self.linesep} ".join(
                email.utils.formataddr((item.display_name, item.addr_spec), charset="utf-8")
                .replace("\r\n", "\n")
                .replace("\n", self.linesep)
                for item in addresses
            )
        return f"{name}: {text}{self.linesep}"


# CRLF line endings as on the SMTP wire (RFC 5321 section 2.3.8), 78-character folding.
SEND_POLICY = SendPolicy(linesep="\r\n")


class ComposeError(Exception):
    """The message cannot be sent as written; `key` names the catalogue text to show."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class Draft:
    """The fields of the compose form."""

    to: str = ""
    cc: str = ""
    bcc: str = ""
    subject: str = ""
    body: str = ""
    in_reply_to: str = ""
    references: str = ""
    mode: str = ""  # "reply", "reply_all", "forward" or "" for a new message
    source: str = ""  # "<folder id>:<uid>" of the message replied to or forwarded


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


def parse_recipients(text: str) -> list[Address]:
    """Parse a comma-separated address list, or raise ComposeError on an invalid address.

    Only ASCII addresses are accepted, because sending to a UTF-8 address needs SMTPUTF8
    (RFC 6531) all the way to the recipient's server.
    """
    found = []
    for name, address in email.utils.getaddresses([text]):
        if not name and not address:
            continue
        local, _, domain = address.rpartition("@")
        if not local or not is_domain(domain) or not address.isascii() or " " in address:
            raise ComposeError("error_bad_address", address=address or name)
        try:
            found.append(Address(display_name=name, addr_spec=address))
        except (HeaderParseError, ValueError):
            # Not a dot-atom or quoted local part, or a domain with an empty label
            # ("a..b@", "x@hue.gov.vn."): RFC 5322 section 3.4.1.
            raise ComposeError("error_bad_address", address=address) from None
    if text.strip() and not found:
        raise ComposeError("error_bad_address", address=text.strip())
    return found


def is_domain(text: str) -> bool:
    """Tell whether `text` is a domain that SMTP can send to (RFC 5321 section 4.1.2).

    That is two labels or more, each of letters, digits and inner hyphens.
    """
    labels = text.split(".")
    return len(labels) >= 2 and all(DOMAIN_LABEL.fullmatch(label) for label in labels)


def build_message(
    sender: AccountInfo,
    draft: Draft,
    attachments: list[Attachment],
    *,
    domain: str,
    now: datetime,
) -> tuple[EmailMessage, list[str]]:
    """Return the message and its envelope recipients (To, Cc and Bcc, without duplicates).

    Bcc recipients get the message but are not written in its header (RFC 5322 section
    3.6.3).
    """
    to = parse_recipients(draft.to)
    cc = parse_recipients(draft.cc)
    bcc = parse_recipients(draft.bcc)
    recipients = list(dict.fromkeys(item.addr_spec.lower() for item in to + cc + bcc))
    if not recipients:
        raise ComposeError("error_no_recipients")
    message = assemble(sender, draft, to, cc, attachments, domain=domain, now=now)
    return message, recipients


def draft_size(
    sender: AccountInfo,
    draft: Draft,
    attachments: list[Attachment],
    *,
    domain: str,
    now: datetime,
) -> int:
    """Return the encoded size of the message the form would send now, headers included.

    Addresses that do not parse yet are left out; sending reports them.
    """
    to = lenient_recipients(draft.to)
    cc = lenient_recipients(draft.cc)
    message = assemble(sender, draft, to, cc, attachments, domain=domain, now=now)
    return len(message.as_bytes())


def lenient_recipients(text: str) -> list[Address]:
    try:
        return parse_recipients(text)
    except ComposeError:
        return []


def assemble(
    sender: AccountInfo,
    draft: Draft,
    to: list[Address],
    cc: list[Address],
    attachments: list[Attachment],
    *,
    domain: str,
    now: datetime,
) -> EmailMessage:
    message = EmailMessage(policy=SEND_POLICY)
    message["From"] = Address(display_name=sender.display_name, addr_spec=sender.address)
    if to:
        message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = draft.subject
    message["Date"] = email.utils.format_datetime(now.astimezone(VIETNAM_TIME))
    message["Message-ID"] = email.utils.make_msgid(domain=domain)
    if draft.in_reply_to:
        message["In-Reply-To"] = draft.in_reply_to
        message["References"] = draft.references or draft.in_reply_to
    # Browsers send textarea lines with CRLF; the policy writes CRLF itself.
    body = draft.body.replace("\r\n", "\n")
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    for item in attachments:
        add_attachment(message, item)
    return message


def add_attachment(message: EmailMessage, item: Attachment) -> None:
    maintype, _, subtype = item.content_type.partition("/")
    if item.content_type == "message/rfc822":
        attached = email.message_from_bytes(item.data, policy=READ_POLICY)
        message.add_attachment(attached, filename=item.filename)
        return
    if not maintype or not subtype or maintype in ("multipart", "message"):
        maintype, subtype = "application", "octet-stream"
    params = {}
    if maintype == "text" and is_utf8(item.data):
        # Browsers upload text files without a charset; without one, readers assume
        # US-ASCII (RFC 2046 section 4.1.2) and garble Vietnamese text.
        params["charset"] = "utf-8"
    message.add_attachment(
        item.data, maintype=maintype, subtype=subtype, filename=item.filename, params=params
    )


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def reply_subject(subject: str) -> str:
    return subject if subject[:3].lower() == "re:" else f"Re: {subject}"


def forward_subject(subject: str) -> str:
    return subject if subject[:4].lower() in ("fwd:", "fw: ") else f"Fwd: {subject}"


def quote(text: str) -> str:
    """Prefix each line with "> ", as replies quote (RFC 3676 section 4.5)."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def reply_draft(
    envelope: Envelope,
    *,
    references: str,
    text: str,
    own_address: str,
    reply_all: bool,
    date: datetime,
    t: Translator,
) -> Draft:
    """Prefill a reply: recipients, "Re:" subject, threading headers and the quoted text.

    In-Reply-To and References follow RFC 5322 section 3.6.4.
    """
    targets = real_addresses(envelope.reply_to or envelope.from_)
    to_addresses = {address_text(item).lower() for item in targets}
    cc = ""
    if reply_all:
        others = tuple(
            item
            for item in real_addresses(envelope.to + envelope.cc)
            if address_text(item).lower() not in to_addresses | {own_address.lower()}
        )
        cc = format_addresses(others)
    senders = real_addresses(envelope.from_)
    sender = format_addresses(tuple(senders[:1])) if senders else ""
    message_id = (envelope.message_id or "").strip()
    thread = references.split()
    if message_id and message_id not in thread:
        thread.append(message_id)
    intro = t("quote_intro", date=t.datetime(date), sender=sender)
    return Draft(
        to=format_addresses(tuple(targets)),
        cc=cc,
        subject=reply_subject(decode_words(envelope.subject)),
        body=f"\n\n{intro}\n{quote(text)}\n",
        in_reply_to=message_id,
        references=" ".join(thread),
        mode="reply_all" if reply_all else "reply",
    )


def forward_draft(envelope: Envelope, *, text: str, date: datetime, t: Translator) -> Draft:
    """Prefill a forward: "Fwd:" subject and the original's headers and text in the body."""
    subject = decode_words(envelope.subject)
    lines = [
        t("forward_intro"),
        f"{t('header_from')}: {format_addresses(envelope.from_)}",
        f"{t('header_date')}: {t.datetime(date)}",
        f"{t('header_subject')}: {subject}",
        f"{t('header_to')}: {format_addresses(envelope.to)}",
    ]
    if envelope.cc:
        lines.append(f"{t('header_cc')}: {format_addresses(envelope.cc)}")
    header_block = "\n".join(lines)
    return Draft(
        subject=forward_subject(subject),
        body=f"\n\n{header_block}\n\n{text}\n",
        mode="forward",
    )
