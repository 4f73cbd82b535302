"""`appliance serve`: every listener on one event loop, around one core.

This module and the command line are the only places that import the protocol packages;
the core never does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette

from appliance.core import Core
from appliance.jobs import register_jobs
from appliance.tls import reload_certificate, server_context

if TYPE_CHECKING:
    from smtp.resolver import Resolver

log = logging.getLogger("appliance")


class EmbeddedWebServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve`, which stops every listener."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Services:
    """The running listeners; `ports` maps a listener name to its bound port."""

    core: Core
    servers: dict[str, asyncio.Server] = field(default_factory=dict)
    web: list[tuple[uvicorn.Server, asyncio.Task[None]]] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)
    tls: ssl.SSLContext | None = None  # shared by every TLS listener, so one reload serves all

    def reload_certificate(self) -> None:
        """Load the certificate files again; connections made after this get the new one."""
        if self.tls is None:
            return
        try:
            reload_certificate(self.tls, self.core.settings)
        except (OSError, ssl.SSLError) as error:
            log.error("certificate reload failed, keeping the old one: %s", error)
            return
        log.info("certificate reloaded from %s", self.core.settings.cert_file)

    async def stop(self) -> None:
        """Stop accepting, let deliveries in flight finish, then close the core."""
        await self.core.queue.stop()
        for server in self.servers.values():
            server.close()
        for web_server, _task in self.web:
            web_server.should_exit = True
        await self.core.delivery.drain()
        for server in self.servers.values():
            try:
                await asyncio.wait_for(server.wait_closed(), 10)
            except TimeoutError:
                log.warning("a listener still had open connections after 10 s; closing anyway")
        for _server, task in self.web:
            await task
        await self.core.close()


async def start_services(core: Core, *, resolver: Resolver | None = None) -> Services:
    """Start the SMTP, IMAP and web listeners and the outbound queue on the running loop.

    `resolver` answers every DNS lookup (MX, SPF, DKIM, DMARC); None uses the system's,
    or with the setting `dns_lookups` off one that sends no query.
    """
    from admin.app import create_admin_app
    from imap.server import start_imap
    from smtp.dkim_sign import DkimSigner
    from smtp.outbound import SmtpTransport
    from smtp.resolver import SystemResolver, TableResolver
    from smtp.server import start_smtp
    from webmail.app import create_app

    settings = core.settings
    tls = server_context(settings)
    services = Services(core, tls=tls)
    if resolver is None:
        resolver = SystemResolver() if settings.dns_lookups else TableResolver()
    services.servers.update(await start_smtp(core, tls, resolver=resolver))
    services.servers.update(await start_imap(core, tls))
    app = create_app(core)
    admin_app = create_admin_app(core)
    for name, web_app, port, use_tls in (
        ("http", app, settings.http_port, False),
        ("https", app, settings.https_port, True),
        ("admin", admin_app, settings.admin_port, False),
    ):
        services.ports[name] = start_web(services, web_app, port, use_tls)
    for name, server in services.servers.items():
        services.ports[name] = server.sockets[0].getsockname()[1]
    register_jobs(core)
    core.scheduler.start()
    signer = DkimSigner.from_settings(settings)
    core.queue.start(SmtpTransport(settings, resolver, signer=signer))
    for name, port in sorted(services.ports.items()):
        log.info("listening service=%s address=%s port=%d", name, settings.listen, port)
    return services


def start_web(services: Services, app: Starlette, port: int, use_tls: bool) -> int:
    """Serve `app` with uvicorn on the running loop; return the bound port."""
    settings = services.core.settings
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.listen, port))
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        ssl_certfile=str(settings.cert_file) if use_tls else None,
        ssl_keyfile=str(settings.key_file) if use_tls else None,
        lifespan="off",
    )
    config.load()
    if use_tls:
        # The shared context: TLS 1.2 or newer, our ciphers, and reloaded on SIGHUP.
        config.ssl = services.tls
    web_server = EmbeddedWebServer(config)
    task = asyncio.get_running_loop().create_task(web_server.serve(sockets=[sock]))
    services.web.append((web_server, task))
    port_number: int = sock.getsockname()[1]
    return port_number


async def serve(core: Core) -> None:
    """Run until SIGTERM or SIGINT, then stop cleanly; SIGHUP reloads the certificate."""
    services = await start_services(core)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, services.reload_certificate)
    await stop.wait()
    log.info("stopping: finishing deliveries in flight")
    await services.stop()
    log.info("stopped")
