"""Fixtures of the end-to-end tests: a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.test_webmail_browser import CHROMIUM_ARGS


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, started for one test."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()
