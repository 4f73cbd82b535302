"""Locks and the unlock queue: units file requests, the operations centre decides them.

A request can be approved only from one working day after it was filed (the core's rule);
the queue shows that moment for each request. Approval gives the account a new initial
password, shown once on a hand-over slip.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin import forms
from admin.handover import Handover
from admin.render import render, request_translator
from admin.session import SignedIn, require_admin, require_form
from admin.state import console
from appliance.locks import RequestNotActionable
from appliance.web.sessions import client_of


async def unlocks_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    return await show_unlocks(request, signed_in)


async def show_unlocks(
    request: Request, signed_in: SignedIn, *, error: str = "", status: int = 200
) -> Response:
    core = console(request).core
    actions = core.admin_actions
    requests = await actions.unlock_requests(signed_in.admin, None)
    pending = [item for item in requests if item.state == "pending"]
    decided = sorted(
        (item for item in requests if item.state != "pending"),
        key=lambda item: item.filed_at,
        reverse=True,
    )
    t = request_translator(request)
    done = forms.text(request.query_params, "done", 40)
    return render(
        request,
        "unlocks.html",
        status=status,
        section="unlocks",
        pending=pending,
        decided=decided[:50],
        locked=await actions.accounts(signed_in.admin, state="locked"),
        now=core.clock.now(),
        notice=t("done_" + done) if done and t.has("done_" + done) else "",
        error=error,
    )


async def approve(request: Request) -> Response:
    signed_in, _ = await require_form(request)
    state = console(request)
    request_id = request.path_params["request_id"]
    try:
        address, password = await state.core.admin_actions.approve_unlock(
            signed_in.admin, request_id, client_of(request)
        )
    except RequestNotActionable:
        t = request_translator(request)
        return await show_unlocks(request, signed_in, error=t("unlock_not_due"), status=409)
    key = state.handovers.put(
        Handover(signed_in.session.id, "slip", address, password, {"reason": "unlock"})
    )
    return RedirectResponse(f"/handover/{key}", status_code=303)


async def reject(request: Request) -> Response:
    signed_in, form = await require_form(request)
    t = request_translator(request)
    reason = forms.text(form, "reason", 1000)
    if not reason:
        return await show_unlocks(request, signed_in, error=t("reject_reason_missing"), status=400)
    try:
        await console(request).core.admin_actions.reject_unlock(
            signed_in.admin, request.path_params["request_id"], reason, client_of(request)
        )
    except RequestNotActionable:
        return await show_unlocks(request, signed_in, error=t("unlock_not_waiting"), status=409)
    return RedirectResponse("/unlocks?done=rejected", status_code=303)
