"""The admin console's message catalogue and its formatting of dates, sizes and numbers.

Catalogues are read and looked up as `appliance.web.i18n` describes; the console's domain
is `admin.po`, apart from the webmail's.
"""

from __future__ import annotations

import datetime as dt

import babel.dates
import babel.numbers

from admin.paths import LOCALE_DIR
from appliance.web import i18n
from appliance.workdays import VIETNAM

DOMAIN = "admin"


def load_catalogue(language: str) -> dict[str, str]:
    """Read `locale/<language>/LC_MESSAGES/admin.po`; fuzzy and empty entries are skipped."""
    return i18n.load_catalogue(LOCALE_DIR, DOMAIN, language)


def load_catalogues() -> dict[str, dict[str, str]]:
    return i18n.load_catalogues(LOCALE_DIR, DOMAIN)


class Translator(i18n.Translator):
    """The console's catalogue of one language, with its formats of dates and sizes."""

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
