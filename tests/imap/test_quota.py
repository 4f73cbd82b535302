"""Transcripts of the QUOTA extension (RFC 9208) and quota refusals."""

from __future__ import annotations

import imaplib

from appliance.core import Core
from appliance.models import Account
from tests.imap.conftest import ImapAppliance
from tests.imap.transcript import LOGIN, check

MESSAGE = b"Subject: q\r\n\r\n" + b"x" * 2034 + b"\r\n"  # 2050 bytes: 3 units of 1024
ONE_LINE = b"Subject: " + b"y" * 991  # a literal without CRLF, 1000 bytes
COPY_ADDRESS = "tthi.stttt@hue.gov.vn"
COPY_PASSWORD = "Hue-Mail-2026!secure"  # imaplib sends LOGIN arguments as ASCII


async def test_getquotaroot_shows_exact_usage(core: Core) -> None:
    account = await core.accounts.get("an.nguyen@hue.gov.vn")
    await core.store.append(account.id, "INBOX", MESSAGE)
    await check(
        core,
        LOGIN
        + """
C: a GETQUOTAROOT INBOX
S: * QUOTAROOT "INBOX" ""
S: * QUOTA "" (STORAGE 3 5242880 MESSAGE 1 1000000)
S: a OK GETQUOTAROOT completed
C: b GETQUOTA ""
S: * QUOTA "" (STORAGE 3 5242880 MESSAGE 1 1000000)
S: b OK GETQUOTA completed
C: c GETQUOTA "other"
S: c NO [NONEXISTENT] No such quota root
C: d SETQUOTA "" (STORAGE 10)
S: d NO [NOPERM] Quotas are set by the operations centre
C: e GETQUOTAROOT Missing
S: e NO [NONEXISTENT] Mailbox does not exist: Missing
""",
    )


async def test_usage_drops_after_expunge(core: Core) -> None:
    account = await core.accounts.get("an.nguyen@hue.gov.vn")
    await core.store.append(account.id, "INBOX", MESSAGE, ["\\Deleted"])
    await core.store.append(account.id, "INBOX", b"Subject: k\r\n\r\nk\r\n")
    await check(
        core,
        LOGIN
        + """
C: s SELECT INBOX
S: <*>
S: <*>
S: * 2 EXISTS
S: <*>
S: <*>
S: <*>
S: <*>
S: s OK [READ-WRITE] SELECT completed
C: a EXPUNGE
S: * 1 EXPUNGE
S: a OK EXPUNGE completed
C: b GETQUOTA ""
S: * QUOTA "" (STORAGE 1 5242880 MESSAGE 1 1000000)
S: b OK GETQUOTA completed
""",
    )


async def test_append_over_quota(core: Core) -> None:
    account = await core.accounts.get("an.nguyen@hue.gov.vn")
    async with core.sessions.begin() as session:
        row = await session.get_one(Account, account.id)
        row.quota_bytes = 3000
    await core.store.append(account.id, "INBOX", MESSAGE)
    await check(
        core,
        LOGIN
        + f"""
C: a APPEND INBOX {{{len(ONE_LINE)}+}}
C: {ONE_LINE.decode()}
S: a NO [OVERQUOTA] Mailbox an.nguyen@hue.gov.vn is full: 2050 of 3000 bytes used, message
.. <SP>needs 1000.
""",
    )


def test_copy_over_quota_reports_real_usage(imap_appliance: ImapAppliance) -> None:
    account = imap_appliance.add_account(COPY_ADDRESS, COPY_PASSWORD)
    core = imap_appliance.core

    async def fill() -> None:
        for _ in range(3):
            await core.store.append(account.id, "INBOX", MESSAGE)
        async with core.sessions.begin() as session:
            row = await session.get_one(Account, account.id)
            # 3 x 2050 = 6150 used: room for one more copy, not for three.
            row.quota_bytes = 9000

    imap_appliance.call(fill)
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", imap_appliance.ports["imaps"], ssl_context=imap_appliance.client_tls()
    )
    client.login(COPY_ADDRESS, COPY_PASSWORD)
    client.select("INBOX")
    status, detail = client.uid("COPY", "1:*", "Archive")
    client.logout()
    assert status == "NO"
    assert detail == [
        f"[OVERQUOTA] Mailbox {COPY_ADDRESS} is full: 6150 of 9000 bytes used, "
        "3 messages need 6150.".encode()
    ]
