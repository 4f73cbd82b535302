"""Mail client autoconfiguration documents, built from the settings.

Thunderbird's config-v1.1 XML (served at /mail/config-v1.1.xml and
/.well-known/autoconfig/mail/config-v1.1.xml), Outlook's POX autodiscover response, and an
Apple configuration profile (.mobileconfig, a property list). Each names the production
host and ports: IMAP 993 and submission 465 with TLS, or STARTTLS on 143 and 587.
"""

from __future__ import annotations

import plistlib
import uuid
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from appliance.config import Settings


@dataclass(frozen=True)
class Endpoints:
    """Where clients connect; production ports unless the operator set others."""

    host: str
    imaps: int = 993
    imap: int = 143
    submissions: int = 465
    submission: int = 587


def thunderbird_xml(settings: Settings, endpoints: Endpoints) -> bytes:
    """Return the config-v1.1 document Thunderbird reads (its autoconfig format)."""
    root = ET.Element("clientConfig", version="1.1")
    provider = ET.SubElement(root, "emailProvider", id=settings.domain)
    ET.SubElement(provider, "domain").text = settings.domain
    ET.SubElement(provider, "displayName").text = "Thư công vụ thành phố Huế"
    ET.SubElement(provider, "displayShortName").text = "Thư công vụ Huế"
    for port, socket_type in ((endpoints.imaps, "SSL"), (endpoints.imap, "STARTTLS")):
        server = ET.SubElement(provider, "incomingServer", type="imap")
        _server_fields(server, endpoints.host, port, socket_type)
    for port, socket_type in ((endpoints.submissions, "SSL"), (endpoints.submission, "STARTTLS")):
        server = ET.SubElement(provider, "outgoingServer", type="smtp")
        _server_fields(server, endpoints.host, port, socket_type)
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def _server_fields(server: ET.Element, host: str, port: int, socket_type: str) -> None:
    ET.SubElement(server, "hostname").text = host
    ET.SubElement(server, "port").text = str(port)
    ET.SubElement(server, "socketType").text = socket_type
    ET.SubElement(server, "authentication").text = "password-cleartext"
    ET.SubElement(server, "username").text = "%EMAILADDRESS%"


OUTLOOK_RESPONSE = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
AUTODISCOVER = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"


def outlook_xml(endpoints: Endpoints, email: str) -> bytes:
    """Return a POX autodiscover response with IMAP and SMTP settings (Outlook's format)."""
    root = ET.Element("Autodiscover", xmlns=AUTODISCOVER)
    response = ET.SubElement(root, "Response", xmlns=OUTLOOK_RESPONSE)
    account = ET.SubElement(response, "Account")
    ET.SubElement(account, "AccountType").text = "email"
    ET.SubElement(account, "Action").text = "settings"
    for kind, port in (("IMAP", endpoints.imaps), ("SMTP", endpoints.submissions)):
        protocol = ET.SubElement(account, "Protocol")
        ET.SubElement(protocol, "Type").text = kind
        ET.SubElement(protocol, "Server").text = endpoints.host
        ET.SubElement(protocol, "Port").text = str(port)
        ET.SubElement(protocol, "LoginName").text = email
        ET.SubElement(protocol, "SPA").text = "off"
        ET.SubElement(protocol, "SSL").text = "on"
        ET.SubElement(protocol, "AuthRequired").text = "on"
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))


def apple_profile(settings: Settings, endpoints: Endpoints, email: str, name: str) -> bytes:
    """Return an unsigned .mobileconfig that sets up the mail account (no password in it)."""
    payload = {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"vn.gov.hue.mail.account.{email}",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"account.{email}")),
        "PayloadDisplayName": email,
        "EmailAccountDescription": f"Thư công vụ Huế ({email})",
        "EmailAccountName": name or email,
        "EmailAccountType": "EmailTypeIMAP",
        "EmailAddress": email,
        "IncomingMailServerAuthentication": "EmailAuthPassword",
        "IncomingMailServerHostName": endpoints.host,
        "IncomingMailServerPortNumber": endpoints.imaps,
        "IncomingMailServerUseSSL": True,
        "IncomingMailServerUsername": email,
        "OutgoingMailServerAuthentication": "EmailAuthPassword",
        "OutgoingMailServerHostName": endpoints.host,
        "OutgoingMailServerPortNumber": endpoints.submissions,
        "OutgoingMailServerUseSSL": True,
        "OutgoingMailServerUsername": email,
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    profile = {
        "PayloadContent": [payload],
        "PayloadDisplayName": "Thư công vụ thành phố Huế",
        "PayloadIdentifier": f"vn.gov.hue.mail.{email}",
        "PayloadOrganization": settings.domain,
        "PayloadType": "Configuration",
        "PayloadUUID": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"profile.{email}")),
        "PayloadVersion": 1,
    }
    return plistlib.dumps(profile)
