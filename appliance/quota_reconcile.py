"""Recount quota usage from the stored messages and report, or fix, any difference.

Usage is kept on each account and changed in the same transaction as every insert and
removal, so the two should never differ; this check proves it, and repairs the counts
after a manual change to the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from appliance.models import Account, Folder, Message
from appliance.store.writer import Transaction, Writer


@dataclass(frozen=True)
class UsageDifference:
    address: str
    recorded_bytes: int
    counted_bytes: int
    recorded_messages: int
    counted_messages: int


async def reconcile(writer: Writer, *, fix: bool = False) -> list[UsageDifference]:
    """Return every account whose recorded usage differs from its messages; fix if asked.

    The recount and the comparison run in one writer transaction, so no delivery can land
    between them.
    """

    async def write(tx: Transaction) -> list[UsageDifference]:
        counted = {
            account_id: (int(size), int(count))
            for account_id, size, count in await tx.session.execute(
                select(
                    Folder.account_id,
                    func.coalesce(func.sum(Message.size), 0),
                    func.count(Message.id),
                )
                .join(Message, Message.folder_id == Folder.id)
                .group_by(Folder.account_id)
            )
        }
        differences = []
        for account in await tx.session.scalars(select(Account).order_by(Account.address)):
            size, count = counted.get(account.id, (0, 0))
            if (size, count) != (account.used_bytes, account.message_count):
                differences.append(
                    UsageDifference(
                        account.address, account.used_bytes, size, account.message_count, count
                    )
                )
                if fix:
                    account.used_bytes = size
                    account.message_count = count
        return differences

    return await writer.run(write)
