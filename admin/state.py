"""State shared by every request handler of the admin console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import jinja2
from itsdangerous import URLSafeTimedSerializer
from starlette.requests import Request

from admin.handover import HandoverStore
from appliance.core import Core


@dataclass(frozen=True)
class Console:
    core: Core
    templates: jinja2.Environment
    catalogues: dict[str, dict[str, str]]
    signer: URLSafeTimedSerializer  # signs the cookie of the steps before the session starts
    handovers: HandoverStore


def console(request: Request) -> Console:
    """Return the shared state of the application that serves `request`."""
    return cast(Console, request.app.state.console)
