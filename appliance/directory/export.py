"""A published unit's directory as JSON, CSV or vCard 4.0 (RFC 6350), public fields only."""

from __future__ import annotations

import csv
import io
import json
import re

from appliance.directory.records import PUBLIC_FIELDS, PersonInfo, UnitInfo
from appliance.errors import ApplianceError

FORMS = ("json", "csv", "vcard")


class NotPublished(ApplianceError):
    """The unit has not chosen to publish its directory."""


def public_values(person: PersonInfo) -> dict[str, str]:
    """Return the person's fields that are marked public, by field name."""
    values = {
        "name": person.full_name,
        "position": person.position,
        "unit": person.unit_name,
        "email": person.address,
        "phone": person.phone,
    }
    return {name: values[name] for name in PUBLIC_FIELDS if name in person.public_fields}


def render(unit: UnitInfo, people: list[PersonInfo], form: str, domain: str) -> str:
    """Render the directory of `unit`; people whose name is not public are left out."""
    if not unit.publish:
        raise NotPublished(f"the unit {unit.name!r} does not publish its directory")
    listed = [person for person in people if "name" in person.public_fields]
    mailbox = f"{unit.mailbox}@{domain}" if unit.mailbox else ""
    if form == "json":
        return render_json(unit, mailbox, listed)
    if form == "csv":
        return render_csv(listed)
    if form == "vcard":
        return render_vcard(unit, mailbox, listed)
    raise ValueError(f"unknown export form {form!r}; use one of {', '.join(FORMS)}")


def render_json(unit: UnitInfo, mailbox: str, people: list[PersonInfo]) -> str:
    document = {
        "unit": {"name": unit.name, "email": mailbox},
        "people": [public_values(person) for person in people],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render_csv(people: list[PersonInfo]) -> str:
    """Return CSV with one column per public field; a field private for one person is empty."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(PUBLIC_FIELDS), lineterminator="\r\n")
    writer.writeheader()
    for person in people:
        writer.writerow(public_values(person))
    return out.getvalue()


def escape_text(value: str) -> str:
    """Escape a TEXT value component (RFC 6350 section 3.4)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return re.sub(r"\r\n|\r|\n", "\\\\n", value)


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets without splitting a UTF-8 character (section 3.2)."""
    parts: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)


def tel_uri(phone: str) -> str:
    """Return a tel: URI (RFC 3966) for a Vietnamese number; a leading 0 becomes +84."""
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.startswith("0"):
        digits = "+84" + digits[1:]
    return f"tel:{digits}"


def _card(lines: list[str]) -> str:
    content = ["BEGIN:VCARD", "VERSION:4.0", *lines, "END:VCARD"]
    return "".join(fold_line(line) + "\r\n" for line in content)


def person_card(person: PersonInfo) -> str:
    """Return one person's vCard (RFC 6350 sections 6.2.1, 6.2.2, 6.4.1, 6.4.2, 6.6)."""
    values = public_values(person)
    structured = ";".join(
        escape_text(part) for part in (person.family, person.given, person.middle)
    )
    lines = ["KIND:individual", f"FN:{escape_text(person.full_name)}", f"N:{structured};;"]
    if "unit" in values:
        lines.append(f"ORG:{escape_text(values['unit'])}")
    if values.get("position"):
        lines.append(f"TITLE:{escape_text(values['position'])}")
    if values.get("email"):
        lines.append(f"EMAIL;TYPE=work:{values['email']}")
    if values.get("phone"):
        lines.append(f"TEL;VALUE=uri;TYPE=work,voice:{tel_uri(values['phone'])}")
    return _card(lines)


def render_vcard(unit: UnitInfo, mailbox: str, people: list[PersonInfo]) -> str:
    """Return the unit's own card (KIND:org) followed by one card per listed person."""
    unit_lines = ["KIND:org", f"FN:{escape_text(unit.name)}", f"ORG:{escape_text(unit.name)}"]
    if mailbox:
        unit_lines.append(f"EMAIL;TYPE=work:{mailbox}")
    return _card(unit_lines) + "".join(person_card(person) for person in people)
