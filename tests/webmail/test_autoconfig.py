"""Mail client autoconfiguration over HTTP: Thunderbird, Outlook and the Apple profile."""

from __future__ import annotations

import plistlib
from xml.etree import ElementTree as ET

import httpx
import pytest

from tests.harness import RunningAppliance
from tests.webmail.conftest import ADDRESS, WebClient

OUTLOOK_REQUEST = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
    "<Request><EMailAddress>{address}</EMailAddress>"
    "<AcceptableResponseSchema>"
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)
RESPONSE_NS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


def client(appliance: RunningAppliance, host: str = "mail.hue.gov.vn") -> httpx.Client:
    return httpx.Client(
        base_url=f"http://127.0.0.1:{appliance.ports['http']}", headers={"Host": host}
    )


def servers(document: bytes) -> list[tuple[str, str, str, str]]:
    provider = ET.fromstring(document).find("emailProvider")
    assert provider is not None
    return [
        (
            server.tag,
            server.findtext("hostname") or "",
            server.findtext("port") or "",
            server.findtext("socketType") or "",
        )
        for server in provider
        if server.tag in ("incomingServer", "outgoingServer")
    ]


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("autoconfig.hue.gov.vn", "/mail/config-v1.1.xml"),
        ("mail.hue.gov.vn", "/.well-known/autoconfig/mail/config-v1.1.xml"),
        ("hue.gov.vn.mail.test", "/mail/config-v1.1.xml"),
    ],
)
def test_thunderbird_document(appliance: RunningAppliance, host: str, path: str) -> None:
    with client(appliance, host) as http:
        response = http.get(path)
    if host.endswith(".test"):
        assert response.status_code == 404  # the webmail's host check still applies
        return
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert servers(response.content) == [
        ("incomingServer", "mail.hue.gov.vn", "993", "SSL"),
        ("incomingServer", "mail.hue.gov.vn", "143", "STARTTLS"),
        ("outgoingServer", "mail.hue.gov.vn", "465", "SSL"),
        ("outgoingServer", "mail.hue.gov.vn", "587", "STARTTLS"),
    ]


def test_autoconfig_host_serves_nothing_else(appliance: RunningAppliance) -> None:
    with client(appliance, "autoconfig.hue.gov.vn") as http:
        assert http.get("/login").status_code == 404


def test_outlook_autodiscover_post(appliance: RunningAppliance) -> None:
    with client(appliance, "autodiscover.hue.gov.vn") as http:
        response = http.post(
            "/autodiscover/autodiscover.xml",
            content=OUTLOOK_REQUEST.format(address=ADDRESS),
            headers={"Content-Type": "text/xml"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    account = ET.fromstring(response.content).find(f".//{RESPONSE_NS}Account")
    assert account is not None
    protocols = [
        (
            p.findtext(f"{RESPONSE_NS}Type"),
            p.findtext(f"{RESPONSE_NS}Server"),
            p.findtext(f"{RESPONSE_NS}Port"),
            p.findtext(f"{RESPONSE_NS}LoginName"),
        )
        for p in account.findall(f"{RESPONSE_NS}Protocol")
    ]
    assert protocols == [
        ("IMAP", "mail.hue.gov.vn", "993", ADDRESS),
        ("SMTP", "mail.hue.gov.vn", "465", ADDRESS),
    ]


def test_outlook_autodiscover_get(appliance: RunningAppliance) -> None:
    with client(appliance) as http:
        response = http.get("/autodiscover/autodiscover.xml", params={"Email": ADDRESS})
    assert response.status_code == 200
    assert ADDRESS.encode() in response.content


@pytest.mark.parametrize(
    "body",
    [
        OUTLOOK_REQUEST.format(address="someone@example.org"),
        "not xml",
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "nvan.skhcn@hue.gov.vn">]>'
        "<a><EMailAddress>&e;</EMailAddress></a>",
        "<a/>",
    ],
    ids=["foreign", "not-xml", "entity", "no-address"],
)
def test_outlook_bad_requests(appliance: RunningAppliance, body: str) -> None:
    with client(appliance) as http:
        response = http.post("/autodiscover/autodiscover.xml", content=body)
    assert (response.status_code, response.text) == (400, "Missing or unknown EMailAddress")


def test_outlook_request_too_large(appliance: RunningAppliance) -> None:
    with client(appliance) as http:
        response = http.post("/autodiscover/autodiscover.xml", content=b"<a>" + b"x" * 20000)
    assert response.status_code == 413


def test_mobileconfig_needs_sign_in(appliance: RunningAppliance) -> None:
    with client(appliance) as http:
        response = http.get("/settings/mobileconfig")
    assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_mobileconfig_download(signed_in: WebClient) -> None:
    response = signed_in.get("/settings/mobileconfig")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-apple-aspen-config"
    assert response.headers["content-disposition"] == (
        'attachment; filename="hue.gov.vn.mobileconfig"'
    )
    profile = plistlib.loads(response.content)
    [payload] = profile["PayloadContent"]
    assert payload["EmailAddress"] == ADDRESS
    assert payload["EmailAccountName"] == "Nguyễn Văn An"
    assert payload["IncomingMailServerHostName"] == "mail.hue.gov.vn"
    assert payload["IncomingMailServerPortNumber"] == 993
    assert payload["OutgoingMailServerPortNumber"] == 465


def test_mta_sts_policy_served(appliance: RunningAppliance) -> None:
    with client(appliance, "mta-sts.hue.gov.vn") as http:
        response = http.get("/.well-known/mta-sts.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == (
        "version: STSv1\r\nmode: testing\r\nmx: mail.hue.gov.vn\r\nmax_age: 604800\r\n"
    )
