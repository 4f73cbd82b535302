"""Where the admin console's templates, static files and catalogues are."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
LOCALE_DIR = PACKAGE / "locale"
