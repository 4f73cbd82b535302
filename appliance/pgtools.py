"""PostgreSQL's own client programs (pg_dump, pg_restore), called with an appliance's URL."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.engine import URL

# Debian installs the versioned programs here and a wrapper in /usr/bin that needs a
# cluster configuration, so the versioned folders are searched after PATH.
DEBIAN_FOLDERS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ToolMissing(Exception):
    """A PostgreSQL client program is not installed."""


def pg_tool(name: str) -> str:
    """Return the path of `name` (pg_dump, pg_restore), newest version first."""
    found = shutil.which(name)
    if found:
        return found
    for folder in DEBIAN_FOLDERS:
        candidate = folder / name
        if candidate.exists():
            return str(candidate)
    raise ToolMissing(
        f"{name} is not installed; install the PostgreSQL client programs "
        "(Debian package postgresql-client)"
    )


def libpq_environment(url: URL) -> tuple[str, dict[str, str]]:
    """Return a libpq connection URI for `url` and the environment that carries its password.

    The password goes in PGPASSWORD so that it never appears in a process listing.
    """
    plain = url.set(drivername="postgresql", password=None)
    conninfo = plain.render_as_string(hide_password=False)
    environment = {"PGPASSWORD": url.password} if url.password else {}
    return conninfo, environment
