"""Languages: Vietnamese by default, English by choice, complete catalogues."""

from __future__ import annotations

import re
from pathlib import Path

from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient, folder_ids
from webmail.i18n import load_catalogues
from webmail.views.auth import local_path

TEMPLATES = Path(__file__).resolve().parents[2] / "webmail" / "templates"
KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*["']([a-z_]+)["']""")


def test_catalogues_translate_every_key() -> None:
    catalogues = load_catalogues()
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used.update(KEY_IN_TEMPLATE.findall(template.read_text()))

    assert set(catalogues["vi"]) == set(catalogues["en"])
    assert used <= set(catalogues["vi"])
    assert catalogues["vi"]["inbox"] == "Hộp thư đến"
    assert catalogues["en"]["inbox"] == "Inbox"


def test_switch_to_english_and_back(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    inbox = folder_ids(appliance, account)["INBOX"]

    vietnamese = signed_in.get(f"/folder/{inbox}").text
    switch = signed_in.get(f"/lang/en?next=%2Ffolder%2F{inbox}")
    english = signed_in.get(f"/folder/{inbox}").text
    back = signed_in.get(f"/lang/vi?next=%2Ffolder%2F{inbox}")
    again = signed_in.get(f"/folder/{inbox}").text

    assert '<html lang="vi">' in vietnamese
    assert f'<a class="lang" href="/lang/en?next=%2Ffolder%2F{inbox}"' in vietnamese
    assert switch.status_code == 303
    assert switch.headers["location"] == f"/folder/{inbox}"
    assert '<html lang="en">' in english
    assert "<h1>Inbox</h1>" in english
    assert '<span class="label">Sent</span>' in english
    assert "This folder is empty." in english
    assert back.status_code == 303
    assert "<h1>Hộp thư đến</h1>" in again


def test_english_login_failure(web: WebClient, account: AccountInfo) -> None:
    web.get("/lang/en?next=%2Flogin")

    response = web.login(password="wrong")

    assert "The username or password is incorrect." in response.text


def test_unknown_language_ignored(web: WebClient) -> None:
    response = web.get("/lang/fr?next=%2Flogin")

    assert response.status_code == 303
    assert "lang" not in response.headers.get("set-cookie", "")
    assert '<html lang="vi">' in web.get("/login").text


def test_redirect_stays_on_site() -> None:
    assert local_path("/folder/3?page=2") == "/folder/3?page=2"
    assert local_path("https://evil.example/") == "/"
    assert local_path("//evil.example/") == "/"
    assert local_path("/\\evil.example") == "/"
    assert local_path("folder") == "/"
