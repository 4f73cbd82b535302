"""Two-factor login and app passwords from the settings page, checked with real IMAP logins."""

from __future__ import annotations

import html
import imaplib
import logging
import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
import segno

from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.webmail.conftest import ADDRESS, WebClient

# imaplib sends LOGIN arguments as ASCII only, so these accounts get an ASCII password.
PASSWORD = "Ascii-Pass-2026!"
SECRET = re.compile(r'<code id="totp-secret" class="secret">([A-Z2-7 ]+)</code>')
CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")
APP_PASSWORD = re.compile(r'<code id="app-password" class="secret">([a-z ]+)</code>')


@pytest.fixture
def ascii_account(appliance: RunningAppliance) -> AccountInfo:
    return appliance.add_account(ADDRESS, PASSWORD, display_name="Nguyễn Văn An")


@pytest.fixture
def user(web: WebClient, ascii_account: AccountInfo) -> WebClient:
    assert web.login(password=PASSWORD).status_code == 303
    return web


def imap_login(appliance: RunningAppliance, password: str) -> str:
    """Log in over IMAPS with LOGIN; return "OK" or the server's NO text."""
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls()
    )
    try:
        status, _ = client.login(ADDRESS, password)
    except imaplib.IMAP4.error as error:
        client.shutdown()
        return str(error)
    client.logout()
    return str(status)


def enrol(web: WebClient) -> tuple[pyotp.TOTP, list[str]]:
    """Turn on two-factor login through the pages; return the TOTP and recovery codes."""
    page = web.post("/settings/totp", data={"csrf_token": web.csrf("/settings")})
    assert page.status_code == 200
    found = SECRET.search(page.text)
    assert found is not None
    totp = pyotp.TOTP(found.group(1).replace(" ", ""))
    token = web.csrf_of(page.text)
    confirmed = web.post("/settings/totp/confirm", data={"csrf_token": token, "code": totp.now()})
    assert confirmed.status_code == 200
    return totp, CODES.findall(confirmed.text)


def sign_out(web: WebClient) -> None:
    web.post("/logout", data={"csrf_token": web.csrf("/settings")})


def second_step(web: WebClient, code: str) -> int:
    token = web.csrf_of(web.login(password=PASSWORD).text)
    return web.post("/login/code", data={"csrf_token": token, "code": code}).status_code


def test_enrolment_page_shows_qr_and_secret(user: WebClient) -> None:
    page = user.post("/settings/totp", data={"csrf_token": user.csrf("/settings")})

    found = SECRET.search(page.text)
    assert found is not None
    secret = found.group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} ){7}[A-Z2-7]{4}", secret)
    qr = re.search(r'<img class="qr" src="data:image/svg\+xml;charset=utf-8,([^"]+)"', page.text)
    assert qr is not None
    issuer = "Th%C6%B0%20c%C3%B4ng%20v%E1%BB%A5%20Hu%E1%BA%BF"
    uri = (
        f"otpauth://totp/{issuer}:nvan.skhcn%40hue.gov.vn"
        f"?secret={secret.replace(' ', '')}&issuer={issuer}"
    )
    expected = segno.make(uri, error="m").svg_data_uri(scale=5, border=4)
    assert "data:image/svg+xml;charset=utf-8," + html.unescape(qr.group(1)) == expected
    assert page.headers["cache-control"] == "no-store"


def test_wrong_code_keeps_secret(user: WebClient, appliance: RunningAppliance) -> None:
    page = user.post("/settings/totp", data={"csrf_token": user.csrf("/settings")})
    found = SECRET.search(page.text)
    assert found is not None

    wrong = user.post(
        "/settings/totp/confirm",
        data={
            "csrf_token": user.csrf_of(page.text),
            "code": "000000",
            "secret": found.group(1).replace(" ", ""),
        },
    )

    assert wrong.status_code == 400
    assert "Mã xác thực không đúng." in wrong.text
    assert found.group(1) in wrong.text
    status = appliance.call(lambda: appliance.core.auth.status(1))
    assert status.totp_enabled is False


def test_recovery_codes_single_use(user: WebClient) -> None:
    _, codes = enrol(user)
    sign_out(user)

    first = second_step(user, codes[0].upper())
    sign_out(user)
    again = second_step(user, codes[0])

    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert first == 303
    assert again == 200


def test_two_factor_turns_off_imap_password(user: WebClient, appliance: RunningAppliance) -> None:
    assert imap_login(appliance, PASSWORD) == "OK"

    enrol(user)

    assert (
        imap_login(appliance, PASSWORD) == "b'[AUTHENTICATIONFAILED] Invalid user name or password'"
    )


