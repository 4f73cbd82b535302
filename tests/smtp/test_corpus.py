"""Every corpus message is stored byte for byte, after exactly the MX's trace fields.

The MX adds Return-Path, Authentication-Results and Received. Several corpus messages
come From: the city's own domain, so the client is made trusted (as an internal relay
would be); otherwise the MX rejects a local sender from outside.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.harness import RunningAppliance, running_appliance
from tests.smtp.helpers import LOCAL, inbox, mx_client, split_trace, trace_fields

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


@pytest.fixture
def trusted_appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    with running_appliance(tmp_path / "data", trusted_networks=("127.0.0.1/32",)) as running:
        yield running


def test_corpus_round_trip(trusted_appliance: RunningAppliance) -> None:
    appliance = trusted_appliance
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
    return_paths = {trace_fields(raw)["Return-Path"] for raw in stored}
    assert return_paths == {"<a@example.org>"}
    results = [trace_fields(raw)["Authentication-Results"] for raw in stored]
    assert all(
        r.startswith("mail.hue.gov.vn; spf=temperror smtp.mailfrom=example.org; ") for r in results
    )
    differing = [
        str(path.relative_to(CORPUS))
        for path, message, raw in zip(files, sent, stored, strict=True)
        if split_trace(raw)[1] != message
    ]
    assert differing == []
