"""The top-level header of a stored message, split into fields for SEARCH (RFC 5322 2.2).

FETCH cuts sections with `appliance.mime.sections` and the stored structure; SEARCH
reads only the raw header, so it does not load the structure of every message.
"""

from __future__ import annotations


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
