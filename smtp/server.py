"""The three SMTP listeners, on the appliance's own event loop.

| name | RFC | TLS | AUTH |
|---|---|---|---|
| smtp (MX) | 5321 | STARTTLS offered, not required (RFC 3207) | not offered |
| submission | 6409 | STARTTLS required before anything else | PLAIN, LOGIN required |
| submissions | 8314 | implicit TLS | PLAIN, LOGIN required |

aiosmtpd's `SMTP` class is an asyncio protocol, so each listener is a plain
`loop.create_server` with one protocol instance per connection. aiosmtpd's threaded
Controller is not used.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass

from appliance.core import Core
from smtp.handlers import Handler, MXHandler, SubmissionHandler
from smtp.protocol import COMMAND_TIMEOUT, ApplianceSMTP, quiet_aiosmtpd_log
from smtp.resolver import Resolver, SystemResolver


@dataclass(frozen=True)
class Listener:
    """One SMTP listener: its name, port and TLS mode."""

    name: str
    port: int
    submission: bool  # AUTH required, sender must be the account's own address
    implicit_tls: bool


def listeners(core: Core) -> list[Listener]:
    settings = core.settings
    return [
        Listener("smtp", settings.smtp_port, submission=False, implicit_tls=False),
        Listener("submission", settings.submission_port, submission=True, implicit_tls=False),
        Listener("submissions", settings.submissions_port, submission=True, implicit_tls=True),
    ]


async def start_smtp(
    core: Core, tls: ssl.SSLContext, *, resolver: Resolver | None = None
) -> dict[str, asyncio.Server]:
    """Start every SMTP listener on `core.settings.listen`; return them by name.

    `resolver` answers the SPF, DKIM and DMARC lookups of the MX; None uses the system's.
    """
    quiet_aiosmtpd_log()
    resolver = resolver or SystemResolver()
    servers: dict[str, asyncio.Server] = {}
    try:
        for listener in listeners(core):
            servers[listener.name] = await start_listener(core, tls, listener, resolver=resolver)
    except OSError:
        for server in servers.values():
            server.close()
        raise
    return servers


async def start_listener(
    core: Core,
    tls: ssl.SSLContext,
    listener: Listener,
    *,
    timeout: float = COMMAND_TIMEOUT,
    resolver: Resolver | None = None,
) -> asyncio.Server:
    """Start one listener; `timeout` is the idle time in seconds before a 421 and close."""
    loop = asyncio.get_running_loop()
    handler: Handler
    if listener.submission:
        handler = SubmissionHandler(core)
    else:
        handler = MXHandler(core, resolver or SystemResolver())
    settings = core.settings

    def make_protocol() -> ApplianceSMTP:
        return ApplianceSMTP(
            handler,
            listener=listener.name,
            hostname=settings.hostname,
            max_size=settings.max_message_size,
            tls_context=None if listener.implicit_tls else tls,
            require_starttls=listener.submission and not listener.implicit_tls,
            offers_auth=listener.submission,
            timeout=timeout,
            loop=loop,
        )

    return await loop.create_server(
        make_protocol,
        settings.listen,
        listener.port,
        ssl=tls if listener.implicit_tls else None,
    )
