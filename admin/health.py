"""`GET /health`: whether the database and the blob store answer, as JSON.

The status is 200 when every check passed and 503 otherwise, so a load balancer or a
container health check can act on the status code alone; the body names what failed.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from appliance.core import Core

log = logging.getLogger("web")
CHECK_TIMEOUT = 5.0  # seconds per check before it counts as failed


async def check_database(core: Core) -> None:
    async with core.sessions() as session:
        await session.execute(text("SELECT 1"))


async def check_blobs(core: Core) -> None:
    await core.blobs.check()


async def health(request: Request) -> JSONResponse:
    """Run each check with a timeout; report "ok" or the error's class name for each."""
    core: Core = request.app.state.core
    checks: dict[str, str] = {}
    for name, check in (("database", check_database), ("blobs", check_blobs)):
        try:
            await asyncio.wait_for(check(core), CHECK_TIMEOUT)
        except Exception as error:
            log.warning("health check %s failed: %r", name, error)
            checks[name] = f"failed: {type(error).__name__}"
        else:
            checks[name] = "ok"
    healthy = all(outcome == "ok" for outcome in checks.values())
    body = {
        "status": "ok" if healthy else "failed",
        "checks": checks,
        "uptime_seconds": int(time.monotonic() - request.app.state.started),
        "database": core.engine.dialect.name,
    }
    return JSONResponse(body, status_code=200 if healthy else 503)
