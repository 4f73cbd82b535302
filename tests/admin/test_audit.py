"""The audit log page: filters, paging, dates and the unit admin's narrower view."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.admin.conftest import AdminClient, City
from tests.harness import RunningAppliance


def rows(page: str) -> list[list[str]]:
    """Return the cells of the audit table's body rows."""
    body = page.split('<table id="audit-table">', 1)[1].split("</table>", 1)[0]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)[1:]]


def record(
    appliance: RunningAppliance,
    account: str,
    outcome: str,
    service: str = "imap",
    client: str = "10.0.0.5",
) -> None:
    appliance.call(
        lambda: appliance.core.audit.record(
            "login", account=account, client=client, service=service, outcome=outcome
        )
    )


def test_filter_by_fields(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    record(appliance, city.stc_staff, "failed", client="10.0.0.9")
    record(appliance, city.stc_staff, "ok")
    record(appliance, city.skhcn_staff, "failed")

    page = centre.get(
        "/audit",
        params={
            "event": "login",
            "outcome": "failed",
            "service": "imap",
            "account": city.stc_staff,
        },
    )

    assert page.status_code == 200
    assert [row[1:6] for row in rows(page.text)] == [
        ["login", city.stc_staff, "failed", "imap", "10.0.0.9"]
    ]
    by_client = centre.get("/audit", params={"client": "10.0.0.5", "service": "imap"})
    assert [row[2] for row in rows(by_client.text)] == [city.skhcn_staff, city.stc_staff]


def test_paging(centre: AdminClient, city: City, appliance: RunningAppliance) -> None:
    for number in range(55):
        record(appliance, city.stc_staff, f"try{number:02d}")

    first = centre.get("/audit", params={"account": city.stc_staff})
    second = centre.get("/audit", params={"account": city.stc_staff, "page": "2"})

    assert len(rows(first.text)) == 50
    assert rows(first.text)[0][3] == "try54"
    assert "55 mục · trang 1/2" in first.text
    assert f'href="/audit?account={city.stc_staff.replace("@", "%40")}&amp;page=2"' in first.text
    assert [row[3] for row in rows(second.text)] == [f"try{n:02d}" for n in range(4, -1, -1)]


def test_date_range_in_vietnam_time(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    # 17:30 UTC on 2 March is 00:30 on 3 March in Vietnam (UTC+7); 16:30 UTC is 23:30.
    appliance.clock.stop_at(datetime(2026, 3, 2, 17, 30, tzinfo=UTC))
    record(appliance, city.stc_staff, "on_third")
    appliance.clock.stop_at(datetime(2026, 3, 2, 16, 30, tzinfo=UTC))
    record(appliance, city.stc_staff, "on_second")
    appliance.clock.stop_at(datetime.now(UTC))

    page = centre.get(
        "/audit", params={"account": city.stc_staff, "since": "2026-03-03", "until": "2026-03-03"}
    )

    assert [row[3] for row in rows(page.text)] == ["on_third"]


def test_unit_admin_sees_own_accounts(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    record(appliance, city.stc_staff, "failed")
    record(appliance, city.vp_skhcn_staff, "failed")

    page = skhcn_admin.get("/audit", params={"event": "login", "service": "imap"})

    assert [row[2] for row in rows(page.text)] == [city.vp_skhcn_staff]
    everything = skhcn_admin.get("/audit")
    assert city.stc_staff not in everything.text
    assert "ttdh@hue.gov.vn" not in everything.text
