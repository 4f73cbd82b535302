"""ENVELOPE, BODY and BODYSTRUCTURE from the stored MIME structure (RFC 3501 section 7.4.2).

The structure was parsed once when the message was stored; nothing here reads the
message bytes again.
"""

from __future__ import annotations

from collections.abc import Sequence

from appliance.mime.structure import Address, Envelope, Part
from imap.response import nstring, parenthesised, string


def envelope(value: Envelope) -> bytes:
    """Render an ENVELOPE: date, subject, six address lists, in-reply-to, message-id.

    An absent or empty Sender or Reply-To is given the value of From (section 7.4.2).
    """
    sender = value.sender or value.from_
    reply_to = value.reply_to or value.from_
    return parenthesised(
        [
            nstring(value.date),
            nstring(value.subject),
            addresses(value.from_),
            addresses(sender),
            addresses(reply_to),
            addresses(value.to),
            addresses(value.cc),
            addresses(value.bcc),
            nstring(value.in_reply_to),
            nstring(value.message_id),
        ]
    )


def addresses(items: Sequence[Address]) -> bytes:
    if not items:
        return b"NIL"
    return parenthesised(
        parenthesised(
            [nstring(item.name), nstring(item.adl), nstring(item.mailbox), nstring(item.host)]
        )
        for item in items
    )


def _params(params: Sequence[tuple[str, str]]) -> bytes:
    if not params:
        return b"NIL"
    return parenthesised(string(name) + b" " + string(value) for name, value in params)


def _disposition(part: Part) -> bytes:
    if part.disposition is None:
        return b"NIL"
    return parenthesised([string(part.disposition), _params(part.disposition_params)])


def _language(part: Part) -> bytes:
    if not part.language:
        return b"NIL"
    if len(part.language) == 1:
        return string(part.language[0])
    return parenthesised(string(tag) for tag in part.language)


def body_structure(part: Part, extended: bool) -> bytes:
    """Render BODYSTRUCTURE (`extended`) or BODY of one part and its children."""
    if part.type == "multipart":
        return _multipart(part, extended)
    fields = [
        string(part.type),
        string(part.subtype),
        _params(part.params),
        nstring(part.content_id),
        nstring(part.description),
        string(part.encoding),
        b"%d" % part.size,
    ]
    if part.type == "message" and part.subtype in ("rfc822", "global") and part.message:
        fields.append(envelope(part.envelope) if part.envelope else _empty_envelope())
        fields.append(body_structure(part.message, extended))
        fields.append(b"%d" % part.lines)
    elif part.type == "text":
        fields.append(b"%d" % part.lines)
    if extended:
        fields += [nstring(part.md5), _disposition(part), _language(part), nstring(part.location)]
    return parenthesised(fields)


def _multipart(part: Part, extended: bool) -> bytes:
    children = part.children or (_EMPTY_TEXT,)
    # A multipart body is its children written one after another, with no space between.
    inner = b"".join(body_structure(child, extended) for child in children)
    fields = [inner, string(part.subtype)]
    if extended:
        fields += [_params(part.params), _disposition(part), _language(part)]
        fields.append(nstring(part.location))
    return parenthesised(fields)


def _empty_envelope() -> bytes:
    return envelope(Envelope(None, None, (), (), (), (), (), (), None, None))


# Stands in for the missing children of a malformed multipart, which the BODYSTRUCTURE
# grammar cannot express (it needs at least one body part).
_EMPTY_TEXT = Part(header_start=0, body_start=0, end=0, type="text", subtype="plain")
