"""Process logging: the database driver's DEBUG lines stay off, because they carry secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from appliance.logging_setup import configure_logging


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    driver = logging.getLogger("aiosqlite")
    handlers, level, driver_level = list(root.handlers), root.level, driver.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        driver.setLevel(driver_level)


@pytest.mark.usefixtures("restored_logging")
def test_driver_quiet_at_debug() -> None:
    configure_logging("DEBUG", "text")

    assert logging.getLogger("web").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.INFO)


@pytest.mark.usefixtures("restored_logging")
def test_driver_follows_higher_level() -> None:
    configure_logging("WARNING", "json")

    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.INFO)
    assert logging.getLogger("aiosqlite").isEnabledFor(logging.WARNING)
