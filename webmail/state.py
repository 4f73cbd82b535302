"""State shared by every request handler of the webmail: the core, templates, catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import jinja2
from itsdangerous import URLSafeTimedSerializer
from starlette.requests import Request

from appliance.core import Core


@dataclass(frozen=True)
class Webmail:
    core: Core
    templates: jinja2.Environment
    catalogues: dict[str, dict[str, str]]
    signer: URLSafeTimedSerializer  # signs the short-lived cookie of the second login step


def webmail(request: Request) -> Webmail:
    """Return the shared state of the application that serves `request`."""
    return cast(Webmail, request.app.state.webmail)
