"""BODY[section] contents, cut out of the stored message (RFC 3501 section 6.4.5).

Part numbers walk the stored structure; the byte offsets it records give each part's
header and body without parsing the message again.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.mime.structure import Part


@dataclass(frozen=True)
class Section:
    """A section-spec: part numbers, then HEADER, HEADER.FIELDS[.NOT], TEXT, MIME or none."""

    part: tuple[int, ...] = ()
    text: str | None = None
    fields: tuple[str, ...] = ()

    @property
    def needs_structure(self) -> bool:
        return bool(self.part)


def header_end(raw: bytes) -> int:
    """Return where the top-level header ends: just after its empty line, or the end."""
    if raw.startswith(b"\r\n"):
        return 2
    if raw.startswith(b"\n"):
        return 1
    ends = []
    crlf = raw.find(b"\n\r\n")
    if crlf >= 0:
        ends.append(crlf + 3)
    lf = raw.find(b"\n\n")
    if lf >= 0:
        ends.append(lf + 2)
    return min(ends) if ends else len(raw)


def _children(part: Part) -> tuple[Part, ...] | None:
    """Return the parts numbered below `part`, or None when nothing is."""
    if part.type == "multipart":
        return part.children
    if part.type == "message" and part.message is not None:
        inner = part.message
        return inner.children if inner.type == "multipart" else (inner,)
    return None


def find_part(root: Part, numbers: tuple[int, ...]) -> Part | None:
    """Return the part a part number names; the top level numbers a single part as "1"."""
    children: tuple[Part, ...] | None = root.children if root.type == "multipart" else (root,)
    part = root
    for number in numbers:
        if not children or not 1 <= number <= len(children):
            return None
        part = children[number - 1]
        children = _children(part)
    return part


def split_fields(block: bytes) -> list[bytes]:
    """Split a header block into fields, each with its continuation lines (RFC 5322 2.2)."""
    fields: list[bytes] = []
    for line in block.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def field_name(field: bytes) -> str | None:
    name, colon, _ = field.partition(b":")
    return name.strip().decode("ascii", "replace").lower() if colon else None


def header_fields(block: bytes, names: tuple[str, ...], exclude: bool) -> bytes:
    """Return the fields of a header block named (or, with `exclude`, not named) in `names`.

    The result ends with the empty line that ends a header (RFC 3501 section 6.4.5).
    """
    wanted = {name.lower() for name in names}
    out = bytearray()
    for field in split_fields(block):
        name = field_name(field)
        if name is None or (name in wanted) == exclude:
            continue
        out += field if field.endswith(b"\n") else field + b"\r\n"
    return bytes(out) + b"\r\n"


def section_bytes(raw: bytes, root: Part | None, section: Section) -> bytes | None:
    """Return a section's bytes, or None when the message has no such part."""
    if not section.part:
        return _text_of(raw, 0, header_end(raw), len(raw), section)
    assert root is not None
    part = find_part(root, section.part)
    if part is None:
        return None
    if section.text is None:
        return raw[part.body_start : part.end]
    if section.text == "MIME":
        return raw[part.header_start : part.body_start]
    if part.type != "message" or part.message is None:
        return None
    inner = part.message
    return _text_of(raw, inner.header_start, inner.body_start, inner.end, section)


def _text_of(raw: bytes, start: int, body: int, end: int, section: Section) -> bytes:
    if section.text is None:
        return raw[start:end]
    if section.text == "TEXT":
        return raw[body:end]
    header = raw[start:body]
    if section.text == "HEADER":
        return header
    return header_fields(header, section.fields, exclude=section.text == "HEADER.FIELDS.NOT")
