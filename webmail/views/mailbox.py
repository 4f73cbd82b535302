"""The folder pages: the message list with paging, and moving, deleting and marking."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.core import Core
from appliance.web.sessions import check_csrf
from webmail.folders import FolderView, find_role, folder_views
from webmail.listing import message_page
from webmail.render import render, request_translator
from webmail.session import SignedIn, require_session
from webmail.state import webmail

# Notices shown after an action, by the key in the redirect's query; each names a catalogue
# key that takes the number of messages as {count}.
NOTICES = {
    "moved": "notice_moved",
    "deleted": "notice_deleted",
    "unread": "notice_unread",
    "read": "notice_read",
    "sent": "notice_sent",
    "none": "notice_nothing_selected",
    "password_changed": "notice_password_changed",
    "reported": "notice_reported",
    "spam": "notice_spam",
    "not_spam": "notice_not_spam",
}


async def account_folders(request: Request, signed_in: SignedIn) -> list[FolderView]:
    core = webmail(request).core
    infos = await core.store.list_folders(signed_in.session.account.id)
    return folder_views(infos, request_translator(request))


def find_folder(views: list[FolderView], folder_id: int) -> FolderView:
    """Return the folder with that id among the account's own, or raise HTTP 404."""
    for view in views:
        if view.id == folder_id:
            return view
    raise HTTPException(404)


async def home(request: Request) -> Response:
    signed_in = await require_session(request)
    inbox = find_role(await account_folders(request, signed_in), "inbox")
    if inbox is None:
        raise HTTPException(404)
    notice = request.query_params.get("notice", "")
    query = f"?notice={notice}" if notice in NOTICES else ""
    return RedirectResponse(f"/folder/{inbox.id}{query}", status_code=303)


def notice_text(request: Request) -> str:
    key = NOTICES.get(request.query_params.get("notice", ""))
    if key is None:
        return ""
    count = int_param(request.query_params.get("count"), 0)
    return request_translator(request)(key, count=count)


def int_param(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


async def folder_page(request: Request) -> Response:
    """Show one page of a folder, newest first."""
    signed_in = await require_session(request)
    views = await account_folders(request, signed_in)
    folder = find_folder(views, request.path_params["folder_id"])
    show_recipient = folder.role in ("sent", "drafts")
    result = await message_page(
        webmail(request).core,
        folder.id,
        int_param(request.query_params.get("page"), 1),
        show_recipient=show_recipient,
    )
    return render(
        request,
        "folder.html",
        nav=views,
        current_id=folder.id,
        folder=folder,
        listing=result,
        show_recipient=show_recipient,
        notice=notice_text(request),
        error="",
    )


def selected_uids(form: FormData) -> list[int]:
    uids = []
    for value in form.getlist("uid"):
        if isinstance(value, str) and value.isdigit():
            uids.append(int(value))
    return sorted(set(uids))


async def bulk_action(request: Request) -> Response:
    """Apply the chosen action to the messages ticked in the message list."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    views = await account_folders(request, signed_in)
    folder = find_folder(views, request.path_params["folder_id"])
    uids = selected_uids(form)
    page = int_param(str(form.get("page") or "1"), 1)
    if not uids:
        return RedirectResponse(f"/folder/{folder.id}?page={page}&notice=none", 303)
    done = await apply_action(webmail(request).core, views, folder, uids, form)
    return RedirectResponse(f"/folder/{folder.id}?page={page}&notice={done}&count={len(uids)}", 303)


async def message_action(request: Request) -> Response:
    """Apply an action to the message being read, then go back to its folder."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    views = await account_folders(request, signed_in)
    folder = find_folder(views, request.path_params["folder_id"])
    done = await apply_action(
        webmail(request).core, views, folder, [request.path_params["uid"]], form
    )
    return RedirectResponse(f"/folder/{folder.id}?notice={done}&count=1", 303)


async def apply_action(
    core: Core, views: list[FolderView], folder: FolderView, uids: list[int], form: FormData
) -> str:
    """Move, delete or mark messages of one folder, or move them to or from Junk; return the
    notice key for the result.

    Deleting moves to Trash; deleting in Trash flags \\Deleted and expunges (RFC 3501
    section 6.4.3), which removes the messages for good.
    """
    action = form.get("action")
    if action == "unread":
        await core.store.store_flags(folder.id, uids, "remove", ["\\Seen"])
    elif action == "read":
        await core.store.store_flags(folder.id, uids, "add", ["\\Seen"])
    elif action == "move":
        target = find_folder(views, int_param(str(form.get("target") or ""), -1))
        if target.id != folder.id:
            await core.store.copy(folder.id, uids, target.name, move=True)
        return "moved"
    elif action in ("spam", "not_spam"):
        # Junk is the RFC 6154 \\Junk folder; "not spam" takes messages back to INBOX.
        destination = find_role(views, "junk" if action == "spam" else "inbox")
        if destination is None:
            raise HTTPException(404)
        if destination.id != folder.id:
            await core.store.copy(folder.id, uids, destination.name, move=True)
    elif action == "delete":
        trash = find_role(views, "trash")
        if trash is None or trash.id == folder.id:
            await core.store.store_flags(folder.id, uids, "add", ["\\Deleted"])
            await core.store.expunge(folder.id, uids)
        else:
            await core.store.copy(folder.id, uids, trash.name, move=True)
        return "deleted"
    else:
        raise HTTPException(400)
    return str(action)
