"""Directory search: accent-insensitive matching, accent-aware ranking, refresh on change."""

from __future__ import annotations

import itertools

from appliance.core import Core
from appliance.directory.records import PersonInput
from appliance.directory.search import SearchIndex, make_entry, search_key

FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLES = ["Văn", "Thị", "Đình", "Hữu", "Ngọc", "Quang", "Thanh", "Minh", "Xuân", "Đức"]
GIVENS = ["An", "Hà", "Hạ", "Bình", "Đức", "Hương", "Hướng", "Minh", "Phúc", "Lan", "Dũng", "Ý"]
UNITS = ["Sở Khoa học và Công nghệ", "Phường Vỹ Dạ", "Xã A Lưới 1", "Sở Y tế"]


def synthetic_index(size: int) -> SearchIndex:
    names = itertools.cycle(itertools.product(FAMILIES, MIDDLES, GIVENS))
    entries = []
    for number in range(size):
        family, middle, given = next(names)
        full = f"{family} {middle} {given}"
        local = f"{search_key(family)[0]}{search_key(middle)[0]}{search_key(given)}{number}.u"
        entries.append(make_entry(number, full, given, local, UNITS[number % 4], False, 1000))
    return SearchIndex(entries)


def test_search_key_folds() -> None:
    assert search_key("Nguyễn Văn An") == "nguyen van an"
    assert search_key("ĐẶNG Đình") == "dang dinh"
    assert search_key("\u00d0oàn") == "doan"
    assert search_key("nvan2.skhcn@hue.gov.vn") == "nvan2 skhcn hue gov vn"


def test_same_people_with_and_without_accents() -> None:
    index = synthetic_index(20_000)
    queries = [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Hương", "huong"),
        ("Đặng Đình", "dang dinh"),
        ("Trần Thị Hà", "tran thi ha"),
        ("Vỹ Dạ", "vy da"),
        ("Lê", "le"),
        ("Bùi Xuân Ý", "bui xuan y"),
    ]

    for accented, plain in queries:
        with_accents = {result.person_id for result in index.search(accented, 20_000)}
        without = {result.person_id for result in index.search(plain, 20_000)}
        assert with_accents == without, accented
        assert with_accents, accented


def test_exact_accents_rank_first() -> None:
    index = SearchIndex(
        [
            make_entry(1, "Lê Thị Hạ", "Hạ", "ltha.vyda", "Phường Vỹ Dạ", False, 1000),
            make_entry(2, "Trần Thị Hà", "Hà", "ttha.vyda", "Phường Vỹ Dạ", False, 1000),
        ]
    )

    assert [r.person_id for r in index.search("Hà", 10)] == [2, 1]
    assert [r.person_id for r in index.search("Hạ", 10)] == [1, 2]
    assert {r.person_id for r in index.search("ha", 10)} == {1, 2}


def test_given_name_prefix_ranks_first() -> None:
    index = SearchIndex(
        [
            make_entry(1, "Lê An Bình", "Bình", "labinh.snv", "Sở Nội vụ", False, 1000),
            make_entry(2, "Nguyễn Văn An", "An", "nvan.snv", "Sở Nội vụ", False, 1000),
        ]
    )

    assert [r.person_id for r in index.search("an", 10)] == [2, 1]


def test_leaders_rank_first() -> None:
    index = SearchIndex(
        [
            make_entry(1, "Lê Văn Hùng", "Hùng", "lvhung.syt", "Sở Y tế", False, 1000),
            make_entry(2, "Lê Văn Hùng", "Hùng", "lvhung2.syt", "Sở Y tế", True, 1),
        ]
    )

    assert [r.person_id for r in index.search("hung", 10)] == [2, 1]


def test_every_word_must_match() -> None:
    index = synthetic_index(500)

    results = index.search("tran hanh", 50)

    assert results == []


def test_limit_and_empty_query() -> None:
    index = synthetic_index(500)

    assert len(index.search("nguyen", 7)) == 7
    assert index.search("   ", 7) == []
    assert index.search("!!", 7) == []


async def test_service_search(core: Core) -> None:
    await core.directory.add_person(PersonInput("Nguyễn", "Văn", "An", "skhcn"))
    await core.directory.add_person(PersonInput("Tôn Nữ", "Thị", "Hà", "vyda"))

    by_name = await core.directory.search("nguyen van an")
    by_address = await core.directory.search("tntha")
    by_unit = await core.directory.search("vỹ dạ")

    assert [(r.full_name, r.address) for r in by_name] == [("Nguyễn Văn An", "nvan.skhcn")]
    assert [r.full_name for r in by_address] == ["Tôn Nữ Thị Hà"]
    assert [r.full_name for r in by_unit] == ["Tôn Nữ Thị Hà"]


async def test_index_refreshed_after_change(core: Core) -> None:
    before = await core.directory.search("hoa")
    await core.directory.add_person(PersonInput("Lê", "Thị", "Hoa", "vyda"))
    after = await core.directory.search("hoa")

    assert before == []
    assert [r.address for r in after] == ["lthoa.vyda"]


async def test_index_follows_unit_rename(core: Core) -> None:
    """People whose rows changed are folded again; the others keep their entries."""
    await core.directory.add_person(PersonInput("Nguyễn", "Văn", "An", "skhcn"))
    await core.directory.add_person(PersonInput("Lê", "Thị", "Hoa", "vyda"))
    assert await core.directory.search("doi moi") == []
    unchanged = await core.directory.search("hoa")

    await core.directory.rename_unit("skhcn", "Sở Khoa học, Công nghệ và Đổi mới")

    assert [r.address for r in await core.directory.search("doi moi")] == ["nvan.skhcn"]
    assert [r.unit_name for r in await core.directory.search("nguyen van an")] == [
        "Sở Khoa học, Công nghệ và Đổi mới"
    ]
    assert await core.directory.search("hoa") == unchanged
