"""Working days in Huế: Monday to Friday, less Vietnam's public holidays.

Holidays come from the `holidays` package (country VN, lunar dates included). Days are
counted in Vietnam's time zone, whatever the server's.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(moment: datetime, days: int) -> datetime:
    """Return `moment` moved forward by whole working days, in Vietnam's local time.

    A moment outside working days first moves to the start (00:00) of the next working
    day. Then each step moves to the same local time on the next working day. A request
    filed on Friday before a Monday holiday, plus one working day, is due on Tuesday.
    """
    local = moment.astimezone(VIETNAM)
    if not is_working_day(local.date()):
        day = local.date()
        while not is_working_day(day):
            day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), VIETNAM)
    day = local.date()
    for _ in range(days):
        day += timedelta(days=1)
        while not is_working_day(day):
            day += timedelta(days=1)
    return datetime.combine(day, local.timetz()).astimezone(moment.tzinfo)
