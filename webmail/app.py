"""The webmail application (being written)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from appliance.core import Core


def create_app(core: Core) -> Starlette:
    async def home(request: Request) -> PlainTextResponse:
        return PlainTextResponse("webmail")

    return Starlette(routes=[Route("/", home)])
