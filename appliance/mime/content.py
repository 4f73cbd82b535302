"""Parse the Content-* header fields of a MIME entity.

Content-Type and Content-Disposition follow the RFC 2045 section 5.1 grammar: a type, then
`;`-separated `attribute=value` parameters, where values are tokens or quoted strings and
comments may appear between any two tokens (RFC 822 lexical rules). Parameter names are
returned in lower case and values as written, with quotes and backslash escapes removed.

RFC 2231 continuations are merged the way Dovecot's rfc2231-parser.c merges them for
BODYSTRUCTURE: `name*0`, `name*1*`, ... become one parameter, and when any section is
encoded the merged parameter keeps the `*` and the encoded form, so
`filename*0*=utf-8''%E1%BA; filename*1*=%A1.pdf` becomes
`("filename*", "utf-8''%E1%BA%A1.pdf")`. Two choices differ from Dovecot: sections that
were not encoded are fully percent-encoded while merging (Dovecot only escapes `%`), so
the merged value is valid RFC 2231 syntax, and sections are merged even when an index is
missing, as Python's email package does. `param_value` decodes merged values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote, unquote_to_bytes

Params = tuple[tuple[str, str], ...]

# A comment (RFC 5322 section 3.2.2), matched with up to three levels of nesting. The
# parentheses of a deeper or unterminated comment are lexed as special characters.
_COMMENT_TEXT = r"(?:[^()\\]|\\.)"
COMMENT = rf"\((?:{_COMMENT_TEXT}|\((?:{_COMMENT_TEXT}|\({_COMMENT_TEXT}*\))*\))*\)"
QUOTED = r'"(?P<qtext>(?:[^"\\]|\\.)*)"?'
_LEXEME = re.compile(
    rf"""
      [ \t\r\n]+
    | (?P<quoted>{QUOTED})
    | (?P<comment>{COMMENT})
    | (?P<token>[^ \t\r\n()<>@,;:\\"/\[\]?=\x00-\x1f\x7f]+)
    | (?P<special>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_SECTION = re.compile(r"(.+)\*([0-9]{1,4})")
# RFC 2231 section 7: attribute-char, the characters an encoded value keeps unescaped.
_ATTRIBUTE_SAFE = "!#$&+-.^_`|~"

DEFAULT_PARAMS: Params = (("charset", "us-ascii"),)


class Lexeme(NamedTuple):
    """A token, a quoted string (text unquoted) or a special character, with its span."""

    kind: str  # "token", "quoted" or "special"
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ContentInfo:
    """The values of an entity's Content-* fields, with RFC 2045 defaults applied."""

    type: str
    subtype: str
    params: Params
    encoding: str
    content_id: str | None
    description: str | None
    md5: str | None
    disposition: str | None
    disposition_params: Params
    language: tuple[str, ...]
    location: str | None
    defects: tuple[str, ...]


def unescape(text: str) -> str:
    """Remove the backslashes of quoted pairs (RFC 5322 section 3.2.1)."""
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


def lex(text: str) -> list[Lexeme]:
    """Split a structured field value into lexemes, dropping blanks and comments."""
    lexemes: list[Lexeme] = []
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind is None or kind == "comment":
            continue
        value = unescape(match["qtext"]) if kind == "quoted" else match[0]
        lexemes.append(Lexeme(kind, value, match.start(), match.end()))
    return lexemes


def _is_special(lexemes: list[Lexeme], index: int, char: str) -> bool:
    return index < len(lexemes) and lexemes[index].kind == "special" and lexemes[index].text == char


def _param_value(text: str, lexemes: list[Lexeme]) -> str:
    """Return a parameter value from the lexemes between `=` and the next `;`.

    A single token or quoted string is the value. Anything longer is invalid, but common
    (`name=two words.pdf`, unquoted `=` in boundaries), so the source text they span is
    kept as written.
    """
    if not lexemes:
        return ""
    if len(lexemes) == 1:
        return lexemes[0].text
    return text[lexemes[0].start : lexemes[-1].end]


def parse_params(text: str, lexemes: list[Lexeme], index: int) -> Params:
    """Parse the `; name=value` list that starts at lexeme `index` (RFC 2045 section 5.1).

    Lexemes before the first `;` and parameters without a name or `=` are skipped.
    """
    semicolons = [
        position
        for position in range(index, len(lexemes))
        if lexemes[position].kind == "special" and lexemes[position].text == ";"
    ]
    ends = [*semicolons[1:], len(lexemes)] if semicolons else []
    params: list[tuple[str, str]] = []
    for first, end in zip(semicolons, ends, strict=True):
        name = first + 1
        if name + 1 < end and lexemes[name].kind == "token" and _is_special(lexemes, name + 1, "="):
            value = _param_value(text, lexemes[name + 2 : end])
            params.append((lexemes[name].text.lower(), value))
    return merge_continuations(params)


def parse_typed_value(text: str, with_subtype: bool) -> tuple[str, str, Params] | None:
    """Parse `type/subtype; params` or, without subtype, `type; params`.

    Return the lower-case type and subtype and the parameters, or None when the value
    does not start with a valid type.
    """
    lexemes = lex(text)
    if not lexemes or lexemes[0].kind != "token":
        return None
    subtype = ""
    index = 1
    if with_subtype:
        if not _is_special(lexemes, 1, "/") or len(lexemes) < 3 or lexemes[2].kind != "token":
            return None
        subtype = lexemes[2].text.lower()
        index = 3
    return lexemes[0].text.lower(), subtype, parse_params(text, lexemes, index)


def _percent_encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogateescape"), safe=_ATTRIBUTE_SAFE)


def _merge_sections(sections: dict[int, tuple[bool, str]]) -> tuple[bool, str]:
    """Join RFC 2231 sections in index order, and report whether any was encoded."""
    ordered = [sections[index] for index in sorted(sections)]
    if not any(encoded for encoded, _ in ordered):
        return False, "".join(value for _, value in ordered)
    pieces = [value if encoded else _percent_encode(value) for encoded, value in ordered]
    if not ordered[0][0]:
        pieces[0] = "''" + pieces[0]  # no charset'language' prefix in the first section
    return True, "".join(pieces)


def merge_continuations(params: list[tuple[str, str]]) -> Params:
    """Merge RFC 2231 section 3 continuations, and keep other parameters in order.

    Sections are joined in index order even when some are missing, as Python's email
    package does. The merged parameter takes the place of its first section.
    """
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    order: list[tuple[str, str] | str] = []
    for name, value in params:
        encoded = name.endswith("*")
        section = _SECTION.fullmatch(name[:-1] if encoded else name)
        if section is None:
            order.append((name, value))
            continue
        base = section.group(1)
        if base not in sections:
            sections[base] = {}
            order.append(base)
        sections[base].setdefault(int(section.group(2)), (encoded, value))
    merged: list[tuple[str, str]] = []
    for item in order:
        if isinstance(item, tuple):
            merged.append(item)
        else:
            encoded, value = _merge_sections(sections[item])
            merged.append((item + "*" if encoded else item, value))
    return tuple(merged)


def decode_extended(value: str) -> str:
    """Decode an RFC 2231 section 4 value `charset'language'percent-encoded-text`.

    An unknown or missing charset falls back to UTF-8, and undecodable bytes become
    U+FFFD.
    """
    parts = value.split("'", 2)
    charset, text = (parts[0], parts[2]) if len(parts) == 3 else ("", value)
    data = unquote_to_bytes(text.encode("utf-8", "surrogateescape"))
    try:
        return data.decode(charset, "replace")
    except LookupError:  # unknown charset, or a codec that is not a text encoding
        return data.decode("utf-8", "replace")


def param_value(params: Params, name: str) -> str | None:
    """Return the decoded value of parameter `name`, preferring its RFC 2231 form."""
    name = name.lower()
    for key, value in params:
        if key == name + "*":
            return decode_extended(value)
    for key, value in params:
        if key == name:
            return value
    return None


def _first_token(text: str | None) -> str | None:
    if text is None:
        return None
    lexemes = lex(text)
    return lexemes[0].text.lower() if lexemes else None


def _language_tags(text: str | None) -> tuple[str, ...]:
    """Return the tags of a Content-Language list (RFC 3282 section 2)."""
    if text is None:
        return ()
    return tuple(lexeme.text for lexeme in lex(text) if lexeme.kind == "token")


def content_info(values: dict[str, str], digest_child: bool) -> ContentInfo:
    """Read the Content-* fields from `values` (lower-case name to first value).

    Without a Content-Type the type is text/plain with charset us-ascii (RFC 2045 section
    5.2), or message/rfc822 for a child of multipart/digest (RFC 2046 section 5.1.5).
    An invalid Content-Type also gives text/plain and adds a defect.
    """
    defects: list[str] = []
    raw_type = values.get("content-type")
    parsed = parse_typed_value(raw_type, True) if raw_type is not None else None
    if parsed is not None:
        main, sub, params = parsed
    elif digest_child and raw_type is None:
        main, sub, params = "message", "rfc822", ()
    else:
        main, sub, params = "text", "plain", DEFAULT_PARAMS
        if raw_type is not None:
            defects.append(f"invalid Content-Type {raw_type[:80]!r}, used text/plain")
    raw_disposition = values.get("content-disposition")
    disposition = parse_typed_value(raw_disposition, False) if raw_disposition is not None else None
    return ContentInfo(
        type=main,
        subtype=sub,
        params=params,
        encoding=_first_token(values.get("content-transfer-encoding")) or "7bit",
        content_id=values.get("content-id"),
        description=values.get("content-description"),
        md5=values.get("content-md5"),
        disposition=disposition[0] if disposition else None,
        disposition_params=disposition[2] if disposition else (),
        language=_language_tags(values.get("content-language")),
        location=values.get("content-location"),
        defects=tuple(defects),
    )
