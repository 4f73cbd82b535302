"""Parse address lists into IMAP ENVELOPE addresses (RFC 5322 sections 3.4 and 4.4).

The parser accepts the current and the obsolete syntax: display names, quoted strings,
comments, groups such as `undisclosed-recipients:;` and source routes
(`<@relay1,@relay2:user@host>`). It never raises. Garbage it cannot place is skipped, and
whatever addresses can be recognised around it are kept.

Choices where RFC 3501 leaves room:
- `name` is the display name with quotes and backslash escapes removed and RFC 2047
  encoded words left as they are. Without a display name, a comment after the address
  (`user@host (Full Name)`) becomes the name.
- `mailbox` is the local part as written, a quoted local part keeps its quotes, so that
  `mailbox@host` is again a valid address.
- An address without a domain (`<moderator>`, a bare word) gets host "" because a None
  host marks a group start. The null path `<>` gives mailbox "" and host "".
"""

from __future__ import annotations

import re
from typing import NamedTuple

from appliance.mime.content import COMMENT, QUOTED, unescape
from appliance.mime.structure import Address, Envelope

_LEXEME = re.compile(
    rf"""
      [ \t\r\n]+
    | (?P<quoted>{QUOTED})
    | (?P<comment>{COMMENT})
    | (?P<literal>\[(?:[^\[\]\\]|\\.)*\]?)
    | (?P<special>[<>@,;:.])
    | (?P<atom>[^ \t\r\n"()\[\]<>@,;:.\\]+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
GROUP_END = Address(None, None, None, None)


class _Token(NamedTuple):
    kind: str  # "atom", "quoted", "literal", "special", "comment" or "other"
    text: str  # quoted strings and comments: the content, unescaped
    raw: str  # the source text
    blank_before: bool


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    blank = False
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind is None:
            blank = True
            continue
        raw = match[0]
        if kind == "comment":
            content = unescape(raw[1:-1])
        elif kind == "quoted":
            content = unescape(match["qtext"])
        else:
            content = raw
        tokens.append(_Token(kind, content, raw, blank))
        blank = False
    return tokens


def _phrase_text(tokens: list[_Token]) -> str | None:
    """Join display-name words, one space where the source had blanks or a comment."""
    text = ""
    for token in tokens:
        if text and token.blank_before:
            text += " "
        text += token.text
    return text or None


def _raw_text(tokens: list[_Token]) -> str:
    return "".join(token.raw for token in tokens)


class _Parser:
    """A recursive-descent parser over the tokens of one address list."""

    def __init__(self, text: str) -> None:
        all_tokens = _tokens(text)
        self.tokens = [token for token in all_tokens if token.kind != "comment"]
        # For each significant token, the comments that follow it.
        self.comments_after: list[list[str]] = [[] for _ in self.tokens]
        significant = 0
        for token in all_tokens:
            if token.kind != "comment":
                significant += 1
            elif significant:
                self.comments_after[significant - 1].append(token.text)
        self.pos = 0
        self.addresses: list[Address] = []

    def _peek(self) -> str | None:
        if self.pos >= len(self.tokens):
            return None
        token = self.tokens[self.pos]
        return token.text if token.kind == "special" else ""

    def _take_words(self, stop: str) -> list[_Token]:
        """Take tokens until one of the special characters in `stop` or the end."""
        start = self.pos
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            if token.kind == "special" and token.text in stop:
                break
            self.pos += 1
        return self.tokens[start : self.pos]

    def _take_domain(self) -> list[_Token]:
        """Take a dot-separated domain: words joined by `.`, blanks allowed around dots."""
        start = self.pos
        expect_word = True
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            is_dot = token.kind == "special" and token.text == "."
            if token.kind == "special" and not is_dot:
                break
            if not is_dot and not expect_word:
                break
            expect_word = is_dot
            self.pos += 1
        return self.tokens[start : self.pos]

    def parse(self) -> tuple[Address, ...]:
        while self.pos < len(self.tokens):
            if self._peek() in (",", ";", ">", ":", "@", "."):
                self.pos += 1  # an empty list element or a stray special
                continue
            self._address(in_group=False)
        return tuple(self.addresses)

    def _address(self, in_group: bool) -> None:
        start = self.pos
        phrase = self._take_words("<>@,;:")
        following = self._peek()
        if following == ":" and not in_group:
            self.pos += 1
            self._group(_phrase_text(phrase))
        elif following == "<":
            self._angle_address(_phrase_text(phrase))
        elif following == "@":
            self._addr_spec(start, phrase)
        elif phrase:
            self._append(None, None, _raw_text(phrase), "", self.pos - 1)
        else:
            self.pos += 1  # a stray special inside a group: skip it

    def _group(self, name: str | None) -> None:
        """Parse the members after `name:` up to `;` (RFC 5322 section 3.4)."""
        self.addresses.append(Address(None, None, name or "", None))
        while self.pos < len(self.tokens) and self._peek() != ";":
            if self._peek() in (",", ":", ">", "@", "."):
                self.pos += 1
                continue
            self._address(in_group=True)
        if self._peek() == ";":
            self.pos += 1
        self.addresses.append(GROUP_END)

    def _angle_address(self, name: str | None) -> None:
        """Parse `<[route:]local@domain>` with the `<` at the current position."""
        self.pos += 1
        route = self._route()
        local = self._take_words("<>@,;:")
        domain: list[_Token] = []
        if self._peek() == "@":
            self.pos += 1
            domain = self._take_domain()
            self._take_words("<>,;:")  # garbage before the closing ">"
        last = self.pos
        closed = self._peek() == ">"
        if closed:
            self.pos += 1
        if closed or local or domain or route:
            self._append(name, route, _raw_text(local), _raw_text(domain), last)

    def _route(self) -> str | None:
        """Parse an obsolete source route `@a,@b:` (RFC 5322 section 4.4), if present."""
        if self._peek() != "@":
            return None
        start = self.pos
        words = self._take_words("<>:")
        if self._peek() != ":":
            self.pos = start
            return None
        self.pos += 1
        return _raw_text(words)

    def _addr_spec(self, start: int, local: list[_Token]) -> None:
        """Parse `local@domain`, or a display name with `@` in it followed by `<...>`."""
        self.pos += 1
        domain = self._take_domain()
        if self._peek() == "<":
            self._angle_address(_phrase_text(self.tokens[start : self.pos]))
            return
        self._append(None, None, _raw_text(local), _raw_text(domain), self.pos - 1)

    def _append(
        self, name: str | None, route: str | None, local: str, domain: str, last: int
    ) -> None:
        if name is None and 0 <= last < len(self.tokens) and self.comments_after[last]:
            name = self.comments_after[last][-1].strip() or None
        self.addresses.append(Address(name, route, local, domain))


def parse_address_list(text: str | None) -> tuple[Address, ...]:
    """Parse an address-list field value into ENVELOPE addresses; never raises."""
    if text is None:
        return ()
    return _Parser(text).parse()


def build_envelope(values: dict[str, str]) -> Envelope:
    """Build the ENVELOPE of a message from its first header values (RFC 3501 section 7.4.2).

    Sender and Reply-To default to From when they are absent or contain no address.
    """
    from_ = parse_address_list(values.get("from"))
    return Envelope(
        date=values.get("date"),
        subject=values.get("subject"),
        from_=from_,
        sender=parse_address_list(values.get("sender")) or from_,
        reply_to=parse_address_list(values.get("reply-to")) or from_,
        to=parse_address_list(values.get("to")),
        cc=parse_address_list(values.get("cc")),
        bcc=parse_address_list(values.get("bcc")),
        in_reply_to=values.get("in-reply-to"),
        message_id=values.get("message-id"),
    )
