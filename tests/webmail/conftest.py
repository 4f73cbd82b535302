"""Fixtures of the webmail tests: a running appliance and an HTTP client that signs in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest

from appliance.store.types import AccountInfo
from tests.harness import DEFAULT_PASSWORD, RunningAppliance, running_appliance

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
ADDRESS = "nvan.skhcn@hue.gov.vn"
OTHER = "ttbngoc.stc@hue.gov.vn"


class WebClient:
    """An HTTP client of the webmail that keeps cookies, like a browser without scripts."""

    def __init__(self, appliance: RunningAppliance) -> None:
        self.appliance = appliance
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{appliance.ports['http']}", follow_redirects=False
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.post(path, **kwargs)  # type: ignore[arg-type]

    def csrf(self, path: str) -> str:
        """Return the CSRF token of the first form on the page at `path`."""
        page = self.get(path)
        assert page.status_code == 200, page.text
        return self.csrf_of(page.text)

    def csrf_of(self, page: str) -> str:
        """Return the CSRF token of the first form in a page already fetched."""
        found = CSRF_FIELD.search(page)
        assert found is not None, "no CSRF token on the page"
        return unescape(found.group(1))

    def login(self, address: str = ADDRESS, password: str = DEFAULT_PASSWORD) -> httpx.Response:
        token = self.csrf("/login")
        return self.post(
            "/login", data={"csrf_token": token, "username": address, "password": password}
        )


@pytest.fixture
def web(appliance: RunningAppliance) -> Iterator[WebClient]:
    client = WebClient(appliance)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def account(appliance: RunningAppliance) -> AccountInfo:
    return appliance.add_account(ADDRESS, display_name="Nguyễn Văn An")


@pytest.fixture
def signed_in(web: WebClient, account: AccountInfo) -> WebClient:
    response = web.login()
    assert response.status_code == 303
    return web


@pytest.fixture
def small_appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    """An appliance whose messages may be at most 20,000 bytes."""
    with running_appliance(tmp_path / "data", max_message_size=20_000) as running:
        yield running


def deliver(appliance: RunningAppliance, raw: bytes, *recipients: str) -> None:
    """Deliver a message through the core, as SMTP would after DATA."""
    targets = list(recipients) or [ADDRESS]
    appliance.call(lambda: appliance.core.delivery.deliver(raw, "sender@hue.gov.vn", targets))


def simple_message(subject: str, body: str = "Nội dung thư.", sender: str = OTHER) -> bytes:
    """Return a small UTF-8 message with an RFC 2047 encoded subject."""
    from email.message import EmailMessage
    from email.policy import SMTP

    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = ADDRESS
    message["Subject"] = subject
    message.set_content(body)
    return message.as_bytes()


def folder_ids(appliance: RunningAppliance, account: AccountInfo) -> dict[str, int]:
    folders = appliance.call(lambda: appliance.core.store.list_folders(account.id))
    return {folder.name: folder.id for folder in folders}
