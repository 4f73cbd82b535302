"""Mailbox commands of the authenticated state (RFC 3501 section 6.3).

SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (with SIZE from
RFC 8438), APPEND (with APPENDUID from RFC 4315), NAMESPACE (RFC 2342) and ENABLE
(RFC 5161). LIST and LSUB are in `imap.commands.listing`, IDLE in `imap.commands.idle`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from appliance.errors import MailboxNotFound
from appliance.store.types import SYSTEM_FLAGS, FolderInfo
from imap import response
from imap.commands import AUTHENTICATED, Command, Reply, command, ok
from imap.errors import BadCommand, CommandFailed
from imap.mailbox import SelectedMailbox

if TYPE_CHECKING:
    from imap.session import Session

_STATUS_ITEMS = ("MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE")


def account_id(session: Session) -> int:
    assert session.account is not None
    return session.account.id


@command("SELECT", "EXAMINE", states=AUTHENTICATED)
async def select(session: Session, cmd: Command) -> Reply:
    """RFC 3501 sections 6.3.1 and 6.3.2; \\Recent is not tracked, so RECENT is 0."""
    cmd.parser.space()
    name = cmd.parser.mailbox()
    cmd.parser.end()
    session.deselect()  # a failed SELECT leaves no mailbox selected
    store = session.core.store
    folder = await store.folder(account_id(session), name)
    watcher = session.core.hub.watch(folder.id)
    # A change between reading the folder and watching it is caught by one forced refresh.
    watcher.notify()
    readonly = cmd.name == "EXAMINE"
    selected = await SelectedMailbox.open(store, folder, readonly, watcher)
    await session.send(_select_responses(selected))
    session.select(selected)
    mode = "READ-ONLY" if readonly else "READ-WRITE"
    return ok(f"{cmd.name} completed", mode)


def _select_responses(selected: SelectedMailbox) -> bytes:
    flags = set(SYSTEM_FLAGS)
    for info in selected.messages.values():
        flags.update(info.flags)
    permanent = b"()" if selected.readonly else response.flag_list(flags | {"\\*"})
    lines = [
        b"* FLAGS %s" % response.flag_list(flags),
        b"* OK [PERMANENTFLAGS %s] Flags permitted" % permanent,
        b"* %d EXISTS" % selected.exists,
        b"* 0 RECENT",
    ]
    unseen = [uid for uid in selected.uids if "\\Seen" not in selected.messages[uid].flags]
    if unseen:
        lines.append(b"* OK [UNSEEN %d] First unseen message" % selected.seq_of(unseen[0]))
    folder = selected.folder
    uidnext = max(folder.uidnext, (selected.uids[-1] + 1) if selected.uids else 1)
    lines.append(b"* OK [UIDVALIDITY %d] UIDs valid" % folder.uidvalidity)
    lines.append(b"* OK [UIDNEXT %d] Predicted next UID" % uidnext)
    return b"".join(line + b"\r\n" for line in lines)


@command("CREATE", states=AUTHENTICATED)
async def create(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.3: a trailing separator only declares the name a parent."""
    cmd.parser.space()
    name = cmd.parser.mailbox()
    cmd.parser.end()
    if name.endswith("/") and name.strip("/"):
        name = name.rstrip("/")
    await session.core.store.create_folder(account_id(session), name)
    return ok("CREATE completed")


@command("DELETE", states=AUTHENTICATED)
async def delete(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.4: the messages go, children of the mailbox stay."""
    cmd.parser.space()
    name = cmd.parser.mailbox()
    cmd.parser.end()
    await session.core.store.delete_folder(account_id(session), name)
    if session.selected is not None and session.selected.folder.name == name:
        session.deselect()
    return ok("DELETE completed")


@command("RENAME", states=AUTHENTICATED)
async def rename(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.5 (renaming INBOX moves its messages and leaves it empty)."""
    cmd.parser.space()
    old = cmd.parser.mailbox()
    cmd.parser.space()
    new = cmd.parser.mailbox()
    cmd.parser.end()
    await session.core.store.rename_folder(account_id(session), old, new)
    return ok("RENAME completed")


@command("SUBSCRIBE", "UNSUBSCRIBE", states=AUTHENTICATED)
async def subscribe(session: Session, cmd: Command) -> Reply:
    """RFC 3501 sections 6.3.6 and 6.3.7; only existing mailboxes can be subscribed."""
    cmd.parser.space()
    name = cmd.parser.mailbox()
    cmd.parser.end()
    subscribed = cmd.name == "SUBSCRIBE"
    await session.core.store.set_subscribed(account_id(session), name, subscribed)
    return ok(f"{cmd.name} completed")


@command("STATUS", states=AUTHENTICATED)
async def status(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.10 and RFC 8438 (SIZE)."""
    parser = cmd.parser
    parser.space()
    name = parser.mailbox()
    parser.space()
    parser.open_list()
    items: list[str] = []
    while parser.list_continues():
        if items:
            parser.space()
        item = parser.keyword()
        if item not in _STATUS_ITEMS:
            raise BadCommand(f"Unknown STATUS item: {item}")
        items.append(item)
    parser.end()
    if not items:
        raise BadCommand("STATUS needs at least one item")
    folder = await session.core.store.folder(account_id(session), name)
    values = b" ".join(b"%s %d" % (item.encode(), _status_value(folder, item)) for item in items)
    await session.send(b"* STATUS %s (%s)\r\n" % (response.mailbox(folder.name), values))
    return ok("STATUS completed")


def _status_value(folder: FolderInfo, item: str) -> int:
    values = {
        "MESSAGES": folder.messages,
        "RECENT": 0,
        "UIDNEXT": folder.uidnext,
        "UIDVALIDITY": folder.uidvalidity,
        "UNSEEN": folder.unseen,
        "SIZE": folder.size,
    }
    return values[item]


@command("APPEND", states=AUTHENTICATED)
async def append(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.11 with APPENDUID (RFC 4315); one message per command."""
    parser = cmd.parser
    parser.space()
    name = parser.mailbox()
    parser.space()
    flags: list[str] = []
    internal_date: datetime | None = None
    if parser.peek() == b"(":
        flags = parser.flag_list()
        parser.space()
    if parser.peek() == b'"':
        internal_date = parser.date_time()
        parser.space()
    raw = parser.literal()
    parser.end()
    if not raw:
        raise CommandFailed("An empty message cannot be stored")
    try:
        uidvalidity, uid = await session.core.store.append(
            account_id(session), name, raw, flags, internal_date
        )
    except MailboxNotFound:
        raise CommandFailed(f"Mailbox does not exist: {name}", "TRYCREATE") from None
    return ok("APPEND completed", f"APPENDUID {uidvalidity} {uid}")


@command("NAMESPACE", states=AUTHENTICATED)
async def namespace(session: Session, cmd: Command) -> Reply:
    """RFC 2342: one personal namespace with "/" as separator, nothing shared."""
    cmd.parser.end()
    await session.send(b'* NAMESPACE (("" "/")) NIL NIL\r\n')
    return ok("NAMESPACE completed")


@command("ENABLE", states=AUTHENTICATED)
async def enable(session: Session, cmd: Command) -> Reply:
    """RFC 5161: no extension here needs enabling, so the ENABLED list is always empty."""
    parser = cmd.parser
    parser.space()
    parser.atom()
    while parser.try_space():
        parser.atom()
    parser.end()
    await session.send(b"* ENABLED\r\n")
    return ok("ENABLE completed")
