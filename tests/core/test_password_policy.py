from __future__ import annotations

from datetime import timedelta

import pytest

from appliance.password_policy import describe, max_age, violations

# (password, account kind, rules broken); the rule: longer than 8 (12 for admins), with
# upper, lower, digit and special characters.
CASES = [
    ("Abcdef1!x", "personal", []),
    ("Abcdef1!", "personal", ["password.too_short"]),
    ("abcdef1!xy", "personal", ["password.no_upper"]),
    ("ABCDEF1!XY", "personal", ["password.no_lower"]),
    ("Abcdefg!xy", "personal", ["password.no_digit"]),
    ("Abcdefg1xy", "personal", ["password.no_special"]),
    ("Đàonguyễn9#", "personal", []),
    ("đàonguyễn9#", "personal", ["password.no_upper"]),
    ("ĐÀONGUYỄN9#", "personal", ["password.no_lower"]),
    ("Mật khẩu 2026", "agency", []),
    ("Abcdef1!x", "agency", []),
    ("Abcdef1!x", "service", []),
    ("Abcdef1!xyzw", "unit_admin", ["password.too_short"]),
    ("Abcdef1!xyzwv", "unit_admin", []),
    ("Abcdef1!xyzwv", "centre_admin", []),
    ("Quản-trị-2026-Huế", "centre_admin", []),
    (
        "short",
        "centre_admin",
        ["password.too_short", "password.no_upper", "password.no_digit", "password.no_special"],
    ),
    (
        "",
        "personal",
        [
            "password.too_short",
            "password.no_upper",
            "password.no_lower",
            "password.no_digit",
            "password.no_special",
        ],
    ),
]


@pytest.mark.parametrize(("password", "kind", "expected"), CASES)
def test_password_table(password: str, kind: str, expected: list[str]) -> None:
    assert violations(password, kind) == expected


def test_decomposed_input_counts_as_composed() -> None:
    decomposed = "Đa\u0300onguye\u0302\u0303n9#"
    assert violations(decomposed, "personal") == []


def test_address_inside_password_rejected() -> None:
    assert violations("Nvan.skhcn-2026!", "personal", "nvan.skhcn@hue.gov.vn") == [
        "password.contains_address"
    ]


@pytest.mark.parametrize("control", ["\x01", "\t", "\n", "\x7f"])
def test_control_characters_rejected(control: str) -> None:
    assert violations(f"Hue-Mail{control}2026!", "personal") == ["password.control_character"]


def test_max_age_by_kind() -> None:
    assert max_age("personal") == timedelta(days=90)
    assert max_age("agency") == timedelta(days=90)
    assert max_age("unit_admin") == timedelta(days=60)
    assert max_age("centre_admin") == timedelta(days=60)


def test_refusal_text_in_both_languages() -> None:
    assert describe("password.too_short", "unit_admin") == (
        "Mật khẩu phải dài hơn 12 ký tự. / The password must be longer than 12 characters."
    )
    assert describe("password.no_digit", "personal", "en") == "The password must contain a digit."
