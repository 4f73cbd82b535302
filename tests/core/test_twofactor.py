from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

from appliance.twofactor import (
    matching_step,
    new_recovery_codes,
    new_secret,
    provisioning_uri,
    recovery_hash,
)

NOW = datetime(2026, 12, 4, 9, 0, 15, tzinfo=UTC)
STEP = int(NOW.timestamp()) // 30


def code_at(secret: str, when: datetime) -> str:
    return pyotp.TOTP(secret).at(when)


def test_current_code_matches_current_step() -> None:
    secret = new_secret()
    assert matching_step(secret, code_at(secret, NOW), NOW, None) == STEP


def test_previous_and_next_step_accepted() -> None:
    secret = new_secret()
    earlier = code_at(secret, NOW - timedelta(seconds=30))
    later = code_at(secret, NOW + timedelta(seconds=30))
    assert matching_step(secret, earlier, NOW, None) == STEP - 1
    assert matching_step(secret, later, NOW, None) == STEP + 1


def test_two_steps_away_rejected() -> None:
    secret = new_secret()
    assert matching_step(secret, code_at(secret, NOW - timedelta(seconds=60)), NOW, None) is None


def test_code_not_reusable() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    assert matching_step(secret, code, NOW, STEP) is None
    assert matching_step(secret, code_at(secret, NOW - timedelta(seconds=30)), NOW, STEP) is None


def test_malformed_codes_rejected() -> None:
    secret = new_secret()
    for code in ("", "12345", "1234567", "abcdef", "12 34 5"):
        assert matching_step(secret, code, NOW, None) is None


def test_spaces_inside_code_ignored() -> None:
    secret = new_secret()
    code = code_at(secret, NOW)
    assert matching_step(secret, f"{code[:3]} {code[3:]}", NOW, None) == STEP


def test_secret_is_160_bits() -> None:
    assert len(new_secret()) == 32


def test_provisioning_uri_names_account_and_issuer() -> None:
    uri = provisioning_uri(
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "nvan.skhcn@hue.gov.vn", "Thư công vụ Huế"
    )
    assert uri.startswith("otpauth://totp/Th%C6%B0%20c%C3%B4ng%20v%E1%BB%A5%20Hu%E1%BA%BF:")
    assert "secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" in uri


def test_recovery_codes_distinct_and_normalised() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert all(len(code) == 11 and code[5] == "-" for code in codes)
    assert recovery_hash(codes[0]) == recovery_hash(codes[0].upper().replace("-", " "))
