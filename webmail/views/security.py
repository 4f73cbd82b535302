"""Two-factor login (TOTP, RFC 6238) and app passwords, from the settings page.

Secrets shown here (the TOTP secret, recovery codes, a new app password) appear in one
response only, which is never cached (`Cache-Control: no-store` on every page).
"""

from __future__ import annotations

import segno
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.errors import InvalidCode
from appliance.twofactor import provisioning_uri
from appliance.web.sessions import check_csrf, client_of
from webmail.render import render, request_translator
from webmail.session import SignedIn, require_session
from webmail.state import webmail
from webmail.views.settings import render_settings

# The issuer name authenticator apps show next to the account.
TOTP_ISSUER = "Thư công vụ Huế"
QR_SCALE = 5  # pixels per module


def qr_code(uri: str) -> tuple[str, int]:
    """Return the otpauth URI as an SVG QR code in a data: URL, and its width in pixels.

    The page policy allows data: images. Error correction level M survives a slightly
    blurred phone camera picture. The border is the four-module quiet zone that QR code
    readers require.
    """
    code = segno.make(uri, error="m")
    width, _ = code.symbol_size(scale=QR_SCALE, border=4)
    return str(code.svg_data_uri(scale=QR_SCALE, border=4)), int(width)


def grouped(secret: str) -> str:
    """Return the base32 secret in groups of four letters, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def enrolment_page(
    request: Request, signed_in: SignedIn, secret: str, *, error: str = "", status: int = 200
) -> Response:
    uri = provisioning_uri(secret, signed_in.session.account.address, TOTP_ISSUER)
    qr, qr_size = qr_code(uri)
    return render(
        request,
        "totp_enrol.html",
        status=status,
        secret=secret,
        secret_grouped=grouped(secret),
        qr=qr,
        qr_size=qr_size,
        notice="",
        error=error,
    )


async def begin_totp(request: Request) -> Response:
    """Store a new secret (not active yet) and show it as a QR code and as text."""
    signed_in = await require_session(request)
    check_csrf(await request.form(), signed_in.csrf)
    core = webmail(request).core
    try:
        secret = await core.credentials.begin_totp(signed_in.session.account.id)
    except InvalidCode:  # two-factor login is already on
        return RedirectResponse("/settings#two-factor", status_code=303)
    return enrolment_page(request, signed_in, secret)


async def confirm_totp(request: Request) -> Response:
    """Turn two-factor login on once a code checks, and show the recovery codes once."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    core = webmail(request).core
    t = request_translator(request)
    code = str(form.get("code") or "")
    client = client_of(request)
    try:
        codes = await core.credentials.confirm_totp(signed_in.session.account.id, code, client)
    except InvalidCode:
        # The secret in the form is only shown again; the core checks the stored one.
        secret = str(form.get("secret") or "")
        if not secret.isalnum():
            return RedirectResponse("/settings#two-factor", status_code=303)
        return enrolment_page(request, signed_in, secret, error=t("code_failed"), status=400)
    return render(request, "recovery_codes.html", codes=codes, notice="", error="")


async def disable_totp(request: Request) -> Response:
    """Turn two-factor login off after the current password and a valid code."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    core = webmail(request).core
    t = request_translator(request)
    account = signed_in.session.account
    client = client_of(request)
    password = str(form.get("current_password") or "")
    code = str(form.get("code") or "").strip()
    if not await core.credentials.verify_password(account.id, password):
        error = t("current_password_wrong")
    elif not code or not await core.credentials.verify_second_factor(account.id, code, client):
        error = t("code_failed")
    else:
        await core.credentials.disable_totp(account.id, client, by=account.address)
        return RedirectResponse("/settings?notice=totp_disabled#two-factor", status_code=303)
    return await render_settings(request, signed_in, error=error, status=400)


async def create_app_password(request: Request) -> Response:
    """Create an app password and show it this once, in groups of four letters."""
    signed_in = await require_session(request)
    form = await request.form()
    check_csrf(form, signed_in.csrf)
    core = webmail(request).core
    name = str(form.get("name") or "").strip()
    account_id = signed_in.session.account.id
    row_id, password = await core.credentials.create_app_password(account_id, name)
    listed = await core.credentials.list_app_passwords(account_id)
    return render(
        request,
        "app_password.html",
        name=next((entry.name for entry in listed if entry.id == row_id), name),
        password=password,
        address=signed_in.session.account.address,
        notice="",
        error="",
    )


async def revoke_app_password(request: Request) -> Response:
    signed_in = await require_session(request)
    check_csrf(await request.form(), signed_in.csrf)
    core = webmail(request).core
    account_id = signed_in.session.account.id
    item = request.path_params["item"]
    if item not in {entry.id for entry in await core.credentials.list_app_passwords(account_id)}:
        raise HTTPException(404)
    await core.credentials.revoke_app_password(account_id, item)
    return RedirectResponse("/settings?notice=app_password_revoked#app-passwords", 303)
