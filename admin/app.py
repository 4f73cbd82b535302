"""The admin listener's application: metrics and health for the operations centre.

Served on its own port (`admin_port`) so that `/metrics` and `/health` can stay inside
the operator's network while the webmail faces the internet. The admin console will be
mounted here too.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.routing import Route

from admin.health import health
from admin.metrics import metrics
from appliance.core import Core


def create_admin_app(core: Core) -> Starlette:
    """Build the admin application around a core that is already open."""
    app = Starlette(
        routes=[
            Route("/metrics", metrics, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ]
    )
    app.state.core = core
    app.state.started = time.monotonic()
    return app
