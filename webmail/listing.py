"""One page of a folder's message list, built from stored metadata without reading blobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from appliance.core import Core
from appliance.mime.structure import Envelope, MessageStructure, Part
from appliance.store.types import MessageInfo
from webmail.display import address_text, decode_words, display_name, parse_date, real_addresses

PAGE_SIZE = 50


@dataclass(frozen=True)
class ListedMessage:
    """One row of the message list."""

    uid: int
    correspondent: str  # the sender's name, or the first recipient's in Sent and Drafts
    correspondent_address: str
    subject: str
    date: datetime
    size: int
    unread: bool
    has_attachments: bool


@dataclass(frozen=True)
class MessagePage:
    messages: list[ListedMessage]
    page: int  # 1-based, clamped to the pages that exist
    pages: int
    total: int


def page_count(total: int) -> int:
    return max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)


async def message_page(
    core: Core, folder_id: int, page: int, *, show_recipient: bool
) -> MessagePage:
    """Return page `page` of the folder, newest first (by internal date, then UID)."""
    infos = await core.store.messages(folder_id)
    # NOTE: this reads every message row of the folder to sort and cut one page. A store
    # query with ORDER BY and LIMIT would scale better for folders of many thousands.
    infos.sort(key=lambda info: (info.internal_date, info.uid), reverse=True)
    pages = page_count(len(infos))
    page = min(max(page, 1), pages)
    chosen = infos[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    structures = (
        await core.store.structures(folder_id, [info.uid for info in chosen]) if chosen else {}
    )
    rows = [
        listed(info, structures[info.uid], show_recipient)
        for info in chosen
        if info.uid in structures
    ]
    return MessagePage(rows, page, pages, len(infos))


def listed(info: MessageInfo, structure: MessageStructure, show_recipient: bool) -> ListedMessage:
    envelope = structure.envelope
    people = real_addresses(envelope.to if show_recipient else envelope.from_)
    return ListedMessage(
        uid=info.uid,
        correspondent=display_name(people[0]) if people else "",
        correspondent_address=address_text(people[0]) if people else "",
        subject=decode_words(envelope.subject),
        date=shown_date(envelope, info),
        size=info.size,
        unread="\\Seen" not in info.flags,
        has_attachments=has_attachments(structure.root),
    )


def shown_date(envelope: Envelope, info: MessageInfo) -> datetime:
    """Return the Date header's time, or the arrival time when the header is unusable."""
    return parse_date(envelope.date) or info.internal_date


def has_attachments(part: Part) -> bool:
    """Tell whether any part of the tree is marked as an attachment."""
    stack = [part]
    while stack:
        current = stack.pop()
        if current.disposition == "attachment":
            return True
        stack.extend(current.children)
    return False
