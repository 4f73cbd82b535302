"""Reading a message: the page, the sandboxed frame with its HTML body, and attachments."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from appliance.core import Core
from appliance.mime.structure import Envelope
from appliance.store.types import MessageInfo
from webmail.display import decode_words, format_addresses, parse_date
from webmail.folders import FolderView
from webmail.reading import ReadableMessage, filename, find_part, inline_images, parse, part_bytes
from webmail.reading import read_message as read_readable
from webmail.render import render, request_translator
from webmail.sanitize import frame_document, sanitize
from webmail.session import SignedIn, require_session
from webmail.state import webmail
from webmail.views.mailbox import account_folders, find_folder

log = logging.getLogger("web")

# The message frame loads nothing but inline images and its own style sheet. Remote
# images are added to img-src only when the reader asked for them.
FRAME_POLICY = (
    "default-src 'none'; img-src data: cid:{remote}; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
# Types a browser could run as a page or script; attachments of these types are served
# as application/octet-stream.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
    }
)


@dataclass(frozen=True)
class OpenedMessage:
    signed_in: SignedIn
    nav: list[FolderView]
    folder: FolderView
    info: MessageInfo
    envelope: Envelope
    raw: bytes


async def find_message(core: Core, folder_id: int, uid: int) -> MessageInfo:
    """Return the message with that UID in the folder, or raise HTTP 404."""
    for info in await core.store.messages(folder_id):
        if info.uid == uid:
            return info
    raise HTTPException(404)


async def open_message(request: Request) -> OpenedMessage:
    """Load the message named by the path, checking that it is in the reader's own folder."""
    signed_in = await require_session(request)
    core = webmail(request).core
    nav = await account_folders(request, signed_in)
    folder = find_folder(nav, request.path_params["folder_id"])
    uid = request.path_params["uid"]
    info = await find_message(core, folder.id, uid)
    structures = await core.store.structures(folder.id, [uid])
    if uid not in structures:
        raise HTTPException(404)
    raw = await core.store.read(info.blob_key)
    return OpenedMessage(signed_in, nav, folder, info, structures[uid].envelope, raw)


def images_of(raw: bytes) -> dict[str, tuple[str, bytes]]:
    """Return the inline images of a message; a broken image part only loses the images."""
    try:
        return inline_images(parse(raw))
    except Exception as error:
        log.warning("inline images not shown: %s", type(error).__name__)
        return {}


def prepare_page(raw: bytes, allow_remote: bool) -> tuple[ReadableMessage, int]:
    """Parse the message and count the remote images its HTML body would load."""
    readable = read_readable(raw)
    if readable.html is None:
        return readable, 0
    images = images_of(raw)
    cleaned = sanitize(readable.html, inline_images=images, allow_remote=allow_remote)
    return readable, cleaned.blocked_images


async def message_page(request: Request) -> Response:
    """Show a message and mark it \\Seen (RFC 3501 section 2.3.2)."""
    opened = await open_message(request)
    allow_remote = request.query_params.get("images") == "1"
    readable, blocked = await asyncio.to_thread(prepare_page, opened.raw, allow_remote)
    nav = opened.nav
    if "\\Seen" not in opened.info.flags:
        core = webmail(request).core
        await core.store.store_flags(opened.folder.id, [opened.info.uid], "add", ["\\Seen"])
        nav = await account_folders(request, opened.signed_in)  # unread counts changed
    envelope = opened.envelope
    return render(
        request,
        "message.html",
        nav=nav,
        current_id=opened.folder.id,
        folder=opened.folder,
        uid=opened.info.uid,
        subject=decode_words(envelope.subject),
        sender=format_addresses(envelope.from_),
        to=format_addresses(envelope.to),
        cc=format_addresses(envelope.cc),
        date=parse_date(envelope.date) or opened.info.internal_date,
        message=readable,
        blocked_images=blocked,
        allow_remote=allow_remote,
        notice="",
        error=report_failure(request),
    )


def report_failure(request: Request) -> str:
    """Return the error text after a failed report (see `webmail.views.reporting`), or ""."""
    if request.query_params.get("notice") != "report_failed":
        return ""
    return request_translator(request)("report_failed")


def frame_page(raw: bytes, allow_remote: bool) -> str | None:
    readable = read_readable(raw)
    if readable.html is None:
        return None
    images = images_of(raw)
    cleaned = sanitize(readable.html, inline_images=images, allow_remote=allow_remote)
    return frame_document(cleaned.html)


async def message_body(request: Request) -> Response:
    """Serve the sanitized HTML body to the sandboxed frame of the reading page."""
    opened = await open_message(request)
    allow_remote = request.query_params.get("images") == "1"
    document = await asyncio.to_thread(frame_page, opened.raw, allow_remote)
    if document is None:
        raise HTTPException(404)
    policy = FRAME_POLICY.format(remote=" https:" if allow_remote else "")
    return HTMLResponse(
        document,
        headers={
            "Content-Security-Policy": policy,
            "X-Frame-Options": "SAMEORIGIN",
        },
    )


def attachment_content(raw: bytes, index: int) -> tuple[str, str, bytes] | None:
    part = find_part(parse(raw), index)
    if part is None:
        return None
    return filename(part, index), part.get_content_type(), part_bytes(part)


async def attachment(request: Request) -> Response:
    """Download an attachment: always as a file, never shown as a page."""
    opened = await open_message(request)
    try:
        found = await asyncio.to_thread(
            attachment_content, opened.raw, request.path_params["index"]
        )
    except Exception:  # an unreadable message has no attachments to offer
        found = None
    if found is None:
        raise HTTPException(404)
    name, content_type, data = found
    served_type = "application/octet-stream" if content_type in ACTIVE_TYPES else content_type
    return Response(
        data,
        media_type=served_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def content_disposition(name: str) -> str:
    """Return `attachment` with an ASCII `filename` and the UTF-8 `filename*` (RFC 6266)."""
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"


def ascii_fallback(name: str) -> str:
    """Return the name without diacritics, for clients that ignore `filename*`."""
    name = name.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(
        char for char in unicodedata.normalize("NFKD", name) if not unicodedata.combining(char)
    )
    safe = "".join(char if " " <= char <= "~" and char not in '"\\' else "_" for char in stripped)
    return safe.strip() or "attachment"
