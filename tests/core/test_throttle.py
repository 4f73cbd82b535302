from __future__ import annotations

from datetime import timedelta

from appliance.clock import Clock
from appliance.throttle import Throttle


def test_delay_grows_per_failure() -> None:
    throttle = Throttle(Clock())
    delays = []
    for _ in range(7):
        delays.append(throttle.delay("a@hue.gov.vn", "10.0.0.1"))
        throttle.failed("a@hue.gov.vn", "10.0.0.1")
    assert delays == [0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0]


def test_client_delay_spans_accounts() -> None:
    throttle = Throttle(Clock())
    for number in range(3):
        throttle.failed(f"user{number}@hue.gov.vn", "10.0.0.1")
    assert throttle.delay("other@hue.gov.vn", "10.0.0.1") == 4.0
    assert throttle.delay("other@hue.gov.vn", "10.0.0.2") == 0.0


def test_ten_failures_hold_fifteen_minutes() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    outcomes = [throttle.failed("a@hue.gov.vn", f"10.0.0.{n}") for n in range(10)]
    assert outcomes == [False] * 9 + [True]
    assert throttle.is_held("a@hue.gov.vn")
    clock.advance(timedelta(minutes=14, seconds=59))
    assert throttle.is_held("a@hue.gov.vn")
    clock.advance(timedelta(seconds=1))
    assert not throttle.is_held("a@hue.gov.vn")
    assert throttle.delay("a@hue.gov.vn", "10.0.0.99") == 0.0


def test_success_clears_account() -> None:
    throttle = Throttle(Clock())
    for _ in range(5):
        throttle.failed("a@hue.gov.vn", "10.0.0.1")
    throttle.succeeded("a@hue.gov.vn", "10.0.0.1")
    assert throttle.delay("a@hue.gov.vn", "10.0.0.1") == 0.0


def test_old_failures_forgotten() -> None:
    clock = Clock()
    throttle = Throttle(clock)
    throttle.failed("a@hue.gov.vn", "10.0.0.1")
    clock.advance(timedelta(hours=1, seconds=1))
    assert throttle.delay("a@hue.gov.vn", "10.0.0.1") == 0.0
