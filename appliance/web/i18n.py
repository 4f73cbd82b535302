"""Message catalogues of the web applications: Vietnamese first, English second.

The catalogues are gettext `.po` files read with Babel when an application starts, so no
compile step is needed. Message ids are short keys (`login`, `login_failed`). Each
application keeps its own catalogue domain (`webmail.po`, `admin.po`) in its own package,
and its own Translator subclass for the way it formats dates and sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

from babel.messages.pofile import read_po

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


def load_catalogue(locale_dir: Path, domain: str, language: str) -> dict[str, str]:
    """Read `<locale_dir>/<language>/LC_MESSAGES/<domain>.po` into a key-to-text mapping.

    Fuzzy and untranslated entries are left out, so they fall back to Vietnamese.
    """
    path = locale_dir / language / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def load_catalogues(locale_dir: Path, domain: str) -> dict[str, dict[str, str]]:
    """Read the catalogue of every language in LANGUAGES, keyed by language code."""
    return {language: load_catalogue(locale_dir, domain, language) for language in LANGUAGES}


def pick_language(cookie_value: str | None) -> str:
    """Return the language named by the language cookie, or Vietnamese."""
    return cookie_value if cookie_value in LANGUAGES else DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """The catalogue of one language, with Vietnamese behind it for missing keys."""

    language: str
    messages: dict[str, str]
    fallback: dict[str, str]

    @classmethod
    def for_language(cls, catalogues: dict[str, dict[str, str]], language: str) -> Self:
        """Return the translator of `language`, backed by the default language's catalogue."""
        return cls(language, catalogues[language], catalogues[DEFAULT_LANGUAGE])

    def __call__(self, key: str, **values: object) -> str:
        """Return the text of `key`, with `{name}` placeholders filled from `values`."""
        text = self.messages.get(key) or self.fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self.messages or key in self.fallback
