"""Published directory exports: JSON, CSV and vCard 4.0, public fields only."""

from __future__ import annotations

import json

import pytest

from appliance.core import Core
from appliance.directory.export import NotPublished, escape_text, fold_line, tel_uri
from appliance.directory.records import PersonInput


async def published(core: Core) -> None:
    await core.directory.set_publish("vyda", True)
    await core.directory.add_person(
        PersonInput(
            "Lê",
            "Thị",
            "Hoa",
            "vyda",
            position="Chủ tịch",
            phone="0234 3822 111",
            is_leader=True,
            rank=1,
            public_fields=("name", "position", "unit", "email", "phone"),
        )
    )
    await core.directory.add_person(
        PersonInput(
            "Tôn Nữ", "Thị", "Hà", "vyda", position="Công chức; tư pháp", phone="0905 000 111"
        )
    )
    await core.directory.add_person(
        PersonInput("Trần", "Văn", "Ẩn", "vyda", public_fields=("position",))
    )


async def test_unpublished_unit_refused(core: Core) -> None:
    with pytest.raises(NotPublished):
        await core.directory.export("skhcn", "json")


async def test_json_export(core: Core) -> None:
    await published(core)

    document = json.loads(await core.directory.export("vyda", "json"))

    assert document == {
        "unit": {"name": "Phường Vỹ Dạ", "email": "vyda@hue.gov.vn"},
        "people": [
            {
                "name": "Lê Thị Hoa",
                "position": "Chủ tịch",
                "unit": "Phường Vỹ Dạ",
                "email": "lthoa.vyda@hue.gov.vn",
                "phone": "0234 3822 111",
            },
            {
                "name": "Tôn Nữ Thị Hà",
                "position": "Công chức; tư pháp",
                "unit": "Phường Vỹ Dạ",
                "email": "tntha.vyda@hue.gov.vn",
            },
        ],
    }


async def test_csv_export(core: Core) -> None:
    await published(core)

    text = await core.directory.export("vyda", "csv")

    assert text == (
        "name,position,unit,email,phone\r\n"
        "Lê Thị Hoa,Chủ tịch,Phường Vỹ Dạ,lthoa.vyda@hue.gov.vn,0234 3822 111\r\n"
        "Tôn Nữ Thị Hà,Công chức; tư pháp,Phường Vỹ Dạ,tntha.vyda@hue.gov.vn,\r\n"
    )


async def test_vcard_export(core: Core) -> None:
    await published(core)

    text = await core.directory.export("vyda", "vcard")

    assert text == (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Phường Vỹ Dạ\r\nORG:Phường Vỹ Dạ\r\n"
        "EMAIL;TYPE=work:vyda@hue.gov.vn\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:individual\r\nFN:Lê Thị Hoa\r\n"
        "N:Lê;Hoa;Thị;;\r\nORG:Phường Vỹ Dạ\r\nTITLE:Chủ tịch\r\n"
        "EMAIL;TYPE=work:lthoa.vyda@hue.gov.vn\r\n"
        "TEL;VALUE=uri;TYPE=work,voice:tel:+842343822111\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:individual\r\nFN:Tôn Nữ Thị Hà\r\n"
        "N:Tôn Nữ;Hà;Thị;;\r\nORG:Phường Vỹ Dạ\r\nTITLE:Công chức\\; tư pháp\r\n"
        "EMAIL;TYPE=work:tntha.vyda@hue.gov.vn\r\nEND:VCARD\r\n"
    )
    assert "0905" not in text
    assert "Ẩn" not in text


async def test_unknown_form(core: Core) -> None:
    await core.directory.set_publish("vyda", True)

    with pytest.raises(ValueError, match="unknown export form"):
        await core.directory.export("vyda", "xml")


def test_escape_text() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_fold_line_utf8_boundaries() -> None:
    line = "FN:" + "Nguyễn " * 20

    folded = fold_line(line)
    pieces = folded.split("\r\n")

    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert all(piece.startswith(" ") for piece in pieces[1:])
    assert "".join(piece[1:] if i else piece for i, piece in enumerate(pieces)) == line


def test_tel_uri() -> None:
    assert tel_uri("0234 3822 111") == "tel:+842343822111"
    assert tel_uri("+84 905 000 111") == "tel:+84905000111"
