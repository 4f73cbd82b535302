"""TOTP two-factor login (RFC 6238) with single-use codes and recovery codes.

A code is accepted for the current 30-second step and one step either side (clock drift),
and only for a step later than the last one accepted, so a code cannot be used twice.
Recovery codes are random, shown once, stored as SHA-256 (they carry 50 bits of entropy
each, so a slow hash adds nothing) and each works once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes: 0/o, 1/l/i


def new_secret() -> str:
    """Return a new base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, address: str, issuer: str) -> str:
    """Return the otpauth:// URI that authenticator apps read from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=address, issuer_name=issuer)


def matching_step(secret: str, code: str, now: datetime, after_step: int | None) -> int | None:
    """Return the time step `code` is valid for, or None.

    Only steps within the drift window and later than `after_step` count, which makes
    every code single-use. Codes are compared in constant time.
    """
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.at(step * STEP_SECONDS)
        if hmac.compare_digest(expected, code) and (after_step is None or step > after_step):
            found = step
    return found


def new_recovery_codes() -> list[str]:
    """Return ten fresh recovery codes, formatted as xxxxx-xxxxx."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def recovery_hash(code: str) -> str:
    """Return the stored form of a recovery code; case and dashes do not matter."""
    normal = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normal.encode()).hexdigest()
