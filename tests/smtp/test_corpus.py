"""Every corpus message is stored byte for byte, after exactly one Received header."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CORPUS
from tests.harness import RunningAppliance
from tests.smtp.helpers import LOCAL, inbox, mx_client, split_trace

BARE_LINE_ENDING = re.compile(rb"\r\n|\r|\n")


def corpus_files() -> list[Path]:
    return sorted(path for path in CORPUS.rglob("*.eml") if path.is_file())


def on_the_wire(raw: bytes) -> bytes:
    """Return a file as SMTP carries it: every line ending CRLF, a final CRLF added."""
    wire = BARE_LINE_ENDING.sub(b"\r\n", raw)
    return wire if wire.endswith(b"\r\n") else wire + b"\r\n"


def test_on_the_wire_normalization() -> None:
    assert on_the_wire(b"a\nb\rc\r\nd") == b"a\r\nb\r\nc\r\nd\r\n"
    assert on_the_wire(b"a\r\n\r\n") == b"a\r\n\r\n"


def test_corpus_round_trip(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    files = corpus_files()
    sent = [on_the_wire(path.read_bytes()) for path in files]
    with mx_client(appliance) as client:
        for message in sent:
            client.sendmail("a@example.org", [LOCAL], message, mail_options=["BODY=8BITMIME"])
    stored = inbox(appliance, account)
    assert len(files) == 137
    assert len(stored) == len(files)
    traces = [split_trace(raw)[0] for raw in stored]
    assert all(trace.startswith(b"Received: from client.example ") for trace in traces)
    differing = [
        str(path.relative_to(CORPUS))
        for path, message, raw in zip(files, sent, stored, strict=True)
        if split_trace(raw)[1] != message
    ]
    assert differing == []
