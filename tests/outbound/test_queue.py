"""Retries, delay notices and bounces of the queue runner, with a stopped test clock."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from email.message import Message
from pathlib import Path

from sqlalchemy import select

from appliance.models import OutboundMessage
from tests.outbound.conftest import SENDER, START, OutboundFactory, message

REFUSED = "550 5.1.1 <an@example.test>: Recipient address rejected"
BUSY = "451 4.7.1 Try again later"


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def report_fields(dsn: Message) -> list[list[tuple[str, str]]]:
    """Return the field blocks of the message/delivery-status part (RFC 3464 2.1)."""
    [status] = [part for part in dsn.walk() if part.get_content_type() == "message/delivery-status"]
    blocks = status.get_payload()
    assert isinstance(blocks, list)
    return [list(block.items()) for block in blocks]


async def test_permanent_failure_bounces(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = REFUSED
    await outbound.send()
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [("an@example.test", "bounced", 1)]
    [dsn_raw] = await outbound.inbox()
    dsn = parse(dsn_raw)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert dsn["From"] == "Mail Delivery System <postmaster@hue.gov.vn>"
    assert dsn["To"] == f"<{SENDER}>"
    assert dsn["Auto-Submitted"] == "auto-replied"
    kinds = [part.get_content_type() for part in dsn.get_payload()]
    assert kinds == ["text/plain", "message/delivery-status", "text/rfc822-headers"]
    per_message, per_recipient = report_fields(dsn)
    assert per_message == [
        ("Reporting-MTA", "dns; mail.hue.gov.vn"),
        ("Arrival-Date", "Mon, 02 Mar 2026 01:00:00 +0000"),
    ]
    assert per_recipient == [
        ("Final-Recipient", "rfc822; an@example.test"),
        ("Action", "failed"),
        ("Status", "5.1.1"),
        ("Remote-MTA", "dns; mx.example.test"),
        ("Diagnostic-Code", "smtp; " + REFUSED),
    ]
    headers = dsn.get_payload()[2].get_payload(decode=True)
    assert headers == message().split(b"\r\n\r\n")[0] + b"\r\n"


async def test_bounce_is_sent_from_null_sender(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = REFUSED
    await outbound.send()
    await outbound.core.queue.run_once()
    [dsn_raw] = await outbound.inbox()
    assert dsn_raw.startswith(b"Return-Path: <>\r\n")


async def test_temporary_failure_is_retried(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = BUSY
    await outbound.send()
    assert await outbound.core.queue.run_once() == 1
    assert await outbound.rows() == [("an@example.test", "deferred", 1)]
    async with outbound.core.sessions() as session:
        row = await session.scalar(select(OutboundMessage))
    assert row is not None
    assert row.next_attempt_at == START + timedelta(minutes=5)
    assert row.last_error == "451 Try again later"
    outbound.core.clock.advance(timedelta(minutes=4, seconds=59))
    assert await outbound.core.queue.run_once() == 0
    del outbound.sink.rcpt_replies["an@example.test"]
    outbound.core.clock.advance(timedelta(seconds=1))
    assert await outbound.core.queue.run_once() == 1
    assert await outbound.rows() == [("an@example.test", "sent", 2)]
    assert len(outbound.sink.messages) == 1
    assert await outbound.inbox() == []


async def test_unreachable_server_is_temporary(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={})
    outbound.core.queue.transport = outbound.make_transport(
        dns_overrides=("example.test=127.0.0.1:1",)
    )
    await outbound.send()
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [("an@example.test", "deferred", 1)]


async def test_delay_notice_sent_once(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = BUSY
    await outbound.send()
    attempts = 0
    while outbound.core.clock.now() < START + timedelta(hours=12):
        attempts += await outbound.core.queue.run_once()
        outbound.core.clock.advance(timedelta(minutes=5))
    # Pauses of 5, 10, 20, 40, 80, 160, 240, 240 minutes: 8 attempts fit in 12 hours.
    assert attempts == 8
    [notice_raw] = await outbound.inbox()
    notice = parse(notice_raw)
    assert notice.get_content_type() == "multipart/report"
    _per_message, per_recipient = report_fields(notice)
    assert ("Action", "delayed") in per_recipient
    assert ("Status", "4.7.1") in per_recipient
    assert await outbound.rows() == [("an@example.test", "deferred", 8)]


async def test_expiry_after_five_days_bounces(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = BUSY
    await outbound.send()
    while outbound.core.clock.now() <= START + timedelta(days=5, hours=4):
        await outbound.core.queue.run_once()
        outbound.core.clock.advance(timedelta(hours=1))
    [_rcpt, state, _attempts] = (await outbound.rows())[0]
    assert state == "bounced"
    notices = [parse(raw) for raw in await outbound.inbox()]
    actions = [dict(report_fields(notice)[1])["Action"] for notice in notices]
    assert actions == ["delayed", "failed"]
    failed = dict(report_fields(notices[1])[1])
    assert failed["Status"] == "5.4.7"
    assert failed["Diagnostic-Code"] == "smtp; " + BUSY


async def test_queue_survives_restart(outbound_factory: OutboundFactory, tmp_path: Path) -> None:
    first = await outbound_factory()
    first.sink.rcpt_replies["an@example.test"] = BUSY
    await first.send()
    await first.core.queue.run_once()
    settings = first.core.settings
    await first.core.close()
    from appliance.core import Core

    first.core = await Core.open(settings, first.core.clock)
    first.core.queue.transport = first.transport
    del first.sink.rcpt_replies["an@example.test"]
    first.core.clock.advance(timedelta(minutes=5))
    assert await first.core.queue.run_once() == 1
    assert [m.recipients for m in first.sink.messages] == [["an@example.test"]]
    assert await first.rows() == [("an@example.test", "sent", 2)]


async def test_null_mx_bounces(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={("example.test", "MX"): ["0 ."]})
    await outbound.send()
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [("an@example.test", "bounced", 1)]
    [dsn_raw] = await outbound.inbox()
    fields = dict(report_fields(parse(dsn_raw))[1])
    assert fields["Status"] == "5.1.10"


async def test_unknown_domain_bounces(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={})
    await outbound.send()
    await outbound.core.queue.run_once()
    [dsn_raw] = await outbound.inbox()
    fields = dict(report_fields(parse(dsn_raw))[1])
    assert fields["Status"] == "5.1.2"
    assert fields["Diagnostic-Code"] == "X-Appliance; Domain example.test does not exist"
    assert "Remote-MTA" not in fields


async def test_dns_failure_defers(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory(table={})
    outbound.resolver.failing = {"example.test"}
    await outbound.send()
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [("an@example.test", "deferred", 1)]
    assert await outbound.inbox() == []


async def test_mixed_replies_per_recipient(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["b@example.test"] = "550 5.1.1 No such user"
    await outbound.core.delivery.deliver(message(), SENDER, ["a@example.test", "b@example.test"])
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [
        ("a@example.test", "sent", 1),
        ("b@example.test", "bounced", 1),
    ]
    assert [m.recipients for m in outbound.sink.messages] == [["a@example.test"]]


async def test_bounce_of_null_sender_sends_nothing(outbound_factory: OutboundFactory) -> None:
    outbound = await outbound_factory()
    outbound.sink.rcpt_replies["an@example.test"] = REFUSED
    await outbound.core.delivery.deliver(message(), "", ["an@example.test"])
    await outbound.core.queue.run_once()
    assert await outbound.rows() == [("an@example.test", "bounced", 1)]
    assert await outbound.inbox() == []
    assert outbound.sink.messages == []
