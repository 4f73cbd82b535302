"""The admin catalogues: both languages translate every key the pages and views use."""

from __future__ import annotations

import re
from pathlib import Path

from admin.i18n import load_catalogue

ADMIN = Path(__file__).resolve().parents[2] / "admin"
# Literal keys: t("key") in templates and Python; keys built from a prefix are listed below.
LITERAL = re.compile(r"""\bt\(\s*["']([a-z0-9_]+)["']""")
BUILT = {
    "kind_": ("personal", "agency", "unit_admin", "centre_admin", "service"),
    "state_": ("active", "locked", "forwarding", "revoked"),
    "reason_": ("rule_violation", "compromised", "rate_limit", "inactive"),
    "request_": ("pending", "approved", "rejected"),
    "import_status_": ("new", "exists", "error"),
    "report_": (
        "review",
        "activity",
        "frequency",
        "review_text",
        "activity_text",
        "frequency_text",
    ),
    "nav_": ("dashboard", "accounts", "unlocks", "audit", "import", "reports", "settings"),
    "lifecycle_": ("hire", "transfer", "rename", "retire", "handover", "unit_request"),
    "done_": (
        "locked",
        "unlock_requested",
        "quota_set",
        "bulk_on",
        "bulk_off",
        "totp_off",
        "rejected",
    ),
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in [*ADMIN.rglob("*.html"), *ADMIN.rglob("*.py")]:
        keys.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    prefixes = {key for key in keys if key.endswith("_")}
    assert prefixes <= set(BUILT), f"keys built from unlisted prefixes: {prefixes - set(BUILT)}"
    keys -= prefixes
    for prefix, names in BUILT.items():
        keys.update(prefix + name for name in names)
    return keys


def test_both_catalogues_have_the_same_keys() -> None:
    assert set(load_catalogue("vi")) == set(load_catalogue("en"))


def test_every_used_key_is_translated() -> None:
    missing = used_keys() - set(load_catalogue("vi"))

    assert missing == set()


def test_column_keys_translated() -> None:
    from admin.views.reports import COLUMNS

    keys = {key for columns in COLUMNS.values() for key, _ in columns}

    assert keys - set(load_catalogue("en")) == set()
