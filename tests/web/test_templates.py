"""The shared templates: every text they show is in both applications' catalogues."""

from __future__ import annotations

import re
from pathlib import Path

from admin.i18n import load_catalogue as load_admin_catalogue
from admin.render import make_environment as admin_environment
from appliance.web.i18n import LANGUAGES
from appliance.web.render import SHARED_TEMPLATES
from webmail.i18n import load_catalogues as load_webmail_catalogues
from webmail.render import make_environment as webmail_environment

KEY_IN_TEMPLATE = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")


def shared_keys() -> set[str]:
    keys: set[str] = set()
    for template in SHARED_TEMPLATES.glob("*.html"):
        keys.update(KEY_IN_TEMPLATE.findall(template.read_text(encoding="utf-8")))
    return keys


def test_shared_keys_found() -> None:
    assert shared_keys() == {
        "language_en",
        "language_vi",
        "login",
        "logout",
        "password",
        "two_factor_code",
        "two_factor_hint",
        "username",
    }


def test_webmail_translates_shared_keys() -> None:
    catalogues = load_webmail_catalogues()

    for language in LANGUAGES:
        assert shared_keys() - set(catalogues[language]) == set(), language
        assert "back_to_inbox" in catalogues[language]


def test_admin_translates_shared_keys() -> None:
    for language in LANGUAGES:
        catalogue = load_admin_catalogue(language)
        assert shared_keys() - set(catalogue) == set(), language
        assert "back_to_dashboard" in catalogue


def test_application_template_wins() -> None:
    webmail = webmail_environment()
    admin = admin_environment()

    assert Path(webmail.get_template("base.html").filename or "").parts[-3:] == (
        "webmail",
        "templates",
        "base.html",
    )
    assert Path(admin.get_template("base.html").filename or "").parts[-3:] == (
        "admin",
        "templates",
        "base.html",
    )
    assert webmail.get_template("error.html").filename == str(SHARED_TEMPLATES / "error.html")
    assert admin.get_template("error.html").filename == str(SHARED_TEMPLATES / "error.html")
