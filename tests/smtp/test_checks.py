"""The MX applies SPF, DKIM and DMARC and refuses forged local senders, over real smtplib."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from pathlib import Path

import pytest

from smtp.resolver import TableResolver
from tests.harness import RunningAppliance, running_appliance
from tests.smtp.helpers import LOCAL, folder_messages, inbox, mx_client, split_trace, trace_fields

# The client is 127.0.0.1: example.org authorizes it, example.net does not.
RECORDS = {
    ("example.org", "TXT"): ["v=spf1 ip4:127.0.0.1 -all"],
    ("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject"],
    ("example.net", "TXT"): ["v=spf1 ip4:198.51.100.7 -all"],
    ("_dmarc.example.net", "TXT"): ["v=DMARC1; p=reject"],
    ("example.com", "TXT"): ["v=spf1 ip4:198.51.100.7 ~all"],
    ("_dmarc.example.com", "TXT"): ["v=DMARC1; p=quarantine"],
}


def message(author: str, subject: str = "Công văn") -> bytes:
    return f"From: <{author}>\r\nSubject: {subject}\r\n\r\nNội dung.\r\n".encode()


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[RunningAppliance]:
    with running_appliance(tmp_path / "data", resolver=TableResolver(RECORDS)) as running:
        yield running


def test_genuine_message_is_delivered(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    with mx_client(checked) as client:
        client.sendmail("an@example.org", [LOCAL], message("an@example.org"))
    [stored] = inbox(checked, account)
    assert trace_fields(stored)["Authentication-Results"] == (
        "mail.hue.gov.vn; spf=pass smtp.mailfrom=example.org; dkim=none; "
        "dmarc=pass (p=reject dis=none) header.from=example.org"
    )
    assert split_trace(stored)[1] == message("an@example.org")


def test_dmarc_reject_refused_at_data(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    with mx_client(checked) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("an@example.net", [LOCAL], message("an@example.net"))
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error == b"5.7.1 Message rejected by the DMARC policy of example.net"
    assert inbox(checked, account) == []


def test_dmarc_quarantine_goes_to_junk(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    with mx_client(checked) as client:
        client.sendmail("an@example.com", [LOCAL], message("an@example.com"))
    assert inbox(checked, account) == []
    [stored] = folder_messages(checked, account, "Junk")
    assert trace_fields(stored)["Authentication-Results"] == (
        "mail.hue.gov.vn; spf=softfail smtp.mailfrom=example.com; dkim=none; "
        "dmarc=fail (p=quarantine dis=quarantine) header.from=example.com"
    )


def test_local_mail_from_is_refused(checked: RunningAppliance) -> None:
    checked.add_account(LOCAL)
    with mx_client(checked) as client:
        reply = client.mail(LOCAL)
    assert reply == (
        550,
        b"5.7.1 Mail from a local domain must be sent through authenticated submission",
    )


def test_local_from_header_is_refused(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    with mx_client(checked) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("an@example.org", [LOCAL], message("giamdoc@hue.gov.vn"))
    assert refused.value.smtp_code == 550
    assert inbox(checked, account) == []


@pytest.mark.parametrize(
    "author",
    [
        "=?utf-8?b?cXVhbnRyaUBodWUuZ292LnZu?=",
        "=?utf-8?q?quantri=40hue=2Egov=2Evn?=",
        "=?UTF-8?B?UVVBTlRSSUBIVUUuR09WLlZO?=",
        '"quantri@hue.gov.vn" <an@example.org>',
        # "quantri＠hue.gov.vn" with a full-width at sign, folded by NFKC.
        "=?utf-8?b?cXVhbnRyae+8oGh1ZS5nb3Yudm4=?= <an@example.org>",
    ],
)
def test_local_address_in_display_is_refused(checked: RunningAppliance, author: str) -> None:
    account = checked.add_account(LOCAL)
    raw = f"From: {author}\r\nSubject: x\r\n\r\nx\r\n".encode()
    with mx_client(checked) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("an@example.org", [LOCAL], raw)
    assert refused.value.smtp_code == 550
    assert refused.value.smtp_error == (
        b"5.7.1 Mail from a local domain must be sent through authenticated submission"
    )
    assert inbox(checked, account) == []


@pytest.mark.parametrize(
    "author",
    [
        # "Trung tâm an@example.org": an address in the display text, not a local one.
        "=?utf-8?b?VHJ1bmcgdMOibSBhbkBleGFtcGxlLm9yZw==?= <an@example.org>",
        # How a mailing list rewrites a member's post: the name mentions a local address
        # among other words, and the real address beside it is the list's.
        "\"'nvan.skhcn@hue.gov.vn' via Nhom Du an\" <duan@googlegroups.com>",
        "=?utf-8?b?VHJ1bmcgdMOibSBxdWFudHJpQGh1ZS5nb3Yudm4=?= <an@example.org>",
    ],
)
def test_display_text_mentioning_address_is_accepted(
    checked: RunningAppliance, author: str
) -> None:
    account = checked.add_account(LOCAL)
    raw = f"From: {author}\r\nSubject: x\r\n\r\nx\r\n".encode()
    with mx_client(checked) as client:
        client.sendmail("an@example.org", [LOCAL], raw)
    [stored] = inbox(checked, account)
    assert split_trace(stored)[1] == raw


def test_bounce_to_local_user_is_accepted(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    with mx_client(checked) as client:
        client.sendmail("", [LOCAL], message("mailer-daemon@bounces.example"))
    [stored] = inbox(checked, account)
    assert trace_fields(stored)["Return-Path"] == "<>"


def test_trusted_network_may_use_local_sender(tmp_path: Path) -> None:
    with running_appliance(
        tmp_path / "data", resolver=TableResolver(RECORDS), trusted_networks=("127.0.0.0/8",)
    ) as appliance:
        account = appliance.add_account(LOCAL)
        with mx_client(appliance) as client:
            client.sendmail("scanner@hue.gov.vn", [LOCAL], message("scanner@hue.gov.vn"))
        [stored] = inbox(appliance, account)
    assert trace_fields(stored)["Return-Path"] == "<scanner@hue.gov.vn>"


def test_forged_own_results_are_removed(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    forged = b"Authentication-Results: mail.hue.gov.vn; dmarc=pass\r\n" + message("an@example.org")
    with mx_client(checked) as client:
        client.sendmail("an@example.org", [LOCAL], forged)
    [stored] = inbox(checked, account)
    assert split_trace(stored)[1] == message("an@example.org")


def test_too_many_hops_is_refused(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    hops = b"".join(b"Received: from hop%d.example.org by relay;\r\n" % n for n in range(100))
    with mx_client(checked) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("an@example.org", [LOCAL], hops + message("an@example.org"))
    assert (refused.value.smtp_code, refused.value.smtp_error) == (
        554,
        b"5.4.6 Too many hops: mail loop detected",
    )
    assert inbox(checked, account) == []


def test_hops_at_limit_are_accepted(checked: RunningAppliance) -> None:
    account = checked.add_account(LOCAL)
    hops = b"".join(b"Received: from hop%d.example.org by relay;\r\n" % n for n in range(99))
    with mx_client(checked) as client:
        client.sendmail("an@example.org", [LOCAL], hops + message("an@example.org"))
    assert len(inbox(checked, account)) == 1
