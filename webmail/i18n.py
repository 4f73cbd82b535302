"""The webmail's message catalogue and its formatting of dates and sizes.

Catalogues are read and looked up as `appliance.web.i18n` describes; the webmail's domain
is `webmail.po`, and both of its catalogues translate every key.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import babel.dates
import babel.numbers

from appliance.web import i18n

DOMAIN = "webmail"
LOCALE_DIR = Path(__file__).parent / "locale"
# Vietnam keeps UTC+7 all year (no daylight saving time), so a fixed offset is exact.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")


def load_catalogues() -> dict[str, dict[str, str]]:
    """Read `locale/<language>/LC_MESSAGES/webmail.po` of every language."""
    return i18n.load_catalogues(LOCALE_DIR, DOMAIN)


class Translator(i18n.Translator):
    """The webmail's catalogue of one language, with its formats of dates and sizes."""

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
