"""Small helpers that read typed values from query strings and forms."""

from __future__ import annotations

from datetime import date

from starlette.datastructures import FormData, QueryParams


def text(source: FormData | QueryParams, name: str, max_length: int = 500) -> str:
    value = source.get(name)
    return value.strip()[:max_length] if isinstance(value, str) else ""


def integer(source: FormData | QueryParams, name: str) -> int | None:
    value = text(source, name, 20)
    try:
        return int(value)
    except ValueError:
        return None


def day(source: FormData | QueryParams, name: str) -> date | None:
    """Read an ISO date (YYYY-MM-DD, as `<input type=date>` sends it), or None."""
    value = text(source, name, 10)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
