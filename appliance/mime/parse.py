"""Scan a stored message once into a MessageStructure whose offsets point into its bytes.

The scanner works on the bytes with `re`, never through Python's `email` package, so
that every offset is exact. Header values are decoded from UTF-8 with
`surrogateescape` (8-bit headers exist) and kept as written.

Rules, with the sources they follow:
- A header ends at the first empty line (RFC 5322 section 2.1), or at a boundary line of
  an enclosing multipart when no empty line comes first, as Dovecot and Python's email
  package do. A line without a colon does not end the header.
- Boundary lines are found as described in `appliance.mime.boundaries`. The line break
  before a boundary line belongs to the boundary, so it is in neither the part above nor
  the part below. Boundaries of all enclosing multiparts are recognised at once and the
  innermost wins, so a part that lacks its closing boundary ends where an outer boundary
  appears.
- Preamble and epilogue are in the multipart's body but in no child. Consecutive
  boundary lines delimit no empty part between them, as in Python's email package.
- `lines` is the number of LF characters in the body, which is what Dovecot reports
  in BODYSTRUCTURE. A last line without a line ending is not counted.
  The server stores messages with CRLF line endings, so this is the number of CRLFs.
- message/rfc822 and message/global bodies are parsed as messages, and their envelope
  and top part are kept in `envelope` and `message`.
"""

from __future__ import annotations

import dataclasses
import logging

from appliance.mime import boundaries
from appliance.mime.addresses import build_envelope
from appliance.mime.boundaries import BoundaryFinder, Delimiter, level
from appliance.mime.content import ContentInfo, content_info, param_value
from appliance.mime.headers import first_values
from appliance.mime.structure import Envelope, MessageStructure, Part

logger = logging.getLogger(__name__)

# Maximum nesting of multiparts and messages. A deeper entity is kept as one opaque
# application/octet-stream part, and a defect is recorded.
MAX_DEPTH = 50
# Maximum number of parts in one message. When it is reached, the rest of each open
# multipart becomes one opaque application/octet-stream part, and a defect is recorded.
MAX_PARTS = 5000

# The header fields that the structure and the envelope are built from.
_FIELD_NAMES = (
    "content-type",
    "content-transfer-encoding",
    "content-id",
    "content-description",
    "content-md5",
    "content-disposition",
    "content-language",
    "content-location",
    "date",
    "subject",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "in-reply-to",
    "message-id",
)
# Fields whose values are lexed and parsed, which costs Python work per token.
_STRUCTURED_FIELDS = (
    "content-type",
    "content-disposition",
    "content-language",
    "content-transfer-encoding",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
)
# Maximum length of one structured value, and of all of them in one message. Real values
# are far shorter: 64 Ki characters hold a To field with about 1500 addresses.
MAX_STRUCTURED_CHARS = 64 * 1024
MAX_STRUCTURED_TOTAL = 512 * 1024
_MESSAGE_SUBTYPES = ("rfc822", "global")
_OPAQUE = content_info({"content-type": "application/octet-stream"}, False)

Stack = tuple[bytes, ...]


def _boundary_bytes(info: ContentInfo) -> bytes | None:
    """Return the multipart boundary, without the trailing blanks RFC 2046 forbids."""
    value = param_value(info.params, "boundary")
    if not value:
        return None
    try:
        boundary = value.encode("utf-8", "surrogateescape").rstrip(b" \t")
    except UnicodeEncodeError:
        return None
    return boundary or None


