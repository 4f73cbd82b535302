"""Commands of the selected state that change messages (RFC 3501 section 6.4).

CHECK, CLOSE, UNSELECT (RFC 3691), EXPUNGE, UID EXPUNGE (RFC 4315), STORE, COPY with
COPYUID (RFC 4315) and MOVE (RFC 6851).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.errors import MailboxNotFound
from appliance.store.types import CopyResult
from imap import response
from imap.commands import SELECTED, Command, Reply, command, ok
from imap.errors import BadCommand, CommandFailed
from imap.mailbox import SelectedMailbox

if TYPE_CHECKING:
    from imap.session import Session

_STORE_MODES = {"FLAGS": "set", "+FLAGS": "add", "-FLAGS": "remove"}


def _selected(session: Session) -> SelectedMailbox:
    assert session.selected is not None
    return session.selected


def _writable(session: Session) -> SelectedMailbox:
    selected = _selected(session)
    if selected.readonly:
        raise CommandFailed("The mailbox is read-only (selected with EXAMINE)", "READ-ONLY")
    return selected


@command("CHECK", states=SELECTED)
async def check(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.4.1: every change is already durable, so only report updates."""
    cmd.parser.end()
    return ok("CHECK completed")


@command("CLOSE", states=SELECTED)
async def close(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.4.2: expunge silently unless read-only, then deselect."""
    cmd.parser.end()
    selected = _selected(session)
    if not selected.readonly:
        await session.core.store.expunge(selected.folder.id)
    session.deselect()
    return ok("CLOSE completed")


@command("UNSELECT", states=SELECTED)
async def unselect(session: Session, cmd: Command) -> Reply:
    """RFC 3691: deselect without expunging."""
    cmd.parser.end()
    session.deselect()
    return ok("UNSELECT completed")


@command("EXPUNGE", "UID EXPUNGE", states=SELECTED)
async def expunge(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.4.3 and RFC 4315 section 2.1; EXPUNGE responses follow."""
    uids: list[int] | None = None
    if cmd.by_uid:
        cmd.parser.space()
        uids = cmd.parser.sequence_set().resolve(_selected(session).uids)
    cmd.parser.end()
    selected = _writable(session)
    if uids is None or uids:
        await session.core.store.expunge(selected.folder.id, uids)
    await session.send_updates(allow_expunge=True, force=True)
    return ok(f"{cmd.name} completed")


@command("STORE", "UID STORE", states=SELECTED)
async def store(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.4.6: FLAGS, +FLAGS and -FLAGS, each with optional .SILENT."""
    parser = cmd.parser
    parser.space()
    sequence = parser.sequence_set()
    parser.space()
    action = parser.atom().upper()
    silent = action.endswith(".SILENT")
    mode = _STORE_MODES.get(action.removesuffix(".SILENT"))
    if mode is None:
        raise BadCommand(f"Unknown STORE action: {action}")
    parser.space()
    if parser.peek() == b"(":
        flags = parser.flag_list()
    else:
        flags = [parser.flag()]
        while parser.try_space():
            flags.append(parser.flag())
    parser.end()
    selected = _writable(session)
    pairs = selected.resolve(sequence, cmd.by_uid)
    if not pairs:
        return ok(f"{cmd.name} completed")
    infos = await session.core.store.store_flags(
        selected.folder.id, [uid for _, uid in pairs], mode, flags
    )
    lines = []
    for info in infos:
        selected.update(info)
        if not silent:
            uid_item = b"UID %d " % info.uid if cmd.by_uid else b""
            flag_list = response.flag_list(info.flags)
            lines.append(
                b"* %d FETCH (%sFLAGS %s)\r\n" % (selected.seq_of(info.uid), uid_item, flag_list)
            )
    await session.send(b"".join(lines))
    return ok(f"{cmd.name} completed")


def uid_set(uids: list[int]) -> str:
    """Write UIDs in their order, joining runs of consecutive ones (RFC 4315 uid-set)."""
    runs: list[list[int]] = []
    for uid in uids:
        if runs and uid == runs[-1][1] + 1:
            runs[-1][1] = uid
        else:
            runs.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in runs)


def _copyuid(result: CopyResult) -> str:
    return (
        f"COPYUID {result.uidvalidity} {uid_set(result.source_uids)} {uid_set(result.target_uids)}"
    )


@command("COPY", "UID COPY", "MOVE", "UID MOVE", states=SELECTED)
async def copy(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.4.7 and RFC 6851 (MOVE), with COPYUID from RFC 4315."""
    parser = cmd.parser
    parser.space()
    sequence = parser.sequence_set()
    parser.space()
    target = parser.mailbox()
    parser.end()
    move = cmd.name.endswith("MOVE")
    selected = _writable(session) if move else _selected(session)
    pairs = selected.resolve(sequence, cmd.by_uid)
    store = session.core.store
    try:
        if not pairs:
            await store.folder(selected.folder.account_id, target)
            return ok(f"{cmd.name} completed: no messages")
        result = await store.copy(selected.folder.id, [uid for _, uid in pairs], target, move=move)
    except MailboxNotFound:
        raise CommandFailed(f"Mailbox does not exist: {target}", "TRYCREATE") from None
    if not result.source_uids:
        return ok(f"{cmd.name} completed: the messages were expunged meanwhile")
    if not move:
        return ok(f"{cmd.name} completed", _copyuid(result))
    await session.send(b"* OK [%s] Moved\r\n" % _copyuid(result).encode("ascii"))
    await session.send_updates(allow_expunge=True, with_uid=cmd.by_uid, force=True)
    return ok(f"{cmd.name} completed")
