"""The city's mailbox naming rules, as pure functions (no I/O, no clock, no database).

- agency: its abbreviation (`skhcn`);
- commune or ward: its name without "Xã"/"Phường", folded to ASCII (`vyda`, `aluoi1`);
  a name joined from two places ("Chân Mây - Lăng Cô") takes the initials of its words;
- sub-unit: `<sub-unit abbreviation>.<agency mailbox>` (`vp.skhcn`);
- person: initials of the family name and every middle name, the whole given name, then
  `.<agency mailbox>` (`nvan.skhcn`);
- unit IT admin: `admin.<agency mailbox>`.

A taken address gets the next free number before the first dot (`nvan2.skhcn`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

from appliance.directory.legacy import VIETNAMESE_MARKS, detect_legacy_encoding
from appliance.errors import ApplianceError

# Dropped while folding: word separators that may appear inside names.
SEPARATORS = frozenset(" \t-‐‑–—'’ʼ.")
# Every character that folds to "d": đ, Đ and the look-alike capital eth Ð (U+00D0).
D_LETTERS = {"đ": "d", "Đ": "d", "Ð": "d"}
# First labels no person or sub-unit may take: role mailboxes (RFC 2142 section 4-5 and
# this appliance's own), and the unit IT admin's `admin.<agency>`.
RESERVED_WORDS = frozenset(
    {
        "abuse",
        "admin",
        "administrator",
        "hostmaster",
        "noc",
        "noreply",
        "postmaster",
        "root",
        "security",
        "tiepnhan",
        "webmaster",
    }
)
ABBREVIATION = re.compile(r"^[a-z][a-z0-9]{0,30}$")
LOCAL_PART = re.compile(r"^[a-z0-9]+(?:\.[a-z0-9]+)*$")
MAX_LOCAL_PART = 64  # RFC 5321 section 4.5.3.1.1

AGENCY_KINDS = ("department", "ward", "commune", "special")
SUBUNIT_KINDS = ("division", "service_unit")
UNIT_PREFIXES = ("xã", "phường")


class InvalidName(ApplianceError):
    """The name cannot be turned into a mailbox address."""

    smtp_reply = (550, "5.1.3 Invalid mailbox name")


class LegacyEncoding(InvalidName):
    """The text was typed in a legacy Vietnamese font (TCVN3 or VNI), not Unicode."""

    def __init__(self, text: str, encoding: str) -> None:
        super().__init__(
            f"{text!r} looks like {encoding} text (a legacy Vietnamese font), not Unicode; "
            f"convert the file to Unicode (for example with Unikey's converter, "
            f"{encoding} to Unicode) and import it again"
        )
        self.encoding = encoding


def _describe(char: str) -> str:
    name = unicodedata.name(char, "unnamed character")
    return f"{char!r} (U+{ord(char):04X} {name})"


def fold_ascii(text: str) -> str:
    """Fold a Vietnamese name to `[a-z0-9]*`: marks removed, đ to d, separators dropped.

    Raises LegacyEncoding for TCVN3 or VNI text, and InvalidName naming the first
    character that has no ASCII form (only the Vietnamese tone and vowel marks are removed,
    so "ü" or "ø" are errors, not "u" or "o").
    """
    text = unicodedata.normalize("NFC", text)
    encoding = detect_legacy_encoding(text)
    if encoding is not None:
        raise LegacyEncoding(text, encoding)
    out: list[str] = []
    for char in text:
        if char in SEPARATORS:
            continue
        if char in D_LETTERS:
            out.append(D_LETTERS[char])
            continue
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0].lower()
        marks = decomposed[1:]
        if not (base.isascii() and base.isalnum()) or any(
            mark not in VIETNAMESE_MARKS for mark in marks
        ):
            raise InvalidName(f"{_describe(char)} in {text!r} has no form in an address")
        out.append(base)
    return "".join(out)


def initials(words: str) -> str:
    """Return the folded first letter of each word of `words` ("Tôn Nữ" gives "tn")."""
    letters = []
    for word in re.split(r"[\s\-‐‑–—]+", unicodedata.normalize("NFC", words).strip()):
        folded = fold_ascii(word)
        if folded:
            letters.append(folded[0])
    return "".join(letters)


def check_abbreviation(abbreviation: str) -> str:
    """Return a valid unit abbreviation in lower case, or raise InvalidName."""
    value = abbreviation.strip().lower()
    if not ABBREVIATION.match(value):
        raise InvalidName(
            f"invalid unit abbreviation {abbreviation!r}: use a letter then letters or digits "
            "(a-z, 0-9), at most 31 characters"
        )
    return value


def _strip_prefix(name: str) -> str:
    words = unicodedata.normalize("NFC", name).split()
    if words and words[0].lower() in UNIT_PREFIXES:
        words = words[1:]
    return " ".join(words)


def agency_mailbox(kind: str, name: str, abbreviation: str | None = None) -> str:
    """Return the mailbox name of an agency, commune, ward or special mailbox.

    Departments and special mailboxes need `abbreviation`. A commune or ward is named from
    its name, unless an abbreviation is given; a name joined from two places with a dash
    takes the initials of its words ("Chân Mây - Lăng Cô" gives "cmlc").
    """
    if kind not in AGENCY_KINDS:
        raise ValueError(f"unknown agency kind {kind!r}; use one of {', '.join(AGENCY_KINDS)}")
    if abbreviation:
        mailbox = check_abbreviation(abbreviation)
    elif kind in ("department", "special"):
        raise InvalidName(f"the {kind} {name!r} needs an abbreviation for its mailbox")
    else:
        bare = _strip_prefix(name)
        mailbox = initials(bare) if re.search(r"\s[-‐‑–—]\s", bare) else fold_ascii(bare)
        mailbox = check_abbreviation(mailbox)
    if kind != "special" and mailbox in RESERVED_WORDS:
        raise InvalidName(f"the mailbox name {mailbox!r} is reserved for a role mailbox")
    return mailbox


def subunit_address(subunit_abbreviation: str, agency: str) -> str:
    """Return `<sub-unit abbreviation>.<agency mailbox>` (`vp.skhcn`)."""
    first = check_abbreviation(subunit_abbreviation)
    if first in RESERVED_WORDS:
        raise InvalidName(f"the sub-unit abbreviation {first!r} is reserved for a role mailbox")
    return f"{first}.{check_abbreviation(agency)}"


def person_local_part(family: str, middle: str, given: str, agency: str) -> str:
    """Return a person's address before any collision number (`nvan.skhcn`).

    The family name and the middle names give their initials and the given name is kept
    whole, so a compound given name ("Thu Hà") must be passed as such: the split is the
    caller's input, never guessed here.
    """
    if not family.strip():
        raise InvalidName("the family name (Họ) is missing")
    if not given.strip():
        raise InvalidName("the given name (Tên) is missing")
    first = initials(family) + initials(middle) + fold_ascii(given)
    return check_local_part(f"{first}.{check_abbreviation(agency)}")


def admin_address(agency: str) -> str:
    """Return the unit IT admin's address, `admin.<agency mailbox>`."""
    return f"admin.{check_abbreviation(agency)}"


