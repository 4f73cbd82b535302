"""Centre settings: the forwarding allowlist (centre admins only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from admin import forms
from admin.render import render, request_translator
from admin.session import require_admin, require_form
from admin.state import console
from appliance.forwarding import Rule
from appliance.web.sessions import client_of


async def settings_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    actions = console(request).core.admin_actions
    patterns = await actions.forwarding_allowlist(signed_in.admin, client_of(request))
    return render(
        request, "settings.html", section="settings", allowlist="\n".join(patterns), turned_off=None
    )


async def save_allowlist(request: Request) -> Response:
    """Replace the allowlist and list the forwarding rules it turned off."""
    signed_in, form = await require_form(request)
    actions = console(request).core.admin_actions
    text = forms.text(form, "allowlist", 5000)
    t = request_translator(request)
    turned_off: list[Rule] | None = None
    try:
        turned_off = await actions.set_forwarding_allowlist(
            signed_in.admin, text, client_of(request)
        )
    except ValueError:
        return render(
            request,
            "settings.html",
            status=400,
            section="settings",
            allowlist=text,
            turned_off=None,
            error=t("allowlist_invalid"),
        )
    patterns = await actions.forwarding_allowlist(signed_in.admin, client_of(request))
    return render(
        request,
        "settings.html",
        section="settings",
        allowlist="\n".join(patterns),
        turned_off=turned_off,
        notice=t("allowlist_saved"),
    )
