"""FETCH and UID FETCH (RFC 3501 section 6.4.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.mime.sections import SectionSpec, section_bytes
from appliance.mime.structure import MessageStructure
from appliance.store.types import MessageInfo
from imap import render, response
from imap.commands import SELECTED, Command, Reply, command, ok
from imap.fetch_items import FetchItem, parse_items
from imap.mailbox import SelectedMailbox

if TYPE_CHECKING:
    from imap.session import Session

_FLUSH_AT = 256 * 1024  # bytes of responses gathered before writing them out


@command("FETCH", "UID FETCH", states=SELECTED)
async def fetch(session: Session, cmd: Command) -> Reply:
    """Send the requested items of each message; reading a body sets \\Seen unless PEEK."""
    parser = cmd.parser
    parser.space()
    sequence = parser.sequence_set()
    parser.space()
    items = parse_items(parser)
    parser.end()
    selected = session.selected
    assert selected is not None
    if cmd.by_uid and not any(item.name == "UID" for item in items):
        items.insert(0, FetchItem("UID"))
    pairs = selected.resolve(sequence, cmd.by_uid)
    seen_now = await _mark_seen(session, selected, items, [uid for _, uid in pairs])
    structures: dict[int, MessageStructure] = {}
    if any(item.needs_structure for item in items):
        structures = await session.core.store.structures(
            selected.folder.id, [uid for _, uid in pairs]
        )
    pending = bytearray()
    for seq, uid in pairs:
        info = selected.messages.get(uid)
        if info is None:
            continue
        data = await _fetch_one(session, info, items, structures.get(uid), uid in seen_now)
        if data is None:
            continue
        pending += b"* %d FETCH (%s)\r\n" % (seq, data)
        if len(pending) >= _FLUSH_AT:
            await session.send(bytes(pending))
            pending.clear()
    if pending:
        await session.send(bytes(pending))
    return ok(f"{cmd.name} completed")


async def _mark_seen(
    session: Session, selected: SelectedMailbox, items: list[FetchItem], uids: list[int]
) -> set[int]:
    """Set \\Seen on unseen messages whose body is fetched; return their UIDs."""
    if selected.readonly or not any(item.sets_seen for item in items):
        return set()
    unseen = [uid for uid in uids if "\\Seen" not in selected.messages[uid].flags]
    if not unseen:
        return set()
    infos = await session.core.store.store_flags(selected.folder.id, unseen, "add", {"\\Seen"})
    for info in infos:
        selected.update(info)
    return {info.uid for info in infos}


async def _fetch_one(
    session: Session,
    info: MessageInfo,
    items: list[FetchItem],
    structure: MessageStructure | None,
    report_flags: bool,
) -> bytes | None:
    raw = b""
    if any(item.needs_bytes for item in items):
        try:
            raw = await session.core.store.read(info.blob_key)
        except FileNotFoundError:
            return None  # expunged and collected while this FETCH ran
    if any(item.needs_structure for item in items) and structure is None:
        return None
    out = [_item_value(item, info, raw, structure) for item in items]
    if report_flags and not any(item.name == "FLAGS" for item in items):
        out.append(b"FLAGS " + response.flag_list(info.flags))
    return b" ".join(out)


def _item_value(
    item: FetchItem, info: MessageInfo, raw: bytes, structure: MessageStructure | None
) -> bytes:
    name = item.name
    if item.section is not None:
        return item.label() + b" " + _section_value(raw, structure, item)
    if name == "UID":
        return b"UID %d" % info.uid
    if name == "FLAGS":
        return b"FLAGS " + response.flag_list(info.flags)
    if name == "INTERNALDATE":
        return b"INTERNALDATE " + response.date_time(info.internal_date)
    if name == "RFC822.SIZE":
        return b"RFC822.SIZE %d" % info.size
    if name == "RFC822":
        return b"RFC822 " + response.literal(raw)
    assert structure is not None
    if name in ("RFC822.HEADER", "RFC822.TEXT"):
        spec = SectionSpec(text="HEADER" if name == "RFC822.HEADER" else "TEXT")
        return name.encode() + b" " + response.literal(section_bytes(raw, structure, spec))
    if name == "ENVELOPE":
        return b"ENVELOPE " + render.envelope(structure.envelope)
    return name.encode() + b" " + render.body_structure(structure.root, name == "BODYSTRUCTURE")


def _section_value(raw: bytes, structure: MessageStructure | None, item: FetchItem) -> bytes:
    """Cut a section out of the blob; a part that does not exist is an empty string."""
    assert structure is not None and item.section is not None
    data = section_bytes(raw, structure, item.section)
    if item.partial is not None:
        origin, length = item.partial
        data = data[origin : origin + length]
    return response.literal(data)
