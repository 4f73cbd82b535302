"""The webmail: a Starlette application over the core, served for `settings.web_host`.

Every page works without JavaScript: plain links and HTML forms. Every POST form carries
the session's CSRF token, and every response carries the security headers of
`webmail.middleware`.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from appliance.core import Core
from appliance.web import errors
from appliance.web.i18n import DEFAULT_LANGUAGE
from appliance.web.sessions import CsrfRejected, LoginRequired
from webmail import autoconfig
from webmail.i18n import load_catalogues
from webmail.middleware import PAGE_POLICY, WebmailMiddleware
from webmail.render import make_environment, render, request_translator
from webmail.session import SESSION_COOKIE, PasswordChangeRequired
from webmail.state import Webmail
from webmail.views import (
    auth,
    compose,
    directory,
    mailbox,
    password,
    public_directory,
    reading,
    reporting,
    security,
    settings,
)

STATIC = Path(__file__).parent / "static"

# Catalogue keys of the title and text of each error page, by HTTP status.
ERROR_TEXTS = {**errors.ERROR_TEXTS, 411: ("bad_request_title", "bad_request_text")}


def create_app(core: Core) -> Starlette:
    """Build the webmail application around a core that is already open."""
    catalogues = load_catalogues()
    error_pages = errors.ErrorPages(
        settings=core.settings,
        session_cookie=SESSION_COOKIE,
        page_policy=PAGE_POLICY,
        render=render,
        translator=request_translator,
        error_texts=ERROR_TEXTS,
        home_key="back_to_inbox",
        log_label="request",
    )
    routes = [
        Route("/", mailbox.home),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/login/code", auth.login_code, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/lang/{language}", auth.choose_language),
        Route("/folder/{folder_id:int}", mailbox.folder_page),
        Route("/folder/{folder_id:int}/actions", mailbox.bulk_action, methods=["POST"]),
        Route("/folder/{folder_id:int}/{uid:int}", reading.message_page),
        Route("/folder/{folder_id:int}/{uid:int}/body", reading.message_body),
        Route("/folder/{folder_id:int}/{uid:int}/part/{index:int}", reading.attachment),
        Route(
            "/folder/{folder_id:int}/{uid:int}/actions", mailbox.message_action, methods=["POST"]
        ),
        Route(
            "/folder/{folder_id:int}/{uid:int}/report", reporting.report_message, methods=["POST"]
        ),
        Route("/compose", compose.compose_page, methods=["GET"]),
        Route("/compose", compose.send, methods=["POST"]),
        Route("/settings", settings.settings_page),
        Route("/settings/password", password.password_page, methods=["GET"]),
        Route("/settings/password", password.change_password, methods=["POST"]),
        Route("/settings/totp", security.begin_totp, methods=["POST"]),
        Route("/settings/totp/confirm", security.confirm_totp, methods=["POST"]),
        Route("/settings/totp/disable", security.disable_totp, methods=["POST"]),
        Route("/settings/app-passwords", security.create_app_password, methods=["POST"]),
        Route(
            "/settings/app-passwords/{item:int}/revoke",
            security.revoke_app_password,
            methods=["POST"],
        ),
        Route("/settings/forwarding", settings.add_forwarding, methods=["POST"]),
        Route("/settings/forwarding/remove", settings.remove_forwarding, methods=["POST"]),
        Route("/directory", directory.directory_page),
        Route("/directory/suggest", directory.suggest),
        Route("/directory/unit/{mailbox}", directory.unit_page),
        Route("/danh-ba/{name}", public_directory.public_unit),
        *autoconfig.routes(),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(autoconfig.AutoconfigHosts, settings=core.settings),
            Middleware(
                WebmailMiddleware,
                web_host=core.settings.web_host,
                not_found_text=catalogues[DEFAULT_LANGUAGE]["not_found_text"],
            ),
        ],
        exception_handlers={
            LoginRequired: error_pages.login_required,
            PasswordChangeRequired: password_change_required,
            CsrfRejected: error_pages.csrf_rejected,
            HTTPException: error_pages.http_error,
            Exception: error_pages.server_error,
        },
    )
    # A key per process: a restart only makes a half-finished two-step login start over.
    signer = URLSafeTimedSerializer(secrets.token_bytes(32), salt="webmail-second-factor")
    app.state.webmail = Webmail(core, make_environment(), catalogues, signer)
    return app


async def password_change_required(request: Request, error: Exception) -> Response:
    """Send a reader who must change their password to the password page, from any page."""
    return RedirectResponse("/settings/password", status_code=303)
