from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from appliance.config import Settings
from appliance.core import Core
from appliance.store.types import AccountInfo

PASSWORD = "Mật-khẩu-2026!"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """A core on a fresh SQLite database and blob folder, with no listeners."""
    opened = await Core.open(Settings(data_dir=tmp_path / "data"))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def small_core(tmp_path: Path) -> AsyncIterator[Core]:
    """A core whose mailboxes hold 10,000 bytes and messages at most 4,000 bytes."""
    settings = replace(
        Settings(data_dir=tmp_path / "data"), default_quota=10_000, max_message_size=4_000
    )
    opened = await Core.open(settings)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def account(core: Core) -> AccountInfo:
    return await core.accounts.create(
        "nvan.skhcn@hue.gov.vn", PASSWORD, display_name="Nguyễn Văn An"
    )


def message(subject: str = "Thử", body: str = "Nội dung", author: str = "a@hue.gov.vn") -> bytes:
    """Return a small CRLF message with a UTF-8 body."""
    return (
        f"From: {author}\r\nTo: b@hue.gov.vn\r\nSubject: {subject}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}\r\n"
    ).encode()
