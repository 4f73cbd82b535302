"""The city directory for signed-in staff: search, unit pages, and recipient suggestions.

Search is the core's: every word of the query matches a word prefix of a name, unit or
address, with or without diacritics. The suggestion endpoint returns JSON for the compose
form's script (`static/suggest.js`); the form works without it.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appliance.directory.queries import UnitNotFound
from appliance.directory.records import PersonInfo, UnitInfo
from appliance.directory.search import search_key
from appliance.web.sessions import LoginRequired
from webmail.render import render
from webmail.session import PasswordChangeRequired, require_session
from webmail.state import webmail

SEARCH_LIMIT = 50
SUGGEST_LIMIT = 8
MAX_QUERY = 200  # characters; longer queries are cut
# Units a person may belong to directly; other kinds are listed under these.
TOP_KINDS = ("department", "special", "ward", "commune")


async def people_by_id(request: Request, ids: list[int]) -> dict[int, PersonInfo]:
    """Return the directory entries of search hits, which carry no position, by id."""
    found = await webmail(request).core.directory.people(ids=ids)
    return {person.id: person for person in found}


def query_of(request: Request) -> str:
    return request.query_params.get("q", "").strip()[:MAX_QUERY]


async def directory_page(request: Request) -> Response:
    """Show the search form with its results, or the list of units when nothing is asked."""
    await require_session(request)
    core = webmail(request).core
    query = query_of(request)
    results: list[PersonInfo] = []
    units: list[UnitInfo] = []
    if query:
        hits = await core.directory.search(query, SEARCH_LIMIT)
        people = await people_by_id(request, [hit.person_id for hit in hits])
        results = [people[hit.person_id] for hit in hits if hit.person_id in people]
    else:
        units = sorted(
            (unit for unit in await core.directory.units() if top_level(unit)),
            key=lambda unit: search_key(unit.name),
        )
    return render(
        request,
        "directory.html",
        query=query,
        results=results,
        units=units,
        notice="",
        error="",
    )


def top_level(unit: UnitInfo) -> bool:
    return unit.kind in TOP_KINDS and unit.mailbox is not None and unit.parent_id is None


async def unit_page(request: Request) -> Response:
    """Show one unit: its address, sub-units and people, leadership first."""
    await require_session(request)
    core = webmail(request).core
    try:
        unit = await core.directory.unit(request.path_params["mailbox"])
    except UnitNotFound:
        raise HTTPException(404) from None
    if unit.mailbox is None:
        raise HTTPException(404)
    units = await core.directory.units()
    parent = next((item for item in units if item.id == unit.parent_id), None)
    children = sorted(
        (item for item in units if item.parent_id == unit.id and item.mailbox),
        key=lambda item: search_key(item.name),
    )
    return render(
        request,
        "directory_unit.html",
        unit=unit,
        unit_address=f"{unit.mailbox}@{core.settings.domain}",
        parent=parent,
        children=children,
        people=await core.directory.people(unit.mailbox),
        notice="",
        error="",
    )


async def suggest(request: Request) -> Response:
    """Return up to eight people with a mailbox matching `q`, as JSON, for a signed-in reader.

    Without a session the response is 401 with no names, so the list is not public.
    """
    try:
        await require_session(request)
    except (LoginRequired, PasswordChangeRequired):
        return JSONResponse({"error": "login required"}, status_code=401)
    query = query_of(request)
    if len(query) < 2:
        return JSONResponse([])
    # Ask for more than shown, because people without a mailbox here are dropped.
    hits = await webmail(request).core.directory.search(query, SUGGEST_LIMIT * 2)
    domain = webmail(request).core.settings.domain
    found = [
        {"name": hit.full_name, "address": f"{hit.address}@{domain}", "unit": hit.unit_name}
        for hit in hits
        if hit.address
    ]
    return JSONResponse(found[:SUGGEST_LIMIT])
