"""Writing mail: compose, reply, reply all and forward, sent through the core's submission.

The webmail calls the same submission service as SMTP submission, so the rules on sender
identity, size and recipients are checked in one place, and the service stores the copy
in Sent.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.errors import (
    AccountLocked,
    ApplianceError,
    MessageTooLarge,
    OverQuota,
    SendingLimitReached,
    UnknownRecipient,
)
from appliance.mime.structure import Envelope
from appliance.store.types import MessageInfo
from appliance.web.sessions import check_csrf
from webmail.composing import (
    Attachment,
    ComposeError,
    Draft,
    build_message,
    draft_size,
    forward_draft,
    reply_draft,
)
from webmail.display import parse_date
from webmail.folders import find_role
from webmail.reading import attachments_of, header_text, parse, quotable_text
from webmail.render import render, request_translator
from webmail.session import SignedIn, require_session
from webmail.state import webmail
from webmail.views.mailbox import account_folders, find_folder
from webmail.views.reading import find_message

log = logging.getLogger("web")
DRAFT_FIELDS = ("to", "cc", "bcc", "subject", "body", "in_reply_to", "references", "mode", "source")
MAX_FILES = 100


async def load_source(
    request: Request, signed_in: SignedIn, folder_id: int, uid: int
) -> tuple[Envelope, MessageInfo, bytes]:
    """Return the stored envelope, arrival time and bytes of one of the reader's messages."""
    core = webmail(request).core
    folder = find_folder(await account_folders(request, signed_in), folder_id)
    info = await find_message(core, folder.id, uid)
    structures = await core.store.structures(folder.id, [uid])
    if uid not in structures:
        raise HTTPException(404)
    return structures[uid].envelope, info, await core.store.read(info.blob_key)


def split_source(source: str) -> tuple[int, int] | None:
    folder, _, uid = source.partition(":")
    if folder.isdigit() and uid.isdigit():
        return int(folder), int(uid)
    return None


async def compose_page(request: Request) -> Response:
    """Show an empty form, or one prefilled to reply to or forward a message."""
    signed_in = await require_session(request)
    params = request.query_params
    mode = params.get("mode", "")
    draft = Draft()
    forwarded: list[Attachment] = []
    if mode in ("reply", "reply_all", "forward"):
        source = split_source(f"{params.get('folder', '')}:{params.get('uid', '')}")
        if source is None:
            raise HTTPException(404)
        draft, forwarded = await prefill(request, signed_in, mode, *source)
    else:
        # A "write to" link of the directory names the recipient.
        draft.to = params.get("to", "")[:1000]
    return await compose_form(request, signed_in, draft, forwarded)


async def prefill(
    request: Request, signed_in: SignedIn, mode: str, folder_id: int, uid: int
) -> tuple[Draft, list[Attachment]]:
    envelope, info, raw = await load_source(request, signed_in, folder_id, uid)
    t = request_translator(request)
    text = await asyncio.to_thread(quotable_text, raw)
    date = parse_date(envelope.date) or info.internal_date
    if mode == "forward":
        draft = forward_draft(envelope, text=text, date=date, t=t)
        found = await asyncio.to_thread(original_attachments, raw)
        attached = [Attachment(name, content_type, data) for name, content_type, data in found]
    else:
        references = await asyncio.to_thread(references_of, raw)
        draft = reply_draft(
            envelope,
            references=references,
            text=text,
            own_address=signed_in.session.account.address,
            reply_all=mode == "reply_all",
            date=date,
            t=t,
        )
        attached = []
    draft.source = f"{folder_id}:{uid}"
    return draft, attached


def references_of(raw: bytes) -> str:
    try:
        return " ".join(header_text(parse(raw), "references").split())
    except Exception:  # a reply without References still threads by In-Reply-To
        return ""


def original_attachments(raw: bytes) -> list[tuple[str, str, bytes]]:
    try:
        return attachments_of(parse(raw))
    except Exception as error:
        log.warning("attachments of a forwarded message not readable: %s", type(error).__name__)
        return []


