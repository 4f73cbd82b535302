"""The naming rules, checked on a table of real-shaped names and on generated text."""

from __future__ import annotations

import csv
import string
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.directory.naming import (
    InvalidName,
    LegacyEncoding,
    admin_address,
    agency_mailbox,
    check_local_part,
    fold_ascii,
    next_free,
    person_local_part,
    subunit_address,
)

UNITS_FILE = Path(__file__).resolve().parents[2] / "appliance/directory/data/hue-units.csv"

# (family, middle, given, agency mailbox, expected address with an empty directory)
NAMES: list[tuple[str, str, str, str, str]] = [
    ("Nguyễn", "Văn", "An", "skhcn", "nvan.skhcn"),
    ("Tôn Nữ", "Thị", "Hà", "skhcn", "tntha.skhcn"),
    ("Trần", "Thị", "Thu Hà", "skhcn", "ttthuha.skhcn"),
    ("Trần", "Thị Thu", "Hà", "skhcn", "tttha.skhcn"),
    ("Nguyễn Phúc", "Bửu", "Chánh", "svhtt", "npbchanh.svhtt"),
    ("Nguyễn Phúc", "Vĩnh", "Thụy", "svhtt", "npvthuy.svhtt"),
    ("Tôn Thất", "", "Thiện", "snv", "ttthien.snv"),
    ("Tôn Thất", "", "Tùng", "syt", "tttung.syt"),
    ("Công Tôn Nữ", "Thị", "Hồ Điệp", "sdl", "ctnthodiep.sdl"),
    ("Tôn Nữ", "Minh", "Nguyệt", "phuxuan", "tnmnguyet.phuxuan"),
    ("Tôn Nữ", "", "Minh Nguyệt", "phuxuan", "tnminhnguyet.phuxuan"),
    ("Đặng", "Đình", "Phúc", "sxd", "ddphuc.sxd"),
    ("Đỗ", "Thị", "Đào", "sxd", "dtdao.sxd"),
    ("\u00d0oàn", "Văn", "\u00d0ức", "stc", "dvduc.stc"),
    ("Đoàn", "Thị", "Điểm", "stc", "dtdiem.stc"),
    ("Lê", "Thị", "Hường", "stp", "lthuong.stp"),
    ("Huỳnh", "Quốc", "Việt", "sct", "hqviet.sct"),
    ("Phạm", "Thị Ngọc", "Ánh", "sct", "ptnanh.sct"),
    ("Võ", "Văn", "Ý", "snnmt", "vvy.snnmt"),
    ("Lê", "Quý", "Đôn", "sgddt", "lqdon.sgddt"),
    ("Bùi", "Thị", "Lợi", "sgddt", "btloi.sgddt"),
    ("Hồ Đắc", "", "Di", "syt", "hddi.syt"),
    ("Nguyễn", "Thị Minh", "Khai", "snv", "ntmkhai.snv"),
    ("Nguyễn", "Thị", "Minh Khai", "snv", "ntminhkhai.snv"),
    ("Trương", "Vĩnh", "Ký", "sgddt", "tvky.sgddt"),
    ("Ngô", "Bảo", "Châu", "skhcn", "nbchau.skhcn"),
    ("Hoàng", "Thị Kim", "Chi", "kimlong", "htkchi.kimlong"),
    ("Âu Dương", "", "Min", "skhcn", "admin2.skhcn"),
    ("Âu", "Đức", "Min", "sngv", "admin2.sngv"),
    ("Phan", "Bội", "Châu", "vyda", "pbchau.vyda"),
    ("Nguyễn", "Thị Thanh", "Thủy", "thuyxuan", "nttthuy.thuyxuan"),
    ("Hồ", "Thị", "Thủy", "thuyxuan", "htthuy.thuyxuan"),
    ("Lê", "Văn", "Thuận", "thuanan", "lvthuan.thuanan"),
    ("Nguyễn", "Hữu", "Quỳnh", "huongtra", "nhquynh.huongtra"),
    ("Trịnh", "Công", "Sơn", "svhtt", "tcson.svhtt"),
    ("Lương", "Thế", "Vinh", "skhcn", "ltvinh.skhcn"),
    ("Dương", "Thị Xuân", "Quý", "sdl", "dtxquy.sdl"),
    ("Nguyễn Khoa", "", "Điềm", "svhtt", "nkdiem.svhtt"),
    ("Hồ", "Xuân", "Hương", "sdl", "hxhuong.sdl"),
    ("Huỳnh", "Thúc", "Kháng", "thanhtra", "htkhang.thanhtra"),
    ("Cao", "Bá", "Quát", "vpubnd", "cbquat.vpubnd"),
    ("Lê", "Thị", "Hoa", "vyda", "lthoa.vyda"),
    ("Phan", "Văn", "Ba", "aluoi1", "pvba.aluoi1"),
    ("Kăn", "", "Sáu", "aluoi2", "ksau.aluoi2"),
    ("Arất", "Thị", "Nhoong", "aluoi3", "atnhoong.aluoi3"),
    ("Quách", "Thị", "Dung", "phuloc", "qtdung.phuloc"),
    ("Giáp", "Văn", "Dũng", "phuvang", "gvdung.phuvang"),
    ("Ông", "Ích", "Khiêm", "sngv", "oikhiem.sngv"),
    ("Ưng", "Văn", "Bình", "hoachau", "uvbinh.hoachau"),
    ("Lê", "Thị Mỹ", "Duyên", "stc", "ltmduyen.stc"),
    ("Lê", "Thị", "Mỹ Duyên", "stc", "ltmyduyen.stc"),
    ("Trần", "Đình Hoàng", "Yến", "bqlkkt", "tdhyen.bqlkkt"),
    ("Nguyễn", "Đăng", "Khoa", "cmlc", "ndkhoa.cmlc"),
    ("Đinh", "La", "Thăng", "sct", "dlthang.sct"),
    ("Phùng", "", "Quán", "vpdbqhhdnd", "pquan.vpdbqhhdnd"),
    ("Lã", "Văn", "Chương", "sxd", "lvchuong.sxd"),
    ("Văn", "Thị Quỳnh", "Như", "namdong", "vtqnhu.namdong"),
    ("Thân", "Trọng", "Nhân", "khetre", "ttnhan.khetre"),
    ("Hoàng Phủ", "Ngọc", "Tường", "svhtt", "hpntuong.svhtt"),
    ("Mai", "Thị", "Thu Thủy", "phubai", "mtthuthuy.phubai"),
    ("Lưu", "Quang", "Vũ", "svhtt", "lqvu.svhtt"),
    ("Diệp", "Thị Bạch", "Tuyết", "ancuu", "dtbtuyet.ancuu"),
    ("Ngọ", "Văn", "Đông", "dandien", "nvdong.dandien"),
    ("Lê", "Văn", "Hùng", "syt", "lvhung.syt"),
    ("NGUYỄN", "VĂN", "AN", "skhcn", "nvan.skhcn"),
    ("Nguyễn", "Văn Anh", "Đức", "snv", "nvaduc.snv"),
    ("Hồ", "Thị Thanh", "Ngọc Ánh", "huongthuy", "httngocanh.huongthuy"),
    ("Tôn Nữ", "Thị Ngọc", "Trâm", "vyda", "tntntram.vyda"),
    ("Nguyễn", "", "Ái", "locan", "nai.locan"),
]


