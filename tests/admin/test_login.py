"""Signing in to the admin console: who may, the TOTP step, enrolment and password change."""

from __future__ import annotations

import logging
import re

import pyotp
import pytest

from tests.admin.conftest import (
    ADMIN_PASSWORD,
    CENTRE,
    SKHCN_ADMIN,
    SLIP_PASSWORD,
    AdminClient,
    City,
    audit_rows,
    fresh_code,
    token_in,
)
from tests.harness import DEFAULT_PASSWORD, RunningAppliance

SECRET_TEXT = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')


def test_login_page_vietnamese_by_default(client: AdminClient) -> None:
    page = client.get("/login")

    assert page.status_code == 200
    assert '<html lang="vi">' in page.text
    assert "<h1>Đăng nhập trang quản trị</h1>" in page.text
    assert page.headers["content-security-policy"].startswith(
        "default-src 'none'; script-src 'none'"
    )
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "<script" not in page.text


def test_language_switch_to_english(client: AdminClient) -> None:
    response = client.get("/lang/en?next=/login")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert "<h1>Sign in to the administration console</h1>" in client.get("/login").text


def test_root_redirects_to_login(client: AdminClient) -> None:
    response = client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_personal_account_refused(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    page = client.login_password(city.skhcn_staff, DEFAULT_PASSWORD)

    assert page.status_code == 200
    assert "Địa chỉ hoặc mật khẩu không đúng." in page.text
    assert "admin_session" not in page.headers.get("set-cookie", "")
    refused = audit_rows(appliance, "admin_login")
    assert [(row.account, row.outcome) for row in refused] == [(city.skhcn_staff, "not_admin")]


def test_wrong_password_refused(client: AdminClient, city: City) -> None:
    page = client.login_password(SKHCN_ADMIN, "Sai-mật-khẩu-2026!")

    assert page.status_code == 200
    assert "Địa chỉ hoặc mật khẩu không đúng." in page.text


def test_centre_admin_needs_totp_code(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    page = client.login_password(CENTRE)
    assert 'action="/login/code"' in page.text

    wrong = client.post("/login/code", data={"csrf_token": token_in(page.text), "code": "000000"})
    assert "Mã không đúng hoặc đã được dùng." in wrong.text

    code = fresh_code(appliance, city.centre_secret)
    done = client.post("/login/code", data={"csrf_token": token_in(wrong.text), "code": code})
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    cookie = done.headers["set-cookie"]
    assert "admin_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "<h1>Tổng quan</h1>" in client.get("/").text


def test_centre_admin_must_enrol(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    appliance.add_account("ttdh2@hue.gov.vn", ADMIN_PASSWORD, kind="centre_admin")
    page = client.login_password("ttdh2@hue.gov.vn")
    assert "<svg" in page.text
    assert "Để sau" not in page.text

    skipped = client.post("/login/totp", data={"csrf_token": token_in(page.text), "skip": "1"})
    assert skipped.status_code == 200
    assert "Quản trị Trung tâm không thể bỏ qua bước này." in skipped.text

    found = SECRET_TEXT.search(skipped.text)
    assert found is not None
    secret = found.group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(appliance.clock.now())
    codes = client.post("/login/totp", data={"csrf_token": token_in(skipped.text), "code": code})
    assert codes.status_code == 200
    assert codes.text.count("<li><code>") == 10

    done = client.post("/login/continue", data={"csrf_token": token_in(codes.text)})
    assert done.status_code == 303
    assert client.get("/").status_code == 200


def test_unit_admin_may_skip_enrolment(client: AdminClient, city: City) -> None:
    page = client.login_password(SKHCN_ADMIN)
    assert "Để sau" in page.text

    done = client.post("/login/totp", data={"csrf_token": token_in(page.text), "skip": "1"})

    assert done.status_code == 303
    dashboard = client.get("/")
    assert "Phạm vi: đơn vị của bạn và các đơn vị trực thuộc." in dashboard.text
    assert 'href="/settings"' not in dashboard.text


def test_initial_password_must_change(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    appliance.add_account(
        "admin.snv@hue.gov.vn", ADMIN_PASSWORD, kind="unit_admin", must_change_password=True
    )
    page = client.login_password("admin.snv@hue.gov.vn")
    assert 'action="/login/password"' in page.text

    weak = client.post(
        "/login/password",
        data={
            "csrf_token": token_in(page.text),
            "current": ADMIN_PASSWORD,
            "new": "Ngắn-1",
            "repeat": "Ngắn-1",
        },
    )
    assert "Mật khẩu phải dài hơn 12 ký tự." in weak.text

    new = "Mật-khẩu-mới-của-Sở-2026"
    changed = client.post(
        "/login/password",
        data={
            "csrf_token": token_in(weak.text),
            "current": ADMIN_PASSWORD,
            "new": new,
            "repeat": new,
        },
    )
    assert 'action="/login/totp"' in changed.text
    account = appliance.call(lambda: appliance.core.accounts.get("admin.snv@hue.gov.vn"))
    status = appliance.call(lambda: appliance.core.auth.status(account.id))
    assert status.must_change_password is False


def test_webmail_session_not_accepted(
    client: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    token = appliance.call(
        lambda: appliance.core.web_sessions.create(
            city.ids[SKHCN_ADMIN], client="127.0.0.1", user_agent=""
        )
    )
    client.http.cookies.set("admin_session", token)

    response = client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?expired=1"


def test_logout_needs_csrf(skhcn_admin: AdminClient) -> None:
    refused = skhcn_admin.post("/logout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    assert "Biểu mẫu đã hết hạn" in refused.text

    done = skhcn_admin.submit("/", "/logout", {})
    assert done.status_code == 303
    assert skhcn_admin.get("/").headers["location"] == "/login"


def test_no_secret_in_logs(
    client: AdminClient, city: City, appliance: RunningAppliance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client.login(CENTRE, secret=city.centre_secret)
    account_id = city.ids[city.stc_staff]
    slip = client.get(
        client.submit(f"/accounts/{account_id}", f"/accounts/{account_id}/reset", {}).headers[
            "location"
        ]
    )
    found = SLIP_PASSWORD.search(slip.text)
    assert found is not None

    assert "admin request method=POST path=/login status=200" in caplog.text
    assert ADMIN_PASSWORD not in caplog.text
    assert found.group(1) not in caplog.text
    assert city.centre_secret not in caplog.text
