"""Lifecycle forms of the admin console: hire, transfer, rename, retire, hand over.

A centre admin's form applies the event at once (all or nothing, audited by the core).
A unit admin's form files a request for the unit, which the centre approves or rejects
on the requests page. New passwords appear once, on the hand-over slip. The requests page
also lists mailbox moves, which run a bounded number of batches per click, so a large
move shows its progress between clicks and can stop and resume without losing mail. It
lists the scheduled departures the admin may see, each cancellable with a reason
until the job runs its first step.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from admin import forms
from admin.handover import Handover
from admin.render import render, request_translator
from admin.session import SignedIn, require_admin, require_form
from admin.state import console
from appliance.directory.contracts import CONTRACT_TYPES
from appliance.errors import ApplianceError, OutOfScope
from appliance.lifecycle.moves import MoveProgress
from appliance.lifecycle.records import (
    DEPARTURE_REASONS,
    HANDOVER_FORMS,
    EventInfo,
    EventResult,
)
from appliance.web.sessions import client_of

# Each form, the request kind a unit admin files with it, and the event it runs.
FORMS: dict[str, tuple[str, str]] = {
    "hire": ("create", "hire"),
    "transfer": ("change", "transfer"),
    "rename": ("change", "rename_unit"),
    "retire": ("revoke", "departure"),
    "handover": ("change", "handover"),
}
# The fields each form posts, copied into the event's payload.
FIELDS: dict[str, tuple[str, ...]] = {
    "hire": ("family", "middle", "given", "unit", "position", "contract_type", "contract_end"),
    "transfer": ("address", "to_unit"),
    "rename": ("unit", "name", "abbreviation"),
    "retire": ("address", "on", "reason", "handover"),
    "handover": ("unit", "on"),
}
# Catalogue keys of the notice shown after a redirect with `?done=`.
DONE_NOTICES = {
    "filed": "lifecycle_done_filed",
    "rejected": "lifecycle_done_rejected",
    "failed": "lifecycle_done_failed",
    "cancelled": "lifecycle_done_cancelled",
}
BATCHES_PER_CLICK = 20  # of 200 messages: one click moves at most 4,000 messages


def lifecycle_routes() -> list[Route]:
    return [
        Route("/lifecycle/unit_request", requests_page),
        Route("/lifecycle/requests/{request_id:int}/approve", approve, methods=["POST"]),
        Route("/lifecycle/requests/{request_id:int}/reject", reject, methods=["POST"]),
        Route("/lifecycle/moves/{move_id:int}/run", run_move, methods=["POST"]),
        Route("/lifecycle/departures/{event_id:int}/cancel", cancel_departure, methods=["POST"]),
        Route("/lifecycle/{form}", form_page, methods=["GET"]),
        Route("/lifecycle/{form}", submit, methods=["POST"]),
    ]


def form_name(request: Request) -> str:
    name = str(request.path_params["form"])
    if name not in FORMS:
        raise HTTPException(404)
    return name


async def form_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    return await show_form(request, signed_in, form_name(request), {})


async def show_form(
    request: Request,
    signed_in: SignedIn,
    name: str,
    values: dict[str, str],
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    units = await console(request).core.admin_actions.units(signed_in.admin)
    return render(
        request,
        "lifecycle/form.html",
        status=status,
        section="lifecycle_" + name,
        form=name,
        values=values,
        units=[unit for unit in units if unit.mailbox],
        contract_types=CONTRACT_TYPES,
        reasons=DEPARTURE_REASONS,
        handovers=HANDOVER_FORMS,
        error=error,
    )


async def submit(request: Request) -> Response:
    signed_in, form = await require_form(request)
    name = form_name(request)
    values = {field: forms.text(form, field, 300) for field in (*FIELDS[name], "to")}
    state = console(request)
    admin = signed_in.admin
    kind, event = FORMS[name]
    t = request_translator(request)
    try:
        payload = await _payload(request, name, values)
        if not admin.is_centre:
            await state.core.requests.file(admin, kind, event, payload, client_of(request))
            return RedirectResponse("/lifecycle/unit_request?done=filed", status_code=303)
        result = await state.core.lifecycle.apply(
            event, payload, by=admin.address, client=client_of(request)
        )
    except OutOfScope:
        raise
    except ApplianceError as error:
        message = f"{t('lifecycle_refused')} {error.message}"
        return await show_form(request, signed_in, name, values, error=message, status=400)
    return _show_result(request, signed_in, result)


async def _payload(request: Request, name: str, values: dict[str, str]) -> dict[str, object]:
    payload: dict[str, object] = {field: values[field] for field in FIELDS[name]}
    if name == "handover":
        payload["to_person"] = await _person_id(request, values["to"])
    return payload


async def _person_id(request: Request, address: str) -> int:
    """Return the id of the directory person whose mailbox is `address`, or 0 for none."""
    target = address.strip().lower()
    for person in await console(request).core.directory.people():
        if target and person.address == target:
            return person.id
    return 0


def _show_result(request: Request, signed_in: SignedIn, result: EventResult) -> Response:
    password = getattr(result, "password", "")
    if password:
        address = getattr(result, "new_address", "") or result.account
        key = console(request).handovers.put(
            Handover(signed_in.session.id, "slip", address, password, {"reason": "lifecycle"})
        )
        return RedirectResponse(f"/handover/{key}", status_code=303)
    return render(
        request,
        "lifecycle/done.html",
        section="lifecycle",
        summary=result.summary(),
        renamed=getattr(result, "renamed", ()),
    )


# Requests and mailbox moves


async def requests_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    return await show_requests(request, signed_in)


async def show_requests(
    request: Request, signed_in: SignedIn, *, error: str = "", status: int = 200
) -> Response:
    core = console(request).core
    t = request_translator(request)
    done = forms.text(request.query_params, "done", 40)
    notice = t(DONE_NOTICES[done]) if done in DONE_NOTICES else ""
    return render(
        request,
        "lifecycle/requests.html",
        status=status,
        section="lifecycle_unit_request",
        requests=await core.requests.visible(signed_in.admin),
        moves=await _visible_moves(request, signed_in),
        departures=await _visible_departures(request, signed_in),
        notice=notice,
        error=error,
    )


async def _visible_moves(request: Request, signed_in: SignedIn) -> list[MoveProgress]:
    core = console(request).core
    visible = await core.admin_scope.visible_accounts(signed_in.admin)
    shown = []
    for move_id in await core.lifecycle.move_ids():
        source, target = await core.lifecycle.move_accounts(move_id)
        if source in visible or target in visible:
            shown.append(await core.lifecycle.move_progress(move_id))
    return shown


async def _visible_departures(request: Request, signed_in: SignedIn) -> list[EventInfo]:
    """Return the departures of accounts the admin may see, the latest date first."""
    core = console(request).core
    visible = await core.admin_scope.visible_accounts(signed_in.admin)
    events = await core.lifecycle.events()
    shown = [event for event in events if event.account_id in visible]
    return sorted(shown, key=lambda event: (event.due_at, event.id), reverse=True)


async def approve(request: Request) -> Response:
    signed_in, _ = await require_form(request)
    core = console(request).core
    request_id = int(request.path_params["request_id"])
    try:
        decision = await core.requests.approve(signed_in.admin, request_id, client_of(request))
    except OutOfScope:
        raise
    except ApplianceError as error:
        t = request_translator(request)
        message = f"{t('lifecycle_refused')} {error.message}"
        return await show_requests(request, signed_in, error=message, status=409)
    if decision.result is None:
        return RedirectResponse("/lifecycle/unit_request?done=failed", status_code=303)
    return _show_result(request, signed_in, decision.result)


async def reject(request: Request) -> Response:
    signed_in, form = await require_form(request)
    t = request_translator(request)
    reason = forms.text(form, "reason", 1000)
    if not reason:
        return await show_requests(request, signed_in, error=t("reject_reason_missing"), status=400)
    request_id = int(request.path_params["request_id"])
    try:
        await console(request).core.requests.reject(
            signed_in.admin, request_id, reason, client_of(request)
        )
    except OutOfScope:
        raise
    except ApplianceError as error:
        message = f"{t('lifecycle_refused')} {error.message}"
        return await show_requests(request, signed_in, error=message, status=409)
    return RedirectResponse("/lifecycle/unit_request?done=rejected", status_code=303)


async def run_move(request: Request) -> Response:
    """Move a bounded number of batches, then show the progress; a click continues."""
    signed_in, _ = await require_form(request)
    core = console(request).core
    move_id = int(request.path_params["move_id"])
    try:
        _, target = await core.lifecycle.move_accounts(move_id)
    except ApplianceError:
        raise HTTPException(404) from None
    await core.admin_scope.target(signed_in.admin, target, "run mailbox move", client_of(request))
    for _ in range(BATCHES_PER_CLICK):
        progress = await core.lifecycle.move_step(move_id, 200)
        if progress.state == "done":
            break
    return RedirectResponse("/lifecycle/unit_request#moves", status_code=303)


async def cancel_departure(request: Request) -> Response:
    """Cancel a scheduled departure that has not started; the core checks the scope."""
    signed_in, form = await require_form(request)
    t = request_translator(request)
    reason = forms.text(form, "reason", 1000)
    if not reason:
        message = t("lifecycle_cancel_reason_missing")
        return await show_requests(request, signed_in, error=message, status=400)
    event_id = int(request.path_params["event_id"])
    try:
        await console(request).core.lifecycle.cancel_departure(
            event_id, by=signed_in.admin, client=client_of(request), reason=reason
        )
    except OutOfScope:
        raise
    except ApplianceError as error:
        message = f"{t('lifecycle_refused')} {error.message}"
        return await show_requests(request, signed_in, error=message, status=409)
    return RedirectResponse("/lifecycle/unit_request?done=cancelled#departures", status_code=303)
