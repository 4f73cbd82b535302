"""Message catalogues of the admin console and formatting of dates, sizes and numbers.

Vietnamese is the default and English the second language. The catalogues are gettext
`.po` files read with Babel at start-up, keyed by short message ids, like the webmail's
but separate, because the admin console does not import the webmail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import babel.dates
import babel.numbers
from babel.messages.pofile import read_po

from admin.paths import LOCALE_DIR
from appliance.workdays import VIETNAM

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def load_catalogue(language: str) -> dict[str, str]:
    """Read `locale/<language>/LC_MESSAGES/admin.po`; fuzzy and empty entries are skipped."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / "admin.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain="admin")
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def load_catalogues() -> dict[str, dict[str, str]]:
    return {language: load_catalogue(language) for language in LANGUAGES}


def pick_language(cookie_value: str | None) -> str:
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """The catalogue of one language, with Vietnamese behind it for missing keys."""

    language: str
    messages: dict[str, str]
    fallback: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages or key in self.fallback

    def datetime(self, moment: dt.datetime | None) -> str:
        """Format a moment in Vietnam time, or a dash for none."""
        if moment is None:
            return "–"
        return babel.dates.format_datetime(
            moment, self("datetime_pattern"), tzinfo=VIETNAM, locale=self.language
        )

    def date(self, moment: dt.datetime | dt.date | None) -> str:
        if moment is None:
            return "–"
        if isinstance(moment, dt.datetime):
            moment = moment.astimezone(VIETNAM).date()
        return babel.dates.format_date(moment, self("date_pattern"), locale=self.language)

    def number(self, value: float, pattern: str = "#,##0") -> str:
        return babel.numbers.format_decimal(value, pattern, locale=self.language)

    def size(self, count: int) -> str:
        """Format a byte count in B, KiB, MiB or GiB (units of 1024)."""
        value = float(count)
        for unit in ("B", "KiB", "MiB", "GiB"):
            if value < 1024 or unit == "GiB":
                pattern = "#,##0" if unit == "B" else "#,##0.#"
                return f"{self.number(value, pattern)} {unit}"
            value /= 1024
        raise AssertionError("unreachable")


def translator(catalogues: dict[str, dict[str, str]], language: str) -> Translator:
    return Translator(language, catalogues[language], catalogues[DEFAULT_LANGUAGE])
