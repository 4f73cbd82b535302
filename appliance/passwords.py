"""Password hashing: argon2 for new hashes, older schemes accepted so imports need no reset."""

from __future__ import annotations

import secrets
import string

from passlib.context import CryptContext

# argon2id for every new hash, with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane):
# a login then costs tens of milliseconds of one core, not hundreds. SHA512-CRYPT and SSHA
# verify hashes imported from an older mail system. A successful login rehashes any hash
# of another scheme or with other argon2 parameters.
HASHES = CryptContext(
    schemes=["argon2", "sha512_crypt", "ldap_salted_sha1"],
    deprecated="auto",
    argon2__type="ID",
    argon2__memory_cost=19456,
    argon2__rounds=2,
    argon2__parallelism=1,
)


def hash_password(password: str) -> str:
    return str(HASHES.hash(password))


# Initial passwords are random (see generate_password: about 98 bits), so no guessing attack
# on their hash can succeed whatever its cost. A light argon2 lets a bulk import of thousands
# of accounts finish in seconds, and the first login rehashes with the full cost above.
INITIAL_HASH = HASHES.handler("argon2").using(memory_cost=1024, rounds=1, parallelism=1)


def hash_generated_password(password: str) -> str:
    """Hash a password made by generate_password, with the light argon2 cost."""
    return str(INITIAL_HASH.hash(password))


def verify_password(password: str, stored: str) -> tuple[bool, str | None]:
    """Check a password; return (matches, new hash to store when the old one is outdated)."""
    if not stored:
        return False, None
    try:
        ok, new_hash = HASHES.verify_and_update(password, stored)
    except ValueError:
        return False, None
    return bool(ok), new_hash


def generate_password(length: int = 16) -> str:
    """Make a random password with upper, lower, digit and special characters."""
    alphabet = string.ascii_letters + string.digits + "!#%+-=?@_"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        ):
            return candidate