@pytest.mark.parametrize(("family", "middle", "given_name", "agency", "expected"), NAMES)
def test_person_address(
    family: str, middle: str, given_name: str, agency: str, expected: str
) -> None:
    local = next_free(person_local_part(family, middle, given_name, agency), set())

    assert local == expected


def test_name_table_size() -> None:
    assert len(NAMES) >= 60


@pytest.mark.parametrize(("family", "middle", "given_name", "agency", "expected"), NAMES)
def test_nfd_input_same_address(
    family: str, middle: str, given_name: str, agency: str, expected: str
) -> None:
    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    local = person_local_part(nfd(family), nfd(middle), nfd(given_name), agency)

    assert next_free(local, set()) == expected


def test_compound_given_name_changes_address() -> None:
    as_middle = person_local_part("Trần", "Thị Thu", "Hà", "skhcn")
    as_given = person_local_part("Trần", "Thị", "Thu Hà", "skhcn")

    assert as_middle == "tttha.skhcn"
    assert as_given == "ttthuha.skhcn"


def test_units_file_mailboxes() -> None:
    with UNITS_FILE.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    derived = {
        row["name"]: agency_mailbox(
            row["kind"],
            row["name"],
            row["mailbox"] if row["kind"] in ("department", "special") else None,
        )
        for row in rows
    }

    assert len(rows) == 57
    assert sum(row["kind"] in ("commune", "ward") for row in rows) == 40
    for row in rows:
        assert derived[row["name"]] == row["mailbox"], row["name"]


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("ward", "Phường Vỹ Dạ", "vyda"),
        ("commune", "Xã A Lưới 1", "aluoi1"),
        ("commune", "Xã Chân Mây - Lăng Cô", "cmlc"),
        ("commune", "Xã Đan Điền", "dandien"),
        ("ward", "Phường Dương Nỗ", "duongno"),
        ("ward", "phường Kim Long", "kimlong"),
    ],
)
def test_commune_ward_mailbox(kind: str, name: str, expected: str) -> None:
    assert agency_mailbox(kind, name) == expected


