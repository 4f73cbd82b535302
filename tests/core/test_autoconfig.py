from __future__ import annotations

import plistlib
from pathlib import Path
from xml.etree import ElementTree as ET

from appliance.autoconfig import Endpoints, apple_profile, outlook_xml, thunderbird_xml
from appliance.config import Settings

SETTINGS = Settings(data_dir=Path("/nonexistent"))
ENDPOINTS = Endpoints(host="mail.hue.gov.vn")


def test_thunderbird_servers() -> None:
    root = ET.fromstring(thunderbird_xml(SETTINGS, ENDPOINTS))
    assert root.tag == "clientConfig"
    assert root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider is not None
    assert provider.get("id") == "hue.gov.vn"
    assert provider.findtext("domain") == "hue.gov.vn"
    servers = [
        (
            server.tag,
            server.get("type"),
            server.findtext("hostname"),
            server.findtext("port"),
            server.findtext("socketType"),
            server.findtext("authentication"),
            server.findtext("username"),
        )
        for server in provider
        if server.tag in ("incomingServer", "outgoingServer")
    ]
    assert servers == [
        (
            "incomingServer",
            "imap",
            "mail.hue.gov.vn",
            "993",
            "SSL",
            "password-cleartext",
            "%EMAILADDRESS%",
        ),
        (
            "incomingServer",
            "imap",
            "mail.hue.gov.vn",
            "143",
            "STARTTLS",
            "password-cleartext",
            "%EMAILADDRESS%",
        ),
        (
            "outgoingServer",
            "smtp",
            "mail.hue.gov.vn",
            "465",
            "SSL",
            "password-cleartext",
            "%EMAILADDRESS%",
        ),
        (
            "outgoingServer",
            "smtp",
            "mail.hue.gov.vn",
            "587",
            "STARTTLS",
            "password-cleartext",
            "%EMAILADDRESS%",
        ),
    ]


def test_outlook_autodiscover() -> None:
    root = ET.fromstring(outlook_xml(ENDPOINTS, "nvan.skhcn@hue.gov.vn"))
    namespace = {
        "r": "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    }
    protocols = root.findall("r:Response/r:Account/r:Protocol", namespace)
    found = [
        (p.findtext("r:Type", namespaces=namespace), p.findtext("r:Port", namespaces=namespace))
        for p in protocols
    ]
    assert found == [("IMAP", "993"), ("SMTP", "465")]
    assert protocols[0].findtext("r:LoginName", namespaces=namespace) == "nvan.skhcn@hue.gov.vn"


def test_apple_profile() -> None:
    profile = plistlib.loads(
        apple_profile(SETTINGS, ENDPOINTS, "nvan.skhcn@hue.gov.vn", "Nguyễn Văn An")
    )
    [account] = profile["PayloadContent"]
    assert account["EmailAccountName"] == "Nguyễn Văn An"
    assert account["IncomingMailServerPortNumber"] == 993
    assert account["OutgoingMailServerPortNumber"] == 465
    assert account["IncomingMailServerUseSSL"] is True
    assert "IncomingPassword" not in account
