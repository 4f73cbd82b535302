"""The shared web layer as both applications serve it, over HTTP on 127.0.0.1."""

from __future__ import annotations

import logging

import httpx
import pytest

from admin.i18n import load_catalogue as load_admin_catalogue
from admin.middleware import PAGE_POLICY as ADMIN_POLICY
from appliance.web.sessions import csrf_for
from tests.harness import DEFAULT_PASSWORD, RunningAppliance
from tests.webmail.conftest import CSRF_FIELD
from webmail.i18n import load_catalogues as load_webmail_catalogues
from webmail.middleware import PAGE_POLICY as WEBMAIL_POLICY

ADDRESS = "nvan.skhcn@hue.gov.vn"


def base_url(appliance: RunningAppliance, port: str) -> str:
    return f"http://127.0.0.1:{appliance.ports[port]}"


def test_not_found_pages(appliance: RunningAppliance) -> None:
    webmail = httpx.get(base_url(appliance, "http") + "/no-such-page")
    admin = httpx.get(base_url(appliance, "admin") + "/no-such-page")
    webmail_texts = load_webmail_catalogues()["vi"]
    admin_texts = load_admin_catalogue("vi")

    assert webmail.status_code == 404
    assert admin.status_code == 404
    assert f"<h1>{webmail_texts['not_found_title']}</h1>" in webmail.text
    assert f"<h1>{admin_texts['not_found_title']}</h1>" in admin.text
    assert f'<a href="/">{webmail_texts["back_to_inbox"]}</a>' in webmail.text
    assert f'<a href="/">{admin_texts["back_to_dashboard"]}</a>' in admin.text
    assert '<link rel="stylesheet" href="/static/webmail.css">' in webmail.text
    assert '<link rel="stylesheet" href="/static/admin.css">' in admin.text


def test_security_headers_per_app(appliance: RunningAppliance) -> None:
    webmail = httpx.get(base_url(appliance, "http") + "/login")
    admin = httpx.get(base_url(appliance, "admin") + "/login")

    assert webmail.headers["content-security-policy"] == WEBMAIL_POLICY
    assert admin.headers["content-security-policy"] == ADMIN_POLICY
    for response in (webmail, admin):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


def test_static_files_cached(appliance: RunningAppliance) -> None:
    webmail = httpx.get(base_url(appliance, "http") + "/static/webmail.css")
    admin = httpx.get(base_url(appliance, "admin") + "/static/admin.css")

    assert webmail.status_code == 200
    assert admin.status_code == 200
    assert webmail.headers["cache-control"] == "public, max-age=3600"
    assert admin.headers["cache-control"] == "public, max-age=3600"


def test_request_log_labels(appliance: RunningAppliance, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="web"):
        httpx.get(base_url(appliance, "http") + "/login")
        httpx.get(base_url(appliance, "admin") + "/login")

    lines = [record.getMessage() for record in caplog.records if record.name == "web"]
    assert "request method=GET path=/login status=200 account=- client=127.0.0.1" in lines
    assert "admin request method=GET path=/login status=200 account=- client=127.0.0.1" in lines


def test_csrf_differs_per_app() -> None:
    token = "the same session token"

    assert csrf_for(token, b"webmail-csrf") != csrf_for(token, b"admin-csrf")
    assert len(csrf_for(token, b"webmail-csrf")) == 64


def test_webmail_session_refused_by_console(appliance: RunningAppliance) -> None:
    appliance.add_account(ADDRESS)
    with httpx.Client(base_url=base_url(appliance, "http")) as web:
        token = CSRF_FIELD.search(web.get("/login").text)
        assert token is not None
        signed_in = web.post(
            "/login",
            data={"csrf_token": token.group(1), "username": ADDRESS, "password": DEFAULT_PASSWORD},
        )
        session = web.cookies["session"]
    assert signed_in.status_code == 303

    console = httpx.get(base_url(appliance, "admin") + "/", cookies={"admin_session": session})

    assert console.status_code == 303
    assert console.headers["location"] == "/login?expired=1"