def test_department_needs_abbreviation() -> None:
    with pytest.raises(InvalidName, match="needs an abbreviation"):
        agency_mailbox("department", "Sở Khoa học và Công nghệ")


def test_explicit_abbreviation_wins() -> None:
    assert agency_mailbox("commune", "Xã Chân Mây - Lăng Cô", "clc") == "clc"


def test_reserved_agency_mailbox() -> None:
    with pytest.raises(InvalidName, match="reserved"):
        agency_mailbox("department", "Ban Quản trị", "admin")


def test_special_mailbox_may_be_reserved_word() -> None:
    assert agency_mailbox("special", "Hộp thư tiếp nhận", "tiepnhan") == "tiepnhan"


def test_subunit_and_admin_addresses() -> None:
    assert subunit_address("vp", "skhcn") == "vp.skhcn"
    assert subunit_address("TTCNTT", "stttt") == "ttcntt.stttt"
    assert admin_address("skhcn") == "admin.skhcn"


def test_subunit_reserved_abbreviation() -> None:
    with pytest.raises(InvalidName, match="reserved"):
        subunit_address("postmaster", "skhcn")


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        (set(), "nvan.skhcn"),
        ({"nvan.skhcn"}, "nvan2.skhcn"),
        ({"nvan.skhcn", "nvan2.skhcn"}, "nvan3.skhcn"),
        ({"nvan.skhcn", "nvan3.skhcn"}, "nvan2.skhcn"),
        ({"nvan2.skhcn"}, "nvan.skhcn"),
    ],
)
def test_next_free(taken: set[str], expected: str) -> None:
    assert next_free("nvan.skhcn", taken) == expected


def test_next_free_reserved_first_label() -> None:
    assert next_free("admin.skhcn", set()) == "admin2.skhcn"
    assert next_free("abuse.vyda", {"abuse2.vyda"}) == "abuse3.vyda"


def test_fold_examples() -> None:
    assert fold_ascii("Nguyễn Văn An") == "nguyenvanan"
    assert fold_ascii("Đặng") == "dang"
    assert fold_ascii("\u00d0ặng") == "dang"
    assert fold_ascii("Chân Mây - Lăng Cô") == "chanmaylangco"
    assert fold_ascii("H'Hen Niê") == "hhennie"
    assert fold_ascii("A Lưới 1") == "aluoi1"


@pytest.mark.parametrize(("text", "char"), [("Müller", "ü"), ("Søren", "ø"), ("李", "李")])
def test_fold_names_bad_character(text: str, char: str) -> None:
    with pytest.raises(InvalidName) as raised:
        fold_ascii(text)

    assert repr(char) in raised.value.message
    assert f"U+{ord(char):04X}" in raised.value.message


def test_fold_rejects_symbol() -> None:
    with pytest.raises(InvalidName, match=r"U\+0040"):
        fold_ascii("an@")


def test_missing_family_or_given() -> None:
    with pytest.raises(InvalidName, match="family name"):
        person_local_part(" ", "Văn", "An", "skhcn")
    with pytest.raises(InvalidName, match="given name"):
        person_local_part("Nguyễn", "Văn", "", "skhcn")


@pytest.mark.parametrize(
    "local", ["nvan.skhcn", "NVan2.Skhcn", "phongvanthu.vyda", "tiepnhan", "a1.b2.c3"]
)
def test_check_local_part_accepts(local: str) -> None:
    assert check_local_part(local) == local.lower()


@pytest.mark.parametrize(
    "local", ["", "nvan..skhcn", ".nvan", "nvan.", "n van", "nvăn", "a_b", "x" * 65]
)
def test_check_local_part_rejects(local: str) -> None:
    with pytest.raises(InvalidName):
        check_local_part(local)


