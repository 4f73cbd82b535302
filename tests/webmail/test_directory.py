"""The directory in the webmail: staff search, unit pages, suggestions and public pages."""

from __future__ import annotations

import json
import re

import pytest

from appliance.directory.records import PersonInput
from tests.harness import RunningAppliance
from tests.webmail.conftest import WebClient

STAFF = "canbo.vp@hue.gov.vn"
PRIVATE_PHONE = "0905 111 222"
PEOPLE = [
    PersonInput(
        "Trần",
        "Thị Thu",
        "Hà",
        "skhcn",
        position="Giám đốc",
        phone="0234 3822 123",
        is_leader=True,
        rank=1,
        public_fields=("name", "position", "unit", "email", "phone"),
    ),
    PersonInput("Nguyễn", "Văn", "An", "skhcn", position="Chuyên viên", phone=PRIVATE_PHONE),
    PersonInput(
        "Lê",
        "Văn",
        "Bình",
        "skhcn",
        position="Phó Giám đốc",
        is_leader=True,
        rank=2,
        public_fields=("name", "position", "unit"),
    ),
    PersonInput("Hồ", "Thị", "Nguyệt", "skhcn", position="Văn thư", public_fields=("email",)),
    PersonInput("Nguyễn", "Văn", "Anh", "stc", position="Kế toán"),
]


@pytest.fixture
def city(appliance: RunningAppliance) -> RunningAppliance:
    """Two departments, one publishing its directory, with five people."""
    directory = appliance.core.directory
    appliance.call(
        lambda: directory.add_unit(
            "department", "Sở Khoa học và Công nghệ", abbreviation="skhcn", publish=True
        )
    )
    appliance.call(lambda: directory.add_unit("department", "Sở Tài chính", abbreviation="stc"))
    for person in PEOPLE:
        appliance.call(lambda person=person: directory.add_person(person))
    appliance.add_account(STAFF)
    return appliance


@pytest.fixture
def staff(web: WebClient, city: RunningAppliance) -> WebClient:
    assert web.login(address=STAFF).status_code == 303
    return web


def result_rows(page: str) -> list[tuple[str, ...]]:
    rows = re.findall(r'<tr data-person="\d+"[^>]*>(.*?)</tr>', page, re.S)
    return [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        )
        for row in rows
    ]


def test_search_with_and_without_diacritics(staff: WebClient) -> None:
    accented = staff.get("/directory", params={"q": "Nguyễn Văn"})
    plain = staff.get("/directory", params={"q": "nguyen van"})

    expected = [
        ("Nguyễn Văn An", "Chuyên viên", "Sở Khoa học và Công nghệ", "nvan.skhcn@hue.gov.vn"),
        ("Nguyễn Văn Anh", "Kế toán", "Sở Tài chính", "nvanh.stc@hue.gov.vn"),
    ]
    assert sorted(result_rows(accented.text)) == expected
    assert sorted(result_rows(plain.text)) == expected
    assert "2 kết quả cho “nguyen van”" in plain.text
    assert 'href="/compose?to=nvan.skhcn%40hue.gov.vn"' in plain.text


def test_search_by_unit_and_no_result(staff: WebClient) -> None:
    by_unit = staff.get("/directory", params={"q": "tai chinh"})
    nothing = staff.get("/directory", params={"q": "Phạm Quỳnh"})

    assert result_rows(by_unit.text) == [
        ("Nguyễn Văn Anh", "Kế toán", "Sở Tài chính", "nvanh.stc@hue.gov.vn")
    ]
    assert "Không tìm thấy ai với “Phạm Quỳnh”." in nothing.text


def test_units_and_unit_page_leaders_first(staff: WebClient) -> None:
    home = staff.get("/directory").text
    unit = staff.get("/directory/unit/skhcn")

    assert re.findall(r'<li><a href="/directory/unit/([a-z.]+)">([^<]+)</a></li>', home) == [
        ("skhcn", "Sở Khoa học và Công nghệ"),
        ("stc", "Sở Tài chính"),
    ]
    assert unit.status_code == 200
    assert result_rows(unit.text) == [
        ("Trần Thị Thu Hà", "Giám đốc", "tttha.skhcn@hue.gov.vn"),
        ("Lê Văn Bình", "Phó Giám đốc", "lvbinh.skhcn@hue.gov.vn"),
        ("Nguyễn Văn An", "Chuyên viên", "nvan.skhcn@hue.gov.vn"),
        ("Hồ Thị Nguyệt", "Văn thư", "htnguyet.skhcn@hue.gov.vn"),
    ]
    assert '<a href="/danh-ba/skhcn">' in unit.text
    assert staff.get("/directory/unit/khongco").status_code == 404


