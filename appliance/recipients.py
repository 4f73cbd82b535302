"""Recipient lookups for delivery, as synchronous reads (run through `Reader.run`).

Each function takes a plain Session and selects only the columns it needs with Core
statements, so a delivery's reads cost a few statements in one thread hop and load no
ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from appliance.errors import UnknownRecipient
from appliance.models import Account, Folder, ForwardingRule

MAX_RENAME_HOPS = 4


@dataclass(frozen=True)
class Recipient:
    """A local account as delivery needs it."""

    account_id: int
    address: str
    state: str
    used_bytes: int
    quota_bytes: int


def _accounts(session: Session, addresses: Iterable[str]) -> dict[str, Any]:
    rows = session.execute(
        select(
            Account.id,
            Account.address,
            Account.state,
            Account.forward_to,
            Account.forward_until,
            Account.used_bytes,
            Account.quota_bytes,
        ).where(Account.address.in_(sorted(set(addresses))))
    )
    return {row.address: row for row in rows}


def _recipient(row: Row[Any] | None) -> Recipient | None:
    if row is None:
        return None
    return Recipient(row.id, row.address, row.state, row.used_bytes, row.quota_bytes)


def resolve(session: Session, addresses: list[str], now: datetime) -> dict[str, Recipient | None]:
    """Map each address to the account that receives its mail (None: no account).

    An address in its forwarding period (after a transfer or a unit rename) is replaced by
    its new address; once the period ends it is unknown (RFC 5321 550 5.1.1), which
    raises UnknownRecipient. Forwarding is followed for `MAX_RENAME_HOPS` hops only, so a
    mistaken cycle cannot hang delivery: after that the account reached is returned as it
    is, and its state "forwarding" keeps it from receiving.
    """
    current = {address: address for address in addresses}
    found: dict[str, Recipient | None] = {}
    pending = list(dict.fromkeys(addresses))
    for hop in range(MAX_RENAME_HOPS + 1):
        rows = _accounts(session, (current[address] for address in pending))
        following = []
        for address in pending:
            row = rows.get(current[address])
            if row is None or row.state != "forwarding" or hop == MAX_RENAME_HOPS:
                found[address] = _recipient(row)
                continue
            if row.forward_to is None or (
                row.forward_until is not None and row.forward_until <= now
            ):
                raise UnknownRecipient(f"The address {current[address]} is no longer in use")
            current[address] = row.forward_to
            following.append(address)
        pending = following
        if not pending:
            break
    return found


def accounts(session: Session, addresses: Iterable[str]) -> dict[str, Recipient]:
    """Return the accounts with these exact addresses (no forwarding periods followed)."""
    return {
        address: Recipient(row.id, row.address, row.state, row.used_bytes, row.quota_bytes)
        for address, row in _accounts(session, addresses).items()
    }


def forwarding_rules(session: Session, addresses: list[str]) -> dict[str, list[tuple[str, bool]]]:
    """Return each address's active forwarding rules as (target, keep a copy)."""
    rows = session.execute(
        select(Account.address, ForwardingRule.target, ForwardingRule.keep_copy)
        .join(ForwardingRule, ForwardingRule.account_id == Account.id)
        .where(Account.address.in_(addresses), ForwardingRule.active.is_(True))
    )
    rules: dict[str, list[tuple[str, bool]]] = {}
    for address, target, keep_copy in rows:
        rules.setdefault(address, []).append((target, keep_copy))
    return rules


def folder_ids(
    session: Session, account_ids: Iterable[int], names: Iterable[str]
) -> dict[tuple[int, str], int]:
    """Return the ids of the named folders of these accounts, by (account id, name)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Folder.id, Folder.account_id, Folder.name).where(
            Folder.account_id.in_(ids), Folder.name.in_(sorted(set(names)))
        )
    )
    return {(row.account_id, row.name): row.id for row in rows}
