"""Parse a stored message with Python's `email` package into what the reading page shows.

The `email` package has known failures on hostile or broken input: recursion on deep
nesting, LookupError on unknown charsets, and crashes of the header parser on odd
headers. Each is guarded here. When the message cannot be parsed at all, the page shows
its raw text with a note instead of failing.
"""

from __future__ import annotations

import email
import email.policy
import logging
import mimetypes
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage, Message, MIMEPart

from webmail.display import decode_words

log = logging.getLogger("web")

# Parsing and serialising policy: the modern API, without refolding headers that are
# re-serialised when an attached message is downloaded or forwarded.
READ_POLICY = email.policy.default.clone(refold_source="none")
# Nesting deeper than this (multiparts and attached messages) is shown as raw text.
MAX_DEPTH = 20


class Unreadable(Exception):
    """The message cannot be parsed into parts."""


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment as the reading page lists it; `index` addresses it in `find_part`."""

    index: int
    filename: str
    content_type: str
    size: int


@dataclass
class ReadableMessage:
    """The body and attachments of a message, ready to show."""

    text: str | None = None  # the plain text body, when the message has no HTML body
    html: str | None = None  # the HTML body as sent; sanitize it before showing it
    attachments: list[AttachmentInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # catalogue keys of notes for the reader
    references: str = ""  # the References header, for replies (RFC 5322 section 3.6.4)


def parse(raw: bytes) -> EmailMessage:
    """Parse the message, or raise Unreadable when it is nested too deep to parse safely."""
    try:
        message = email.message_from_bytes(raw, policy=READ_POLICY)
    except RecursionError:
        raise Unreadable("nesting too deep for the parser") from None
    if nesting_depth(message) > MAX_DEPTH:
        raise Unreadable(f"nesting deeper than {MAX_DEPTH} levels")
    assert isinstance(message, EmailMessage)
    return message


def nesting_depth(message: Message) -> int:
    """Return how deep multiparts and attached messages nest, counted without recursion."""
    deepest = 0
    stack: list[tuple[Message, int]] = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
    return deepest


def walk(message: MIMEPart) -> list[tuple[int, MIMEPart, str]]:
    """Return (index, part, parent content type) for every part, in pre-order.

    Unlike `Message.walk`, this does not descend into attached messages (message/rfc822),
    which are one attachment each, and it does not recurse.
    """
    found: list[tuple[int, MIMEPart, str]] = []
    stack: list[tuple[MIMEPart, str]] = [(message, "")]
    while stack:
        part, parent = stack.pop()
        found.append((len(found), part, parent))
        if part.get_content_maintype() == "multipart":
            children = part.get_payload()
            if isinstance(children, list):
                stack.extend(
                    (child, part.get_content_type())
                    for child in reversed(children)
                    if isinstance(child, MIMEPart)
                )
    return found


def read_message(raw: bytes) -> ReadableMessage:
    """Return the body and attachments of a message, or its raw text when unreadable."""
    try:
        message = parse(raw)
        return readable(message)
    except Exception as error:  # broken input must never break the page; show raw text
        log.warning("message shown as raw text: %s: %s", type(error).__name__, error)
        text = normalize_text(raw.decode("utf-8", "replace"))
        return ReadableMessage(text=text, notes=["note_raw_fallback"])


def readable(message: EmailMessage) -> ReadableMessage:
    result = ReadableMessage(references=header_text(message, "references"))
    body = message.get_body(preferencelist=("html", "plain"))
    if body is not None:
        content, charset_ok = part_text(body)
        if body.get_content_subtype() == "html":
            result.html = content
        else:
            result.text = normalize_text(content)
        if not charset_ok:
            result.notes.append("note_unknown_charset")
    else:
        result.text = ""
    for index, part in attachment_parts(message):
        result.attachments.append(
            AttachmentInfo(
                index=index,
                filename=filename(part, index),
                content_type=part.get_content_type(),
                size=len(part_bytes(part)),
            )
        )
    return result


def attachment_parts(message: MIMEPart) -> list[tuple[int, MIMEPart]]:
    """Return (index, part) of every attachment: every leaf but the body and its kin."""
    body = message.get_body(preferencelist=("html", "plain"))
    return [
        (index, part)
        for index, part, parent in walk(message)
        if part is not body and is_attachment(part, parent)
    ]


def quotable_text(raw: bytes) -> str:
    """Return the plain text of a message for quoting in a reply ("" if none)."""
    try:
        message = parse(raw)
        body = message.get_body(preferencelist=("plain", "html"))
        if body is None:
            return ""
        content, _ = part_text(body)
    except Exception:  # a reply must still be possible; it then quotes nothing
        return ""
    if body.get_content_subtype() == "html":
        from webmail.sanitize import html_to_text

        content = html_to_text(content)
    return normalize_text(content)


def normalize_text(text: str) -> str:
    """Return text with LF line ends and composed (NFC) Vietnamese letters for display.

    Some senders write decomposed letters (NFD). Composed ones render better in every
    font and quote cleanly.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def is_attachment(part: MIMEPart, parent: str) -> bool:
    """Tell whether a leaf part is listed as an attachment.

    Multipart containers are not. Neither are the other alternatives of the body (RFC 2046
    section 5.1.4) nor images that an HTML body shows inline by Content-ID (RFC 2387),
    unless they are marked as attachments.
    """
    if part.get_content_maintype() == "multipart":
        return False
    if part.get_content_disposition() == "attachment":
        return True
    if parent == "multipart/alternative" and part.get_content_type() in ("text/plain", "text/html"):
        return False
    return not (parent == "multipart/related" and part.get("content-id"))


