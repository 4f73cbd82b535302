"""Recipient lookups for delivery, as synchronous reads (run through `Reader.run`).

Each function takes a Connection and runs Core statements built once at import, selecting
only the columns it needs, so a delivery's reads cost a few statements in one thread hop
and load no ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Row, Table, bindparam, select

from appliance.errors import UnknownRecipient
from appliance.models import Account, Folder, ForwardingRule

MAX_RENAME_HOPS = 4
ACCOUNTS = cast(Table, Account.__table__)
FOLDERS = cast(Table, Folder.__table__)
RULES = cast(Table, ForwardingRule.__table__)

_ACCOUNT_COLUMNS = select(
    ACCOUNTS.c.id,
    ACCOUNTS.c.address,
    ACCOUNTS.c.state,
    ACCOUNTS.c.forward_to,
    ACCOUNTS.c.forward_until,
    ACCOUNTS.c.used_bytes,
    ACCOUNTS.c.quota_bytes,
)
_ACCOUNTS_BY_ADDRESS = _ACCOUNT_COLUMNS.where(
    ACCOUNTS.c.address.in_(bindparam("addresses", expanding=True))
)
# Most lookups are for one address; an expanding IN costs more to render each time.
_ACCOUNT_BY_ADDRESS = _ACCOUNT_COLUMNS.where(ACCOUNTS.c.address == bindparam("address"))
_RULES_BY_ADDRESS = (
    select(ACCOUNTS.c.address, RULES.c.target, RULES.c.keep_copy)
    .join(RULES, RULES.c.account_id == ACCOUNTS.c.id)
    .where(ACCOUNTS.c.address.in_(bindparam("addresses", expanding=True)), RULES.c.active.is_(True))
)
# The operations centre's first admin account that receives mail (lowest id: the one
# `appliance init` creates).
_CENTRE_ADMIN = (
    _ACCOUNT_COLUMNS.where(
        ACCOUNTS.c.kind == "centre_admin", ACCOUNTS.c.state.in_(("active", "locked"))
    )
    .order_by(ACCOUNTS.c.id)
    .limit(1)
)
_FOLDER_IDS = select(FOLDERS.c.id, FOLDERS.c.account_id, FOLDERS.c.name).where(
    FOLDERS.c.account_id.in_(bindparam("account_ids", expanding=True)),
    FOLDERS.c.name.in_(bindparam("names", expanding=True)),
)


@dataclass(frozen=True)
class Recipient:
    """A local account as delivery needs it."""

    account_id: int
    address: str
    state: str
    used_bytes: int
    quota_bytes: int


def _accounts(connection: Connection, addresses: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(addresses))
    if len(wanted) == 1:
        rows = connection.execute(_ACCOUNT_BY_ADDRESS, {"address": wanted[0]})
    else:
        rows = connection.execute(_ACCOUNTS_BY_ADDRESS, {"addresses": wanted})
    return {row.address: row for row in rows}


def _recipient(row: Row[Any] | None) -> Recipient | None:
    if row is None:
        return None
    return Recipient(row.id, row.address, row.state, row.used_bytes, row.quota_bytes)


def resolve(
    connection: Connection, addresses: list[str], now: datetime
) -> dict[str, Recipient | None]:
    """Map each address to the account that receives its mail (None: no account).

    An address in its forwarding period (after a transfer or a unit rename) is replaced by
    its new address; once the period ends it is unknown (RFC 5321 550 5.1.1), which
    raises UnknownRecipient. Forwarding is followed for `MAX_RENAME_HOPS` hops only, so a
    mistaken cycle cannot hang delivery: after that the account reached is returned as it
    is, and its state "forwarding" keeps it from receiving.

    RFC 5321 section 4.5.1 requires `postmaster@` of every domain to accept mail, so a
    postmaster address with no account of its own maps to the first centre admin account.
    """
    current = {address: address for address in addresses}
    found: dict[str, Recipient | None] = {}
    pending = list(dict.fromkeys(addresses))
    for hop in range(MAX_RENAME_HOPS + 1):
        rows = _accounts(connection, (current[address] for address in pending))
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
    unknown_postmasters = [a for a, r in found.items() if r is None and _is_postmaster(a)]
    if unknown_postmasters:
        centre_row: Any = connection.execute(_CENTRE_ADMIN).one_or_none()
        centre = _recipient(centre_row)
        found.update(dict.fromkeys(unknown_postmasters, centre))
    return found


def _is_postmaster(address: str) -> bool:
    """Tell whether `address` is postmaster@ some domain (RFC 5321 4.5.1: case-insensitive)."""
    return address.rpartition("@")[0].lower() == "postmaster"


def accounts(connection: Connection, addresses: Iterable[str]) -> dict[str, Recipient]:
    """Return the accounts with these exact addresses (no forwarding periods followed)."""
    return {
        address: Recipient(row.id, row.address, row.state, row.used_bytes, row.quota_bytes)
        for address, row in _accounts(connection, addresses).items()
    }


def forwarding_rules(
    connection: Connection, addresses: list[str]
) -> dict[str, list[tuple[str, bool]]]:
    """Return each address's active forwarding rules as (target, keep a copy)."""
    rows = connection.execute(_RULES_BY_ADDRESS, {"addresses": addresses})
    rules: dict[str, list[tuple[str, bool]]] = {}
    for address, target, keep_copy in rows:
        rules.setdefault(address, []).append((target, keep_copy))
    return rules


def folder_ids(
    connection: Connection, account_ids: Iterable[int], names: Iterable[str]
) -> dict[tuple[int, str], int]:
    """Return the ids of the named folders of these accounts, by (account id, name)."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = connection.execute(_FOLDER_IDS, {"account_ids": ids, "names": sorted(set(names))})
    return {(row.account_id, row.name): row.id for row in rows}
