"""Fixtures of the admin console tests: a running appliance with the city's units, admins
of the operations centre and of two units, staff in those units, and an HTTP client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import unescape

import httpx
import pyotp
import pytest
from sqlalchemy import select

from appliance.directory.records import PersonInput
from appliance.models import AuditEntry
from tests.harness import DEFAULT_PASSWORD, RunningAppliance

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
CENTRE = "ttdh@hue.gov.vn"  # an operations centre admin
SKHCN_ADMIN = "admin.skhcn@hue.gov.vn"
STC_ADMIN = "admin.stc@hue.gov.vn"
ADMIN_PASSWORD = "Quản-trị-viên-2026!"


@dataclass
class City:
    """The accounts every admin test starts with, by role; ids by address."""

    centre_secret: str
    ids: dict[str, int]
    skhcn_staff: str  # a person of Sở Khoa học và Công nghệ
    vp_skhcn_staff: str  # a person of a sub-unit of it
    stc_staff: str  # a person of Sở Tài chính


class AdminClient:
    """An HTTP client of the admin console that keeps cookies, like a browser without scripts."""

    def __init__(self, appliance: RunningAppliance) -> None:
        self.appliance = appliance
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{appliance.ports['admin']}", follow_redirects=False
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.http.get(path, **kwargs)  # type: ignore[arg-type]

    def post(
        self, path: str, data: dict[str, str] | None = None, **kwargs: object
    ) -> httpx.Response:
        return self.http.post(path, data=data, **kwargs)  # type: ignore[arg-type]

    def csrf(self, path: str) -> str:
        """Return the CSRF token of the first form on the page at `path`."""
        page = self.get(path)
        assert page.status_code == 200, page.text
        return token_in(page.text)

    def submit(self, page_path: str, action: str, data: dict[str, str]) -> httpx.Response:
        """Post a form of `page_path` to `action`, with the page's CSRF token."""
        return self.post(action, data={"csrf_token": self.csrf(page_path), **data})

    def login_password(self, address: str, password: str = ADMIN_PASSWORD) -> httpx.Response:
        token = self.csrf("/login")
        return self.post(
            "/login", data={"csrf_token": token, "username": address, "password": password}
        )

    def login(self, address: str, password: str = ADMIN_PASSWORD, secret: str = "") -> None:
        """Sign in fully; with `secret`, pass the TOTP step with a fresh code."""
        response = self.login_password(address, password)
        if secret:
            assert 'action="/login/code"' in response.text, response.text
            response = self.post(
                "/login/code",
                data={
                    "csrf_token": token_in(response.text),
                    "code": fresh_code(self.appliance, secret),
                },
            )
        elif 'action="/login/totp"' in response.text:
            response = self.post(
                "/login/totp", data={"csrf_token": token_in(response.text), "skip": "1"}
            )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/"


def token_in(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found is not None, "no CSRF token on the page"
    return unescape(found.group(1))


def fresh_code(appliance: RunningAppliance, secret: str) -> str:
    """Move the clock to the next 30-second step and return its code (codes work once)."""
    appliance.clock.advance(timedelta(seconds=30))
    return pyotp.TOTP(secret).at(appliance.clock.now())


def add_person(appliance: RunningAppliance, family: str, middle: str, given: str, unit: str) -> str:
    """Add a directory person with a mailbox; return the address (password: DEFAULT_PASSWORD)."""
    person = PersonInput(family=family, middle=middle, given=given, unit=unit)
    created = appliance.call(lambda: appliance.core.directory.add_person(person))
    appliance.call(lambda: appliance.core.accounts.set_password(created.address, DEFAULT_PASSWORD))
    return created.address


def enable_totp(appliance: RunningAppliance, account_id: int) -> str:
    core = appliance.core
    secret = appliance.call(lambda: core.credentials.begin_totp(account_id))
    code = fresh_code(appliance, secret)
    appliance.call(lambda: core.credentials.confirm_totp(account_id, code, "127.0.0.1"))
    return secret


@pytest.fixture
def city(appliance: RunningAppliance) -> City:
    return build_city(appliance)


def build_city(appliance: RunningAppliance, centre_totp: bool = True) -> City:
    """Load the units, add a sub-unit, the admins and three staff members."""
    core = appliance.core
    appliance.call(core.directory.load_units)
    appliance.call(
        lambda: core.directory.add_unit(
            "division", "Văn phòng Sở", abbreviation="vp", parent="skhcn"
        )
    )
    ids = {}
    for address, kind in (
        (CENTRE, "centre_admin"),
        (SKHCN_ADMIN, "unit_admin"),
        (STC_ADMIN, "unit_admin"),
    ):
        ids[address] = appliance.add_account(address, ADMIN_PASSWORD, kind=kind).id
    secret = enable_totp(appliance, ids[CENTRE]) if centre_totp else ""
    skhcn = add_person(appliance, "Nguyễn", "Văn", "An", "skhcn")
    vp = add_person(appliance, "Lê", "Thị", "Hoa", "vp.skhcn")
    stc = add_person(appliance, "Trần", "Thị Bích", "Ngọc", "stc")
    for address in (skhcn, vp, stc, "skhcn@hue.gov.vn", "stc@hue.gov.vn"):
        ids[address] = appliance.call(lambda a=address: core.accounts.get(a)).id
    return City(secret, ids, skhcn, vp, stc)


@pytest.fixture
def client(appliance: RunningAppliance) -> Iterator[AdminClient]:
    http = AdminClient(appliance)
    try:
        yield http
    finally:
        http.close()


def other_client(appliance: RunningAppliance) -> AdminClient:
    """Return a second, signed-out client, for a test that needs two admins at once."""
    return AdminClient(appliance)


@pytest.fixture
def centre(client: AdminClient, city: City) -> AdminClient:
    client.login(CENTRE, secret=city.centre_secret)
    return client


@pytest.fixture
def skhcn_admin(client: AdminClient, city: City) -> AdminClient:
    client.login(SKHCN_ADMIN)
    return client


SLIP_PASSWORD = re.compile(r'<span class="secret" id="slip-password">([^<]+)</span>')


def audit_rows(appliance: RunningAppliance, event: str) -> list[AuditEntry]:
    """Return the audit entries of one event, oldest first."""

    async def read() -> list[AuditEntry]:
        async with appliance.core.sessions() as session:
            rows = await session.scalars(
                select(AuditEntry).where(AuditEntry.event == event).order_by(AuditEntry.id)
            )
            return list(rows)

    return appliance.call(read)
