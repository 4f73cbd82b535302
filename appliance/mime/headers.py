"""Split a header block into fields and unfold their values (RFC 5322 sections 2.2 and 2.2.3).

A header block is the bytes from the start of an entity up to and including the blank line
that ends its header. Lines end with LF, optionally preceded by CR. A lone CR is kept as
part of the line. Header bytes are decoded as UTF-8 with `surrogateescape`, so 8-bit
headers survive and `str.encode("utf-8", "surrogateescape")` gives the bytes back.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# Maximum number of fields that first_values reads in one header, so that a header
# crafted with millions of To: lines costs bounded time. Real headers contain fewer than
# 20 of the fields it is asked for.
MAX_NAMED_FIELDS = 200

# Line breaks followed by a blank, and the blank that stays when the break is removed.
_FOLDS = ((b"\r\n ", b" "), (b"\r\n\t", b"\t"), (b"\n ", b" "), (b"\n\t", b"\t"))
_LINE = re.compile(rb"[^\n]*\n|[^\n]+")
_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")


@dataclass(frozen=True)
class RawField:
    """One header field as stored: its name (None for a malformed line) and its raw bytes.

    `raw` contains the field's first line, its continuation lines and their line endings.
    """

    name: str | None
    raw: bytes

    @property
    def value(self) -> str:
        """The unfolded value: text after the colon, leading blanks and line ending removed."""
        return unfold_value(self.raw)


def _field_name(line: bytes) -> str | None:
    """Return the field name of a header line, or None when the line has none.

    RFC 5322 section 3.6.8 allows printable US-ASCII except the colon in a name, and the
    obsolete syntax (section 4.5) allows blanks before the colon.
    """
    colon = line.find(b":")
    if colon <= 0:
        return None
    name = line[:colon].rstrip(b" \t")
    if _NAME.fullmatch(name) is None:
        return None
    return name.decode("ascii")


def split_fields(block: bytes) -> list[RawField]:
    """Split a header block into its fields, in order, stopping at the first blank line.

    A continuation line (one that starts with a blank) belongs to the field above it.
    A line that is not a field and not a continuation becomes a field with name None, and
    so do continuation lines before the first field.
    """
    fields: list[RawField] = []
    current: list[bytes] = []
    current_name: str | None = None
    for line in _LINE.findall(block):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and current:
            current.append(line)
            continue
        if current:
            fields.append(RawField(current_name, b"".join(current)))
        current = [line]
        current_name = _field_name(line)
    if current:
        fields.append(RawField(current_name, b"".join(current)))
    return fields


def unfold_value(raw_field: bytes) -> str:
    """Return the unfolded value of a raw field (RFC 5322 section 2.2.3).

    Unfolding removes each line break that is followed by a blank. The blanks after the
    colon and the final line ending are removed, other blanks are kept.
    """
    colon = raw_field.find(b":")
    value = raw_field[colon + 1 :] if colon >= 0 else raw_field
    value = value.rstrip(b"\r\n")
    if b"\n" in value:
        for fold, blank in _FOLDS:
            value = value.replace(fold, blank)
    value = value.lstrip(b" \t")
    return value.decode("utf-8", "surrogateescape")


@functools.lru_cache(maxsize=16)
def _named_fields_pattern(names: tuple[str, ...]) -> re.Pattern[bytes]:
    alternation = b"|".join(re.escape(name.encode("ascii")) for name in names)
    return re.compile(rb"(?im)^(?P<name>" + alternation + rb")[ \t]*:[^\n]*\n?(?:[ \t][^\n]*\n?)*")


def first_values(block: bytes, names: tuple[str, ...]) -> tuple[dict[str, str], bool]:
    """Find the first occurrence of each named field in a header block.

    Return a map from lower-case name to unfolded value, and False when the search
    stopped after MAX_NAMED_FIELDS fields of those names. Only fields of the given
    names are looked at, in `re`, so a header of many other lines costs little.
    """
    values: dict[str, str] = {}
    fields = _named_fields_pattern(names).finditer(block)
    for seen, match in enumerate(fields, start=1):
        values.setdefault(match["name"].decode("ascii").lower(), unfold_value(match[0]))
        if seen >= MAX_NAMED_FIELDS:
            return values, False
    return values, True
