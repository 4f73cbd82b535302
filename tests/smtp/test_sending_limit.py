"""The sending-rate lock on the submission port: the reply and who gets the notice."""

from __future__ import annotations

import email
import email.policy
import smtplib

import pytest

from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.smtp.helpers import ASCII_PASSWORD, inbox, submission_client

SENDER = "lthoa.vyda@hue.gov.vn"  # unit vyda has no admin.vyda@ account
MESSAGE = b"From: lthoa.vyda@hue.gov.vn\r\nSubject: report\r\n\r\nAttached.\r\n"


def submit_hundred(appliance: RunningAppliance, account: AccountInfo) -> None:
    """Fill the 30-minute window through the core; the 101st message then uses SMTP."""
    core = appliance.core

    async def submit() -> None:
        for _ in range(100):
            await core.submission.submit(account, account.address, ["x@example.com"], MESSAGE)

    appliance.call(submit)


def notice_subjects(appliance: RunningAppliance, account: AccountInfo) -> list[str]:
    appliance.call(appliance.core.delivery.drain)
    return [
        str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])
        for raw in inbox(appliance, account)
    ]


def test_lock_notice_without_unit_admin(appliance: RunningAppliance) -> None:
    centre = appliance.add_account("quantri@hue.gov.vn", kind="centre_admin")
    deputy = appliance.add_account("ttcntt@hue.gov.vn", kind="centre_admin")
    sender = appliance.add_account(SENDER, ASCII_PASSWORD)
    submit_hundred(appliance, sender)
    with (
        submission_client(appliance, SENDER) as client,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        client.sendmail(SENDER, ["x@example.com"], MESSAGE)
    assert refused.value.smtp_code == 550
    # RFC 5321 4.2: ASCII reply text although the Vietnamese part has marks in the source.
    assert refused.value.smtp_error == (
        b"5.7.1 Sending limit reached (100 messages in 30 minutes); the account is locked "
        b"(Vuot gioi han gui thu: tai khoan da bi khoa)"
    )
    subject = f"Tài khoản {SENDER} bị khóa do gửi quá nhiều thư"
    assert notice_subjects(appliance, centre) == [subject]
    assert notice_subjects(appliance, deputy) == [subject]
