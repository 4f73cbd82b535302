"""The encoded size shown while composing, in a real Chromium, against what is really sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import babel.numbers
import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.test_webmail_settings_browser import open_page
from tests.harness import DEFAULT_PASSWORD, RunningAppliance, running_appliance

SENDER = "nvan.skhcn@hue.gov.vn"
RECIPIENT = "ttbngoc.stc@hue.gov.vn"
LIMIT = 2 * 1024 * 1024
BODY = "Kính gửi Sở Tài chính,\nĐề nghị quý Sở rà soát số liệu quý IV đính kèm.\n" * 40


@pytest.fixture
def small_appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    """An appliance whose messages may be at most 2 MiB."""
    with running_appliance(tmp_path / "data", max_message_size=LIMIT) as running:
        running.add_account(SENDER, display_name="Nguyễn Văn An")
        running.add_account(RECIPIENT, display_name="Trần Thị Bích Ngọc")
        yield running


def compose_page(browser: Browser, appliance: RunningAppliance, problems: list[str]) -> Page:
    """Sign in as the sender and open an empty compose form."""
    base = f"http://127.0.0.1:{appliance.ports['http']}"
    page = open_page(browser, problems)
    page.goto(f"{base}/login")
    page.fill("#username", SENDER)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/folder/*")
    page.goto(f"{base}/compose")
    return page


def in_megabytes(count: int) -> str:
    """Format as the webmail does: one decimal at most, Vietnamese decimal comma."""
    return babel.numbers.format_decimal(count / 1024 / 1024, "#,##0.#", locale="vi")


def shown_size(page: Page) -> tuple[int, str]:
    status = page.locator("#size-now")
    return int(status.get_attribute("data-bytes") or "0"), status.inner_text()


def sent_messages(appliance: RunningAppliance) -> list[int]:
    """Return the sizes of the messages in the sender's Sent folder."""

    async def sizes() -> list[int]:
        account = await appliance.core.accounts.find(SENDER)
        assert account is not None
        folders = await appliance.core.store.list_folders(account.id)
        sent = next(folder.id for folder in folders if folder.name == "Sent")
        return [info.size for info in await appliance.core.store.messages(sent)]

    return appliance.call(sizes)


def test_size_follows_the_form(
    small_appliance: RunningAppliance, browser: Browser, tmp_path: Path
) -> None:
    upload = tmp_path / "Số liệu quý IV.bin"
    upload.write_bytes(os.urandom(1_000_000))
    problems: list[str] = []
    page = compose_page(browser, small_appliance, problems)
    drawn, drawn_text = shown_size(page)
    page.fill("#to", RECIPIENT)
    page.fill("#subject", "Số liệu quý IV")
    page.fill("#body", BODY)
    page.set_input_files("#attachment", str(upload))
    estimate, text = shown_size(page)
    page.click("form.compose button[type=submit]")
    page.wait_for_selector("p.notice")

    assert drawn_text == f"Dung lượng thư khi gửi, kể cả phần mã hóa: {drawn} B, tối đa 2 MB."
    assert text == (
        f"Dung lượng thư khi gửi, kể cả phần mã hóa: khoảng {in_megabytes(estimate)} MB, "
        "tối đa 2 MB."
    )
    [sent] = sent_messages(small_appliance)
    # The script errs on the large side, by at most a few hundred bytes of headers.
    assert sent <= estimate <= sent + 400
    assert problems == []


def test_oversized_message_stopped_before_upload(
    small_appliance: RunningAppliance, browser: Browser, tmp_path: Path
) -> None:
    """1.6 MB of file is under 2 MiB, but over it once base64 has made it a third larger."""
    upload = tmp_path / "lon.bin"
    upload.write_bytes(os.urandom(1_600_000))
    problems: list[str] = []
    page = compose_page(browser, small_appliance, problems)
    compose_url = page.url
    methods: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.fill("#to", RECIPIENT)
    page.set_input_files("#attachment", str(upload))
    estimate, text = shown_size(page)
    page.click("form.compose button[type=submit]")

    assert estimate > LIMIT
    assert text == (
        f"Thư sẽ có dung lượng khoảng {in_megabytes(estimate)} MB, vượt giới hạn 2 MB. "
        "Hãy bớt tệp đính kèm trước khi gửi."
    )
    assert "POST" not in methods
    assert page.url == compose_url
    assert page.evaluate("document.activeElement.id") == "attachment"
    assert page.locator("#size-now").get_attribute("class") == "hint error"
    assert sent_messages(small_appliance) == []
    assert problems == []
