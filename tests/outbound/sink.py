"""An aiosmtpd server on 127.0.0.1 that records what it receives, for outbound tests."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    """One message as the sink received it."""

    mail_from: str
    recipients: list[str]
    content: bytes
    tls: bool
    mail_options: list[str]


@dataclass
class Sink:
    """Replies and records; `rcpt_replies` and `data_reply` make it refuse on purpose."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str = "250 2.0.0 Ok"
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_reply.startswith("250"):
            self.messages.append(
                Received(
                    str(envelope.mail_from),
                    list(envelope.rcpt_tos),
                    bytes(envelope.original_content or b""),
                    session.ssl is not None,
                    list(envelope.mail_options),
                )
            )
        return self.data_reply

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword) and data.password == b"relay-secret":
            self.logins.append(data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


async def start_sink(
    sink: Sink, tls: ssl.SSLContext | None = None, *, auth: bool = False
) -> tuple[asyncio.Server, int]:
    """Serve `sink` on a kernel-chosen port of 127.0.0.1; STARTTLS only when `tls` is given."""
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        sink.connections += 1
        return SMTP(
            sink,
            hostname="mx.example.test",
            tls_context=tls,
            enable_SMTPUTF8=True,
            decode_data=False,
            authenticator=sink.authenticate if auth else None,
            auth_require_tls=True,
            loop=loop,
        )

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]
