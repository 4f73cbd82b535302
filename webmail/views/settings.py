"""The settings page: password, two-factor login, app passwords, recent logins, quota and
forwarding. Each form posts to its own route and comes back here with a notice.
"""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.catalogue import text
from appliance.errors import ForwardingNotAllowed
from appliance.forwarding import MAX_RULES, domain_allowed
from appliance.password_policy import min_length
from appliance.quota_warnings import human_size
from appliance.web.sessions import check_csrf
from webmail.composing import ComposeError, parse_recipients
from webmail.i18n import Translator
from webmail.render import render, request_translator
from webmail.session import SignedIn, require_session
from webmail.state import webmail

RECENT_LOGINS = 20
# The Apple configuration profile, offered where its route is installed (webmail.autoconfig).
MOBILECONFIG_PATH = "/settings/mobileconfig"
# Services and login outcomes the catalogue names (keys service_* and outcome_*); others
# are shown as recorded.
SERVICES = frozenset({"web", "imap", "smtp", "admin"})
OUTCOMES = frozenset({"ok", "app_password", "failed", "held", "expired", "locked"})
# Notices shown after a settings form, by the key in the redirect's query.
NOTICES = {
    "password_changed": "notice_password_changed",
    "totp_disabled": "notice_totp_disabled",
    "app_password_revoked": "notice_app_password_revoked",
    "forward_added": "notice_forward_added",
    "forward_removed": "notice_forward_removed",
}


def notice_text(request: Request) -> str:
    key = NOTICES.get(request.query_params.get("notice", ""))
    return request_translator(request)(key) if key else ""


async def settings_page(request: Request) -> Response:
    signed_in = await require_session(request)
    return await render_settings(request, signed_in, notice=notice_text(request))


async def render_settings(
    request: Request,
    signed_in: SignedIn,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
    forward_target: str = "",
) -> Response:
    """Render the settings page with the account's current state in every section."""
    core = webmail(request).core
    t = request_translator(request)
    account = signed_in.session.account
    quota = await core.store.quota(account.id)
    percent = quota.used_bytes * 100 // max(quota.limit_bytes, 1)
    return render(
        request,
        "settings.html",
        status=status,
        credentials=signed_in.credentials,
        password_min=min_length(account.kind) - 1,
        app_passwords=await core.credentials.list_app_passwords(account.id),
        logins=await core.auth.recent_logins(account.address, RECENT_LOGINS),
        quota_used=human_size(quota.used_bytes),
        quota_limit=human_size(quota.limit_bytes),
        quota=quota,
        quota_percent=percent,
        rules=await core.forwarding.rules(account.id),
        forward_target=forward_target,
        mobileconfig=has_route(request, MOBILECONFIG_PATH),
        service_name=partial(known_label, t, "service_", SERVICES),
        outcome_name=partial(known_label, t, "outcome_", OUTCOMES),
        notice=notice,
        error=error,
    )


def has_route(request: Request, path: str) -> bool:
    return any(getattr(route, "path", None) == path for route in request.app.routes)


def known_label(t: Translator, prefix: str, known: frozenset[str], value: str) -> str:
    """Return the catalogue text of a recorded service or outcome, or the value as recorded."""
    return t(prefix + value) if value in known else value


async def add_forwarding(request: Request) -> Response:
    """Add a forwarding target; a domain off the allowlist is refused with the rule's text."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    core = webmail(request).core
    t = request_translator(request)
    account = signed_in.session.account
    target = str(form.get("target") or "").strip()
    keep_copy = form.get("keep_copy") == "1"
    try:
        found = parse_recipients(target)
    except ComposeError:
        found = []
    if len(found) != 1 or found[0].display_name:
        error = t("forward_invalid", address=target)
        return await render_settings(request, signed_in, error=error, status=400)
    address = found[0].addr_spec.lower()
    allowed = await core.forwarding.allowlist()
    existing = await core.forwarding.rules(account.id)
    try:
        await core.forwarding.add_rule(account.id, address, keep_copy=keep_copy)
    except ForwardingNotAllowed:
        error = forwarding_refusal(address, allowed, [rule.target for rule in existing], t)
        return await render_settings(
            request, signed_in, error=error, status=400, forward_target=target
        )
    return RedirectResponse("/settings?notice=forward_added#forwarding", status_code=303)


def forwarding_refusal(
    address: str, allowed: tuple[str, ...], existing: list[str], t: Translator
) -> str:
    """Return the text of the rule that refused a forwarding target, in the reader's language.

    The core's own message carries both languages at once, for channels without a choice.
    """
    if not domain_allowed(address.rpartition("@")[2], allowed):
        return text(
            "forwarding.not_allowed", t.language, target=address, allowed=", ".join(allowed)
        )
    if address in existing:
        return t("forward_duplicate", address=address)
    if len(existing) >= MAX_RULES:
        return t("forward_too_many", count=MAX_RULES)
    # The one rule left: a target in the city's own domain must be a live mailbox.
    return t("forward_unknown", address=address)


async def remove_forwarding(request: Request) -> Response:
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    rule_id = str(form.get("rule") or "")
    if rule_id.isdigit():
        await webmail(request).core.forwarding.remove_rule(
            signed_in.session.account.id, int(rule_id)
        )
    return RedirectResponse("/settings?notice=forward_removed#forwarding", status_code=303)
