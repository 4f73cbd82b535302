from __future__ import annotations

from pathlib import Path

import dkim

from appliance.config import Settings
from appliance.dkim_keys import key_path, make_key, public_record
from appliance.dns_records import mta_sts_policy, records, txt

MESSAGE = (
    "From: nvan.skhcn@hue.gov.vn\r\nTo: a@example.org\r\nSubject: Thử\r\n\r\nNội dung\r\n".encode()
)


def test_records_without_dkim_key(tmp_path: Path) -> None:
    lines = records(Settings(data_dir=tmp_path))
    assert lines[0] == "hue.gov.vn. IN MX 10 mail.hue.gov.vn."
    assert lines[1] == 'hue.gov.vn. IN TXT "v=spf1 mx -all"'
    assert not any("_domainkey" in line for line in lines)
    assert '_smtp._tls.hue.gov.vn. IN TXT "v=TLSRPTv1; rua=mailto:postmaster@hue.gov.vn"' in lines


def test_dkim_record_verifies_signature(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    make_key(key_path(tmp_path))
    assert key_path(tmp_path).stat().st_mode & 0o777 == 0o600
    [line] = [line for line in records(settings) if "_domainkey" in line]
    assert line.startswith('mail2026._domainkey.hue.gov.vn. IN TXT "v=DKIM1; k=rsa; p=')
    signature = dkim.sign(MESSAGE, b"mail2026", b"hue.gov.vn", key_path(tmp_path).read_bytes())

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        assert name == b"mail2026._domainkey.hue.gov.vn."
        return public_record(key_path(tmp_path)).encode()

    assert dkim.verify(signature + MESSAGE, dnsfunc=lookup) is True


def test_long_txt_split_in_strings() -> None:
    assert txt("a" * 300) == f'"{"a" * 255}" "{"a" * 45}"'


def test_mta_sts_policy_names_mx() -> None:
    assert mta_sts_policy(Settings(data_dir=Path("/nonexistent"))) == (
        "version: STSv1\r\nmode: testing\r\nmx: mail.hue.gov.vn\r\nmax_age: 604800\r\n"
    )
