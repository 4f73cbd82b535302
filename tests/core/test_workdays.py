from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from appliance.workdays import VIETNAM, add_working_days, is_working_day


def local(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=VIETNAM)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 4), True),  # Friday
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 9, 2), False),  # National Day
        (date(2026, 2, 17), False),  # Lunar New Year
        (date(2026, 4, 27), False),  # Hung Kings' day, observed on Monday
        (date(2026, 4, 28), True),
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert is_working_day(day) is working


def test_friday_before_holiday_monday() -> None:
    assert add_working_days(local(2026, 4, 24), 1) == local(2026, 4, 28)


def test_plain_weekday() -> None:
    assert add_working_days(local(2026, 12, 1), 1) == local(2026, 12, 2)


def test_friday_to_monday() -> None:
    assert add_working_days(local(2026, 12, 4), 1) == local(2026, 12, 7)


def test_filed_on_saturday_counts_from_monday() -> None:
    assert add_working_days(local(2026, 12, 5), 1) == local(2026, 12, 8, 0)


def test_before_lunar_new_year() -> None:
    # Friday 13 February 2026; 16 to 20 February are the Tết holidays.
    assert add_working_days(local(2026, 2, 13), 1) == local(2026, 2, 23)


def test_result_keeps_callers_time_zone() -> None:
    filed = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)  # 10:00 in Huế
    due = add_working_days(filed, 1)
    assert due == datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    assert due.tzinfo == UTC
