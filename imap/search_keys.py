"""Parsing SEARCH criteria (RFC 3501 section 6.4.4 and the "search-key" syntax of section 9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from imap.errors import BadCommand, CommandFailed
from imap.wire import Parser, SequenceSet

CHARSETS = ("UTF-8", "US-ASCII")
MAX_DEPTH = 50  # nesting of NOT, OR and parentheses

_NO_ARGUMENT = frozenset(
    {
        "ALL",
        "ANSWERED",
        "DELETED",
        "DRAFT",
        "FLAGGED",
        "NEW",
        "OLD",
        "RECENT",
        "SEEN",
        "UNANSWERED",
        "UNDELETED",
        "UNDRAFT",
        "UNFLAGGED",
        "UNSEEN",
    }
)
_STRING = frozenset({"BCC", "BODY", "CC", "FROM", "SUBJECT", "TEXT", "TO"})
_DATE = frozenset({"BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"})
_NUMBER = frozenset({"LARGER", "SMALLER"})
_WITH_ARGUMENT = _STRING | _DATE | _NUMBER | {"KEYWORD", "UNKEYWORD", "UID", "HEADER", "NOT", "OR"}


@dataclass(frozen=True)
class Key:
    """One criterion; `value` depends on `name` (text, date, number, flag or set)."""

    name: str
    value: str | date | int | SequenceSet | None = None
    field: str = ""  # the field name of HEADER


@dataclass(frozen=True)
class Not:
    key: Criterion


@dataclass(frozen=True)
class Or:
    left: Criterion
    right: Criterion


@dataclass(frozen=True)
class And:
    keys: tuple[Criterion, ...]


Criterion = Key | Not | Or | And


def parse_search(parser: Parser) -> And:
    """Read [CHARSET name] and one or more search keys, up to the end of the command."""
    parser.space()
    charset = "UTF-8"
    if parser.try_expect(b"CHARSET "):
        charset = parser.astring().decode("ascii", "replace").upper()
        if charset not in CHARSETS:
            raise CommandFailed(
                f"Unsupported charset {charset}", "BADCHARSET (" + " ".join(CHARSETS) + ")"
            )
        parser.space()
    keys = [_key(parser, charset, 0)]
    while parser.try_space():
        keys.append(_key(parser, charset, 0))
    parser.end()
    return And(tuple(keys))


def _key(parser: Parser, charset: str, depth: int) -> Criterion:
    if depth > MAX_DEPTH:
        raise BadCommand("Search criteria are nested too deeply")
    if parser.peek() == b"(":
        parser.open_list()
        keys = [_key(parser, charset, depth + 1)]
        while not parser.try_expect(b")"):
            parser.space()
            keys.append(_key(parser, charset, depth + 1))
        return And(tuple(keys))
    if parser.peek().isdigit() or parser.peek() == b"*":
        return Key("SEQUENCE", parser.sequence_set())
    name = parser.keyword()
    if name in _NO_ARGUMENT:
        return Key(name)
    if name not in _WITH_ARGUMENT:
        raise BadCommand(f"Unknown search key: {name}")
    parser.space()
    if name in _STRING:
        return Key(name, _text(parser, charset))
    if name in _DATE:
        return Key(name, parser.date())
    if name in _NUMBER:
        return Key(name, parser.number())
    if name in ("KEYWORD", "UNKEYWORD"):
        return Key(name, parser.atom())
    if name == "UID":
        return Key(name, parser.sequence_set())
    if name == "HEADER":
        field = parser.astring().decode("ascii", "replace")
        parser.space()
        return Key(name, _text(parser, charset), field)
    if name == "NOT":
        return Not(_key(parser, charset, depth + 1))
    if name == "OR":
        left = _key(parser, charset, depth + 1)
        parser.space()
        return Or(left, _key(parser, charset, depth + 1))
    raise BadCommand(f"Unknown search key: {name}")


def _text(parser: Parser, charset: str) -> str:
    data = parser.astring()
    try:
        return data.decode("ascii" if charset == "US-ASCII" else "utf-8")
    except UnicodeDecodeError:
        raise BadCommand(f"Search string is not valid {charset}") from None
