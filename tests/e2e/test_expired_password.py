"""An initial or expired password is refused by mail clients with a pointer to the webmail."""

from __future__ import annotations

import imaplib
import smtplib
from datetime import timedelta

import pytest

from tests.harness import RunningAppliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Secret-Pass-2026!"
EXPIRED = b"[EXPIRED] The password has expired or was never changed; change it in the webmail."


def imap_login(appliance: RunningAppliance) -> None:
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls(), timeout=30
    )
    try:
        client.login(ADDRESS, PASSWORD)
    finally:
        client.shutdown()


def test_initial_password_expired_for_imap_and_smtp(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS, PASSWORD, must_change_password=True)
    with pytest.raises(imaplib.IMAP4.error) as refused:
        imap_login(appliance)
    assert refused.value.args[0] == EXPIRED
    with (
        smtplib.SMTP_SSL(
            "127.0.0.1", appliance.ports["submissions"], context=appliance.client_tls(), timeout=30
        ) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as failed,
    ):
        client.login(ADDRESS, PASSWORD)
    assert failed.value.smtp_code == 535
    assert failed.value.smtp_error.startswith(b"5.7.8 Password expired or never changed")


def test_password_expires_after_ninety_days(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS, PASSWORD)
    imap_login(appliance)
    appliance.clock.advance(timedelta(days=90))
    with pytest.raises(imaplib.IMAP4.error) as refused:
        imap_login(appliance)
    assert refused.value.args[0] == EXPIRED
