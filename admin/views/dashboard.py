"""The dashboard: accounts per state, pending unlock requests, recent refusals."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from admin.render import render
from admin.session import require_admin
from admin.state import console

STATES = ("active", "locked", "forwarding", "revoked")


async def dashboard_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    board = await console(request).core.admin_actions.dashboard(signed_in.admin)
    states = [(state, board.states.get(state, 0)) for state in STATES]
    states += [
        (state, count) for state, count in sorted(board.states.items()) if state not in STATES
    ]
    return render(
        request,
        "dashboard.html",
        section="dashboard",
        states=states,
        total=sum(board.states.values()),
        pending=board.pending_unlocks,
        refusals=board.refusals.entries[:10],
        now=console(request).core.clock.now(),
    )
