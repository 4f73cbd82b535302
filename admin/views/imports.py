"""Staff list import: upload, dry-run preview, apply, then the password list once.

The uploaded rows wait in memory between the preview and the apply, bound to the admin's
session. The apply plans them again inside its transaction (see `appliance.directory`).
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin import forms
from admin.handover import Handover
from admin.render import render, request_translator
from admin.session import SignedIn, require_admin, require_form
from admin.state import console
from appliance.directory.bulk import Created
from appliance.directory.importing import (
    ImportFileError,
    ImportRejected,
    SourceRow,
    read_staff_file,
)
from appliance.errors import OutOfScope
from appliance.web.sessions import check_csrf, client_of

MAX_UPLOAD = 5 * 1024 * 1024  # bytes; a staff list of thousands of rows is far smaller
SUFFIXES = (".csv", ".xlsx")


async def import_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    return await show_form(request, signed_in)


async def show_form(
    request: Request, signed_in: SignedIn, *, error: str = "", status: int = 200
) -> Response:
    units = await console(request).core.admin_actions.units(signed_in.admin)
    return render(
        request,
        "import.html",
        status=status,
        section="import",
        units=[unit for unit in units if unit.mailbox],
        error=error,
    )


async def preview(request: Request) -> Response:
    """Read the uploaded file and show the proposal and problems of every row."""
    if int(request.headers.get("content-length") or 0) > MAX_UPLOAD:
        raise HTTPException(413)
    signed_in = await require_admin(request)
    form = await request.form()
    try:
        check_csrf(form, signed_in.csrf)
        return await preview_form(request, signed_in, form)
    finally:
        await form.close()  # removes the spooled temporary file of the upload


async def preview_form(request: Request, signed_in: SignedIn, form: FormData) -> Response:
    t = request_translator(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await show_form(request, signed_in, error=t("import_no_file"), status=400)
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        return await show_form(request, signed_in, error=t("import_bad_type"), status=400)
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413)

    try:
        rows = read_rows(data, suffix)
    except ImportFileError as error:
        return await show_form(
            request, signed_in, error=t("import_unreadable", detail=error.message), status=400
        )

    unit = forms.text(form, "unit", 64) or None
    state = console(request)
    try:
        proposals = await state.core.admin_actions.plan_import(
            signed_in.admin, rows, unit, client_of(request)
        )
    except OutOfScope:
        return await show_form(request, signed_in, error=t("import_out_of_scope"), status=403)
    key = state.handovers.put(
        Handover(signed_in.session.id, "plan", "", "", {"unit": unit or ""}, payload=rows)
    )
    return render(
        request,
        "import_preview.html",
        section="import",
        proposals=proposals,
        key=key,
        new_count=sum(1 for proposal in proposals if proposal.status == "new"),
        problem_count=sum(1 for proposal in proposals if proposal.problems),
    )


def read_rows(data: bytes, suffix: str) -> list[SourceRow]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"staff{suffix}"
        path.write_bytes(data)
        return read_staff_file(path)


async def apply(request: Request) -> Response:
    """Create the accounts of a previewed list and offer its password list once."""
    signed_in, form = await require_form(request)
    state = console(request)
    t = request_translator(request)
    item = state.handovers.take(forms.text(form, "key", 64), signed_in.session.id, "plan")
    if item is None:
        return await show_form(request, signed_in, error=t("import_expired"), status=410)
    unit = item.extra.get("unit") or None
    try:
        created = await state.core.admin_actions.apply_import(
            signed_in.admin, item.payload, unit, client_of(request)
        )
    except ImportRejected:
        return await show_form(request, signed_in, error=t("import_rejected"), status=409)
    list_key = state.handovers.put(
        Handover(
            signed_in.session.id, "list", "", password_list(created, state.core.settings.domain)
        )
    )
    return render(
        request,
        "import_done.html",
        section="import",
        created=created,
        list_key=list_key,
        domain=state.core.settings.domain,
    )


def password_list(created: list[Created], domain: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "full_name", "address", "initial_password"])
    for item in created:
        writer.writerow([item.number, item.full_name, f"{item.address}@{domain}", item.password])
    return buffer.getvalue()


async def download_list(request: Request) -> Response:
    """Send the hand-over list (CSV, UTF-8 with BOM for spreadsheets) once."""
    signed_in = await require_admin(request)
    item = console(request).handovers.take(request.path_params["key"], signed_in.session.id, "list")
    if item is None:
        raise HTTPException(410)
    return Response(
        ("\ufeff" + item.secret).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="danh-sach-ban-giao.csv"'},
    )
