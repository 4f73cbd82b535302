"""SPF, DKIM and DMARC outcomes for a table of genuine and forged messages (no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from appliance.dkim_keys import make_key, public_record
from smtp.authentication import authenticate, from_domains, remove_own_results
from smtp.dkim_sign import DkimSigner
from smtp.dmarc import aligned, organizational_domain, parse_record
from smtp.resolver import TableResolver

IP = "192.0.2.25"  # the sending server's address (TEST-NET-1; never contacted)
BODY = "Subject: Lịch họp\r\nMessage-ID: <1@example.org>\r\n\r\nKính gửi.\r\n"


@dataclass
class Keys:
    """A DKIM key per signing domain, published under selector s1 in the table."""

    directory: Path
    signers: dict[str, DkimSigner] = field(default_factory=dict)
    records: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def sign(self, domain: str, raw: bytes) -> bytes:
        if domain not in self.signers:
            path = self.directory / f"{domain}.pem"
            make_key(path)
            self.signers[domain] = DkimSigner(path.read_bytes(), "s1", domain)
            self.records[(f"s1._domainkey.{domain}", "TXT")] = [public_record(path)]
        return self.signers[domain].sign(raw)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return Keys(tmp_path_factory.mktemp("dkim"))


def message(author: str) -> bytes:
    return f"From: <{author}>\r\n{BODY}".encode()


SPF_PASS = {("example.org", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"]}
SPF_FAIL = {("example.org", "TXT"): ["v=spf1 ip4:198.51.100.1 -all"]}
SPF_SOFTFAIL = {("example.org", "TXT"): ["v=spf1 ip4:198.51.100.1 ~all"]}
REJECT = {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject"]}
QUARANTINE = {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=quarantine"]}


@dataclass(frozen=True)
class Case:
    name: str
    records: dict[tuple[str, str], list[str]]
    author: str = "an@example.org"
    mail_from: str = "an@example.org"
    signer: str = ""  # DKIM signing domain, "" for an unsigned message
    failing: tuple[str, ...] = ()
    expected: tuple[str, str, str, str] = ("", "", "", "")  # spf, dkim, dmarc, disposition


CASES = [
    Case(
        "genuine",
        SPF_PASS | REJECT,
        signer="example.org",
        expected=("pass", "pass", "pass", "none"),
    ),
    Case("spf only", SPF_PASS | REJECT, expected=("pass", "none", "pass", "none")),
    Case(
        "dkim only",
        SPF_FAIL | REJECT,
        signer="example.org",
        expected=("fail", "pass", "pass", "none"),
    ),
    Case("forged reject", SPF_FAIL | REJECT, expected=("fail", "none", "fail", "reject")),
    Case(
        "forged quarantine",
        SPF_SOFTFAIL | QUARANTINE,
        expected=("softfail", "none", "fail", "quarantine"),
    ),
    Case(
        "forged p=none",
        SPF_FAIL | {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=none"]},
        expected=("fail", "none", "fail", "none"),
    ),
    Case(
        "no records",
        {("example.org", "A"): ["192.0.2.1"]},
        expected=("none", "none", "none", "none"),
    ),
    Case(
        "dns down",
        REJECT,
        failing=("example.org",),
        expected=("temperror", "none", "temperror", "none"),
    ),
    Case(
        "dmarc lookup down",
        SPF_FAIL,
        failing=("_dmarc.example.org",),
        expected=("fail", "none", "temperror", "none"),
    ),
    Case(
        "unaligned dkim",
        SPF_FAIL | REJECT,
        signer="mailer.example.net",
        expected=("fail", "pass", "fail", "reject"),
    ),
    Case(
        "relaxed dkim",
        SPF_FAIL | REJECT,
        signer="news.example.org",
        expected=("fail", "pass", "pass", "none"),
    ),
    Case(
        "strict dkim",
        SPF_FAIL | {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject; adkim=s"]},
        signer="news.example.org",
        expected=("fail", "pass", "fail", "reject"),
    ),
    Case(
        "relaxed spf",
        {("bounce.example.org", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"]} | REJECT,
        mail_from="b@bounce.example.org",
        expected=("pass", "none", "pass", "none"),
    ),
    Case(
        "strict spf",
        {
            ("bounce.example.org", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"],
            ("_dmarc.example.org", "TXT"): ["v=DMARC1; p=reject; aspf=s"],
        },
        mail_from="b@bounce.example.org",
        expected=("pass", "none", "fail", "reject"),
    ),
    Case(
        "subdomain policy",
        SPF_FAIL | {("_dmarc.example.org", "TXT"): ["v=DMARC1; p=none; sp=reject"]},
        author="an@news.example.org",
        expected=("fail", "none", "fail", "reject"),
    ),
    Case(
        "spf include",
        {
            ("example.org", "TXT"): ["v=spf1 include:_spf.example.net -all"],
            ("_spf.example.net", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"],
        }
        | REJECT,
        expected=("pass", "none", "pass", "none"),
    ),
    Case(
        "spf mx",
        {
            ("example.org", "TXT"): ["v=spf1 mx -all"],
            ("example.org", "MX"): ["10 mx.example.org."],
            ("mx.example.org", "A"): ["192.0.2.25"],
        }
        | REJECT,
        expected=("pass", "none", "pass", "none"),
    ),
    Case(
        "spf redirect",
        {
            ("example.org", "TXT"): ["v=spf1 redirect=_spf.example.org"],
            ("_spf.example.org", "TXT"): ["v=spf1 a:out.example.org -all"],
            ("out.example.org", "A"): ["192.0.2.25"],
        }
        | REJECT,
        expected=("pass", "none", "pass", "none"),
    ),
    Case(
        "spf permerror",
        {("example.org", "TXT"): ["v=spf1 ip4:not-an-address -all"]} | REJECT,
        expected=("permerror", "none", "fail", "reject"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_check_outcomes(case: Case, keys: Keys) -> None:
    raw = message(case.author)
    if case.signer:
        raw = keys.sign(case.signer, raw)
    resolver = TableResolver(case.records | keys.records, failing=case.failing)
    verdict = authenticate(
        resolver, ip=IP, helo="mx.example.org", mail_from=case.mail_from, raw=raw
    )
    dkim_result = verdict.dkim[0].result if verdict.dkim else "none"
    outcome = (verdict.spf.result, dkim_result, verdict.dmarc.result, verdict.dmarc.disposition)
    assert outcome == case.expected


def test_results_header_of_genuine_message(keys: Keys) -> None:
    raw = keys.sign("example.org", message("an@example.org"))
    resolver = TableResolver(SPF_PASS | REJECT | keys.records)
    verdict = authenticate(
        resolver, ip=IP, helo="mx.example.org", mail_from="an@example.org", raw=raw
    )
    assert verdict.header("mail.hue.gov.vn") == (
        b"Authentication-Results: mail.hue.gov.vn;\r\n"
        b"\tspf=pass smtp.mailfrom=example.org;\r\n"
        b"\tdkim=pass header.d=example.org header.s=s1;\r\n"
        b"\tdmarc=pass (p=reject dis=none) header.from=example.org\r\n"
    )


def test_tampered_body_fails_dkim(keys: Keys) -> None:
    raw = keys.sign("example.org", message("an@example.org")).replace(
        "Kính gửi".encode(), "Kính gửi lại".encode()
    )
    verdict = authenticate(
        TableResolver(keys.records), ip=IP, helo="h.example", mail_from="", raw=raw
    )
    assert [r.result for r in verdict.dkim] == ["fail"]


def test_missing_key_is_permerror(keys: Keys) -> None:
    raw = keys.sign("example.org", message("an@example.org"))
    verdict = authenticate(TableResolver({}), ip=IP, helo="h.example", mail_from="", raw=raw)
    assert [(r.result, r.domain, r.selector) for r in verdict.dkim] == [
        ("permerror", "example.org", "s1")
    ]


def test_key_lookup_failure_is_temperror(keys: Keys) -> None:
    raw = keys.sign("example.org", message("an@example.org"))
    resolver = TableResolver({}, failing=("s1._domainkey.example.org",))
    verdict = authenticate(resolver, ip=IP, helo="h.example", mail_from="", raw=raw)
    assert [r.result for r in verdict.dkim] == ["temperror"]


def test_null_sender_checks_helo() -> None:
    resolver = TableResolver({("mx.example.net", "TXT"): ["v=spf1 ip4:192.0.2.25 -all"]})
    verdict = authenticate(
        resolver, ip=IP, helo="mx.example.net", mail_from="", raw=message("a@example.org")
    )
    assert (verdict.spf.result, verdict.spf.identity, verdict.spf.domain) == (
        "pass",
        "helo",
        "mx.example.net",
    )
    assert b"spf=pass smtp.helo=mx.example.net;" in verdict.header("mail.hue.gov.vn")


def test_two_author_domains_are_permerror() -> None:
    raw = b"From: a@example.org, b@example.net\r\n" + BODY.encode()
    verdict = authenticate(TableResolver({}), ip=IP, helo="h.example", mail_from="", raw=raw)
    assert verdict.from_domains == ["example.org", "example.net"]
    assert verdict.dmarc.result == "permerror"


def test_from_domains_parses_display_names() -> None:
    raw = b"From: =?utf-8?q?Nguy=E1=BB=85n?= <An@Example.ORG>\r\n\r\n"
    assert from_domains(raw) == ["example.org"]


def test_organizational_domain_uses_suffix_list() -> None:
    assert organizational_domain("mail.sub.example.co.uk") == "example.co.uk"
    assert organizational_domain("x.hue.gov.vn") == "hue.gov.vn"
    assert organizational_domain("example.org") == "example.org"


def test_alignment_modes() -> None:
    assert aligned("mail.example.org", "example.org", strict=False)
    assert not aligned("mail.example.org", "example.org", strict=True)
    assert not aligned("example.net", "example.org", strict=False)


def test_dmarc_record_parsing() -> None:
    record = parse_record("v=DMARC1; p=quarantine; sp=reject; adkim=s; pct=50")
    assert record is not None
    assert (record.policy, record.subdomain_policy, record.strict_dkim, record.percent) == (
        "quarantine",
        "reject",
        True,
        50,
    )
    assert parse_record("p=reject; v=DMARC1") is None
    assert parse_record("v=DMARC1; p=bogus") is None
    assert parse_record("v=spf1 -all") is None


def test_own_results_are_removed() -> None:
    raw = (
        b"Authentication-Results: mail.hue.gov.vn; dmarc=pass\r\n"
        b"Authentication-Results: other.example;\r\n\tspf=pass\r\n"
        b"Subject: x\r\n\r\nAuthentication-Results: mail.hue.gov.vn; body line\r\n"
    )
    assert remove_own_results(raw, "mail.hue.gov.vn") == (
        b"Authentication-Results: other.example;\r\n\tspf=pass\r\n"
        b"Subject: x\r\n\r\nAuthentication-Results: mail.hue.gov.vn; body line\r\n"
    )


def test_message_without_own_results_is_unchanged() -> None:
    raw = b"Subject: x\r\n\r\nbody\r\n"
    assert remove_own_results(raw, "mail.hue.gov.vn") is raw


def test_one_timeout_skips_later_lookups(keys: Keys) -> None:
    raw = keys.sign("example.org", message("an@example.org"))
    resolver = TableResolver(REJECT | keys.records, failing=("example.org",))
    verdict = authenticate(resolver, ip=IP, helo="h.example", mail_from="an@example.org", raw=raw)
    assert resolver.queries == [("example.org", "TXT")]
    assert (verdict.spf.result, verdict.dkim[0].result, verdict.dmarc.result) == (
        "temperror",
        "temperror",
        "temperror",
    )
