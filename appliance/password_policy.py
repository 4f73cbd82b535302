"""The city's password rules, by account kind. Pure functions, no storage.

Personal, agency and service mailboxes need more than 8 characters, unit and centre
admins more than 12; every password needs an upper-case letter, a lower-case letter, a
digit and a special character. Vietnamese letters count as letters (Unicode categories),
so "Đ" is upper case and "ă" lower case. Passwords expire after 90 days, 60 for admins.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

from appliance.catalogue import both, text
from appliance.errors import PasswordRejected

ADMIN_KINDS = frozenset({"unit_admin", "centre_admin"})


def min_length(kind: str) -> int:
    """Return the shortest allowed length: the rule says "more than 8" (12 for admins)."""
    return 13 if kind in ADMIN_KINDS else 9


def max_age(kind: str) -> timedelta:
    """Return how long a password stays valid for this account kind."""
    return timedelta(days=60 if kind in ADMIN_KINDS else 90)


def violations(password: str, kind: str, address: str = "") -> list[str]:
    """Return the ids of the rules `password` breaks, in a fixed order; empty means valid."""
    password = unicodedata.normalize("NFC", password)
    failed = []
    if len(password) < min_length(kind):
        failed.append("password.too_short")
    if not any(char.isupper() for char in password):
        failed.append("password.no_upper")
    if not any(char.islower() for char in password):
        failed.append("password.no_lower")
    if not any(char.isdigit() for char in password):
        failed.append("password.no_digit")
    if not any(_is_special(char) for char in password):
        failed.append("password.no_special")
    local = address.partition("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        failed.append("password.contains_address")
    if any(unicodedata.category(char) == "Cc" for char in password):
        # Tab, line breaks and the like cannot be typed into every client's password field.
        failed.append("password.control_character")
    return failed


def _is_special(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PS" or (category == "Zs" and char == " ")


def describe(rule: str, kind: str, language: str | None = None) -> str:
    """Return the text of a broken rule: one language, or Vietnamese and English."""
    values = {"min": min_length(kind) - 1}
    return both(rule, **values) if language is None else text(rule, language, **values)


def rejection(rules: list[str], kind: str) -> PasswordRejected:
    """Return the error naming each broken rule, in Vietnamese and English."""
    return PasswordRejected(rules, " ".join(describe(rule, kind) for rule in rules))


def require_valid(password: str, kind: str, address: str = "") -> None:
    """Raise PasswordRejected if `password` breaks a rule; reuse is checked by Credentials."""
    rules = violations(password, kind, address)
    if rules:
        raise rejection(rules, kind)
