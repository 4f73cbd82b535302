"""Every corpus message through APPEND and FETCH: bytes unchanged, structure as `email` sees it."""

from __future__ import annotations

import email
import email.message
import email.policy
import email.utils
import re
from collections.abc import Iterator
from typing import Any

import imapclient
import pytest

from tests.conftest import CORPUS
from tests.harness import DEFAULT_PASSWORD
from tests.imap.conftest import ADDRESS, ImapAppliance, imap_only

FILES = sorted(CORPUS.rglob("*.eml"))


def wire_form(raw: bytes) -> bytes:
    """Return the message as SMTP would carry it: CRLF line ends and a final CRLF."""
    text = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    return text if text.endswith(b"\r\n") else text + b"\r\n"


def text(value: Any) -> str:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def part_numbers(structure: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Return (part number, BODYSTRUCTURE node) for every leaf part, top level first."""
    if not structure.is_multipart:
        return [(prefix or "1", structure)]
    found = []
    for index, child in enumerate(structure[0], 1):
        found += part_numbers(child, f"{prefix}.{index}" if prefix else str(index))
    return found


def compare_structure(node: Any, message: email.message.Message, where: str) -> None:
    """Check a BODYSTRUCTURE node against the part `email` parsed."""
    if node.is_multipart:
        assert message.is_multipart(), where
        assert text(node[1]).lower() == message.get_content_subtype(), where
        children = message.get_payload()
        assert isinstance(children, list)
        assert len(node[0]) == len(children), where
        for index, (child, part) in enumerate(zip(node[0], children, strict=True), 1):
            compare_structure(child, part, f"{where}.{index}")
        return
    media = f"{text(node[0])}/{text(node[1])}".lower()
    assert media == message.get_content_type(), where
    params = (
        {text(k).lower(): text(v) for k, v in zip(node[2][::2], node[2][1::2], strict=True)}
        if node[2]
        else {}
    )
    charset = message.get_param("charset")
    if isinstance(charset, str) and "charset" in params:
        assert params["charset"].lower() == charset.lower(), where


def connect(appliance: ImapAppliance) -> imapclient.IMAPClient:
    client = imapclient.IMAPClient(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls(), timeout=30
    )
    client.plain_login(ADDRESS, DEFAULT_PASSWORD)
    return client


@pytest.fixture(scope="module")
def corpus_appliance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapAppliance]:
    """One appliance whose INBOX holds the whole corpus, shared by this module's tests."""
    with imap_only(tmp_path_factory.mktemp("corpus") / "data") as running:
        running.add_account(ADDRESS)
        client = connect(running)
        for path in FILES:
            client.append("INBOX", wire_form(path.read_bytes()))
        client.logout()
        yield running


@pytest.fixture
def filled(corpus_appliance: ImapAppliance) -> imapclient.IMAPClient:
    client = connect(corpus_appliance)
    client.select_folder("INBOX", readonly=True)
    return client


def test_corpus_round_trip(filled: imapclient.IMAPClient) -> None:
    client = filled
    uids = client.search(["ALL"])
    assert len(uids) == len(FILES)
    fetched = client.fetch(uids, [b"BODY.PEEK[]", b"RFC822.SIZE", b"BODYSTRUCTURE", b"ENVELOPE"])
    compared = 0
    for uid, path in zip(uids, FILES, strict=True):
        where = str(path.relative_to(CORPUS))
        raw = wire_form(path.read_bytes())
        data = fetched[uid]
        assert data[b"BODY[]"] == raw, where
        assert data[b"RFC822.SIZE"] == len(raw), where
        parsed = email.message_from_bytes(raw, policy=email.policy.compat32)
        # On broken MIME (a missing or reused boundary) two parsers may both be right, so
        # the structure is compared only where `email` found no defect.
        if not any(part.defects for part in parsed.walk()):
            compare_structure(data[b"BODYSTRUCTURE"], parsed, where)
            compared += 1
        envelope = data[b"ENVELOPE"]
        subject = next((v for k, v in parsed.raw_items() if k.lower() == "subject"), None)
        if subject is not None:
            unfolded = re.sub(r"\r?\n(?=[ \t])", "", str(subject)).strip()
            assert text(envelope.subject).strip() == unfolded, where
        message_id = parsed.get("message-id")
        if message_id is not None and str(message_id).strip():
            assert text(envelope.message_id) == str(message_id).strip(), where
    assert compared == 123  # of 137: the other 14 have MIME defects
    client.logout()


def test_corpus_sections_match_sizes(filled: imapclient.IMAPClient) -> None:
    """Each leaf part's BODY[n] is as long as its BODYSTRUCTURE size says."""
    client = filled
    uids = client.search(["ALL"])
    structures = client.fetch(uids, [b"BODYSTRUCTURE"])
    for uid, path in zip(uids, FILES, strict=True):
        leaves = part_numbers(structures[uid][b"BODYSTRUCTURE"])
        items = [f"BODY.PEEK[{number}]".encode() for number, _ in leaves]
        data = client.fetch([uid], items)[uid]
        for number, node in leaves:
            body = data[f"BODY[{number}]".encode()]
            assert len(body or b"") == node[6], f"{path.name} part {number}"
    client.logout()


def uid_of(name: str) -> int:
    return [path.name for path in FILES].index(name) + 1


def test_corpus_search_vietnamese(filled: imapclient.IMAPClient) -> None:
    """Encoded Vietnamese subjects and bodies match in any case and normal form."""
    client = filled
    found = client.search(["SUBJECT", "THƯ ĐIỆN TỬ CÔNG VỤ"], charset="UTF-8")
    assert found == [uid_of("01-plain-qp.eml")]
    found = client.search(["SUBJECT", "kế hoạch tổ chức festival"], charset="UTF-8")
    assert found == [uid_of("06-nfd-decomposed-text.eml")]
    found = client.search(["SUBJECT", "giao ban", "NOT", "FROM", "nobody"], charset="UTF-8")
    assert found == [uid_of("03-forwarded-rfc822.eml")]
    client.logout()
