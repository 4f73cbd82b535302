"""Cut IMAP FETCH body sections out of a stored message (RFC 3501 section 6.4.5).

The IMAP server parses the section text from the wire into a SectionSpec. These functions
only slice the stored bytes with the offsets of a MessageStructure, so no section needs
the message to be parsed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from appliance.mime.headers import split_fields
from appliance.mime.structure import MessageStructure, Part

SectionText = Literal["", "HEADER", "TEXT", "MIME", "HEADER.FIELDS", "HEADER.FIELDS.NOT"]


@dataclass(frozen=True)
class SectionSpec:
    """A parsed section specifier such as `[]`, `[1.2.MIME]` or `[HEADER.FIELDS (From)]`.

    `part` is the part number (empty for the whole message), `text` the section text and
    `fields` the field names of HEADER.FIELDS and HEADER.FIELDS.NOT.
    """

    part: tuple[int, ...] = ()
    text: SectionText = ""
    fields: tuple[str, ...] = ()


def _numbered_parts(entity: Part, is_message_top: bool) -> tuple[Part, ...]:
    """Return the parts that the next part number selects among.

    The parts of a multipart are its children. The top part of a message that is not
    multipart is its own only part, number 1.
    """
    if entity.type == "multipart":
        return entity.children
    return (entity,) if is_message_top else ()


def find_part(structure: MessageStructure, number: tuple[int, ...]) -> Part | None:
    """Return the part with an IMAP part number such as (2, 1), or None if there is none.

    The empty number selects the message itself. A number below a message/rfc822 part
    selects among the parts of the attached message (RFC 3501 section 6.4.5).
    """
    node = structure.root
    is_message_top = True
    for index in number:
        if node.message is not None and not is_message_top:
            node, is_message_top = node.message, True
        candidates = _numbered_parts(node, is_message_top)
        if not 1 <= index <= len(candidates):
            return None
        node, is_message_top = candidates[index - 1], False
    return node


def _header_terminator(block: bytes) -> bytes:
    """Return the blank line that ends a header block, CRLF when the block has none."""
    if block == b"\n" or block.endswith(b"\n\n"):
        return b"\n"
    return b"\r\n"


def _filtered_header(block: bytes, names: tuple[str, ...], keep_listed: bool) -> bytes:
    """Return the fields of a header block whose presence in `names` equals `keep_listed`.

    Fields are returned exactly as stored, in order, followed by the blank line that ends
    the header. Names match case-insensitively. A malformed line (no field name) matches
    no name, so only HEADER.FIELDS.NOT returns it. A last field without a line ending
    gets CRLF, so that the blank line still ends the header.
    """
    wanted = {name.lower() for name in names}
    kept: list[bytes] = []
    for field in split_fields(block):
        listed = field.name is not None and field.name.lower() in wanted
        if listed == keep_listed:
            kept.append(field.raw if field.raw.endswith(b"\n") else field.raw + b"\r\n")
    kept.append(_header_terminator(block))
    return b"".join(kept)


def _message_section(raw: bytes, message: Part, spec: SectionSpec) -> bytes:
    """Return HEADER, TEXT or HEADER.FIELDS[.NOT] of a message's top part."""
    header = raw[message.header_start : message.body_start]
    if spec.text == "HEADER":
        return header
    if spec.text == "TEXT":
        return raw[message.body_start : message.end]
    return _filtered_header(header, spec.fields, spec.text == "HEADER.FIELDS")


def section_bytes(raw: bytes, structure: MessageStructure, spec: SectionSpec) -> bytes:
    """Return the bytes of one FETCH body section (RFC 3501 section 6.4.5).

    `[]` is the whole message. `[N]` is the body of part N: for a message/rfc822 part
    that is the whole attached message, and `[1]` of a message that is not multipart is
    its body. `[N.MIME]` is part N's MIME header. HEADER, TEXT and HEADER.FIELDS[.NOT]
    apply to the message itself or, after a part number, to the message attached in a
    message/rfc822 part. Header sections end with the blank line. A part that does not
    exist, MIME without a part number and a message section of a part that is not
    message/rfc822 return empty bytes.
    """
    if not spec.part:
        if spec.text == "":
            return raw
        if spec.text == "MIME":
            return b""
        return _message_section(raw, structure.root, spec)
    part = find_part(structure, spec.part)
    if part is None:
        return b""
    if spec.text == "":
        return raw[part.body_start : part.end]
    if spec.text == "MIME":
        return raw[part.header_start : part.body_start]
    if part.message is None:
        return b""
    return _message_section(raw, part.message, spec)


def header_fields(raw: bytes, part: Part) -> list[tuple[str, str]]:
    """Return the (name, unfolded value) pairs of a part's header, in order.

    Names are as written, values as described in `RawField.value`. Malformed lines are
    left out. This is what SEARCH HEADER, FROM and SUBJECT match against.
    """
    block = raw[part.header_start : part.body_start]
    return [(field.name, field.value) for field in split_fields(block) if field.name is not None]
