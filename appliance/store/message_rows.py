"""Message writes for the writer's synchronous path: Core statements on a plain Session.

The same rules as `appliance.store.messages` (UIDs only grow, each operation bumps the
folder's modification sequence, quota changes in the same transaction), with fewer
statements: a folder's UIDs and modification sequences are claimed with one
UPDATE ... RETURNING, and the account is charged with one conditional UPDATE that checks
the quota in SQL. No ORM objects are loaded, so nothing is tracked by the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Integer,
    Row,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.sql.elements import ColumnElement

from appliance.errors import MailboxNotFound, OverQuota, UnknownRecipient
from appliance.models import Account, Expunged, Folder, Message
from appliance.store.messages import flags_set, flags_text, updated_flags
from appliance.store.types import MessageInfo

ACCOUNTS = cast(Table, Account.__table__)
FOLDERS = cast(Table, Folder.__table__)
MESSAGES = cast(Table, Message.__table__)
EXPUNGED = cast(Table, Expunged.__table__)
AnyRow = Row[*tuple[Any, ...]]  # a row of any columns
CHUNK = 500  # bound parameters per IN list, well under SQLite's limit


@dataclass(frozen=True)
class NewMessage:
    """A message to insert: its blob is already durable."""

    blob_key: str
    size: int
    structure: str
    flags: frozenset[str]
    internal_date: datetime


@dataclass(frozen=True)
class Slot:
    """UIDs and modification sequences claimed in a folder for `count` new messages."""

    folder_id: int
    account_id: int
    name: str
    uidvalidity: int
    first_uid: int
    first_modseq: int
    count: int


def _claim_statement(where: ColumnElement[bool]) -> Any:
    count = bindparam("count", type_=Integer)
    return (
        update(FOLDERS)
        .where(where)
        .values(uidnext=FOLDERS.c.uidnext + count, highestmodseq=FOLDERS.c.highestmodseq + count)
        .returning(
            FOLDERS.c.id,
            FOLDERS.c.account_id,
            FOLDERS.c.name,
            FOLDERS.c.uidvalidity,
            FOLDERS.c.uidnext,
            FOLDERS.c.highestmodseq,
        )
    )


# Statements are built once: building a SQLAlchemy expression costs more CPU than running
# the cached compiled form, and these run for every delivered message.
# UPDATE reserves parameter names equal to column names, hence the "by_" prefixes.
_CLAIM_BY_ID = _claim_statement(FOLDERS.c.id == bindparam("by_id"))
_CLAIM_BY_NAME = _claim_statement(
    (FOLDERS.c.account_id == bindparam("by_account")) & (FOLDERS.c.name == bindparam("by_name"))
)


def claim_by_id(connection: Connection, folder_id: int, count: int) -> Slot | None:
    """Reserve `count` UIDs in a folder; None if there is no such folder."""
    result = connection.execute(_CLAIM_BY_ID, {"by_id": folder_id, "count": count})
    return _slot(result.one_or_none(), count)


def claim_by_name(connection: Connection, account_id: int, name: str, count: int) -> Slot | None:
    """Reserve `count` UIDs in the account's folder of that (stored) name; None if none."""
    result = connection.execute(
        _CLAIM_BY_NAME, {"by_account": account_id, "by_name": name, "count": count}
    )
    return _slot(result.one_or_none(), count)


def _slot(row: Any, count: int) -> Slot | None:
    if row is None:
        return None
    return Slot(
        folder_id=row.id,
        account_id=row.account_id,
        name=row.name,
        uidvalidity=row.uidvalidity,
        first_uid=row.uidnext - count,
        first_modseq=row.highestmodseq - count + 1,
        count=count,
    )


def _charge_statement(with_states: bool, check_quota: bool) -> Any:
    total = bindparam("total", type_=BigInteger)
    statement = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == bindparam("by_id"))
        .values(
            used_bytes=ACCOUNTS.c.used_bytes + total,
            message_count=ACCOUNTS.c.message_count + bindparam("count", type_=Integer),
        )
    )
    if with_states:
        statement = statement.where(ACCOUNTS.c.state.in_(bindparam("states", expanding=True)))
    if check_quota:
        statement = statement.where(ACCOUNTS.c.used_bytes + total <= ACCOUNTS.c.quota_bytes)
    return statement


