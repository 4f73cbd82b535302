"""`GET /metrics`: the appliance's Prometheus metrics in the text exposition format."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from appliance.core import Core
from appliance.metrics import REGISTRY, refresh_gauges


async def metrics(request: Request) -> Response:
    """Read the database gauges, then return every metric of the registry."""
    core: Core = request.app.state.core
    await refresh_gauges(core.sessions)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