def test_app_password_shown_once_and_works(user: WebClient, appliance: RunningAppliance) -> None:
    created = user.post(
        "/settings/app-passwords",
        data={"csrf_token": user.csrf("/settings"), "name": "Thunderbird máy cơ quan"},
    )
    found = APP_PASSWORD.search(created.text)
    assert found is not None
    app_password = found.group(1)
    enrol(user)

    with_spaces = imap_login(appliance, app_password)
    without_spaces = imap_login(appliance, app_password.replace(" ", ""))
    settings = user.get("/settings").text

    assert re.fullmatch(r"([a-z]{4} ){4}[a-z]{4}", app_password)
    assert "Mật khẩu ứng dụng cho “Thunderbird máy cơ quan”" in created.text
    assert with_spaces == "OK"
    assert without_spaces == "OK"
    assert app_password not in settings
    assert app_password.replace(" ", "") not in settings
    row = re.search(r'<tr data-app-password="1">(.*?)</tr>', settings, re.S)
    assert row is not None
    cells = [
        " ".join(cell.split()) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells[0] == "Thunderbird máy cơ quan"
    assert re.fullmatch(
        r'<time datetime="[^"]+">\d\d/\d\d/\d{4} \d\d:\d\d</time>, 127\.0\.0\.1, IMAP', cells[2]
    )


def test_revoked_app_password_refused(user: WebClient, appliance: RunningAppliance) -> None:
    created = user.post(
        "/settings/app-passwords", data={"csrf_token": user.csrf("/settings"), "name": "Điện thoại"}
    )
    found = APP_PASSWORD.search(created.text)
    assert found is not None
    assert imap_login(appliance, found.group(1)) == "OK"

    revoked = user.post(
        "/settings/app-passwords/1/revoke", data={"csrf_token": user.csrf("/settings")}
    )
    other = user.post(
        "/settings/app-passwords/99/revoke", data={"csrf_token": user.csrf("/settings")}
    )

    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/settings?notice=app_password_revoked#app-passwords"
    assert other.status_code == 404
    assert imap_login(appliance, found.group(1)) == (
        "b'[AUTHENTICATIONFAILED] Invalid user name or password'"
    )
    page = user.get("/settings?notice=app_password_revoked").text
    assert "Đã thu hồi mật khẩu ứng dụng." in page
    assert "Chưa có mật khẩu ứng dụng nào." in page


def test_disable_needs_password_and_code(user: WebClient, appliance: RunningAppliance) -> None:
    totp, codes = enrol(user)

    def disable(password: str, code: str) -> tuple[int, str]:
        response = user.post(
            "/settings/totp/disable",
            data={"csrf_token": user.csrf("/settings"), "current_password": password, "code": code},
        )
        return response.status_code, response.text

    wrong_password = disable("Sai-Pass-2026!", totp.at(time.time() + 30))
    wrong_code = disable(PASSWORD, "123456")
    done = disable(PASSWORD, codes[3])

    assert wrong_password[0] == 400
    assert "Mật khẩu hiện tại không đúng." in wrong_password[1]
    assert wrong_code[0] == 400
    assert "Mã xác thực không đúng." in wrong_code[1]
    assert done[0] == 303
    status = appliance.call(lambda: appliance.core.auth.status(1))
    assert status.totp_enabled is False
    assert imap_login(appliance, PASSWORD) == "OK"


def test_recent_logins_list_imap(
    web: WebClient, ascii_account: AccountInfo, appliance: RunningAppliance
) -> None:
    # 03:15 UTC is 10:15 in Vietnam (UTC+7).
    appliance.clock.stop_at(datetime(2026, 12, 4, 3, 15, tzinfo=UTC))
    web.login(password=PASSWORD)
    imap_login(appliance, PASSWORD)
    imap_login(appliance, "Sai-Pass-2026!")

    page = web.get("/settings").text

    start = page.index('<table class="plain logins">')
    table = page[start : page.index("</table>", start)]
    rows = [
        [
            " ".join(re.sub(r"<[^>]+>", "", cell).split())
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr class=\"[a-z]+\">(.*?)</tr>", table, re.S)
    ]
    assert rows == [
        ["04/12/2026 10:15", "127.0.0.1", "IMAP", "Sai thông tin đăng nhập"],
        ["04/12/2026 10:15", "127.0.0.1", "IMAP", "Thành công"],
        ["04/12/2026 10:15", "127.0.0.1", "Webmail", "Thành công"],
    ]


def test_secrets_never_logged(
    user: WebClient, appliance: RunningAppliance, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("web", "audit", "imap", "appliance"):
        caplog.set_level(logging.DEBUG, logger=name)
    new_password = "Mat-Khau-Moi-2026!"

    changed = user.post(
        "/settings/password",
        data={
            "csrf_token": user.csrf("/settings"),
            "current_password": PASSWORD,
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    created = user.post(
        "/settings/app-passwords", data={"csrf_token": user.csrf("/settings"), "name": "Máy"}
    )
    found = APP_PASSWORD.search(created.text)
    assert found is not None
    totp, codes = enrol(user)
    assert imap_login(appliance, found.group(1)) == "OK"

    assert changed.status_code == 303
    logged = caplog.text
    assert "request method=POST path=/settings/password status=303" in logged
    for secret in [PASSWORD, new_password, found.group(1), totp.secret, *codes]:
        assert secret not in logged
    assert found.group(1).replace(" ", "") not in logged
