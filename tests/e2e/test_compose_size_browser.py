"""The encoded size shown while composing, in a real Chromium, against what is really sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import babel.numbers
import pytest
from playwright.sync_api import Page, sync_playwright

from tests.e2e.test_webmail_browser import CHROMIUM_ARGS
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


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", SENDER)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/folder/*")


def in_megabytes(count: int) -> str:
    """Format as the webmail does: one decimal at most, Vietnamese decimal comma."""
    return babel.numbers.format_decimal(count / 1024 / 1024, "#,##0.#", locale="vi")


def shown_size(page: Page) -> tuple[int, str]:
    status = page.locator("#size-now")
    return int(status.get_attribute("data-bytes") or "0"), status.inner_text()


def test_size_follows_the_form(small_appliance: RunningAppliance, tmp_path: Path) -> None:
    upload = tmp_path / "Số liệu quý IV.bin"
    upload.write_bytes(os.urandom(1_000_000))
    base = f"http://127.0.0.1:{small_appliance.ports['http']}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            sign_in(page, base)
            page.goto(f"{base}/compose")
            drawn, drawn_text = shown_size(page)
            page.fill("#to", RECIPIENT)
            page.fill("#subject", "Số liệu quý IV")
            page.fill("#body", BODY)
            page.set_input_files("#attachment", str(upload))
            estimate, text = shown_size(page)
            page.click("form.compose button[type=submit]")
            page.wait_for_selector("p.notice")
        finally:
            browser.close()

    assert drawn_text == f"Dung lượng thư khi gửi, kể cả phần mã hóa: {drawn} B, tối đa 2 MB."
    megabytes = in_megabytes(estimate)
    assert text == (
        f"Dung lượng thư khi gửi, kể cả phần mã hóa: khoảng {megabytes} MB, tối đa 2 MB."
    )
    store = small_appliance.core.store
    sent_folder = small_appliance.call(lambda: sent_folder_id(small_appliance, SENDER))
    [sent] = small_appliance.call(lambda: store.messages(sent_folder))
    # The script errs on the large side, by at most a few hundred bytes of headers.
    assert sent.size <= estimate <= sent.size + 400


def test_oversized_message_stopped_before_upload(
    small_appliance: RunningAppliance, tmp_path: Path
) -> None:
    """1.6 MB of file is under 2 MiB, but over it once base64 has made it a third larger."""
    upload = tmp_path / "lon.bin"
    upload.write_bytes(os.urandom(1_600_000))
    base = f"http://127.0.0.1:{small_appliance.ports['http']}"
    posts: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            sign_in(page, base)
            page.goto(f"{base}/compose")
            page.on("request", lambda request: posts.append(request.method))
            page.fill("#to", RECIPIENT)
            page.set_input_files("#attachment", str(upload))
            estimate, text = shown_size(page)
            page.click("form.compose button[type=submit]")
            focused = page.evaluate("document.activeElement.id")
            classes = page.locator("#size-now").get_attribute("class")
            url = page.url
        finally:
            browser.close()

    assert estimate > LIMIT
    megabytes = in_megabytes(estimate)
    assert text == (
        f"Thư sẽ có dung lượng khoảng {megabytes} MB, vượt giới hạn 2 MB. "
        "Hãy bớt tệp đính kèm trước khi gửi."
    )
    assert "POST" not in posts
    assert (url, focused, classes) == (f"{base}/compose", "attachment", "hint error")
    sent_folder = small_appliance.call(lambda: sent_folder_id(small_appliance, SENDER))
    assert small_appliance.call(lambda: small_appliance.core.store.messages(sent_folder)) == []


async def sent_folder_id(appliance: RunningAppliance, address: str) -> int:
    account = await appliance.core.accounts.find(address)
    assert account is not None
    folders = await appliance.core.store.list_folders(account.id)
    return next(folder.id for folder in folders if folder.name == "Sent")
