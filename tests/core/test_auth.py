from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from appliance.core import Core
from appliance.errors import AuthenticationFailed
from appliance.models import AuditEntry
from appliance.passwords import verify_password
from appliance.store.types import AccountInfo
from tests.core.conftest import PASSWORD


async def test_login_ok(core: Core, account: AccountInfo) -> None:
    found = await core.auth.login(
        "NVAN.skhcn@hue.gov.vn", PASSWORD, service="imap", client="127.0.0.1"
    )
    assert found.id == account.id


async def test_wrong_password_and_unknown_user_look_alike(core: Core, account: AccountInfo) -> None:
    with pytest.raises(AuthenticationFailed) as wrong:
        await core.auth.login(account.address, "sai", service="imap", client="127.0.0.1")
    with pytest.raises(AuthenticationFailed) as unknown:
        await core.auth.login("khongco@hue.gov.vn", PASSWORD, service="imap", client="127.0.0.1")
    assert wrong.value.message == unknown.value.message


async def test_every_attempt_audited(
    core: Core, account: AccountInfo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="audit")
    await core.auth.login(account.address, PASSWORD, service="smtp", client="10.0.0.7")
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, "Sai-mat-khau-1", service="web", client="10.0.0.8")
    async with core.sessions() as session:
        rows = list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(r.event, r.account, r.client, r.service, r.outcome) for r in rows] == [
        ("login", account.address, "10.0.0.7", "smtp", "ok"),
        ("login", account.address, "10.0.0.8", "web", "failed"),
    ]
    assert PASSWORD not in caplog.text
    assert "Sai-mat-khau-1" not in caplog.text


async def test_imported_sha512_crypt_hash_upgraded(core: Core) -> None:
    from passlib.hash import sha512_crypt

    await core.accounts.create("cu@hue.gov.vn", "tam-thoi")
    async with core.sessions.begin() as session:
        from appliance.models import Account

        row = await session.scalar(select(Account).where(Account.address == "cu@hue.gov.vn"))
        assert row is not None
        row.password_hash = sha512_crypt.hash(PASSWORD)
    await core.auth.login("cu@hue.gov.vn", PASSWORD, service="imap", client="127.0.0.1")
    async with core.sessions() as session:
        stored = await session.scalar(
            select(Account.password_hash).where(Account.address == "cu@hue.gov.vn")
        )
    assert stored is not None
    assert stored.startswith("$argon2")
    assert verify_password(PASSWORD, stored)[0] is True


async def test_ten_failures_hold_the_account(core: Core, account: AccountInfo) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    core.auth.sleep = record
    for _ in range(10):
        with pytest.raises(AuthenticationFailed):
            await core.auth.login(
                account.address, "Sai-mat-khau-1", service="imap", client="10.0.0.9"
            )
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, PASSWORD, service="imap", client="10.0.0.10")
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0, 30.0]
    async with core.sessions() as session:
        outcomes = list(await session.scalars(select(AuditEntry.outcome).order_by(AuditEntry.id)))
    assert outcomes == ["failed"] * 10 + ["held", "held"]


async def test_recent_logins_newest_first(core: Core, account: AccountInfo) -> None:
    other = await core.accounts.create("ttbngoc.stc@hue.gov.vn", PASSWORD)
    await core.auth.login(account.address, PASSWORD, service="imap", client="127.0.0.1")
    await core.auth.login(other.address, PASSWORD, service="imap", client="127.0.0.2")
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, "sai", service="smtp", client="127.0.0.3")
    await core.auth.login(account.address, PASSWORD, service="web", client="127.0.0.4")

    found = await core.auth.recent_logins("NVAN.skhcn@hue.gov.vn", 2)

    assert [(entry.client, entry.service, entry.outcome) for entry in found] == [
        ("127.0.0.4", "web", "ok"),
        ("127.0.0.3", "smtp", "failed"),
    ]
    assert found[0].time >= found[1].time
    assert len(await core.auth.recent_logins(account.address)) == 3


async def test_concurrent_failures_hold_after_ten_checks(core: Core, account: AccountInfo) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    core.auth.sleep = record

    async def attempt(password: str) -> str:
        try:
            await core.auth.login(account.address, password, service="imap", client="10.0.0.9")
        except AuthenticationFailed:
            return "refused"
        return "accepted"

    passwords = ["Sai-mat-khau-1"] * 29
    passwords.insert(25, PASSWORD)
    results = await asyncio.gather(*(attempt(password) for password in passwords))
    async with core.sessions() as session:
        outcomes = list(await session.scalars(select(AuditEntry.outcome).order_by(AuditEntry.id)))

    # Attempts run one at a time: ten password checks fail, the hold begins, and every
    # attempt still waiting, the right password among them, is refused unchecked.
    assert results == ["refused"] * 30
    assert outcomes == ["failed"] * 10 + ["held"] + ["held"] * 20
    assert pauses[:9] == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0, 30.0]
    assert pauses[9:] == [30.0] * 20
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(account.address, PASSWORD, service="web", client="10.0.0.10")
    async with core.sessions() as session:
        last = await session.scalar(select(AuditEntry.outcome).order_by(AuditEntry.id.desc()))
    assert last == "held"


async def test_failing_client_takes_turns_across_accounts(core: Core) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    core.auth.sleep = record
    addresses = [f"nguoi{number}.skhcn@hue.gov.vn" for number in range(5)]
    for address in addresses:
        await core.accounts.create(address, PASSWORD)
    with pytest.raises(AuthenticationFailed):
        await core.auth.login(addresses[0], "Sai-mat-khau-1", service="imap", client="10.0.0.9")

    async def wrong(address: str) -> None:
        with pytest.raises(AuthenticationFailed):
            await core.auth.login(address, "Sai-mat-khau-1", service="imap", client="10.0.0.9")

    await asyncio.gather(*(wrong(address) for address in addresses[1:]))

    # Each attempt from the failing address waits for the count left by the one before.
    assert pauses == [1.0, 2.0, 4.0, 8.0]


async def test_clean_client_logins_run_unpaused(core: Core) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    core.auth.sleep = record
    addresses = [f"nguoi{number}.skhcn@hue.gov.vn" for number in range(5)]
    for address in addresses:
        await core.accounts.create(address, PASSWORD)

    found = await asyncio.gather(
        *(core.auth.login(a, PASSWORD, service="imap", client="10.0.0.9") for a in addresses)
    )

    assert [account.address for account in found] == addresses
    assert pauses == []