_CHARGE = {
    (with_states, check_quota): _charge_statement(with_states, check_quota)
    for with_states in (False, True)
    for check_quota in (False, True)
}


def charge(
    connection: Connection,
    account_id: int,
    sizes: Sequence[int],
    *,
    states: frozenset[str] | None = None,
) -> None:
    """Add messages to the account's usage, or raise OverQuota if they would not fit.

    With `states`, an account in any other state raises UnknownRecipient (delivery).
    """
    total = sum(sizes)
    parameters: dict[str, Any] = {"by_id": account_id, "total": total, "count": len(sizes)}
    if states is not None:
        parameters["states"] = sorted(states)
    statement = _CHARGE[(states is not None, total > 0)]
    if connection.execute(statement, parameters).rowcount == 1:
        return
    _raise_charge_error(connection, account_id, sizes, states)


def _raise_charge_error(
    connection: Connection, account_id: int, sizes: Sequence[int], states: frozenset[str] | None
) -> None:
    row = connection.execute(
        select(
            ACCOUNTS.c.address, ACCOUNTS.c.state, ACCOUNTS.c.used_bytes, ACCOUNTS.c.quota_bytes
        ).where(ACCOUNTS.c.id == account_id)
    ).one_or_none()
    if row is None:
        raise UnknownRecipient(f"No mailbox here has the account id {account_id}")
    if states is not None and row.state not in states:
        raise UnknownRecipient(f"No mailbox here has the address {row.address}")
    # The charge is all or nothing (COPY, MOVE), so the text gives the real usage and
    # what all the messages together need.
    total = sum(sizes)
    if total > 0 and row.used_bytes + total > row.quota_bytes:
        needs = (
            f"message needs {total}" if len(sizes) == 1 else f"{len(sizes)} messages need {total}"
        )
        raise OverQuota(
            f"Mailbox {row.address} is full: {row.used_bytes} of "
            f"{row.quota_bytes} bytes used, {needs}."
        )
    raise RuntimeError(f"charging account {account_id} failed though its quota has room")


_INSERT_MESSAGE = insert(MESSAGES)


def insert_rows(connection: Connection, slot: Slot, items: Sequence[NewMessage]) -> list[int]:
    """Insert messages at the slot's UIDs (RFC 3501 2.3.1.1: UIDs only grow); return them."""
    if len(items) != slot.count:
        raise ValueError(f"slot holds {slot.count} messages, {len(items)} given")
    rows = [
        {
            "folder_id": slot.folder_id,
            "uid": slot.first_uid + index,
            "blob_key": item.blob_key,
            "size": item.size,
            "internal_date": item.internal_date,
            "flags": flags_text(item.flags),
            "modseq": slot.first_modseq + index,
            "structure": item.structure,
        }
        for index, item in enumerate(items)
    ]
    if rows:
        connection.execute(_INSERT_MESSAGE, rows)
    return [slot.first_uid + index for index in range(len(rows))]


def select_uids(
    connection: Connection, folder_id: int, uids: Sequence[int], *columns: Any
) -> list[AnyRow]:
    """Return the id, uid and `columns` of the given UIDs that exist, by UID."""
    rows: list[AnyRow] = []
    for start in range(0, len(uids), CHUNK):
        chunk = list(uids[start : start + CHUNK])
        rows.extend(
            connection.execute(
                select(MESSAGES.c.id, MESSAGES.c.uid, *columns).where(
                    MESSAGES.c.folder_id == folder_id, MESSAGES.c.uid.in_(chunk)
                )
            )
        )
    rows.sort(key=lambda row: row.uid)
    return rows


