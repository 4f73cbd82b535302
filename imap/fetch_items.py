"""Parsing FETCH data items (RFC 3501 sections 6.4.5 and 9, "fetch-att")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.mime.sections import SectionSpec, SectionText
from imap.errors import BadCommand
from imap.wire import Parser

_NAME = re.compile(rb"[A-Za-z0-9.]+")
_SIMPLE = frozenset(
    {
        "UID",
        "FLAGS",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.TEXT",
    }
)
MACROS = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
_TEXTS: tuple[SectionText, ...] = ("HEADER.FIELDS.NOT", "HEADER.FIELDS", "HEADER", "TEXT", "MIME")


@dataclass(frozen=True)
class FetchItem:
    """One requested data item; `section` is set for BODY[...] and BODY.PEEK[...]."""

    name: str
    section: SectionSpec | None = None
    partial: tuple[int, int] | None = None
    peek: bool = False

    @property
    def sets_seen(self) -> bool:
        """RFC 3501 section 6.4.5: BODY[...], RFC822 and RFC822.TEXT set \\Seen."""
        if self.section is not None:
            return not self.peek
        return self.name in ("RFC822", "RFC822.TEXT")

    @property
    def needs_structure(self) -> bool:
        """Tell whether the stored MIME structure is needed: every body section is cut
        out of the blob with its offsets."""
        return self.section is not None or self.name in (
            "ENVELOPE",
            "BODY",
            "BODYSTRUCTURE",
            "RFC822.HEADER",
            "RFC822.TEXT",
        )

    @property
    def needs_bytes(self) -> bool:
        if self.section is not None:
            return True
        return self.name in ("RFC822", "RFC822.HEADER", "RFC822.TEXT")

    def label(self) -> bytes:
        """Return the item name as the response writes it, e.g. BODY[HEADER]<0>."""
        if self.section is None:
            return self.name.encode("ascii")
        return b"BODY[%s]%s" % (
            section_label(self.section),
            b"<%d>" % self.partial[0] if self.partial else b"",
        )


def section_label(section: SectionSpec) -> bytes:
    parts = [".".join(str(number) for number in section.part)] if section.part else []
    if section.text:
        parts.append(section.text)
    text = ".".join(parts)
    if section.text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        text += " (" + " ".join(name.upper() for name in section.fields) + ")"
    return text.encode("ascii", "replace")


def parse_items(parser: Parser) -> list[FetchItem]:
    """Read a macro, one item, or a parenthesised list of items."""
    if parser.peek() != b"(":
        name = _read_name(parser)
        if name in MACROS:
            return [FetchItem(item) for item in MACROS[name]]
        return [_item(parser, name)]
    parser.open_list()
    items: list[FetchItem] = []
    while parser.list_continues():
        if items:
            parser.space()
        items.append(_item(parser, _read_name(parser)))
    if not items:
        raise BadCommand("FETCH needs at least one data item")
    return items


def _read_name(parser: Parser) -> str:
    match = _NAME.match(parser.data, parser.position)
    if not match:
        raise BadCommand(parser.expected("a FETCH data item"))
    parser.position = match.end()
    return match.group().decode("ascii").upper()


def _item(parser: Parser, name: str) -> FetchItem:
    if name in ("BODY", "BODY.PEEK") and parser.peek() == b"[":
        section = _section(parser)
        partial = _partial(parser)
        return FetchItem("BODY", section, partial, peek=name == "BODY.PEEK")
    if name in _SIMPLE:
        return FetchItem(name)
    if name in MACROS:
        raise BadCommand(f"{name} must be used alone, not inside a list")
    raise BadCommand(f"Unknown FETCH data item: {name}")


def _section(parser: Parser) -> SectionSpec:
    parser.expect(b"[")
    numbers: list[int] = []
    text: SectionText = ""
    fields: tuple[str, ...] = ()
    while parser.peek().isdigit():
        numbers.append(parser.number(nonzero=True))
        if not parser.try_expect(b"."):
            break
    if parser.peek() != b"]":
        text = _section_text(parser, bool(numbers))
        if text.startswith("HEADER.FIELDS"):
            parser.space()
            fields = _field_names(parser)
    parser.expect(b"]")
    return SectionSpec(tuple(numbers), text, fields)


def _section_text(parser: Parser, after_part: bool) -> SectionText:
    for text in _TEXTS:
        if parser.try_expect(text.encode("ascii")):
            if text == "MIME" and not after_part:
                raise BadCommand("MIME is only valid after a part number")
            return text
    raise BadCommand(parser.expected("HEADER, HEADER.FIELDS, TEXT or MIME"))


def _field_names(parser: Parser) -> tuple[str, ...]:
    parser.open_list()
    names: list[str] = []
    while parser.list_continues():
        if names:
            parser.space()
        names.append(parser.astring().decode("ascii", "replace"))
    if not names:
        raise BadCommand("HEADER.FIELDS needs at least one field name")
    return tuple(names)


def _partial(parser: Parser) -> tuple[int, int] | None:
    if not parser.try_expect(b"<"):
        return None
    origin = parser.number()
    parser.expect(b".")
    length = parser.number(nonzero=True)
    parser.expect(b">")
    return origin, length
