"""The settings page: quota usage and forwarding rules."""

from __future__ import annotations

import re

from appliance.catalogue import text
from appliance.quota_warnings import human_size
from appliance.store.types import AccountInfo
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient, deliver, simple_message


def add_forwarding(web: WebClient, target: str) -> tuple[int, str]:
    response = web.post(
        "/settings/forwarding",
        data={"csrf_token": web.csrf("/settings"), "target": target, "keep_copy": "1"},
    )
    return response.status_code, response.text


def forwarding_targets(page: str) -> list[str]:
    return re.findall(r'<span class="target">([^<]+)</span>', page)


def profile_route(web: WebClient) -> bool:
    """Tell whether the autoconfiguration module installed the Apple profile route."""
    status = web.get("/settings/mobileconfig").status_code
    assert status in (200, 404)
    return status == 200


def test_settings_sections(signed_in: WebClient) -> None:
    page = signed_in.get("/settings")

    assert page.status_code == 200
    headings = re.findall(r'<h2 id="[a-z-]+">([^<]+)</h2>', page.text)
    assert headings == [
        "Đổi mật khẩu",
        "Xác thực hai yếu tố",
        "Mật khẩu ứng dụng",
        "Lần đăng nhập gần đây",
        "Hạn mức dung lượng",
        "Chuyển tiếp thư",
    ] + (["Cài đặt cho iPhone, iPad và Mac"] if profile_route(signed_in) else [])
    assert "Đang tắt." in page.text
    assert '<a href="/settings">Cài đặt</a>' in page.text
    assert '<a href="/directory">Danh bạ chung</a>' in page.text


def test_quota_usage(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    raw = simple_message("Hạn mức", body="x" * 50_000)
    deliver(appliance, raw)
    quota = appliance.call(lambda: appliance.core.store.quota(account.id))

    page = signed_in.get("/settings").text

    used, limit = human_size(quota.used_bytes), human_size(quota.limit_bytes)
    percent = quota.used_bytes * 100 // quota.limit_bytes
    assert quota.used_bytes == len(raw)
    assert f"Đã dùng {used} / {limit} ({percent}%)" in page
    assert (
        f'<meter id="quota-meter" min="0" max="{quota.limit_bytes}" '
        f'low="{quota.limit_bytes * 8 // 10}" high="{quota.limit_bytes * 95 // 100}" '
        f'optimum="0" value="{len(raw)}">{percent}%</meter>'
    ) in page
    assert "1 thư" in page


def test_forwarding_to_public_provider_refused(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    status, page = add_forwarding(signed_in, "nguyen.van.an@gmail.com")
    signed_in.get("/lang/en?next=/settings")
    english_status, english = add_forwarding(signed_in, "nguyen.van.an@gmail.com")

    expected_vi = (
        "Không được chuyển tiếp thư tới nguyen.van.an@gmail.com: quy chế chỉ cho phép "
        "chuyển tiếp trong hệ thống thư điện tử công vụ (hue.gov.vn, *.gov.vn)."
    )
    assert (
        text(
            "forwarding.not_allowed",
            "vi",
            target="nguyen.van.an@gmail.com",
            allowed="hue.gov.vn, *.gov.vn",
        )
        == expected_vi
    )
    assert status == 400
    assert f'<p class="error" role="alert">{expected_vi}</p>' in page
    assert english_status == 400
    assert (
        "Forwarding to nguyen.van.an@gmail.com is not allowed: the regulation permits "
        "forwarding only within government mail (hue.gov.vn, *.gov.vn)."
    ) in english
    rules = appliance.call(lambda: appliance.core.forwarding.rules(account.id))
    assert rules == []


def test_forwarding_to_government_domain(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    added = signed_in.post(
        "/settings/forwarding",
        data={
            "csrf_token": signed_in.csrf("/settings"),
            "target": "Nguyen.An@DaNang.gov.vn",
            "keep_copy": "1",
        },
    )
    duplicate_status, duplicate = add_forwarding(signed_in, "nguyen.an@danang.gov.vn")
    invalid_status, invalid = add_forwarding(signed_in, "không phải địa chỉ")
    page = signed_in.get("/settings?notice=forward_added").text

    assert added.status_code == 303
    assert added.headers["location"] == "/settings?notice=forward_added#forwarding"
    assert "Đã thêm địa chỉ chuyển tiếp." in page
    assert forwarding_targets(page) == ["nguyen.an@danang.gov.vn"]
    assert duplicate_status == 400
    assert "nguyen.an@danang.gov.vn đã có trong danh sách chuyển tiếp." in duplicate
    assert invalid_status == 400
    assert "Địa chỉ không hợp lệ: không phải địa chỉ" in invalid
    rules = appliance.call(lambda: appliance.core.forwarding.rules(account.id))
    assert [(rule.target, rule.keep_copy, rule.active) for rule in rules] == [
        ("nguyen.an@danang.gov.vn", True, True)
    ]

    removed = signed_in.post(
        "/settings/forwarding/remove",
        data={"csrf_token": signed_in.csrf("/settings"), "rule": str(rules[0].id)},
    )

    assert removed.status_code == 303
    assert appliance.call(lambda: appliance.core.forwarding.rules(account.id)) == []
    assert forwarding_targets(signed_in.get("/settings").text) == []


def test_settings_forms_need_csrf(signed_in: WebClient) -> None:
    for path in (
        "/settings/password",
        "/settings/totp",
        "/settings/totp/disable",
        "/settings/app-passwords",
        "/settings/forwarding",
        "/settings/forwarding/remove",
    ):
        response = signed_in.post(path, data={"csrf_token": "wrong"})
        assert response.status_code == 403, path


def test_settings_need_login(web: WebClient) -> None:
    response = web.get("/settings")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_mobileconfig_link_where_route_exists(signed_in: WebClient) -> None:
    page = signed_in.get("/settings").text

    link = '<a class="button" href="/settings/mobileconfig" download>'
    assert (link in page) == profile_route(signed_in)


def test_malformed_forwarding_targets_refused(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    """Addresses that are not RFC 5322 dot-atoms or RFC 5321 domains get the form back."""
    for target in ("x@sub.gov.vn.", "x@hue.gov.vn.", "a..b@hue.gov.vn", "x@-a.gov.vn"):
        status, page = add_forwarding(signed_in, target)
        assert status == 400
        assert f"Địa chỉ không hợp lệ: {target}" in page
    assert appliance.call(lambda: appliance.core.forwarding.rules(account.id)) == []


def test_forwarding_to_unknown_local_address_refused(
    appliance: RunningAppliance, signed_in: WebClient, account: AccountInfo
) -> None:
    status, page = add_forwarding(signed_in, "khong.ton.tai@hue.gov.vn")
    assert status == 400
    assert (
        "khong.ton.tai@hue.gov.vn không phải là hộp thư của hệ thống thư điện tử thành phố "
        "nên không thể chuyển tiếp thư đến địa chỉ này."
    ) in page
    assert appliance.call(lambda: appliance.core.forwarding.rules(account.id)) == []
