"""IMAP listeners (being written)."""

from __future__ import annotations

import asyncio
import ssl

from appliance.core import Core


async def start_imap(core: Core, tls: ssl.SSLContext) -> dict[str, asyncio.Server]:
    return {}
