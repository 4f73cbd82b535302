"""Records that describe a parsed message: its envelope and its tree of MIME parts.

Offsets are byte positions in the stored message (the blob), so any part, its header or
its body can be cut out of the blob without parsing it again. Header values are kept as
they appear on the wire (unfolded, RFC 2047 encoded words left as they are), because IMAP
ENVELOPE and BODYSTRUCTURE return them that way (RFC 3501 section 7.4.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Address:
    """One address of an ENVELOPE field, in the four IMAP parts (RFC 3501 section 7.4.2).

    A group start has `host` None and `mailbox` the group name; a group end has both None.
    """

    name: str | None
    adl: str | None
    mailbox: str | None
    host: str | None


@dataclass(frozen=True)
class Envelope:
    """The ENVELOPE fields of a message or of an attached message/rfc822."""

    date: str | None
    subject: str | None
    from_: tuple[Address, ...]
    sender: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    in_reply_to: str | None
    message_id: str | None


@dataclass(frozen=True)
class Part:
    """One MIME entity: the whole message, a leaf part, a multipart or a message/rfc822.

    `header_start` is where the entity's header begins, `body_start` where its body begins
    (just after the blank line that ends the header; equal to `end` when there is no body),
    `end` is one past its last byte. For multipart children the CRLF before the next
    boundary line is not part of the child (RFC 2046 section 5.1.1).
    """

    header_start: int
    body_start: int
    end: int
    type: str  # lower case, e.g. "text"
    subtype: str  # lower case, e.g. "plain"
    params: tuple[tuple[str, str], ...] = ()  # Content-Type parameters, names lower case
    content_id: str | None = None
    description: str | None = None
    encoding: str = "7bit"  # Content-Transfer-Encoding, lower case
    md5: str | None = None
    disposition: str | None = None  # lower case, e.g. "attachment"
    disposition_params: tuple[tuple[str, str], ...] = ()
    language: tuple[str, ...] = ()
    location: str | None = None
    lines: int = 0  # body lines, for text/* and message/rfc822
    children: tuple[Part, ...] = ()  # for multipart/*
    envelope: Envelope | None = None  # for message/rfc822: the attached message's envelope
    message: Part | None = None  # for message/rfc822: the attached message's top part

    @property
    def size(self) -> int:
        """The body size in bytes, as BODYSTRUCTURE reports it."""
        return self.end - self.body_start


@dataclass(frozen=True)
class MessageStructure:
    """What delivery stores about a message besides its bytes."""

    envelope: Envelope
    root: Part
    defects: tuple[str, ...] = field(default=())  # parse problems found, raw bytes still kept
