"""The directory pages a unit may publish, readable without signing in.

`/danh-ba/<unit mailbox>` is an HTML page; `.json`, `.csv` and `.vcf` (vCard 4.0, RFC
6350) download the same list. Only units that publish their directory have these pages,
and only the fields each person marked public appear: the HTML page is built from the
core's JSON export, which leaves out everything else.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from appliance.directory.export import NotPublished
from appliance.directory.queries import UnitNotFound
from webmail.render import render
from webmail.state import webmail

# File name ending, export form of the core, media type and disposition (RFC 6266).
DOWNLOADS = {
    ".json": ("json", "application/json; charset=utf-8", "inline"),
    ".csv": ("csv", "text/csv; charset=utf-8", "attachment"),
    ".vcf": ("vcard", "text/vcard; charset=utf-8", "attachment"),
}


async def exported(request: Request, mailbox: str, form: str) -> str:
    """Return the core's export of a published unit, or raise HTTP 404."""
    try:
        return await webmail(request).core.directory.export(mailbox, form)
    except (UnitNotFound, NotPublished):
        raise HTTPException(404) from None


async def public_unit(request: Request) -> Response:
    """Serve a published unit's directory as a page or as a download, by the name's ending."""
    name = request.path_params["name"]
    for ending, (form, media_type, disposition) in DOWNLOADS.items():
        if name.endswith(ending):
            mailbox = name.removesuffix(ending)
            body = await exported(request, mailbox, form)
            return Response(
                body,
                media_type=media_type,
                headers={"Content-Disposition": f'{disposition}; filename="{mailbox}{ending}"'},
            )
    document = json.loads(await exported(request, name, "json"))
    return render(
        request,
        "public_unit.html",
        unit=document["unit"],
        people=document["people"],
        mailbox=name,
        notice="",
        error="",
    )