async def compose_form(
    request: Request,
    signed_in: SignedIn,
    draft: Draft,
    forwarded: list[Attachment],
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    """Show the form and the encoded size of its message (uploads are chosen anew)."""
    nav = await account_folders(request, signed_in)
    core = webmail(request).core
    t = request_translator(request)
    size = await asyncio.to_thread(
        draft_size,
        signed_in.session.account,
        draft,
        forwarded,
        domain=core.settings.domain,
        now=core.clock.now(),
    )
    return render(
        request,
        "compose.html",
        status=status,
        nav=nav,
        current_id=None,
        draft=draft,
        forwarded=[item.filename for item in forwarded],
        draft_size=size,
        size_limit=t.size(core.settings.max_message_size),
        size_limit_bytes=core.settings.max_message_size,
        notice="",
        error=error,
    )


async def send(request: Request) -> Response:
    """Build the message from the form, check it, and hand it to the submission service."""
    signed_in = await require_session(request)
    core = webmail(request).core
    limit = core.settings.max_message_size
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411)
    if int(length) > limit:
        # Such a body cannot become a message under the limit, because base64 makes
        # attachments a third larger, so it is rejected before it is read.
        await size_refused(request, signed_in, int(length))
        raise HTTPException(413)
    form = await request.form(max_files=MAX_FILES, max_part_size=limit)
    try:
        check_csrf(form, signed_in.csrf)
        draft = Draft(**{name: form_text(form, name) for name in DRAFT_FIELDS})
        uploads = [item for item in form.getlist("attachment") if isinstance(item, UploadFile)]
        error = await build_and_submit(request, signed_in, draft, uploads)
    finally:
        await form.close()
    if error:
        forwarded = await forwarded_attachments(request, signed_in, draft)
        return await compose_form(request, signed_in, draft, forwarded, error=error, status=400)
    await mark_answered(request, signed_in, draft)
    inbox = find_role(await account_folders(request, signed_in), "inbox")
    target = f"/folder/{inbox.id}" if inbox else "/"
    return RedirectResponse(f"{target}?notice=sent&count=1", status_code=303)


async def build_and_submit(
    request: Request, signed_in: SignedIn, draft: Draft, uploads: list[UploadFile]
) -> str:
    """Build and submit the message; return the error text to show, or "" once sent."""
    core = webmail(request).core
    limit = core.settings.max_message_size
    t = request_translator(request)
    try:
        attachments = await read_uploads(uploads)
        attachments += await forwarded_attachments(request, signed_in, draft)
        message, recipients = build_message(
            signed_in.session.account,
            draft,
            attachments,
            domain=core.settings.domain,
            now=core.clock.now(),
        )
        raw = message.as_bytes()
        if len(raw) > limit:
            await size_refused(request, signed_in, len(raw))
            raise ComposeError("error_too_large", size=t.size(len(raw)), limit=t.size(limit))
        await submit(request, signed_in, recipients, raw)
    except ComposeError as problem:
        text = t(problem.key, **problem.values)
        if any(upload.filename for upload in uploads):
            text = f"{text} {t('error_attach_again')}"
        return text
    return ""


async def read_uploads(uploads: list[UploadFile]) -> list[Attachment]:
    """Read the chosen files (the request's length, checked before, bounds their total)."""
    attachments = []
    for upload in uploads:
        if not upload.filename:
            continue  # the file input was left empty
        data = await upload.read()
        content_type = upload.content_type or "application/octet-stream"
        attachments.append(Attachment(upload.filename, content_type, data))
    return attachments


async def forwarded_attachments(
    request: Request, signed_in: SignedIn, draft: Draft
) -> list[Attachment]:
    source = split_source(draft.source)
    if draft.mode != "forward" or source is None:
        return []
    _envelope, _info, raw = await load_source(request, signed_in, *source)
    found = await asyncio.to_thread(original_attachments, raw)
    return [Attachment(name, content_type, data) for name, content_type, data in found]


async def size_refused(request: Request, signed_in: SignedIn, size: int) -> None:
    """Audit a message the webmail refused for its size before submitting it."""
    account = signed_in.session.account.address
    await webmail(request).core.audit.refused(
        "message_size", service="webmail", account=account, detail=f"size={size}"
    )


async def submit(request: Request, signed_in: SignedIn, recipients: list[str], raw: bytes) -> None:
    """Check every recipient, then submit; core errors become messages for the form."""
    core = webmail(request).core
    account = signed_in.session.account
    t = request_translator(request)
    for address in recipients:
        try:
            await core.submission.check_recipient(account, address)
        except UnknownRecipient:
            raise ComposeError("error_unknown_recipient", address=address) from None
        except OverQuota:
            raise ComposeError("error_recipient_full", address=address) from None
    try:
        await core.submission.submit(account, account.address, recipients, raw, save_copy=True)
    except MessageTooLarge:
        limit = core.settings.max_message_size
        raise ComposeError("error_too_large", size=t.size(len(raw)), limit=t.size(limit)) from None
    except SendingLimitReached:
        raise ComposeError("error_sending_limit") from None
    except AccountLocked:
        raise ComposeError("error_account_locked") from None
    except OverQuota:
        raise ComposeError("error_mailbox_full") from None
    except ApplianceError as error:
        log.warning("webmail submission failed account=%s error=%s", account.address, error)
        raise ComposeError("error_send_failed") from None
    log.info("sent account=%s recipients=%d size=%d", account.address, len(recipients), len(raw))


async def mark_answered(request: Request, signed_in: SignedIn, draft: Draft) -> None:
    """Flag the original \\Answered after a reply (RFC 3501 section 2.3.2)."""
    source = split_source(draft.source)
    if draft.mode not in ("reply", "reply_all") or source is None:
        return
    folder = find_folder(await account_folders(request, signed_in), source[0])
    await webmail(request).core.store.store_flags(folder.id, [source[1]], "add", ["\\Answered"])


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""
