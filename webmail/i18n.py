"""Message catalogues and formatting of dates and sizes, Vietnamese first, English second.

The catalogues are gettext `.po` files read with Babel when the application starts, so no
compile step is needed. Message ids are short keys (`inbox`, `login_failed`), and both
catalogues translate every key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import babel.dates
import babel.numbers
from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LOCALE_DIR = Path(__file__).parent / "locale"
# Vietnam keeps UTC+7 all year (no daylight saving time), so a fixed offset is exact.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


def load_catalogue(language: str, locale_dir: Path = LOCALE_DIR) -> dict[str, str]:
    """Read `locale/<language>/LC_MESSAGES/webmail.po` into a key-to-text mapping.

    Fuzzy and untranslated entries are left out, so they fall back to Vietnamese.
    """
    path = locale_dir / language / "LC_MESSAGES" / "webmail.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain="webmail")
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def load_catalogues(locale_dir: Path = LOCALE_DIR) -> dict[str, dict[str, str]]:
    return {language: load_catalogue(language, locale_dir) for language in LANGUAGES}


def pick_language(cookie_value: str | None) -> str:
    """Return the language named by the language cookie, or Vietnamese."""
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """The catalogue of one language, with Vietnamese behind it for missing keys."""

    language: str
    messages: dict[str, str]
    fallback: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        """Return the text of `key`, with `{name}` placeholders filled from `values`."""
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def datetime(self, moment: datetime) -> str:
        """Format a moment in Vietnam time with the catalogue's `datetime_pattern`."""
        return babel.dates.format_datetime(
            moment, self("datetime_pattern"), tzinfo=VIETNAM_TIME, locale=self.language
        )

    def size(self, count: int) -> str:
        """Format a byte count as B, KB or MB (units of 1024), with local decimal marks."""
        if count < 1024:
            return f"{count} B"
        value = count / 1024
        unit = "KB"
        if value >= 1024:
            value /= 1024
            unit = "MB"
        number = babel.numbers.format_decimal(value, "#,##0.#", locale=self.language)
        return f"{number} {unit}"


def translator(catalogues: dict[str, dict[str, str]], language: str) -> Translator:
    return Translator(language, catalogues[language], catalogues[DEFAULT_LANGUAGE])
