"""The admin listener's application: the admin console, metrics and health.

Served on its own port (`admin_port`), so that the console, `/metrics` and `/health` stay
inside the operator's network while the webmail faces the internet. Every console page
works without JavaScript; every POST form carries the CSRF token of the session, and
every response carries the security headers of `admin.middleware`.
"""

from __future__ import annotations

import logging
import secrets
import time

from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from admin.handover import HandoverStore
from admin.health import health
from admin.i18n import load_catalogues
from admin.lifecycle_views import lifecycle_routes
from admin.metrics import metrics
from admin.middleware import PAGE_POLICY, AdminMiddleware
from admin.paths import STATIC
from admin.render import make_environment, render, request_translator
from admin.session import SESSION_COOKIE
from admin.state import Console, console
from admin.views import accounts, audit, auth, dashboard, imports, reports, settings, unlocks
from appliance.admin_scope import CentreOnly
from appliance.core import Core
from appliance.errors import OutOfScope
from appliance.web.middleware import add_missing
from appliance.web.sessions import CsrfRejected, LoginRequired, clear_cookie

log = logging.getLogger("web")

# Catalogue keys of the title and text of each error page, by HTTP status.
ERROR_TEXTS = {
    400: ("bad_request_title", "bad_request_text"),
    403: ("forbidden_title", "forbidden_text"),
    404: ("not_found_title", "not_found_text"),
    405: ("not_found_title", "not_found_text"),
    410: ("gone_title", "gone_text"),
    413: ("too_large_title", "too_large_text"),
}


def console_routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard.dashboard_page),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/login/code", auth.login_code, methods=["POST"]),
        Route("/login/password", auth.login_password, methods=["POST"]),
        Route("/login/totp", auth.login_enrol, methods=["POST"]),
        Route("/login/continue", auth.login_continue, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/lang/{language}", auth.choose_language),
        Route("/accounts", accounts.accounts_page),
        Route("/accounts/{account_id:int}", accounts.account_page),
        Route("/accounts/{account_id:int}/reset", accounts.reset_password, methods=["POST"]),
        Route("/accounts/{account_id:int}/lock", accounts.lock, methods=["POST"]),
        Route(
            "/accounts/{account_id:int}/unlock-request", accounts.request_unlock, methods=["POST"]
        ),
        Route("/accounts/{account_id:int}/quota", accounts.set_quota, methods=["POST"]),
        Route("/accounts/{account_id:int}/bulk-sender", accounts.set_bulk_sender, methods=["POST"]),
        Route("/accounts/{account_id:int}/totp-off", accounts.disable_totp, methods=["POST"]),
        Route("/handover/{key}", accounts.handover_slip),
        Route("/unlocks", unlocks.unlocks_page),
        Route("/audit", audit.audit_page),
        Route("/settings", settings.settings_page),
        Route("/import", imports.import_page),
        Route("/import/preview", imports.preview, methods=["POST"]),
        Route("/import/apply", imports.apply, methods=["POST"]),
        Route("/import/list/{key}", imports.download_list),
        Route("/reports", reports.reports_page),
        Route("/reports/{name}.csv", reports.report_csv),
        Route("/settings/forwarding", settings.save_allowlist, methods=["POST"]),
        Route("/unlocks/{request_id:int}/approve", unlocks.approve, methods=["POST"]),
        Route("/unlocks/{request_id:int}/reject", unlocks.reject, methods=["POST"]),
        *lifecycle_routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]


def create_admin_app(core: Core) -> Starlette:
    """Build the admin application around a core that is already open."""
    app = Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            *console_routes(),
        ],
        middleware=[Middleware(AdminMiddleware)],
        exception_handlers={
            LoginRequired: login_required,
            CsrfRejected: csrf_rejected,
            CentreOnly: centre_only,
            OutOfScope: out_of_scope,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.core = core
    app.state.started = time.monotonic()
    # A key per process: a restart only makes a half-finished sign-in start over.
    signer = URLSafeTimedSerializer(secrets.token_bytes(32), salt="admin-sign-in")
    app.state.console = Console(
        core, make_environment(), load_catalogues(), signer, HandoverStore()
    )
    return app


async def login_required(request: Request, error: Exception) -> Response:
    expired = isinstance(error, LoginRequired) and error.expired
    response = RedirectResponse("/login?expired=1" if expired else "/login", status_code=303)
    if expired:
        clear_cookie(response, console(request).core.settings, SESSION_COOKIE)
    return response


async def csrf_rejected(request: Request, error: Exception) -> Response:
    t = request_translator(request)
    return render(request, "error.html", status=403, title=t("csrf_title"), text=t("csrf_text"))


async def out_of_scope(request: Request, error: Exception) -> Response:
    """Return a 404 page for an account outside the admin's units, hiding that it exists.

    The core has already audited the refusal.
    """
    t = request_translator(request)
    return render(
        request, "error.html", status=404, title=t("not_found_title"), text=t("not_found_text")
    )


async def centre_only(request: Request, error: Exception) -> Response:
    """Return a 403 page for a centre-only action; the core has audited the refusal."""
    t = request_translator(request)
    return render(
        request, "error.html", status=403, title=t("forbidden_title"), text=t("forbidden_text")
    )


async def http_error(request: Request, error: Exception) -> Response:
    status = error.status_code if isinstance(error, HTTPException) else 500
    title_key, text_key = ERROR_TEXTS.get(status, ("server_error_title", "server_error_text"))
    t = request_translator(request)
    return render(request, "error.html", status=status, title=t(title_key), text=t(text_key))


async def server_error(request: Request, error: Exception) -> Response:
    """Show a plain 500 page; the traceback goes to the log only.

    This handler runs outside the middleware, so it adds the security headers itself.
    """
    log.error("admin request failed path=%s error=%s", request.url.path, type(error).__name__)
    t = request_translator(request)
    response = render(
        request,
        "error.html",
        status=500,
        title=t("server_error_title"),
        text=t("server_error_text"),
    )
    response.raw_headers[:] = add_missing(list(response.raw_headers), request.url.path, PAGE_POLICY)
    return response
