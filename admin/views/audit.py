"""The audit log, filtered and paged; unit admins see entries about their units' accounts."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from admin import forms
from admin.render import render
from admin.session import require_admin
from admin.state import console
from appliance.admin_queries import AuditFilter

SERVICES = ("admin", "web", "imap", "smtp", "submission", "core")
FILTER_FIELDS = ("account", "event", "outcome", "service", "client", "since", "until")


async def audit_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    params = request.query_params
    where = AuditFilter(
        account=forms.text(params, "account", 320),
        event=forms.text(params, "event", 50),
        outcome=forms.text(params, "outcome", 50),
        service=forms.text(params, "service", 20),
        client=forms.text(params, "client", 100),
        since=forms.day(params, "since"),
        until=forms.day(params, "until"),
    )
    page_number = max(1, forms.integer(params, "page") or 1)
    page = await console(request).core.admin_actions.audit(signed_in.admin, where, page_number)
    kept = {name: forms.text(params, name, 320) for name in FILTER_FIELDS}
    kept = {name: value for name, value in kept.items() if value}
    return render(
        request,
        "audit.html",
        section="audit",
        page=page,
        where=where,
        services=SERVICES,
        previous_link=_link(kept, page.page - 1) if page.page > 1 else "",
        next_link=_link(kept, page.page + 1) if page.page < page.pages else "",
    )


def _link(kept: dict[str, str], page: int) -> str:
    return "/audit?" + urlencode({**kept, "page": str(page)})
