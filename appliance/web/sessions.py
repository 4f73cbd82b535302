"""Session cookies and CSRF tokens, the same in the webmail and the admin console.

The session cookie contains a random token. The core stores only its hash (see
`appliance.websessions`). The CSRF token of a session is an HMAC of that token, so it
needs no storage, differs per session, and cannot be computed without the cookie. The
sign-in forms, which have no session yet, use a double-submit token: a random value in a
cookie that the form must repeat. Each application passes its own cookie names and HMAC
purpose, so a token of one application is never valid in the other.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from appliance.config import Settings
from appliance.core import Core
from appliance.websessions import WebSessionInfo

CSRF_FIELD = "csrf_token"
# Activity is written back at most this often, so reading pages does not write every time.
TOUCH_INTERVAL = timedelta(minutes=1)


class LoginRequired(Exception):
    """The request needs a signed-in session and has none (or an expired one)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRejected(Exception):
    """A POST form came without the CSRF token of the session, or with a wrong one."""


def cookie_name(settings: Settings, base: str) -> str:
    """Return the cookie name, with the `__Host-` prefix when cookies are Secure.

    Browsers accept a `__Host-` cookie only if it is Secure, has Path=/ and no Domain,
    so another host under the same domain cannot plant or overwrite it.
    """
    return f"__Host-{base}" if settings.secure_cookies else base


def csrf_for(token: str, purpose: bytes) -> str:
    """Return the CSRF token of the session `token`, keyed by the application's `purpose`."""
    return hmac.new(token.encode("ascii"), purpose, hashlib.sha256).hexdigest()


def set_cookie(
    response: Response, settings: Settings, base: str, value: str, max_age: int | None = None
) -> None:
    response.set_cookie(
        cookie_name(settings, base),
        value,
        max_age=max_age,
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, settings: Settings, base: str) -> None:
    response.delete_cookie(
        cookie_name(settings, base),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="strict",
    )


def session_token(request: Request, settings: Settings, base: str) -> str:
    """Return the token of the session cookie named `base`, or raise LoginRequired."""
    token = request.cookies.get(cookie_name(settings, base))
    if not token:
        raise LoginRequired(expired=False)
    return token


async def keep_alive(core: Core, session: WebSessionInfo, token: str) -> None:
    """Record activity on the session, at most once every TOUCH_INTERVAL."""
    if core.clock.now() - session.last_seen_at >= TOUCH_INTERVAL:
        await core.web_sessions.touch(token)


def check_csrf(form: FormData, expected: str) -> None:
    """Raise CsrfRejected unless the form's token equals `expected` (constant time)."""
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not given or not expected:
        raise CsrfRejected()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfRejected()


def check_login_token(request: Request, form: FormData, settings: Settings, base: str) -> None:
    """Check the double-submit token of a sign-in form against its cookie named `base`."""
    check_csrf(form, request.cookies.get(cookie_name(settings, base), ""))


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def client_of(request: Request) -> str:
    """Return the peer's IP address, or an empty string when the server does not know it."""
    return request.client.host if request.client else ""
