"""Evaluating SEARCH criteria against messages (RFC 3501 section 6.4.4).

Strings match as case-insensitive substrings after Unicode case folding and NFC
normalization, so Vietnamese text matches whether it was written composed or decomposed,
in any case. Header values are matched after decoding RFC 2047 encoded words, and body
text after decoding its transfer encoding and charset. \\Recent is not tracked: RECENT
and NEW match nothing, OLD matches everything.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import email.utils
import logging
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date

from appliance.store.types import MessageInfo
from imap.header_block import field_name, header_end, split_fields
from imap.search_keys import And, Criterion, Key, Not, Or

log = logging.getLogger("imap")

_FLAG_KEYS = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}
_ADDRESS_KEYS = frozenset({"BCC", "CC", "FROM", "TO", "SUBJECT"})


def fold(text: str) -> str:
    """Return text in the form used for matching: NFC after full case folding."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def needs_bytes(criterion: Criterion) -> bool:
    """Tell whether evaluating the criterion needs the message's header or body."""
    if isinstance(criterion, Key):
        return criterion.name in _ADDRESS_KEYS or criterion.name in (
            "BODY",
            "TEXT",
            "HEADER",
            "SENTBEFORE",
            "SENTON",
            "SENTSINCE",
        )
    if isinstance(criterion, Not):
        return needs_bytes(criterion.key)
    if isinstance(criterion, Or):
        return needs_bytes(criterion.left) or needs_bytes(criterion.right)
    return any(needs_bytes(key) for key in criterion.keys)


@dataclass
class Candidate:
    """One message under test, with its decoded header and text computed on demand."""

    seq: int
    info: MessageInfo
    raw: bytes = b""
    _headers: list[tuple[str, str]] | None = field(default=None, repr=False)
    _body: str | None = field(default=None, repr=False)

    def headers(self) -> list[tuple[str, str]]:
        """Return (lower-case name, folded decoded value) for every header field."""
        if self._headers is None:
            block = self.raw[: header_end(self.raw)]
            self._headers = []
            for raw_field in split_fields(block):
                name = field_name(raw_field)
                if name is not None:
                    value = raw_field.split(b":", 1)[1]
                    self._headers.append((name, fold(decode_header(value))))
        return self._headers

    def body(self) -> str:
        if self._body is None:
            self._body = fold(body_text(self.raw))
        return self._body

    def header_values(self, name: str) -> list[str]:
        return [value for field_name_, value in self.headers() if field_name_ == name]


def decode_header(value: bytes) -> str:
    """Unfold a raw header value and decode its RFC 2047 encoded words."""
    text = value.decode("utf-8", "replace").replace("\r\n", "").replace("\n", "").strip()
    try:
        return str(email.header.make_header(email.header.decode_header(text)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return text


def body_text(raw: bytes) -> str:
    """Return the decoded text of every text/* part, for BODY and TEXT searches."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        texts = []
        for part in message.walk():
            if part.get_content_maintype() != "text":
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(_decode_charset(payload, part.get_content_charset()))
        return "\n".join(texts)
    except (RecursionError, ValueError, LookupError, AttributeError, TypeError) as error:
        # The email package fails on some broken messages; search the raw body instead.
        log.debug("body text fallback: %s", error)
        return raw[header_end(raw) :].decode("utf-8", "replace")


def _decode_charset(payload: bytes, charset: str | None) -> str:
    try:
        return payload.decode(charset or "utf-8", "replace")
    except LookupError:
        return payload.decode("utf-8", "replace")


@dataclass(frozen=True)
class Context:
    """What every message in one search shares: the mailbox's numbers."""

    exists: int
    uids: list[int]


def evaluate(criterion: Criterion, message: Candidate, context: Context) -> bool:
    if isinstance(criterion, And):
        return all(evaluate(key, message, context) for key in criterion.keys)
    if isinstance(criterion, Or):
        return evaluate(criterion.left, message, context) or evaluate(
            criterion.right, message, context
        )
    if isinstance(criterion, Not):
        return not evaluate(criterion.key, message, context)
    return _key(criterion, message, context)


def _key(key: Key, message: Candidate, context: Context) -> bool:
    name, value, info = key.name, key.value, message.info
    if name in _FLAG_KEYS:
        flag, wanted = _FLAG_KEYS[name]
        return (flag in info.flags) == wanted
    if name in ("ALL", "OLD"):
        return True
    if name in ("NEW", "RECENT"):
        return False
    if name in ("KEYWORD", "UNKEYWORD"):
        return (value in info.flags) == (name == "KEYWORD")
    if name in ("LARGER", "SMALLER"):
        assert isinstance(value, int)
        return info.size > value if name == "LARGER" else info.size < value
    if name == "SEQUENCE":
        assert not isinstance(value, (str, int, date)) and value is not None
        return message.seq in value.resolve(list(range(1, context.exists + 1)))
    if name == "UID":
        assert not isinstance(value, (str, int, date)) and value is not None
        return info.uid in value.resolve(context.uids)
    if name in ("BEFORE", "ON", "SINCE"):
        assert isinstance(value, date)
        return _compare(info.internal_date.astimezone(UTC).date(), name, value)
    if name in ("SENTBEFORE", "SENTON", "SENTSINCE"):
        assert isinstance(value, date)
        return _compare(_sent_date(message), name.removeprefix("SENT"), value)
    assert isinstance(value, str)
    return _text_key(key, value, message)


def _compare(day: date, name: str, value: date) -> bool:
    if name == "BEFORE":
        return day < value
    if name == "ON":
        return day == value
    return day >= value


def _sent_date(message: Candidate) -> date:
    """Return the day of the Date header in its own zone, or the internal date without one."""
    for value in message.header_values("date"):
        try:
            return email.utils.parsedate_to_datetime(value).date()
        except (TypeError, ValueError, IndexError):
            continue
    return message.info.internal_date.astimezone(UTC).date()


def _text_key(key: Key, value: str, message: Candidate) -> bool:
    needle = fold(value)
    if key.name == "BODY":
        return needle in message.body()
    if key.name == "TEXT":
        header = any(needle in text for _, text in message.headers())
        return header or needle in message.body()
    field_name_ = key.field.lower() if key.name == "HEADER" else key.name.lower()
    values = message.header_values(field_name_)
    return any(needle in text for text in values)
