"""Store a MessageStructure as compact JSON, one per message, and read it back exactly.

Records are written as JSON arrays in field order, with trailing fields that still have
their default value left out. Strings are written as UTF-8 JSON strings. A string that
contains surrogates (header bytes that were not valid UTF-8, decoded with
`surrogateescape`) cannot be written as UTF-8, so it is written as `{"s": "<hex>"}`, the
hex of its UTF-8 bytes with surrogates passed through.
"""

from __future__ import annotations

import json
import re
from typing import Any

from appliance.mime.structure import Address, Envelope, MessageStructure, Part

FORMAT_VERSION = 1
_SURROGATE = re.compile("[\ud800-\udfff]")
# Part fields after the three offsets, in the order they are written, with defaults.
_PART_DEFAULTS: tuple[Any, ...] = ("", "", [], None, None, "7bit", None, None, [], [], None, 0)
_SAME_AS_FROM = 1  # written for Sender or Reply-To when it equals From
_ADDRESS_KEYS = ("name", "adl", "mailbox", "host")


def _str_out(value: str | None) -> Any:
    if value is None or _SURROGATE.search(value) is None:
        return value
    return {"s": value.encode("utf-8", "surrogatepass").hex()}


def _str_in(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("s"), str):
        return bytes.fromhex(value["s"]).decode("utf-8", "surrogatepass")
    raise ValueError(f"invalid string in stored structure: {value!r}")


def _required_str(value: Any) -> str:
    text = _str_in(value)
    if text is None:
        raise ValueError("invalid stored structure: null where a string is required")
    return text


def _int_in(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"invalid integer in stored structure: {value!r}")
    return value


def _list_in(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"invalid list in stored structure: {value!r}")
    return value


def _params_out(params: tuple[tuple[str, str], ...]) -> list[Any]:
    return [_str_out(item) for pair in params for item in pair]


def _params_in(value: Any) -> tuple[tuple[str, str], ...]:
    flat = [_required_str(item) for item in _list_in(value)]
    if len(flat) % 2:
        raise ValueError("invalid stored structure: odd number of parameter items")
    return tuple(zip(flat[::2], flat[1::2], strict=True))


def _addresses_out(addresses: tuple[Address, ...]) -> list[Any]:
    return [[_str_out(getattr(address, key)) for key in _ADDRESS_KEYS] for address in addresses]


def _addresses_in(value: Any) -> tuple[Address, ...]:
    addresses = []
    for item in _list_in(value):
        name, adl, mailbox, host = (_str_in(element) for element in _list_in(item))
        addresses.append(Address(name, adl, mailbox, host))
    return tuple(addresses)


def _envelope_out(envelope: Envelope) -> list[Any]:
    def same_or(addresses: tuple[Address, ...]) -> Any:
        return _SAME_AS_FROM if addresses == envelope.from_ else _addresses_out(addresses)

    return [
        _str_out(envelope.date),
        _str_out(envelope.subject),
        _addresses_out(envelope.from_),
        same_or(envelope.sender),
        same_or(envelope.reply_to),
        _addresses_out(envelope.to),
        _addresses_out(envelope.cc),
        _addresses_out(envelope.bcc),
        _str_out(envelope.in_reply_to),
        _str_out(envelope.message_id),
    ]


def _envelope_in(value: Any) -> Envelope:
    items = _list_in(value)
    if len(items) != 10:
        raise ValueError(f"invalid stored envelope: {len(items)} items instead of 10")
    from_ = _addresses_in(items[2])

    def same_or(item: Any) -> tuple[Address, ...]:
        return from_ if item == _SAME_AS_FROM else _addresses_in(item)

    return Envelope(
        date=_str_in(items[0]),
        subject=_str_in(items[1]),
        from_=from_,
        sender=same_or(items[3]),
        reply_to=same_or(items[4]),
        to=_addresses_in(items[5]),
        cc=_addresses_in(items[6]),
        bcc=_addresses_in(items[7]),
        in_reply_to=_str_in(items[8]),
        message_id=_str_in(items[9]),
    )


def _part_out(part: Part) -> list[Any]:
    fields: list[Any] = [
        part.type,
        part.subtype,
        _params_out(part.params),
        _str_out(part.content_id),
        _str_out(part.description),
        _str_out(part.encoding),
        _str_out(part.md5),
        _str_out(part.disposition),
        _params_out(part.disposition_params),
        [_str_out(tag) for tag in part.language],
        _str_out(part.location),
        part.lines,
    ]
    tail: list[Any] = [
        [_part_out(child) for child in part.children],
        None if part.envelope is None else _envelope_out(part.envelope),
        None if part.message is None else _part_out(part.message),
    ]
    while tail and tail[-1] in ([], None):
        tail.pop()
    if not tail:
        while fields and fields[-1] == _PART_DEFAULTS[len(fields) - 1]:
            fields.pop()
    return [part.header_start, part.body_start, part.end, *fields, *tail]


def _part_in(value: Any) -> Part:
    items = _list_in(value)
    if len(items) < 3:
        raise ValueError("invalid stored part: fewer than 3 items")
    fields = list(items[3:15])
    fields += _PART_DEFAULTS[len(fields) :]
    tail = list(items[15:18]) + [[], None, None][len(items[15:18]) :]
    return Part(
        header_start=_int_in(items[0]),
        body_start=_int_in(items[1]),
        end=_int_in(items[2]),
        type=_required_str(fields[0]),
        subtype=_required_str(fields[1]),
        params=_params_in(fields[2]),
        content_id=_str_in(fields[3]),
        description=_str_in(fields[4]),
        encoding=_required_str(fields[5]),
        md5=_str_in(fields[6]),
        disposition=_str_in(fields[7]),
        disposition_params=_params_in(fields[8]),
        language=tuple(_required_str(tag) for tag in _list_in(fields[9])),
        location=_str_in(fields[10]),
        lines=_int_in(fields[11]),
        children=tuple(_part_in(child) for child in _list_in(tail[0])),
        envelope=None if tail[1] is None else _envelope_in(tail[1]),
        message=None if tail[2] is None else _part_in(tail[2]),
    )


def to_json(structure: MessageStructure) -> str:
    """Serialise a structure to compact JSON that `from_json` reads back equal."""
    document = {
        "v": FORMAT_VERSION,
        "e": _envelope_out(structure.envelope),
        "r": _part_out(structure.root),
        "d": [_str_out(defect) for defect in structure.defects],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str) -> MessageStructure:
    """Read a structure written by `to_json`.

    Raise ValueError when the text is not valid JSON or not such a structure.
    """
    document = json.loads(text)
    if not isinstance(document, dict) or document.get("v") != FORMAT_VERSION:
        raise ValueError("invalid stored structure: missing or unknown format version")
    return MessageStructure(
        envelope=_envelope_in(document.get("e")),
        root=_part_in(document.get("r")),
        defects=tuple(_required_str(defect) for defect in _list_in(document.get("d"))),
    )