def test_directory_needs_login(web: WebClient, city: RunningAppliance) -> None:
    page = web.get("/directory?q=nguyen")
    unit = web.get("/directory/unit/skhcn")
    suggest = web.get("/directory/suggest?q=nguyen")

    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    assert unit.status_code == 303
    assert suggest.status_code == 401
    assert suggest.json() == {"error": "login required"}
    assert "Nguyễn" not in suggest.text


def test_suggest_returns_people_with_mailbox(staff: WebClient) -> None:
    response = staff.get("/directory/suggest", params={"q": "nguyen van"})
    short = staff.get("/directory/suggest", params={"q": "n"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert sorted(response.json(), key=lambda item: item["address"]) == [
        {
            "name": "Nguyễn Văn An",
            "address": "nvan.skhcn@hue.gov.vn",
            "unit": "Sở Khoa học và Công nghệ",
        },
        {"name": "Nguyễn Văn Anh", "address": "nvanh.stc@hue.gov.vn", "unit": "Sở Tài chính"},
    ]
    assert short.json() == []


def test_compose_has_suggest_script(staff: WebClient) -> None:
    page = staff.get("/compose", params={"to": "nvan.skhcn@hue.gov.vn"}).text
    script = staff.get("/static/suggest.js")

    assert '<script src="/static/suggest.js" defer></script>' in page
    assert page.count("data-suggest") == 3
    assert 'name="to" type="text" value="nvan.skhcn@hue.gov.vn"' in page
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


PUBLIC_JSON = {
    "unit": {"name": "Sở Khoa học và Công nghệ", "email": "skhcn@hue.gov.vn"},
    "people": [
        {
            "name": "Trần Thị Thu Hà",
            "position": "Giám đốc",
            "unit": "Sở Khoa học và Công nghệ",
            "email": "tttha.skhcn@hue.gov.vn",
            "phone": "0234 3822 123",
        },
        {"name": "Lê Văn Bình", "position": "Phó Giám đốc", "unit": "Sở Khoa học và Công nghệ"},
        {
            "name": "Nguyễn Văn An",
            "position": "Chuyên viên",
            "unit": "Sở Khoa học và Công nghệ",
            "email": "nvan.skhcn@hue.gov.vn",
        },
    ],
}
PUBLIC_CSV = (
    "name,position,unit,email,phone\r\n"
    "Trần Thị Thu Hà,Giám đốc,Sở Khoa học và Công nghệ,tttha.skhcn@hue.gov.vn,0234 3822 123\r\n"
    "Lê Văn Bình,Phó Giám đốc,Sở Khoa học và Công nghệ,,\r\n"
    "Nguyễn Văn An,Chuyên viên,Sở Khoa học và Công nghệ,nvan.skhcn@hue.gov.vn,\r\n"
)
# Values that are not public: a private phone, an address not marked public, and a person
# whose name is not public (so she is left out entirely).
PRIVATE_VALUES = [PRIVATE_PHONE, "lvbinh.skhcn", "Nguyệt", "htnguyet"]


def test_public_pages_show_public_fields_only(web: WebClient, city: RunningAppliance) -> None:
    page = web.get("/danh-ba/skhcn")
    as_json = web.get("/danh-ba/skhcn.json")
    as_csv = web.get("/danh-ba/skhcn.csv")
    as_vcard = web.get("/danh-ba/skhcn.vcf")

    assert page.status_code == 200
    assert result_rows_public(page.text) == [
        ("Trần Thị Thu Hà", "Giám đốc", "tttha.skhcn@hue.gov.vn", "0234 3822 123"),
        ("Lê Văn Bình", "Phó Giám đốc", "", ""),
        ("Nguyễn Văn An", "Chuyên viên", "nvan.skhcn@hue.gov.vn", ""),
    ]
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(as_json.text) == PUBLIC_JSON
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == 'attachment; filename="skhcn.csv"'
    assert as_csv.text == PUBLIC_CSV
    assert as_vcard.headers["content-type"] == "text/vcard; charset=utf-8"
    assert as_vcard.text.count("BEGIN:VCARD\r\nVERSION:4.0\r\n") == 4
    assert "TEL;VALUE=uri;TYPE=work,voice:tel:+842343822123\r\n" in as_vcard.text
    for response in (page, as_json, as_csv, as_vcard):
        for value in PRIVATE_VALUES:
            assert value not in response.text, (response.url, value)


def result_rows_public(page: str) -> list[tuple[str, ...]]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [
        tuple(
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        )
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_public_pages_only_for_published_units(web: WebClient, city: RunningAppliance) -> None:
    for path in ("/danh-ba/stc", "/danh-ba/stc.json", "/danh-ba/stc.csv", "/danh-ba/stc.vcf"):
        response = web.get(path)
        assert response.status_code == 404, path
        assert "Nguyễn Văn Anh" not in response.text
    assert web.get("/danh-ba/khongco.json").status_code == 404
    appliance = city
    appliance.call(lambda: appliance.core.directory.set_publish("skhcn", False))
    assert web.get("/danh-ba/skhcn").status_code == 404
