"""Staff list import through the console: preview, apply, hand-over list once, scope."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook

from tests.admin.conftest import SKHCN_ADMIN, AdminClient, City, audit_rows, token_in
from tests.harness import RunningAppliance

HEADER = ["Họ", "Tên đệm", "Tên", "Chức vụ", "Đơn vị"]


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def upload(client: AdminClient, name: str, data: bytes, unit: str = "") -> str:
    """Post the file to the preview and return the page; assert it was accepted."""
    token = client.csrf("/import")
    response = client.http.post(
        "/import/preview",
        data={"csrf_token": token, "unit": unit},
        files={"file": (name, data, "application/octet-stream")},
    )
    return (
        response.text if response.status_code == 200 else f"{response.status_code}\n{response.text}"
    )


def proposals(page: str) -> list[list[str]]:
    body = page.split('<table id="proposals">', 1)[1].split("</table>", 1)[0]
    return [
        re.findall(r"<td>(.*?)</td>", row)
        for row in re.findall(r"<tr(?: class=\"problem\")?>\s*(.*?)</tr>", body, re.S)[1:]
    ]


def test_unit_admin_imports_own_unit(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    data = csv_file(
        [["Phạm", "Văn", "Đức", "Chuyên viên", ""], ["Hồ", "Thị", "Lan", "Kế toán", "vp.skhcn"]]
    )

    page = upload(skhcn_admin, "nhan-su.csv", data)

    assert "2 dòng: 2 tài khoản mới, 0 dòng có lỗi." in page
    assert [row[:4] for row in proposals(page)] == [
        ["2", "Phạm Văn Đức", "pvduc.skhcn", "mới"],
        ["3", "Hồ Thị Lan", "htlan.skhcn", "mới"],
    ]
    key = re.search(r'name="key" value="([^"]+)"', page)
    assert key is not None
    done = skhcn_admin.post(
        "/import/apply", data={"csrf_token": token_in(page), "key": key.group(1)}
    )
    assert done.status_code == 200
    assert "Đã tạo 2 hộp thư." in done.text
    link = re.search(r'id="handover-list" href="([^"]+)"', done.text)
    assert link is not None
    listing = skhcn_admin.get(link.group(1))
    again = skhcn_admin.get(link.group(1))

    assert listing.status_code == 200
    assert listing.headers["content-disposition"] == 'attachment; filename="danh-sach-ban-giao.csv"'
    lines = list(csv.reader(io.StringIO(listing.content.decode("utf-8-sig"))))
    assert lines[0] == ["row", "full_name", "address", "initial_password"]
    assert [line[:3] for line in lines[1:]] == [
        ["2", "Phạm Văn Đức", "pvduc.skhcn@hue.gov.vn"],
        ["3", "Hồ Thị Lan", "htlan.skhcn@hue.gov.vn"],
    ]
    assert again.status_code == 410
    password = lines[1][3]
    account = appliance.call(
        lambda: appliance.core.auth.login(
            "pvduc.skhcn@hue.gov.vn", password, service="web", client="t"
        )
    )
    assert appliance.call(lambda: appliance.core.auth.status(account.id)).must_change_password
    imports = audit_rows(appliance, "directory_import")
    assert [(row.account, row.detail) for row in imports] == [
        (SKHCN_ADMIN, "2 accounts created in skhcn")
    ]


def test_rows_with_problems_block_apply(skhcn_admin: AdminClient, city: City) -> None:
    data = csv_file([["Phạm", "Văn", "Đức", "", ""], ["", "", "", "", ""], ["Lê", "", "", "", ""]])

    page = upload(skhcn_admin, "nhan-su.csv", data)

    assert "1 dòng có lỗi" in page
    assert 'action="/import/apply"' not in page
    assert [row[0] for row in proposals(page)] == ["2", "4"]


def test_other_unit_rows_refused(
    skhcn_admin: AdminClient, city: City, appliance: RunningAppliance
) -> None:
    data = csv_file([["Phạm", "Văn", "Đức", "", "stc"]])

    page = upload(skhcn_admin, "nhan-su.csv", data)

    assert page.startswith("403\n")
    assert "ngoài phạm vi quản lý của bạn" in page
    refused = audit_rows(appliance, "out_of_scope")
    assert [(row.account, row.detail) for row in refused] == [(SKHCN_ADMIN, "import_into stc")]


def test_centre_imports_xlsx(centre: AdminClient, city: City) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(["Trần", "Thị Bích", "Ngọc", "Chuyên viên", "stc"])
    sheet.append(["Võ", "", "Minh", "Chuyên viên", "vyda"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    page = upload(centre, "nhan-su.xlsx", buffer.getvalue())

    assert [row[:4] for row in proposals(page)] == [
        ["2", "Trần Thị Bích Ngọc", city.stc_staff.split("@")[0], "đã có"],
        ["3", "Võ Minh", "vminh.vyda", "mới"],
    ]


def test_wrong_file_type_refused(skhcn_admin: AdminClient, city: City) -> None:
    page = upload(skhcn_admin, "nhan-su.txt", b"abc")

    assert page.startswith("400\n")
    assert "Chỉ nhận tệp .csv hoặc .xlsx." in page


def test_upload_without_csrf_refused(skhcn_admin: AdminClient, city: City) -> None:
    response = skhcn_admin.http.post(
        "/import/preview",
        data={"csrf_token": "wrong"},
        files={"file": ("a.csv", csv_file([["Phạm", "Văn", "Đức", "", ""]]), "text/csv")},
    )

    assert response.status_code == 403
