"""The signed-in session of a request, its cookie, and the CSRF token of its forms.

The session cookie contains a random token. The core stores only its hash (see
`appliance.websessions`). The CSRF token of a session is an HMAC of that token, so it
needs no storage, differs per session, and cannot be computed without the cookie. The
login form, which has no session yet, uses a double-submit token: a random value in a
cookie that the form must repeat.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from appliance.auth import CredentialStatus
from appliance.config import Settings
from appliance.websessions import WebSessionInfo
from webmail.state import webmail

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


class PasswordChangeRequired(Exception):
    """The account must change its password before it may use any other page."""


@dataclass(frozen=True)
class SignedIn:
    """The session of the current request."""

    session: WebSessionInfo
    token: str
    csrf: str
    credentials: CredentialStatus


def cookie_name(settings: Settings, base: str) -> str:
    """Return the cookie name, with the `__Host-` prefix when cookies are Secure.

    Browsers accept a `__Host-` cookie only if it is Secure, has Path=/ and no Domain,
    so another host under the same domain cannot plant or overwrite it.
    """
    return f"__Host-{base}" if settings.secure_cookies else base


def csrf_for(token: str) -> str:
    return hmac.new(token.encode("ascii"), b"webmail-csrf", hashlib.sha256).hexdigest()


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


async def require_session(request: Request, *, password_page: bool = False) -> SignedIn:
    """Return the session of the request, or raise LoginRequired.

    An account whose password is initial, reset or expired may reach only the password
    page (`password_page`) and sign out; any other page raises PasswordChangeRequired.
    """
    core = webmail(request).core
    token = request.cookies.get(cookie_name(core.settings, "session"))
    if not token:
        raise LoginRequired(expired=False)
    found = await core.web_sessions.lookup(token)
    if found is None:
        raise LoginRequired(expired=True)
    if core.clock.now() - found.last_seen_at >= TOUCH_INTERVAL:
        await core.web_sessions.touch(token)
    credentials = await core.auth.status(found.account.id)
    signed_in = SignedIn(found, token, csrf_for(token), credentials)
    request.state.signed_in = signed_in
    request.state.account = found.account.address
    if credentials.must_change_password and not password_page:
        raise PasswordChangeRequired()
    return signed_in


def check_csrf(form: FormData, expected: str) -> None:
    """Raise CsrfRejected unless the form's token equals `expected` (constant time)."""
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not given or not expected:
        raise CsrfRejected()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise CsrfRejected()


def new_login_token() -> str:
    return secrets.token_urlsafe(32)