INFO_COLUMNS = (
    MESSAGES.c.flags,
    MESSAGES.c.internal_date,
    MESSAGES.c.size,
    MESSAGES.c.modseq,
    MESSAGES.c.blob_key,
)


def info(
    row: AnyRow, flags: frozenset[str] | None = None, modseq: int | None = None
) -> MessageInfo:
    """Return a MessageInfo of a row selected with INFO_COLUMNS, with optional new values."""
    return MessageInfo(
        uid=row.uid,
        flags=flags_set(row.flags) if flags is None else flags,
        internal_date=row.internal_date,
        size=row.size,
        modseq=row.modseq if modseq is None else modseq,
        blob_key=row.blob_key,
    )


def bump_modseq(connection: Connection, folder_id: int) -> tuple[int, int]:
    """Raise the folder's HIGHESTMODSEQ by one; return (new value, account id)."""
    row = connection.execute(
        update(FOLDERS)
        .where(FOLDERS.c.id == folder_id)
        .values(highestmodseq=FOLDERS.c.highestmodseq + 1)
        .returning(FOLDERS.c.highestmodseq, FOLDERS.c.account_id)
    ).one_or_none()
    if row is None:
        raise MailboxNotFound("The selected mailbox was deleted.")
    return row.highestmodseq, row.account_id


def store_flags(
    connection: Connection, folder_id: int, uids: Sequence[int], mode: str, flags: frozenset[str]
) -> tuple[list[MessageInfo], bool]:
    """Change flags by STORE mode (RFC 3501 6.4.6); return every matched message and
    whether any changed. Changed messages get one new modification sequence (RFC 7162).
    """
    rows = select_uids(connection, folder_id, uids, *INFO_COLUMNS)
    updates = {}
    for row in rows:
        current = flags_set(row.flags)
        new = updated_flags(current, mode, flags)
        if new != current:
            updates[row.id] = new
    if not updates:
        return [info(row) for row in rows], False
    modseq, _account_id = bump_modseq(connection, folder_id)
    connection.execute(
        update(MESSAGES)
        .where(MESSAGES.c.id == bindparam("row_id"))
        .values(flags=bindparam("new_flags"), modseq=bindparam("new_modseq")),
        [
            {"row_id": row_id, "new_flags": flags_text(new), "new_modseq": modseq}
            for row_id, new in updates.items()
        ],
    )
    infos = [info(row, updates[row.id], modseq) if row.id in updates else info(row) for row in rows]
    return infos, True


def deleted_rows(
    connection: Connection, folder_id: int, uids: Iterable[int] | None
) -> list[AnyRow]:
    """Return the id, uid and size of messages flagged \\Deleted (among `uids` if given)."""
    wanted = None if uids is None else set(uids)
    query = select(MESSAGES.c.id, MESSAGES.c.uid, MESSAGES.c.size, MESSAGES.c.flags).where(
        MESSAGES.c.folder_id == folder_id,
        MESSAGES.c.flags.contains("\\Deleted", autoescape=True),
    )
    return [
        row
        for row in connection.execute(query)
        if "\\Deleted" in flags_set(row.flags) and (wanted is None or row.uid in wanted)
    ]


def remove(connection: Connection, folder_id: int, rows: Sequence[AnyRow]) -> list[int]:
    """Delete rows (selected with size), record their UIDs as expunged, release quota."""
    if not rows:
        return []
    modseq, account_id = bump_modseq(connection, folder_id)
    connection.execute(
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == account_id)
        .values(
            used_bytes=ACCOUNTS.c.used_bytes - sum(row.size for row in rows),
            message_count=ACCOUNTS.c.message_count - len(rows),
        )
    )
    connection.execute(
        insert(EXPUNGED),
        [{"folder_id": folder_id, "uid": row.uid, "modseq": modseq} for row in rows],
    )
    ids = [row.id for row in rows]
    for start in range(0, len(ids), CHUNK):
        connection.execute(delete(MESSAGES).where(MESSAGES.c.id.in_(ids[start : start + CHUNK])))
    return sorted(row.uid for row in rows)