def part_text(part: MIMEPart) -> tuple[str, bool]:
    """Return the decoded text of a text part, and whether its charset was understood."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        return data.decode("utf-8", "replace"), False
    return (content if isinstance(content, str) else ""), True


def part_bytes(part: MIMEPart) -> bytes:
    """Return the content of a part after undoing its transfer encoding.

    An attached message (message/rfc822) is returned as a message file.
    """
    if part.get_content_maintype() == "message":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return bytes(payload[0].as_bytes(policy=READ_POLICY))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def filename(part: MIMEPart, index: int) -> str:
    """Return the part's file name, decoded (RFC 2231 and RFC 2047), or a made-up one.

    Path separators and control characters are removed so the name is safe to save.
    """
    try:
        name = part.get_filename() or ""
    except Exception:  # a parameter the header parser cannot read
        name = ""
    if "=?" in name:
        name = decode_words(name)
    name = unicodedata.normalize("NFC", name)
    name = "".join(char for char in name if char.isprintable() and char not in "/\\")
    name = name.strip().strip(".")
    if name:
        return name
    if part.get_content_type() == "message/rfc822":
        return attached_message_name(part, index)
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"part-{index}{extension}"


def attached_message_name(part: MIMEPart, index: int) -> str:
    """Name an attached message after its subject, as mail clients save it."""
    payload = part.get_payload()
    subject = ""
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        subject = decode_words(header_text(payload[0], "subject"))
    safe = "".join(char for char in subject if char.isprintable() and char not in '/\\:*?"<>|')
    return f"{safe.strip()[:100] or f'message-{index}'}.eml"


def find_part(message: MIMEPart, index: int) -> MIMEPart | None:
    """Return the attachment at `index` (as listed by `attachment_parts`), or None."""
    return next((part for found, part in attachment_parts(message) if found == index), None)


def inline_images(message: MIMEPart) -> dict[str, tuple[str, bytes]]:
    """Map each Content-ID (without angle brackets) of an image part to its type and bytes."""
    images: dict[str, tuple[str, bytes]] = {}
    for _index, part, _parent in walk(message):
        content_id = header_text(part, "content-id").strip().strip("<>").strip()
        if content_id and part.get_content_maintype() == "image":
            images.setdefault(content_id, (part.get_content_type(), part_bytes(part)))
    return images


def attachments_of(message: MIMEPart) -> list[tuple[str, str, bytes]]:
    """Return (file name, content type, bytes) of every attachment, for forwarding."""
    return [
        (filename(part, index), part.get_content_type(), part_bytes(part))
        for index, part in attachment_parts(message)
    ]


def header_text(part: Message, name: str) -> str:
    """Return a header as a string, or "" when it is missing or cannot be parsed."""
    try:
        value = part.get(name)
    except Exception:  # the header registry fails on some malformed values
        return ""
    return "" if value is None else str(value)
