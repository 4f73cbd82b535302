"""Units and accounts: the filtered list, one account's page and the actions on it."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import forms
from admin.handover import Handover
from admin.render import render, request_translator
from admin.session import SignedIn, require_admin, require_form
from admin.state import console
from appliance.accounts import ACCOUNT_KINDS
from appliance.errors import BulkSenderRequires2FA
from appliance.locks import MANUAL_REASONS, RequestNotActionable
from appliance.web.sessions import client_of

STATES = ("active", "locked", "forwarding", "revoked")
MiB = 1024 * 1024


async def accounts_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    actions = console(request).core.admin_actions
    params = request.query_params
    query = forms.text(params, "q", 200)
    unit_id = forms.integer(params, "unit")
    kind = forms.text(params, "kind") if forms.text(params, "kind") in ACCOUNT_KINDS else ""
    state = forms.text(params, "state") if forms.text(params, "state") in STATES else ""
    units = await actions.units(signed_in.admin)
    if unit_id is not None and unit_id not in {unit.id for unit in units}:
        unit_id = None
    rows = await actions.accounts(
        signed_in.admin, query=query, unit_id=unit_id, kind=kind, state=state
    )
    return render(
        request,
        "accounts.html",
        section="accounts",
        rows=rows,
        units=units,
        kinds=ACCOUNT_KINDS,
        states=STATES,
        query=query,
        unit_id=unit_id,
        kind=kind,
        state=state,
    )


async def account_page(request: Request, *, error: str = "", status: int = 200) -> Response:
    signed_in = await require_admin(request)
    return await show_account(request, signed_in, error=error, status=status)


async def show_account(
    request: Request, signed_in: SignedIn, *, error: str = "", status: int = 200
) -> Response:
    core = console(request).core
    account_id = request.path_params["account_id"]
    detail = await core.admin_actions.account(signed_in.admin, account_id, client_of(request))
    manage = await core.admin_actions.may_manage(signed_in.admin, account_id)
    t = request_translator(request)
    done = forms.text(request.query_params, "done", 40)
    notice = t("done_" + done) if done and t.has("done_" + done) else ""
    now = core.clock.now()
    return render(
        request,
        "account.html",
        status=status,
        section="accounts",
        account=detail,
        manage=manage,
        reasons=MANUAL_REASONS,
        password_age=detail.password_age_days(now),
        expired=detail.password_expires_at is not None and detail.password_expires_at <= now,
        quota_mib=detail.quota_bytes // MiB,
        notice=notice,
        error=error,
    )


def back_to(account_id: int, done: str) -> RedirectResponse:
    return RedirectResponse(f"/accounts/{account_id}?done={done}", status_code=303)


async def reset_password(request: Request) -> Response:
    """Reset the password and send the admin to the slip that shows it once."""
    signed_in, _ = await require_form(request)
    state = console(request)
    account_id = request.path_params["account_id"]
    password = await state.core.admin_actions.reset_password(
        signed_in.admin, account_id, client_of(request)
    )
    detail = await state.core.admin_actions.account(signed_in.admin, account_id, client_of(request))
    key = state.handovers.put(
        Handover(
            signed_in.session.id,
            "slip",
            detail.address,
            password,
            {"name": detail.display_name, "reason": "reset"},
        )
    )
    return RedirectResponse(f"/handover/{key}", status_code=303)


async def handover_slip(request: Request) -> Response:
    """Show a new password once, on a printable slip; a second visit finds nothing."""
    signed_in = await require_admin(request)
    state = console(request)
    item = state.handovers.take(request.path_params["key"], signed_in.session.id, "slip")
    if item is None:
        raise HTTPException(410)
    return render(
        request,
        "handover.html",
        section="accounts",
        item=item,
        now=state.core.clock.now(),
    )


async def lock(request: Request) -> Response:
    signed_in, form = await require_form(request)
    account_id = request.path_params["account_id"]
    reason = forms.text(form, "reason")
    if reason not in MANUAL_REASONS:
        t = request_translator(request)
        return await show_account(request, signed_in, error=t("lock_reason_missing"), status=400)
    await console(request).core.admin_actions.lock(
        signed_in.admin, account_id, reason, forms.text(form, "detail", 200), client_of(request)
    )
    return back_to(account_id, "locked")


async def request_unlock(request: Request) -> Response:
    signed_in, form = await require_form(request)
    account_id = request.path_params["account_id"]
    t = request_translator(request)
    reason = forms.text(form, "reason", 1000)
    if not reason:
        return await show_account(request, signed_in, error=t("unlock_reason_missing"), status=400)
    try:
        await console(request).core.admin_actions.file_unlock_request(
            signed_in.admin, account_id, reason, client_of(request)
        )
    except RequestNotActionable:
        return await show_account(request, signed_in, error=t("unlock_not_filed"), status=409)
    return back_to(account_id, "unlock_requested")


async def set_quota(request: Request) -> Response:
    signed_in, form = await require_form(request)
    account_id = request.path_params["account_id"]
    mebibytes = forms.integer(form, "quota_mib")
    t = request_translator(request)
    if mebibytes is None or mebibytes <= 0:
        return await show_account(request, signed_in, error=t("quota_invalid"), status=400)
    try:
        await console(request).core.admin_actions.set_quota(
            signed_in.admin, account_id, mebibytes * MiB, client_of(request)
        )
    except ValueError:
        return await show_account(request, signed_in, error=t("quota_invalid"), status=400)
    return back_to(account_id, "quota_set")


async def set_bulk_sender(request: Request) -> Response:
    signed_in, form = await require_form(request)
    account_id = request.path_params["account_id"]
    registered = forms.text(form, "registered") == "1"
    try:
        await console(request).core.admin_actions.set_bulk_sender(
            signed_in.admin, account_id, registered, client_of(request)
        )
    except BulkSenderRequires2FA:
        t = request_translator(request)
        return await show_account(request, signed_in, error=t("bulk_needs_2fa"), status=409)
    return back_to(account_id, "bulk_on" if registered else "bulk_off")


async def disable_totp(request: Request) -> Response:
    signed_in, _ = await require_form(request)
    account_id = request.path_params["account_id"]
    await console(request).core.admin_actions.disable_totp(
        signed_in.admin, account_id, client_of(request)
    )
    return back_to(account_id, "totp_off")
