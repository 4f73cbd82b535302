"""Mail client autoconfiguration over HTTP: Thunderbird, Outlook and Apple devices.

The documents come from `appliance.autoconfig` and name `hostname` with the public ports
(`public_imaps_port` and the others). Thunderbird fetches
`http://autoconfig.<domain>/mail/config-v1.1.xml` or the domain's
`/.well-known/autoconfig/mail/config-v1.1.xml`; Outlook posts an autodiscover request to
`autodiscover.<domain>`. The MTA-STS policy (RFC 8461 3.2) is served at
`https://mta-sts.<domain>/.well-known/mta-sts.txt`. `AutoconfigHosts` lets those host
names reach these routes, and only these. The Apple profile is a download for the
signed-in user.
"""

from __future__ import annotations

import logging
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from appliance.autoconfig import Endpoints, apple_profile, outlook_xml, thunderbird_xml
from appliance.config import Settings
from appliance.dns_records import mta_sts_policy
from webmail.session import require_session
from webmail.state import webmail

log = logging.getLogger("web")

THUNDERBIRD_PATHS = ("/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml")
AUTODISCOVER_PATHS = ("/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml")
MTA_STS_PATH = "/.well-known/mta-sts.txt"
PUBLIC_PATHS = frozenset((*THUNDERBIRD_PATHS, *AUTODISCOVER_PATHS, MTA_STS_PATH))
HOST_PREFIXES = ("autoconfig", "autodiscover", "mta-sts")
MAX_REQUEST_BYTES = 16 * 1024  # an autodiscover request is a few hundred bytes
XML = "application/xml"
MOBILECONFIG = "application/x-apple-aspen-config"


def endpoints(settings: Settings) -> Endpoints:
    return Endpoints(
        host=settings.hostname,
        imaps=settings.public_imaps_port,
        imap=settings.public_imap_port,
        submissions=settings.public_submissions_port,
        submission=settings.public_submission_port,
    )


def routes() -> list[Route]:
    """Return the autoconfiguration routes to add to the webmail."""
    found = [Route(path, thunderbird, methods=["GET"]) for path in THUNDERBIRD_PATHS]
    found += [Route(path, outlook, methods=["GET", "POST"]) for path in AUTODISCOVER_PATHS]
    found.append(Route(MTA_STS_PATH, mta_sts, methods=["GET"]))
    found.append(Route("/settings/mobileconfig", mobileconfig, methods=["GET"]))
    return found


async def thunderbird(request: Request) -> Response:
    """Return Thunderbird's config-v1.1 document, without sign-in."""
    settings = webmail(request).core.settings
    return Response(thunderbird_xml(settings, endpoints(settings)), media_type=XML)


async def outlook(request: Request) -> Response:
    """Return Outlook's POX autodiscover document for the address POSTed in XML or in ?Email=."""
    settings = webmail(request).core.settings
    if request.method == "POST":
        body = await read_limited(request)
        if body is None:
            return PlainTextResponse("Request too large", status_code=413)
        address = requested_address(body)
    else:
        address = request.query_params.get("Email") or request.query_params.get("email")
    if not address or not valid_local_address(settings, address):
        return PlainTextResponse("Missing or unknown EMailAddress", status_code=400)
    return Response(outlook_xml(endpoints(settings), address), media_type=XML)


async def mta_sts(request: Request) -> Response:
    """Return the MTA-STS policy file, the same text `appliance dns --mta-sts-policy` prints."""
    return PlainTextResponse(mta_sts_policy(webmail(request).core.settings))


async def mobileconfig(request: Request) -> Response:
    """Return the Apple configuration profile of the signed-in account as a download."""
    signed_in = await require_session(request)
    account = signed_in.session.account
    settings = webmail(request).core.settings
    profile = apple_profile(settings, endpoints(settings), account.address, account.display_name)
    filename = f"{settings.domain}.mobileconfig"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(profile, media_type=MOBILECONFIG, headers=headers)


async def read_limited(request: Request) -> bytes | None:
    """Return the request body, or None once it passes MAX_REQUEST_BYTES."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REQUEST_BYTES:
            return None
    return body


def requested_address(body: bytes) -> str | None:
    """Return the EMailAddress of an autodiscover request; None if it is missing or unsafe.

    defusedxml rejects DTDs, entity declarations and external references, so the request
    cannot expand entities or make the server fetch anything.
    """
    try:
        root: Element = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError):
        return None
    for element in root.iter():
        if element.tag.rpartition("}")[2] == "EMailAddress" and element.text:
            return element.text.strip()
    return None


def valid_local_address(settings: Settings, address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local) and settings.is_local_domain(domain) and address.isprintable()


class AutoconfigHosts:
    """Serve the public routes for autoconfig., autodiscover. and mta-sts.<domain>.

    The webmail serves only its own host name. For these names and the public
    autoconfiguration paths, the Host header is replaced by the webmail's, so the request
    passes the webmail's host check; any other path on them still gets a 404.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        domains = (settings.domain, *settings.local_domains)
        self.hosts = {f"{prefix}.{domain}" for prefix in HOST_PREFIXES for domain in domains}
        self.web_host = settings.web_host.encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in PUBLIC_PATHS:
            headers = list(scope.get("headers", []))
            for index, (name, value) in enumerate(headers):
                host = value.decode("latin-1").partition(":")[0].lower().rstrip(".")
                if name == b"host" and host in self.hosts:
                    headers[index] = (b"host", self.web_host)
                    scope = {**scope, "headers": headers}
                    break
        await self.app(scope, receive, send)
