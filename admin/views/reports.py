"""Reports: periodic account review, six-monthly activity and login-frequency compliance.

Each report is an HTML table (the review also has an SVG chart) and a CSV download with the
same columns. `REPORTS` lists them; reports that need lifecycle data (hires, transfers,
leavers per unit) are added there once that data is recorded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin import forms
from admin.charts import Bar, bar_chart
from admin.i18n import Translator
from admin.render import render, request_translator
from admin.session import SignedIn, require_admin
from admin.state import console
from appliance.workdays import VIETNAM

REPORTS = ("review", "activity", "frequency")
DEFAULT_INACTIVE_DAYS = 90
MAX_PERIOD = timedelta(days=731)  # two years: a bound on the work one request can ask for

# Columns of each report: (catalogue key of the heading, value of a row).
Column = tuple[str, Callable[[Any], object]]
COLUMNS: dict[str, list[Column]] = {
    "review": [
        ("col_unit", lambda row: row.unit_name),
        ("col_total", lambda row: row.total),
        ("col_active", lambda row: row.active),
        ("col_locked", lambda row: row.locked),
        ("col_password_expired", lambda row: row.password_expired),
        ("col_no_2fa", lambda row: row.no_2fa),
        ("col_inactive", lambda row: row.inactive),
    ],
    "activity": [
        ("col_unit", lambda row: row.unit_name),
        ("col_logins", lambda row: row.logins),
        ("col_sent", lambda row: row.sent),
        ("col_received", lambda row: row.received),
        ("col_created", lambda row: row.created),
        ("col_locked_events", lambda row: row.locked),
        ("col_unlocked_events", lambda row: row.unlocked),
        ("col_revoked", lambda row: row.revoked),
    ],
    "frequency": [
        ("col_unit", lambda row: row.unit_name),
        ("col_checked", lambda row: row.checked),
        ("col_compliant", lambda row: row.compliant),
        ("col_percent", lambda row: round(row.percent, 1)),
        ("col_short", lambda row: ", ".join(row.short)),
    ],
}


def period(request: Request, default_days: int) -> tuple[date, date]:
    """Return the first and last day asked for, by default the `default_days` up to today."""
    today = console(request).core.clock.now().astimezone(VIETNAM).date()
    last = forms.day(request.query_params, "until") or today
    first = forms.day(request.query_params, "since") or last - timedelta(days=default_days - 1)
    if first > last or last - first > MAX_PERIOD:
        raise HTTPException(400)
    return first, last


async def build(request: Request, signed_in: SignedIn, name: str) -> dict[str, Any]:
    """Run report `name` for the request's parameters; return the page's context."""
    actions = console(request).core.admin_actions
    if name == "review":
        days = forms.integer(request.query_params, "days") or DEFAULT_INACTIVE_DAYS
        if not 1 <= days <= 3650:
            raise HTTPException(400)
        rows: list[Any] = await actions.review_report(signed_in.admin, days)
        return {"rows": rows, "days": days, "query": f"days={days}"}
    if name == "activity":
        first, last = period(request, 183)
        rows = await actions.activity_report(signed_in.admin, first, last)
        return {"rows": rows, "first": first, "last": last, "query": f"since={first}&until={last}"}
    first, last = period(request, 30)
    rows, working_days = await actions.login_frequency_report(signed_in.admin, first, last)
    return {
        "rows": rows,
        "first": first,
        "last": last,
        "working_days": working_days,
        "query": f"since={first}&until={last}",
    }


def unit_label(t: Translator, row: Any) -> str:
    return str(row.unit_name) if row.unit_id is not None else t("no_unit")


async def reports_page(request: Request) -> Response:
    signed_in = await require_admin(request)
    name = forms.text(request.query_params, "report", 20) or "review"
    if name not in REPORTS:
        raise HTTPException(404)
    t = request_translator(request)
    context = await build(request, signed_in, name)
    chart = None
    if name == "review":
        bars = [
            Bar(unit_label(t, row), (row.active, row.locked))
            for row in context["rows"]
            if row.total
        ]
        chart = bar_chart(bars, [t("col_active"), t("col_locked")], t("report_review"))
    return render(
        request,
        "reports.html",
        section="reports",
        report=name,
        reports=REPORTS,
        columns=COLUMNS[name],
        chart=chart,
        unit_label=lambda row: unit_label(t, row),
        **context,
    )


async def report_csv(request: Request) -> Response:
    """Send a report as CSV (UTF-8 with BOM, so spreadsheets read the Vietnamese)."""
    signed_in = await require_admin(request)
    name = request.path_params["name"]
    if name not in REPORTS:
        raise HTTPException(404)
    t = request_translator(request)
    context = await build(request, signed_in, name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t(key) for key, _ in COLUMNS[name]])
    for row in context["rows"]:
        values = [value(row) for _, value in COLUMNS[name]]
        values[0] = unit_label(t, row)
        writer.writerow(values)
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="bao-cao-{name}.csv"'},
    )
