"""The "report suspicious mail" button of the reading page.

The core sends the original message unchanged, as a message/rfc822 attachment, to the
security intake mailbox, records the report and moves the message to Junk.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from appliance.errors import ApplianceError
from appliance.web.sessions import check_csrf
from webmail.session import require_session
from webmail.state import webmail
from webmail.views.mailbox import account_folders, find_folder
from webmail.views.reading import find_message

log = logging.getLogger("web")


async def report_message(request: Request) -> Response:
    """Report the message being read, then go back to its folder with a notice."""
    signed_in = await require_session(request)
    check_csrf(await request.form(), signed_in.csrf)
    core = webmail(request).core
    account = signed_in.session.account
    folder = find_folder(
        await account_folders(request, signed_in), request.path_params["folder_id"]
    )
    uid = request.path_params["uid"]
    await find_message(core, folder.id, uid)
    folder_info = await core.store.folder(account.id, folder.name)
    try:
        await core.reports.report(account, folder_info, uid, "web")
    except ApplianceError as error:
        # For example the intake mailbox is missing or full: the message stays where it is.
        log.warning(
            "report failed account=%s folder=%d uid=%d error=%s",
            account.address,
            folder.id,
            uid,
            type(error).__name__,
        )
        return RedirectResponse(f"/folder/{folder.id}/{uid}?notice=report_failed", 303)
    return RedirectResponse(f"/folder/{folder.id}?notice=reported&count=1", status_code=303)