class _Scanner:
    """One parse of one message: the bytes, the defects found and the part count."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.finder = BoundaryFinder(raw)
        self.defects: list[str] = []
        self.part_count = 0
        self.structured_budget = MAX_STRUCTURED_TOTAL

    def _part(
        self,
        offsets: tuple[int, int, int],
        info: ContentInfo,
        *,
        children: tuple[Part, ...] = (),
        envelope: Envelope | None = None,
        message: Part | None = None,
    ) -> Part:
        start, body_start, end = offsets
        counts_lines = info.type == "text" or (
            info.type == "message" and info.subtype in _MESSAGE_SUBTYPES
        )
        return Part(
            header_start=start,
            body_start=body_start,
            end=end,
            type=info.type,
            subtype=info.subtype,
            params=info.params,
            content_id=info.content_id,
            description=info.description,
            encoding=info.encoding,
            md5=info.md5,
            disposition=info.disposition,
            disposition_params=info.disposition_params,
            language=info.language,
            location=info.location,
            lines=self.raw.count(b"\n", body_start, end) if counts_lines else 0,
            children=children,
            envelope=envelope,
            message=message,
        )

    def _leaf_end(self, body_start: int, stack: Stack) -> tuple[int, Delimiter | None]:
        """Return where a leaf body ends and the boundary line that ends it."""
        delimiter = self.finder.next(stack, body_start) if stack else None
        if delimiter is None:
            return len(self.raw), None
        return self.finder.delimiter_start(delimiter, body_start), delimiter

    def _limit_structured(self, values: dict[str, str], start: int) -> None:
        """Shorten or drop structured values so that crafted headers cost bounded time.

        Each value is cut to MAX_STRUCTURED_CHARS, and once the message has used up
        MAX_STRUCTURED_TOTAL characters, further structured values are dropped.
        """
        for name in _STRUCTURED_FIELDS:
            value = values.get(name)
            if value is None:
                continue
            if len(value) > MAX_STRUCTURED_CHARS:
                self.defects.append(f"{name} at offset {start} too long, cut")
                value = values[name] = value[:MAX_STRUCTURED_CHARS]
            if len(value) > self.structured_budget:
                self.defects.append(f"{name} at offset {start} ignored: too much header text")
                del values[name]
                continue
            self.structured_budget -= len(value)

    def _header(
        self, start: int, body_start: int, digest_child: bool
    ) -> tuple[ContentInfo, dict[str, str]]:
        """Read the fields of a header that this module uses, and the content info."""
        values, complete = first_values(self.raw[start:body_start], _FIELD_NAMES)
        if not complete:
            self.defects.append(f"header at offset {start} has too many fields, rest ignored")
        self._limit_structured(values, start)
        info = content_info(values, digest_child)
        self.defects.extend(f"{defect} at offset {start}" for defect in info.defects)
        return info, values

    def entity(
        self, start: int, stack: Stack, depth: int, digest_child: bool
    ) -> tuple[Part, dict[str, str], Delimiter | None]:
        """Parse the entity at `start` (RFC 2045 section 2.4).

        Return its Part, its first header values and the boundary line that ended it
        (None at the end of the data).
        """
        self.part_count += 1
        body_start, cut, too_long = self.finder.header_end(start, stack)
        if too_long:
            self.defects.append(
                f"header at offset {start} longer than {boundaries.MAX_HEADER_BYTES}, cut"
            )
        info, values = self._header(start, body_start, digest_child)
        is_message = info.type == "message" and info.subtype in _MESSAGE_SUBTYPES
        if cut is not None:  # a boundary line ended the header: no body
            offsets = (start, body_start, body_start)
            if not is_message:
                return self._part(offsets, info), values, cut
            inner = self._part((body_start,) * 3, content_info({}, False))
            envelope = build_envelope({})
            return self._part(offsets, info, envelope=envelope, message=inner), values, cut
        if not is_message and info.type != "multipart":
            end, term = self._leaf_end(body_start, stack)
            return self._part((start, body_start, end), info), values, term
        if depth >= MAX_DEPTH or self.part_count >= MAX_PARTS:
            limit = f"nesting deeper than {MAX_DEPTH}" if depth >= MAX_DEPTH else "too many parts"
            self.defects.append(f"{limit}: entity at offset {start} kept as one opaque part")
            end, term = self._leaf_end(body_start, stack)
            opaque = dataclasses.replace(info, type="application", subtype="octet-stream")
            return self._part((start, body_start, end), opaque), values, term
        if is_message:
            inner, inner_values, term = self.entity(body_start, stack, depth + 1, False)
            envelope = build_envelope(inner_values)
            part = self._part(
                (start, body_start, inner.end), info, envelope=envelope, message=inner
            )
            return part, values, term
        part, term = self._multipart(start, body_start, info, stack, depth)
        return part, values, term

    def _opaque_rest(
        self, start: int, child_start: int, stack: Stack
    ) -> tuple[Part, Delimiter | None]:
        """Keep the rest of a multipart as one part, once MAX_PARTS is reached."""
        self.defects.append(
            f"more than {MAX_PARTS} parts: the rest of the multipart at offset {start} "
            "kept as one opaque part"
        )
        self.part_count += 1
        close = self.finder.next(stack, child_start, kind="close")
        end = self.finder.delimiter_start(close, child_start) if close else len(self.raw)
        return self._part((child_start, child_start, end), _OPAQUE), close

    def _children(
        self, start: int, body_start: int, info: ContentInfo, inner_stack: Stack, depth: int
    ) -> tuple[list[Part], Delimiter | None]:
        """Parse the children of a multipart whose body starts at `body_start`.

        Return them with the delimiter that ends the last child: the closing boundary,
        an outer boundary, or None at the end of the data.
        """
        own = len(inner_stack) - 1
        digest = info.subtype == "digest"
        children: list[Part] = []
        delimiter = self.finder.next(inner_stack, body_start)
        while (
            delimiter is not None and level(inner_stack, delimiter) == own and not delimiter.close
        ):
            # Repeated boundary lines delimit no part, as in Python's email package. Each
            # one counts as a part, so that MAX_PARTS also bounds this loop.
            child_start = delimiter.next_line
            repeated = self.finder.at(inner_stack, child_start)
            if repeated is not None and level(inner_stack, repeated) == own:
                self.part_count += 1
                if self.part_count < MAX_PARTS:
                    delimiter = repeated
                    continue
            if self.part_count >= MAX_PARTS:
                child, delimiter = self._opaque_rest(start, child_start, inner_stack)
            else:
                child, _, delimiter = self.entity(child_start, inner_stack, depth + 1, digest)
            children.append(child)
        return children, delimiter

    def _multipart(
        self, start: int, body_start: int, info: ContentInfo, stack: Stack, depth: int
    ) -> tuple[Part, Delimiter | None]:
        """Parse a multipart body into its children (RFC 2046 section 5.1.1)."""
        boundary = _boundary_bytes(info)
        if boundary is None:
            self.defects.append(f"multipart without boundary parameter at offset {start}")
            end, term = self._leaf_end(body_start, stack)
            return self._part((start, body_start, end), info), term
        inner_stack = (*stack, boundary)
        own = len(stack)
        children, delimiter = self._children(start, body_start, info, inner_stack, depth)
        if delimiter is not None and level(inner_stack, delimiter) == own:
            # The closing boundary: the epilogue runs to the next outer boundary.
            if not children:
                self.defects.append(f"multipart at offset {start} has no parts")
            end, term = self._leaf_end(delimiter.end, stack)
        else:
            missing = "closing boundary" if children else "boundary line"
            self.defects.append(f"multipart at offset {start} has no {missing}")
            floor = children[-1].end if children else body_start
            end = self.finder.delimiter_start(delimiter, floor) if delimiter else len(self.raw)
            term = delimiter
        return self._part((start, body_start, end), info, children=tuple(children)), term


def parse_structure(raw: bytes) -> MessageStructure:
    """Parse a message into its envelope, its tree of parts with offsets and its defects.

    Limits: at most MAX_DEPTH levels of nesting and MAX_PARTS parts. Beyond them the rest
    is kept as opaque application/octet-stream parts, and a defect is recorded.
    Callers can rely on these invariants: a message/rfc822 or message/global part always
    has `message` and `envelope`, and a multipart may have no children (no boundary
    parameter or no boundary line), in which case its body is all preamble.
    """
    scanner = _Scanner(raw)
    try:
        root, values, _ = scanner.entity(0, (), 0, False)
    except Exception:
        # A parser bug must not stop delivery, so keep the message as one opaque part.
        # The tests check that this never happens on the corpus or on random input.
        logger.exception("MIME parse failed on a message of %d bytes", len(raw))
        root = scanner._part((0, 0, len(raw)), _OPAQUE)
        return MessageStructure(build_envelope({}), root, ("internal error: parse failed",))
    return MessageStructure(build_envelope(values), root, tuple(scanner.defects))
