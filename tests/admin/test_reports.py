"""Reports per unit: account review with its chart and CSV, activity, login frequency."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from appliance.workdays import VIETNAM
from tests.admin.conftest import SKHCN_ADMIN, AdminClient, City, enable_totp
from tests.harness import DEFAULT_PASSWORD, RunningAppliance

MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam, a working day


def table(page: str) -> list[list[str]]:
    body = page.split('<table id="report-table">', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)[1:]
    ]


def login(appliance: RunningAppliance, address: str, times: int) -> None:
    for _ in range(times):
        appliance.call(
            lambda: appliance.core.auth.login(address, DEFAULT_PASSWORD, service="imap", client="t")
        )


def test_review_per_unit(skhcn_admin: AdminClient, city: City, appliance: RunningAppliance) -> None:
    appliance.call(
        lambda: appliance.core.locks.lock(city.ids[city.skhcn_staff], "compromised", "x")
    )
    enable_totp(appliance, city.ids[SKHCN_ADMIN])

    page = skhcn_admin.get("/reports")

    assert page.status_code == 200
    assert table(page.text) == [
        ["Sở Khoa học và Công nghệ", "3", "2", "1", "1", "1", "0"],
        ["Văn phòng Sở", "2", "2", "0", "1", "2", "0"],
    ]
    assert '<svg class="chart" role="img"' in page.text
    assert "<title>Rà soát tài khoản định kỳ</title>" in page.text


def test_review_csv(skhcn_admin: AdminClient, city: City) -> None:
    response = skhcn_admin.get("/reports/review.csv?days=90")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines == [
        [
            "Đơn vị",
            "Tổng số",
            "Đang hoạt động",
            "Bị khóa",
            "Mật khẩu hết hạn",
            "Chưa bật 2 lớp",
            "Không hoạt động",
        ],
        ["Sở Khoa học và Công nghệ", "3", "3", "0", "1", "3", "0"],
        ["Văn phòng Sở", "2", "2", "0", "1", "2", "0"],
    ]


def test_review_counts_inactive(city: City, appliance: RunningAppliance) -> None:
    core = appliance.core
    admin = appliance.call(lambda: core.admin_scope.identify(city.ids[SKHCN_ADMIN]))
    appliance.clock.advance(timedelta(days=31))
    login(appliance, city.skhcn_staff, 1)

    rows = appliance.call(lambda: core.admin_actions.review_report(admin, 30))

    assert [(row.unit_name, row.inactive) for row in rows] == [
        ("Sở Khoa học và Công nghệ", 2),
        ("Văn phòng Sở", 2),
    ]


def test_activity_counts(skhcn_admin: AdminClient, city: City, appliance: RunningAppliance) -> None:
    core = appliance.core
    login(appliance, city.vp_skhcn_staff, 3)
    raw = b"From: a@example.org\r\nTo: x\r\nSubject: t\r\n\r\nbody\r\n"
    appliance.call(lambda: core.delivery.deliver(raw, "a@example.org", [city.skhcn_staff]))
    account = appliance.call(lambda: core.accounts.get(city.skhcn_staff))
    appliance.call(lambda: core.sending_rate.record(account, 2))
    appliance.call(lambda: core.locks.lock(account.id, "compromised", "x"))
    today = core.clock.now().astimezone(VIETNAM).date()
    first = today - timedelta(days=182)

    page = skhcn_admin.get("/reports", params={"report": "activity"})

    assert table(page.text) == [
        ["Sở Khoa học và Công nghệ", "1", "1", "1", "3", "1", "0", "0"],
        ["Văn phòng Sở", "3", "0", "0", "2", "0", "0", "0"],
    ]
    assert f'href="/reports/activity.csv?since={first}&amp;until={today}"' in page.text


def test_login_frequency(skhcn_admin: AdminClient, city: City, appliance: RunningAppliance) -> None:
    appliance.clock.stop_at(MONDAY_9AM)
    login(appliance, city.skhcn_staff, 2)
    login(appliance, city.vp_skhcn_staff, 1)

    page = skhcn_admin.get(
        "/reports", params={"report": "frequency", "since": "2026-03-01", "until": "2026-03-02"}
    )

    assert "Số ngày làm việc trong kỳ: 1." in page.text
    assert table(page.text) == [
        ["Sở Khoa học và Công nghệ", "2", "1", "50.0", "skhcn@hue.gov.vn"],
        ["Văn phòng Sở", "2", "0", "0.0", f"vp.skhcn@hue.gov.vn, {city.vp_skhcn_staff}"],
    ]


def test_bad_period_refused(skhcn_admin: AdminClient, city: City) -> None:
    response = skhcn_admin.get(
        "/reports", params={"report": "activity", "since": "2026-03-02", "until": "2026-03-01"}
    )

    assert response.status_code == 400
