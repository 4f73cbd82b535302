"""Texts the core returns to people, in Vietnamese and English, kept out of the code.

The web front ends have their own gettext catalogues; this one holds the few messages
that the core itself produces (password rules, protocol refusals), keyed by a stable id.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).parent / "data" / "messages.csv"
LANGUAGES = ("vi", "en")


@cache
def _entries() -> dict[str, dict[str, str]]:
    with CATALOGUE.open(encoding="utf-8", newline="") as handle:
        return {
            row["key"]: {lang: row[lang] for lang in LANGUAGES} for row in csv.DictReader(handle)
        }


def text(key: str, language: str = "vi", **values: object) -> str:
    """Return the message `key` in `language` (vi or en) with `values` filled in."""
    entry = _entries()[key]
    return entry.get(language, entry["vi"]).format(**values)


def both(key: str, **values: object) -> str:
    """Return the message in Vietnamese, then English, for channels with no language choice."""
    return f"{text(key, 'vi', **values)} / {text(key, 'en', **values)}"
