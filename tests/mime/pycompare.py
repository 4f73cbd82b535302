"""Compare a parsed MessageStructure with the tree Python's email package builds.

Used by the corpus tests. Each difference is a short stable key such as "2.M payload",
so that a test can compare the set of differences with the known ones exactly.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import re
from pathlib import Path

from appliance.mime.content import param_value
from appliance.mime.structure import Address, MessageStructure, Part

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def crlf_form(raw: bytes) -> bytes:
    """Return the message as the server stores it: CRLF line endings and a final CRLF."""
    stored = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    return stored if stored.endswith(b"\r\n") else stored + b"\r\n"


def python_message(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _decode_as_python(body: bytes, encoding: str | None) -> bytes | None:
    """Decode body bytes with the Content-Transfer-Encoding, using Python's own decoder."""
    holder = email.message.Message()
    holder.set_payload(body.decode("ascii", "surrogateescape"))
    if encoding is not None:
        holder["Content-Transfer-Encoding"] = encoding
    decoded = holder.get_payload(decode=True)
    assert decoded is None or isinstance(decoded, bytes)
    return decoded


def _ascii(text: str) -> str:
    """Keep the ASCII characters: Python replaces 8-bit bytes in parameters with U+FFFD."""
    return "".join(char for char in text if char < "\x80")


def _raw_header(message: email.message.Message, name: str) -> str | None:
    """Return the first raw value of a header as this module decodes it (UTF-8)."""
    for key, value in message.raw_items():
        if key.lower() == name:
            data = value.encode("ascii", "surrogateescape")
            return _FOLD.sub("", data.decode("utf-8", "surrogateescape")).rstrip("\r\n")
    return None


def _param_differences(path: str, python: email.message.Message, part: Part) -> list[str]:
    if python.get("content-type") is None:
        return []
    found: list[str] = []
    seen: set[str] = set()
    for name, value in (python.get_params() or [])[1:]:
        name = name.strip().lower()
        if not name or name in seen:
            continue
        seen.add(name)
        expected = _ascii(_FOLD.sub("", email.utils.collapse_rfc2231_value(value)))
        ours = param_value(part.params, name)
        # A parameter without "=" is dropped here, and Python reports it with value "".
        if (ours is None and expected != "") or _ascii(ours or "") != expected:
            found.append(f"{path} param {name}")
    return found


def _multipart_differences(
    path: str, raw: bytes, python: email.message.Message, part: Part
) -> list[str]:
    payload = python.get_payload()
    if isinstance(payload, str):
        # Python found no boundary line: the whole body is preamble.
        if part.children:
            return [f"{path} children"]
        body = raw[part.body_start : part.end]
        return [] if body == payload.encode("ascii", "surrogateescape") else [f"{path} body"]
    found = [] if len(payload) == len(part.children) else [f"{path} children"]
    for number, (python_child, child) in enumerate(zip(payload, part.children, strict=False), 1):
        assert isinstance(python_child, email.message.Message)
        prefix = str(number) if path == "root" else f"{path}.{number}"
        found += tree_differences(prefix, raw, python_child, child)
    return found


def tree_differences(path: str, raw: bytes, python: email.message.Message, part: Part) -> list[str]:
    """Return the differences between a Python message tree and a Part tree."""
    if python.get_content_type() != f"{part.type}/{part.subtype}":
        return [f"{path} type"]
    found = _param_differences(path, python, part)
    if part.type == "multipart":
        return found + _multipart_differences(path, raw, python, part)
    if part.message is not None:
        payload = python.get_payload()
        assert isinstance(payload, list)
        attached = payload[0]
        assert isinstance(attached, email.message.Message)
        return found + tree_differences(f"{path}.M", raw, attached, part.message)
    if part.type == "message":
        # Python parses every message/* body (delivery-status, partial, external-body)
        # into sub-messages, this module only message/rfc822 and message/global.
        return found
    body = raw[part.body_start : part.end]
    encoding = python.get("content-transfer-encoding")
    if _decode_as_python(body, encoding) != python.get_payload(decode=True):
        found.append(f"{path} payload")
    return found


def _address_strings(addresses: tuple[Address, ...]) -> list[str]:
    result = []
    for address in addresses:
        if address.host is None or not address.mailbox:
            continue  # group markers and the null address <>
        result.append(address.mailbox + ("@" + address.host if address.host else ""))
    return result


def envelope_differences(structure: MessageStructure, python: email.message.Message) -> list[str]:
    """Compare envelope strings with the raw headers and addresses with getaddresses."""
    envelope = structure.envelope
    found = []
    for name, ours in (
        ("date", envelope.date),
        ("subject", envelope.subject),
        ("message-id", envelope.message_id),
        ("in-reply-to", envelope.in_reply_to),
    ):
        if ours != _raw_header(python, name):
            found.append(f"envelope {name}")
    for name, addresses in (("from", envelope.from_), ("to", envelope.to), ("cc", envelope.cc)):
        value = _raw_header(python, name)
        pairs = email.utils.getaddresses([value]) if value is not None else []
        if _address_strings(addresses) != [address for _, address in pairs if address]:
            found.append(f"envelope {name}")
    return found
