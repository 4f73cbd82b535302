"""Signing in and out, sessions, cookies and CSRF."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pyotp
import pytest

from appliance.config import Settings
from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.webmail.conftest import ADDRESS, CSRF_FIELD, WebClient
from webmail.session import cookie_name


def test_login_page_is_vietnamese(web: WebClient) -> None:
    page = web.get("/login")

    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<html lang="vi">' in page.text
    assert "<h1>Đăng nhập hộp thư</h1>" in page.text


def test_login_ok_redirects_to_inbox(web: WebClient, account: AccountInfo) -> None:
    response = web.login()

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = web.get("/")
    assert home.status_code == 303
    assert home.headers["location"].startswith("/folder/")
    inbox = web.get(home.headers["location"])
    assert inbox.status_code == 200
    assert "<h1>Hộp thư đến</h1>" in inbox.text
    assert ADDRESS in inbox.text


def test_login_failed_generic_message(web: WebClient, account: AccountInfo) -> None:
    wrong_password = web.login(password="sai-mat-khau")
    no_account = web.login(address="khong.ton.tai@hue.gov.vn")

    for response in (wrong_password, no_account):
        assert response.status_code == 200
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert "session" not in web.http.cookies


def test_session_cookie_flags(web: WebClient, account: AccountInfo) -> None:
    response = web.login()

    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("session=")
    )
    attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/" in attributes
    assert "secure" not in attributes  # the tests run with secure_cookies = False


def test_secure_cookie_name(tmp_path: Path) -> None:
    secure = Settings(data_dir=tmp_path)
    plain = replace(secure, secure_cookies=False)

    assert cookie_name(secure, "session") == "__Host-session"
    assert cookie_name(plain, "session") == "session"


def test_login_without_csrf_rejected(web: WebClient, account: AccountInfo) -> None:
    web.get("/login")

    response = web.post("/login", data={"username": ADDRESS, "password": "x"})

    assert response.status_code == 403
    assert "Yêu cầu bị từ chối" in response.text


def test_post_without_csrf_rejected(signed_in: WebClient) -> None:
    inbox = signed_in.get(signed_in.get("/").headers["location"])
    folder_path = str(inbox.url.path)

    missing = signed_in.post(f"{folder_path}/actions", data={"action": "read", "uid": "1"})
    wrong = signed_in.post(
        f"{folder_path}/actions", data={"action": "read", "uid": "1", "csrf_token": "0" * 64}
    )
    logout = signed_in.post("/logout", data={})

    for response in (missing, wrong, logout):
        assert response.status_code == 403
        assert "Biểu mẫu đã hết hạn hoặc không hợp lệ." in response.text
    assert signed_in.get("/").status_code == 303
    assert signed_in.get("/").headers["location"].startswith("/folder/")


def test_logout_revokes_session(signed_in: WebClient) -> None:
    token = signed_in.http.cookies["session"]
    csrf = signed_in.csrf(signed_in.get("/").headers["location"])

    response = signed_in.post("/logout", data={"csrf_token": csrf})

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    replay = httpx.get(
        f"{signed_in.http.base_url}/", cookies={"session": token}, follow_redirects=False
    )
    assert replay.status_code == 303
    assert replay.headers["location"] == "/login?expired=1"


def test_anonymous_redirected_to_login(web: WebClient) -> None:
    response = web.get("/folder/1")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_security_headers(web: WebClient) -> None:
    page = web.get("/login")

    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"


def test_other_host_not_found(appliance: RunningAppliance) -> None:
    port = appliance.ports["http"]
    url = f"http://127.0.0.1:{port}/login"

    other = httpx.get(url, headers={"Host": "evil.example"})
    web_host = httpx.get(url, headers={"Host": f"mail.hue.gov.vn:{port}"})
    localhost = httpx.get(url, headers={"Host": f"localhost:{port}"})

    assert other.status_code == 404
    assert web_host.status_code == 200
    assert localhost.status_code == 200


def test_password_not_logged(
    web: WebClient, account: AccountInfo, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    web.login(password="Bí-mật-sai-123")
    web.login()

    text = caplog.text
    assert "Bí-mật-sai-123" not in text
    assert "Mật-khẩu-2026!" not in text
    assert f"request method=POST path=/login status=303 account={ADDRESS}" in text


def enrol_totp(appliance: RunningAppliance, account: AccountInfo) -> str:
    core = appliance.core
    secret = appliance.call(lambda: core.credentials.begin_totp(account.id))
    code = pyotp.TOTP(secret).at(core.clock.now())
    appliance.call(lambda: core.credentials.confirm_totp(account.id, code, "127.0.0.1"))
    return secret


def test_second_factor_required(
    appliance: RunningAppliance, web: WebClient, account: AccountInfo
) -> None:
    secret = enrol_totp(appliance, account)
    appliance.clock.advance(timedelta(seconds=60))  # the enrolment code cannot be reused

    after_password = web.login()
    token = CSRF_FIELD.findall(after_password.text)[0]
    wrong = web.post("/login/code", data={"csrf_token": token, "code": "000000"})
    token = CSRF_FIELD.findall(wrong.text)[0]
    signed_in_before_code = "session" in web.http.cookies
    code = pyotp.TOTP(secret).at(appliance.clock.now())
    right = web.post("/login/code", data={"csrf_token": token, "code": code})

    assert after_password.status_code == 200
    assert "<h1>Xác thực hai yếu tố</h1>" in after_password.text
    assert "Mã xác thực không đúng." in wrong.text
    assert signed_in_before_code is False
    assert right.status_code == 303
    assert right.headers["location"] == "/"
    assert web.get("/").headers["location"].startswith("/folder/")


def test_second_factor_attempts_limited(
    appliance: RunningAppliance, web: WebClient, account: AccountInfo
) -> None:
    enrol_totp(appliance, account)

    page = web.login()
    for _ in range(5):
        token = CSRF_FIELD.findall(page.text)[0]
        page = web.post("/login/code", data={"csrf_token": token, "code": "000000"})

    assert "<h1>Đăng nhập hộp thư</h1>" in page.text
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.text
    assert "session" not in web.http.cookies


def test_second_factor_needs_password_step(web: WebClient, account: AccountInfo) -> None:
    token = web.csrf("/login")

    response = web.post("/login/code", data={"csrf_token": token, "code": "123456"})

    assert "Phiên làm việc đã hết hạn." in response.text
    assert "session" not in web.http.cookies
