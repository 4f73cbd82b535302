"""Changing the password: forced after an initial or expired password, and the expiry banner."""

from __future__ import annotations

from datetime import timedelta

from appliance.store.types import AccountInfo
from tests.harness import DEFAULT_PASSWORD, RunningAppliance
from tests.webmail.conftest import ADDRESS, WebClient, folder_ids
from webmail.i18n import VIETNAM_TIME

NEW_PASSWORD = "Mật-khẩu-mới-2026!"
RULES_VI = [
    "Mật khẩu phải dài hơn 8 ký tự.",
    "Mật khẩu phải có ít nhất một chữ hoa.",
    "Mật khẩu phải có ít nhất một chữ số.",
    "Mật khẩu phải có ít nhất một ký tự đặc biệt (ví dụ ! @ # %).",
]
RULES_EN = [
    "The password must be longer than 8 characters.",
    "The password must contain an upper-case letter.",
    "The password must contain a digit.",
    "The password must contain a special character (for example ! @ # %).",
]


def change(web: WebClient, current: str, new: str, confirm: str | None = None) -> object:
    token = web.csrf("/settings/password")
    return web.post(
        "/settings/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def rule_items(page: str) -> list[str]:
    start = page.index('<ul class="rules">')
    block = page[start : page.index("</ul>", start)]
    return [item.split("</li>")[0].strip() for item in block.split("<li>")[1:]]


def test_initial_password_reaches_only_change_page(
    appliance: RunningAppliance, web: WebClient
) -> None:
    account = appliance.add_account(ADDRESS, must_change_password=True)
    inbox = folder_ids(appliance, account)["INBOX"]

    login = web.login()

    assert login.status_code == 303
    for path in ("/", f"/folder/{inbox}", "/settings", "/compose", "/directory"):
        response = web.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/settings/password", path
    blocked_post = web.post("/settings/app-passwords", data={"name": "x"})
    assert blocked_post.status_code == 303
    assert blocked_post.headers["location"] == "/settings/password"
    assert web.get("/directory/suggest?q=ng").status_code == 401
    page = web.get("/settings/password")
    assert page.status_code == 200
    assert "Bạn phải đổi mật khẩu trước khi tiếp tục" in page.text
    assert 'href="/settings"' not in page.text
    apps = appliance.call(lambda: appliance.core.credentials.list_app_passwords(account.id))
    assert apps == []


def test_weak_password_shows_each_rule(appliance: RunningAppliance, web: WebClient) -> None:
    appliance.add_account(ADDRESS, must_change_password=True)
    web.login()

    vietnamese = change(web, DEFAULT_PASSWORD, "matkhau")
    web.get("/lang/en?next=/")
    english = change(web, DEFAULT_PASSWORD, "matkhau")

    assert vietnamese.status_code == 400
    assert rule_items(vietnamese.text) == RULES_VI
    assert english.status_code == 400
    assert rule_items(english.text) == RULES_EN


def test_wrong_current_and_mismatch(appliance: RunningAppliance, web: WebClient) -> None:
    appliance.add_account(ADDRESS, must_change_password=True)
    web.login()

    wrong = change(web, "Sai-mat-khau-1", NEW_PASSWORD)
    mismatch = change(web, DEFAULT_PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    reused = change(web, DEFAULT_PASSWORD, DEFAULT_PASSWORD)

    assert rule_items(wrong.text) == ["Mật khẩu hiện tại không đúng."]
    assert rule_items(mismatch.text) == ["Hai lần nhập mật khẩu mới không giống nhau."]
    assert rule_items(reused.text) == ["Không được dùng lại mật khẩu đã dùng trước đây."]


def test_forced_change_then_inbox(appliance: RunningAppliance, web: WebClient) -> None:
    account = appliance.add_account(ADDRESS, must_change_password=True)
    web.login()
    old_cookie = web.http.cookies["session"]

    changed = change(web, DEFAULT_PASSWORD, NEW_PASSWORD)

    assert changed.status_code == 303
    assert changed.headers["location"] == "/?notice=password_changed"
    assert web.http.cookies["session"] != old_cookie
    home = web.get(changed.headers["location"])
    inbox = folder_ids(appliance, account)["INBOX"]
    assert home.headers["location"] == f"/folder/{inbox}?notice=password_changed"
    page = web.get(home.headers["location"])
    assert page.status_code == 200
    assert "<h1>Hộp thư đến</h1>" in page.text
    assert "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc." in page.text
    status = appliance.call(lambda: appliance.core.auth.status(account.id))
    assert status.must_change_password is False
    web.http.cookies.set("session", old_cookie)
    assert web.get("/").headers["location"] == "/login?expired=1"


def test_change_from_settings(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    changed = change(signed_in, DEFAULT_PASSWORD, NEW_PASSWORD)

    assert changed.status_code == 303
    assert changed.headers["location"] == "/settings?notice=password_changed"
    page = signed_in.get("/settings?notice=password_changed")
    assert "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc." in page.text
    signed_in.post("/logout", data={"csrf_token": signed_in.csrf("/settings")})
    assert signed_in.login(password=DEFAULT_PASSWORD).status_code == 200
    assert signed_in.login(password=NEW_PASSWORD).status_code == 303


def banner_of(page: str) -> str | None:
    if '<p class="banner"' not in page:
        return None
    start = page.index('<p class="banner"')
    return page[page.index(">", start) + 1 : page.index("<a ", start)].strip()


def test_expiry_banner_from_fourteen_days(
    appliance: RunningAppliance, web: WebClient, account: AccountInfo
) -> None:
    status = appliance.call(lambda: appliance.core.auth.status(account.id))
    assert status.password_expires_at is not None
    shown = status.password_expires_at.astimezone(VIETNAM_TIME).strftime("%d/%m/%Y %H:%M")

    appliance.clock.advance(timedelta(days=75, hours=23))
    web.login()
    before = web.get("/settings").text
    web.post("/logout", data={"csrf_token": web.csrf("/settings")})
    appliance.clock.advance(timedelta(hours=1))
    web.login()
    inbox = web.get(web.get("/").headers["location"]).text
    settings = web.get("/settings").text
    web.post("/logout", data={"csrf_token": web.csrf("/settings")})
    appliance.clock.advance(timedelta(days=14))
    web.login()
    expired = web.get("/")

    assert banner_of(before) is None
    assert banner_of(inbox) == f"Mật khẩu của bạn sẽ hết hạn lúc {shown}."
    assert banner_of(settings) == f"Mật khẩu của bạn sẽ hết hạn lúc {shown}."
    assert expired.headers["location"] == "/settings/password"
