"""Transcripts of the QUOTA extension (RFC 9208) and quota refusals."""

from __future__ import annotations

from appliance.core import Core
from appliance.models import Account
from tests.imap.transcript import LOGIN, check

MESSAGE = b"Subject: q\r\n\r\n" + b"x" * 2034 + b"\r\n"  # 2050 bytes: 3 units of 1024
ONE_LINE = b"Subject: " + b"y" * 991  # a literal without CRLF, 1000 bytes


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