# Real legacy-font strings: each letter replaced by its code in the TCVN3 (ABC) or VNI-Windows
# table, as a spreadsheet typed with those fonts stores it.
TCVN3_NAMES = [
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("T«n N÷ ThÞ Hµ", "Tôn Nữ Thị Hà"),
    ("§Æng §×nh Phóc", "Đặng Đình Phúc"),
    ("Lª ThÞ H\xadêng", "Lê Thị Hường"),
    ("Huúnh Quèc ViÖt", "Huỳnh Quốc Việt"),
    ("Hå ThÞ Thñy", "Hồ Thị Thủy"),
    ("Ng« §øc Th¾ng", "Ngô Đức Thắng"),
    ("Bïi ThÞ Lîi", "Bùi Thị Lợi"),
    ("HuÕ", "Huế"),
    ("Hµ", "Hà"),
]
VNI_NAMES = [
    ("Nguyeãn Vaên An", "Nguyễn Văn An"),
    ("Toân Nöõ Thò Haø", "Tôn Nữ Thị Hà"),
    ("Ñaëng Ñình Phuùc", "Đặng Đình Phúc"),
    ("Leâ Thò Höôøng", "Lê Thị Hường"),
    ("Huyønh Quoác Vieät", "Huỳnh Quốc Việt"),
    ("Hoà Thò Thuûy", "Hồ Thị Thủy"),
    ("Ngoâ Ñöùc Thaéng", "Ngô Đức Thắng"),
    ("Voõ Vaên YÙ", "Võ Văn Ý"),
    ("Hueá", "Huế"),
    ("Haø", "Hà"),
    ("NGUYEÃN VAÊN AN", "NGUYỄN VĂN AN"),
]


@pytest.mark.parametrize(("legacy", "unicode_text"), TCVN3_NAMES)
def test_tcvn3_refused(legacy: str, unicode_text: str) -> None:
    with pytest.raises(LegacyEncoding) as raised:
        fold_ascii(legacy)

    assert raised.value.encoding == "TCVN3"
    assert "TCVN3" in raised.value.message
    assert fold_ascii(unicode_text) != ""


@pytest.mark.parametrize(("legacy", "unicode_text"), VNI_NAMES)
def test_vni_refused(legacy: str, unicode_text: str) -> None:
    with pytest.raises(LegacyEncoding) as raised:
        fold_ascii(legacy)

    assert raised.value.encoding == "VNI"
    assert "VNI" in raised.value.message


def test_legacy_refused_in_person_name() -> None:
    with pytest.raises(LegacyEncoding, match="VNI"):
        person_local_part("Nguyeãn", "Vaên", "An", "skhcn")
    with pytest.raises(LegacyEncoding, match="TCVN3"):
        person_local_part("NguyÔn", "V¨n", "An", "skhcn")


@pytest.mark.parametrize(("family", "middle", "given_name", "agency", "expected"), NAMES)
def test_unicode_names_not_legacy(
    family: str, middle: str, given_name: str, agency: str, expected: str
) -> None:
    for part in (family, middle, given_name):
        assert fold_ascii(part) == fold_ascii(unicodedata.normalize("NFD", part))


VIETNAMESE_TEXT = st.text(
    alphabet=st.sampled_from(
        list(string.ascii_letters + string.digits + " -'")
        + list("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĐƯƠ")
    ),
    max_size=40,
)


@given(st.text(max_size=40))
def test_fold_output_only_ascii_alnum(text: str) -> None:
    try:
        folded = fold_ascii(text)
    except InvalidName:
        return
    assert all(char in string.ascii_lowercase + string.digits for char in folded)


@given(VIETNAMESE_TEXT)
def test_fold_vietnamese_output_alphabet(text: str) -> None:
    try:
        folded = fold_ascii(text)
    except LegacyEncoding:
        return
    assert all(char in string.ascii_lowercase + string.digits for char in folded)
    assert len(folded) <= len(text)


@given(st.text(max_size=40))
def test_fold_deterministic(text: str) -> None:
    first = _fold_or_error(text)
    second = _fold_or_error(text)

    assert first == second


@given(st.text(max_size=40))
def test_fold_nfc_nfd_same(text: str) -> None:
    nfc = _fold_or_error(unicodedata.normalize("NFC", text))
    nfd = _fold_or_error(unicodedata.normalize("NFD", text))

    assert nfc == nfd


@given(VIETNAMESE_TEXT)
def test_fold_vietnamese_nfc_nfd_same(text: str) -> None:
    nfc = _fold_or_error(unicodedata.normalize("NFC", text))
    nfd = _fold_or_error(unicodedata.normalize("NFD", text))

    assert nfc == nfd


def _fold_or_error(text: str) -> str:
    try:
        return fold_ascii(text)
    except InvalidName as error:
        return f"error: {error.message}"
