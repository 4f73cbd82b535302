"""Forwarding rules seen from the MX: a target that cannot receive never costs the mailbox."""

from __future__ import annotations

from sqlalchemy import select, update

from appliance.models import Account, AuditEntry, ForwardingRule
from appliance.store.types import AccountInfo
from appliance.store.writer import Transaction
from tests.harness import RunningAppliance
from tests.smtp.helpers import LOCAL, OTHER_LOCAL, inbox, mx_client

MESSAGE = b"From: a@example.org\r\nTo: nvan.skhcn@hue.gov.vn\r\nSubject: fwd\r\n\r\nHello.\r\n"
DEAD_TARGET = "x%gmail.com@hue.gov.vn"


def add_rule_row(
    appliance: RunningAppliance, account: AccountInfo, target: str, *, keep_copy: bool
) -> None:
    """Insert a rule row directly, as if it was saved before its target stopped receiving."""
    core = appliance.core

    async def write(tx: Transaction) -> None:
        tx.session.add(
            ForwardingRule(
                account_id=account.id,
                target=target,
                keep_copy=keep_copy,
                active=True,
                disabled_reason="",
                created_at=core.clock.now(),
            )
        )

    appliance.call(lambda: core.writer.run(write))


def set_account(appliance: RunningAppliance, account: AccountInfo, **values: object) -> None:
    async def write(tx: Transaction) -> None:
        await tx.session.execute(update(Account).where(Account.id == account.id).values(values))

    appliance.call(lambda: appliance.core.writer.run(write))


def send(appliance: RunningAppliance) -> tuple[int, bytes]:
    with mx_client(appliance) as client:
        client.mail("a@example.org")
        client.rcpt(LOCAL)
        return client.data(MESSAGE)


def skip_entries(appliance: RunningAppliance) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.outcome == "forwarding_target")
            )
            return [(row.service, row.account, row.detail) for row in rows]

    return appliance.call(read)


def test_missing_local_target_still_delivers(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    add_rule_row(appliance, account, DEAD_TARGET, keep_copy=True)
    code, _text = send(appliance)
    assert code == 250
    [stored] = inbox(appliance, account)
    assert stored.endswith(MESSAGE)
    assert skip_entries(appliance) == [("delivery", LOCAL, DEAD_TARGET)]


def test_retired_target_without_copy_keeps_mail(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    colleague = appliance.add_account(OTHER_LOCAL)
    appliance.call(
        lambda: appliance.core.forwarding.add_rule(account.id, OTHER_LOCAL, keep_copy=False)
    )
    set_account(appliance, colleague, state="revoked")
    code, _text = send(appliance)
    assert code == 250
    [stored] = inbox(appliance, account)
    assert stored.endswith(MESSAGE)
    assert inbox(appliance, colleague) == []


def test_live_target_gets_copy_beside_dead(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    colleague = appliance.add_account(OTHER_LOCAL)
    add_rule_row(appliance, account, DEAD_TARGET, keep_copy=False)
    add_rule_row(appliance, account, OTHER_LOCAL, keep_copy=False)
    code, _text = send(appliance)
    assert code == 250
    assert inbox(appliance, account) == []
    [forwarded] = inbox(appliance, colleague)
    assert forwarded.startswith(f"Delivered-To: {LOCAL}\r\n".encode())
    assert forwarded.endswith(MESSAGE)


def test_full_target_is_skipped(appliance: RunningAppliance) -> None:
    account = appliance.add_account(LOCAL)
    colleague = appliance.add_account(OTHER_LOCAL)
    set_account(appliance, colleague, quota_bytes=100)
    add_rule_row(appliance, account, OTHER_LOCAL, keep_copy=False)
    code, _text = send(appliance)
    assert code == 250
    [stored] = inbox(appliance, account)
    assert stored.endswith(MESSAGE)
    assert inbox(appliance, colleague) == []
    assert skip_entries(appliance) == [("delivery", LOCAL, OTHER_LOCAL)]


def test_target_among_recipients_gets_one_copy(appliance: RunningAppliance) -> None:
    """A message to a forwarder and its target reaches the target once, not twice."""
    account = appliance.add_account(LOCAL)
    colleague = appliance.add_account(OTHER_LOCAL)
    appliance.call(
        lambda: appliance.core.forwarding.add_rule(account.id, OTHER_LOCAL, keep_copy=False)
    )
    with mx_client(appliance) as client:
        client.mail("a@example.org")
        client.rcpt(LOCAL)
        client.rcpt(OTHER_LOCAL)
        code, _text = client.data(MESSAGE)
    assert code == 250
    assert inbox(appliance, account) == []
    [stored] = inbox(appliance, colleague)
    assert b"Delivered-To:" not in stored
    assert stored.endswith(MESSAGE)
