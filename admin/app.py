"""The admin listener's application: the admin console, metrics and health.

Served on its own port (`admin_port`), so that the console, `/metrics` and `/health` stay
inside the operator's network while the webmail faces the internet. Every console page
works without JavaScript; every POST form carries the CSRF token of the session, and
every response carries the security headers of `admin.middleware`.
"""

from __future__ import annotations

import secrets
import time

from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
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
from admin.state import Console
from admin.views import accounts, audit, auth, dashboard, imports, reports, settings, unlocks
from appliance.admin_scope import CentreOnly
from appliance.core import Core
from appliance.errors import OutOfScope
from appliance.web import errors
from appliance.web.sessions import CsrfRejected, LoginRequired

# Catalogue keys of the title and text of each error page, by HTTP status.
ERROR_TEXTS = {
    **errors.ERROR_TEXTS,
    403: ("forbidden_title", "forbidden_text"),
    410: ("gone_title", "gone_text"),
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
    error_pages = errors.ErrorPages(
        settings=core.settings,
        session_cookie=SESSION_COOKIE,
        page_policy=PAGE_POLICY,
        render=render,
        translator=request_translator,
        error_texts=ERROR_TEXTS,
        home_key="back_to_dashboard",
        log_label="admin request",
    )
    app = Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            *console_routes(),
        ],
        middleware=[Middleware(AdminMiddleware)],
        exception_handlers={
            LoginRequired: error_pages.login_required,
            CsrfRejected: error_pages.csrf_rejected,
            # The core has audited both refusals. An account outside the admin's units gets
            # 404, which hides that it exists.
            CentreOnly: error_pages.fixed_page(403, "forbidden_title", "forbidden_text"),
            OutOfScope: error_pages.fixed_page(404, "not_found_title", "not_found_text"),
            HTTPException: error_pages.http_error,
            Exception: error_pages.server_error,
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
