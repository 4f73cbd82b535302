"""Shared steps of the lifecycle tests."""

from __future__ import annotations

from sqlalchemy import func, select

from appliance.core import Core
from appliance.directory.records import PersonInput
from appliance.lifecycle.records import HireResult
from appliance.models import Account, AuditEntry, IssuedAddress

BY = "admin@hue.gov.vn"
MESSAGE = b"From: a@example.org\r\nSubject: x\r\n\r\nx\r\n"


async def hire(core: Core, family: str, middle: str, given: str, unit: str) -> HireResult:
    return await core.lifecycle.hire(PersonInput(family, middle, given, unit), by=BY)


async def account_row(core: Core, address: str) -> Account:
    async with core.sessions() as session:
        row = await session.scalar(select(Account).where(Account.address == address))
    assert row is not None, address
    return row


async def issued_state(core: Core, local: str) -> str | None:
    async with core.sessions() as session:
        return await session.scalar(
            select(IssuedAddress.state).where(IssuedAddress.local_part == local)
        )


async def audit_entries(core: Core, event: str) -> list[AuditEntry]:
    async with core.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.event == event).order_by(AuditEntry.id)
            )
        )


async def count_rows(core: Core, table: type[object]) -> int:
    async with core.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def inbox_count(core: Core, account_id: int) -> int:
    return (await core.store.folder(account_id, "INBOX")).messages
