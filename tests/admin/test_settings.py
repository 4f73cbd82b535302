"""Centre settings: the forwarding allowlist and the rules a change turns off."""

from __future__ import annotations

import re

from tests.admin.conftest import AdminClient, City, audit_rows
from tests.harness import RunningAppliance


def test_allowlist_shown_with_rule(centre: AdminClient) -> None:
    page = centre.get("/settings")

    assert page.status_code == 200
    assert re.search(r'<textarea id="allowlist"[^>]*>hue.gov.vn\n\*.gov.vn</textarea>', page.text)
    assert "chỉ được tự động chuyển tiếp thư tới hộp thư thuộc hệ thống" in page.text


def test_narrowing_turns_rules_off(
    centre: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    account_id = city.ids[city.stc_staff]
    rule = appliance.call(
        lambda: appliance.core.forwarding.add_rule(account_id, "vanthu@quangtri.gov.vn")
    )

    saved = centre.submit("/settings", "/settings/forwarding", {"allowlist": "hue.gov.vn"})

    assert saved.status_code == 200
    assert "Đã lưu danh sách tên miền." in saved.text
    assert f"<tr><td>{rule.id}</td><td>vanthu@quangtri.gov.vn</td>" in saved.text
    rules = appliance.call(lambda: appliance.core.forwarding.rules(account_id))
    assert [(r.target, r.active) for r in rules] == [("vanthu@quangtri.gov.vn", False)]
    changes = audit_rows(appliance, "forwarding_allowlist")
    assert [(row.account, row.detail) for row in changes] == [("ttdh@hue.gov.vn", "hue.gov.vn")]


def test_invalid_allowlist_rejected(centre: AdminClient, appliance: RunningAppliance) -> None:
    saved = centre.submit("/settings", "/settings/forwarding", {"allowlist": "gmail"})

    assert saved.status_code == 400
    assert "Danh sách không hợp lệ" in saved.text
    assert appliance.call(appliance.core.forwarding.allowlist) == ("hue.gov.vn", "*.gov.vn")


def test_unit_admin_refused(skhcn_admin: AdminClient, appliance: RunningAppliance) -> None:
    page = skhcn_admin.get("/settings")
    token = skhcn_admin.csrf("/")
    post = skhcn_admin.post("/settings/forwarding", data={"csrf_token": token, "allowlist": "x.vn"})

    assert page.status_code == 403
    assert post.status_code == 403
    assert appliance.call(appliance.core.forwarding.allowlist) == ("hue.gov.vn", "*.gov.vn")
    refused = audit_rows(appliance, "out_of_scope")
    assert [row.detail for row in refused] == ["view_settings", "set_forwarding_allowlist"]