def check_local_part(local: str) -> str:
    """Return `local` in lower case if it is a valid address of ours, or raise InvalidName."""
    value = local.strip().lower()
    if not LOCAL_PART.match(value):
        raise InvalidName(
            f"invalid address {local!r}: use letters a-z and digits, in labels joined by dots"
        )
    if len(value) > MAX_LOCAL_PART:
        raise InvalidName(f"invalid address {local!r}: longer than {MAX_LOCAL_PART} characters")
    return value


def first_label(local: str) -> str:
    return local.split(".", 1)[0]


def numbered(candidate: str, number: int) -> str:
    """Return `candidate` with `number` added before the first dot (`nvan2.skhcn`)."""
    if number == 1:
        return candidate
    first, dot, rest = candidate.partition(".")
    return f"{first}{number}{dot}{rest}"


def is_taken(local: str, taken: Container[str]) -> bool:
    """Tell whether `local` is in `taken` or its first label is a reserved word."""
    return local in taken or first_label(local) in RESERVED_WORDS


def next_free(candidate: str, taken: Container[str]) -> str:
    """Return `candidate`, or the first of `candidate` numbered 2, 3, … that is not taken.

    `taken` contains every local part ever issued (live, forwarding or retired) and every
    sub-unit address; reserved first labels count as taken.
    """
    number = 1
    while is_taken(numbered(candidate, number), taken):
        number += 1
    return check_local_part(numbered(candidate, number))
