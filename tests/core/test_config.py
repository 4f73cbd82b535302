from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import load_settings


@pytest.mark.embedded_default
def test_defaults_are_embedded_ports(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={})
    assert (settings.smtp_port, settings.submission_port, settings.submissions_port) == (
        2525,
        2587,
        2465,
    )
    assert (settings.imap_port, settings.imaps_port) == (1143, 1993)
    assert (settings.http_port, settings.https_port) == (8080, 8443)
    assert settings.max_message_size == 52_428_800
    assert settings.default_quota == 5 * 1024**3
    assert settings.database == f"sqlite+aiosqlite:///{tmp_path / 'appliance.db'}"


def test_file_then_environment(tmp_path: Path) -> None:
    (tmp_path / "appliance.toml").write_text(
        'smtp_port = 25\ndomain = "hue.gov.vn"\nlocal_domains = ["thuathienhue.gov.vn"]\n'
    )
    settings = load_settings(
        tmp_path, environ={"APPLIANCE_SMTP_PORT": "2626", "APPLIANCE_SECURE_COOKIES": "false"}
    )
    assert settings.smtp_port == 2626
    assert settings.secure_cookies is False
    assert settings.local_domains == ("thuathienhue.gov.vn",)
    assert settings.is_local_domain("THUATHIENHUE.gov.vn.")
    assert not settings.is_local_domain("example.com")


def test_unknown_key_rejected(tmp_path: Path) -> None:
    (tmp_path / "appliance.toml").write_text("smtp_prot = 25\n")
    with pytest.raises(ValueError, match="smtp_prot"):
        load_settings(tmp_path, environ={})


def test_bad_environment_value_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="APPLIANCE_IMAP_PORT='abc' is not a whole number"):
        load_settings(tmp_path, environ={"APPLIANCE_IMAP_PORT": "abc"})


def test_wrong_type_in_file_rejected(tmp_path: Path) -> None:
    (tmp_path / "appliance.toml").write_text('imap_port = "143"\n')
    with pytest.raises(ValueError, match="imap_port"):
        load_settings(tmp_path, environ={})


def test_dns_lookups_can_be_turned_off(tmp_path: Path) -> None:
    assert load_settings(tmp_path, environ={}).dns_lookups is True
    settings = load_settings(tmp_path, environ={"APPLIANCE_DNS_LOOKUPS": "false"})
    assert settings.dns_lookups is False
