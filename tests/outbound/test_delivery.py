"""Queued mail reaches a real SMTP server (an aiosmtpd sink on 127.0.0.1)."""

from __future__ import annotations

import dkim

from appliance.dkim_keys import key_path, public_record
from tests.outbound.conftest import SENDER, TABLE, OutboundFactory, message


async def test_mx_delivery_reaches_sink(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send()
    assert await outbound.core.queue.run_once() == 1
    [received] = outbound.sink.messages
    assert received.mail_from == SENDER
    assert received.recipients == ["an@example.test"]
    assert received.content.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert received.content.endswith(message())
    assert "BODY=8BITMIME" in received.mail_options
    assert await outbound.rows() == [("an@example.test", "sent", 1)]
    assert outbound.resolver.queries == [
        ("example.test", "MX"),
        ("mx.example.test", "A"),
        ("mx.example.test", "AAAA"),
    ]


async def test_sent_entry_is_not_sent_again(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send()
    await outbound.core.queue.run_once()
    assert await outbound.core.queue.run_once() == 0
    assert len(outbound.sink.messages) == 1


async def test_dkim_signature_verifies(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send()
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    record = public_record(key_path(outbound.core.settings.data_dir)).encode()
    looked_up = []

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes:
        looked_up.append(name)
        return record

    assert dkim.verify(received.content, dnsfunc=dnsfunc)
    assert looked_up == [b"mail2026._domainkey.hue.gov.vn."]
    header = received.content.split(b"\r\n\r\n", 1)[0].decode()
    signature = " ".join(header.split("\r\nFrom:", 1)[0].split())
    tags = dict(tag.strip().split("=", 1) for tag in signature.split(":", 1)[1].split(";"))
    assert tags["d"] == "hue.gov.vn"
    assert tags["s"] == "mail2026"
    assert tags["c"] == "relaxed/relaxed"
    assert tags["h"].replace(" ", "").split(":") == [
        "from",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "reply-to",
        "in-reply-to",
        "references",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ]


async def test_tampered_message_fails_dkim(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send()
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    record = public_record(key_path(outbound.core.settings.data_dir)).encode()
    tampered = received.content.replace("Nội dung".encode(), "Nội dung đã sửa".encode())
    assert not dkim.verify(tampered, dnsfunc=lambda name, timeout=5: record)


async def test_one_connection_for_three_messages(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    for number in range(3):
        address = f"u{number}@example.test"
        await outbound.send(message(subject=f"Thư {number}", to=address), to=address)
    assert await outbound.core.queue.run_once() == 3
    assert outbound.sink.connections == 1
    assert [m.recipients for m in outbound.sink.messages] == [
        ["u0@example.test"],
        ["u1@example.test"],
        ["u2@example.test"],
    ]


async def test_two_recipients_share_one_transaction(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.core.delivery.deliver(message(), SENDER, ["a@example.test", "b@example.test"])
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    assert received.recipients == ["a@example.test", "b@example.test"]


async def test_starttls_used_when_offered(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(tls=True)
    await outbound.send()
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    assert received.tls is True


async def test_plain_when_starttls_not_offered(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send()
    await outbound.core.queue.run_once()
    assert outbound.sink.messages[0].tls is False


async def test_required_tls_defers_without_starttls(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(tls_policy=("example.test:required",))
    await outbound.send()
    await outbound.core.queue.run_once()
    assert outbound.sink.messages == []
    assert await outbound.rows() == [("an@example.test", "deferred", 1)]
    async with outbound.core.sessions() as session:
        from appliance.models import OutboundMessage

        row = await session.get_one(OutboundMessage, 1)
    assert row.last_error == (
        "0 TLS is required for example.test, but mx.example.test "
        f"[127.0.0.1]:{outbound.port} did not offer STARTTLS"
    )


async def test_required_tls_sends_over_starttls(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(tls=True, tls_policy=("example.test:required",))
    await outbound.send()
    await outbound.core.queue.run_once()
    assert [m.tls for m in outbound.sink.messages] == [True]


async def test_dns_override_skips_mx_lookup(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={}, dns_overrides=("example.test=127.0.0.1:PORT",))
    outbound.core.queue.transport = outbound.make_transport()
    await outbound.send()
    await outbound.core.queue.run_once()
    assert len(outbound.sink.messages) == 1
    assert outbound.resolver.queries == []


async def test_implicit_mx_uses_a_record(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={("example.test", "A"): ["127.0.0.1"]})
    await outbound.send()
    await outbound.core.queue.run_once()
    assert len(outbound.sink.messages) == 1
    assert outbound.resolver.queries[:2] == [("example.test", "MX"), ("example.test", "A")]


async def test_smarthost_relays_everything(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={}, smarthost="127.0.0.1:PORT")
    outbound.core.queue.transport = outbound.make_transport()
    await outbound.send(to="someone@elsewhere.example")
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    assert received.recipients == ["someone@elsewhere.example"]
    assert outbound.resolver.queries == []


async def test_smarthost_auth_over_starttls(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(
        table={},
        tls=True,
        auth=True,
        smarthost="127.0.0.1:PORT",
        smarthost_user="relay@hue.gov.vn",
        smarthost_password="relay-secret",
    )
    outbound.core.queue.transport = outbound.make_transport()
    await outbound.send(to="someone@elsewhere.example")
    await outbound.core.queue.run_once()
    assert outbound.sink.logins == ["relay@hue.gov.vn"]
    assert [m.tls for m in outbound.sink.messages] == [True]


async def test_return_path_removed_before_sending(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    await outbound.send(b"Return-Path: <" + SENDER.encode() + b">\r\n" + message())
    await outbound.core.queue.run_once()
    [received] = outbound.sink.messages
    assert b"Return-Path" not in received.content
    assert received.content.endswith(message())


def test_table_has_mx() -> None:
    assert TABLE[("example.test", "MX")] == ["10 mx.example.test."]
