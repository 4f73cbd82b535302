"""A whole appliance: mail submitted over SMTP leaves through its own queue runner."""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dkim

from appliance.dkim_keys import key_path, make_key, public_record
from tests.harness import RunningAppliance, running_appliance
from tests.outbound.sink import Sink, start_sink

SENDER = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Hue-Mail-2026!secure"
MESSAGE = f"From: <{SENDER}>\r\nTo: <an@example.test>\r\nSubject: Thư đi\r\n\r\nChào anh.\r\n"


@contextmanager
def sink_thread(sink: Sink) -> Iterator[int]:
    """Run `sink` on its own event loop in a thread; yield its port."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server, port = asyncio.run_coroutine_threadsafe(start_sink(sink), loop).result(10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(server.close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def wait_for(sink: Sink, count: int) -> None:
    """Wait until the sink has `count` messages, for at most 30 seconds."""
    for _ in range(300):
        if len(sink.messages) >= count:
            return
        time.sleep(0.1)


def submit(appliance: RunningAppliance) -> None:
    with smtplib.SMTP("127.0.0.1", appliance.ports["submission"], timeout=30) as client:
        client.starttls(context=appliance.client_tls())
        client.login(SENDER, PASSWORD)
        client.sendmail(SENDER, ["an@example.test"], MESSAGE.encode())


def test_submitted_mail_reaches_remote_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_key(key_path(data))
    sink = Sink()
    with (
        sink_thread(sink) as port,
        running_appliance(data, dns_overrides=(f"example.test=127.0.0.1:{port}",)) as appliance,
    ):
        appliance.add_account(SENDER, PASSWORD)
        submit(appliance)
        wait_for(sink, 1)
    [received] = sink.messages
    assert received.mail_from == SENDER
    assert received.recipients == ["an@example.test"]
    assert received.tls is False
    assert received.content.startswith(b"DKIM-Signature: ")
    assert b"Return-Path" not in received.content
    assert b"\r\nMessage-ID: <" in received.content
    record = public_record(key_path(data)).encode()
    assert dkim.verify(received.content, dnsfunc=lambda name, timeout=5: record)
