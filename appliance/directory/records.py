"""Records the directory service returns and takes. Callers never see the ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

PUBLIC_FIELDS = ("name", "position", "unit", "email", "phone")
DEFAULT_PUBLIC_FIELDS = ("name", "position", "unit", "email")


@dataclass(frozen=True)
class UnitInfo:
    """A directory unit. `mailbox` is a local part, None for external offices."""

    id: int
    kind: str
    name: str
    mailbox: str | None
    abbreviation: str
    parent_id: int | None
    state: str
    publish: bool


@dataclass(frozen=True)
class PersonInput:
    """A person to add. The name split into family, middle and given is explicit input."""

    family: str
    middle: str
    given: str
    unit: str  # the unit's mailbox name, e.g. "skhcn" or "vp.skhcn"
    position: str = ""
    contract_type: str = "permanent"
    contract_end: date | None = None
    phone: str = ""
    is_leader: bool = False
    rank: int = 1000
    public_fields: tuple[str, ...] = DEFAULT_PUBLIC_FIELDS

    @property
    def full_name(self) -> str:
        return " ".join(part.strip() for part in (self.family, self.middle, self.given) if part)


@dataclass(frozen=True)
class PersonInfo:
    """A person in the directory; `address` is empty for people without a mailbox here."""

    id: int
    full_name: str
    family: str
    middle: str
    given: str
    unit_id: int
    unit_name: str
    position: str
    is_leader: bool
    rank: int
    phone: str
    address: str
    external: bool
    public_fields: tuple[str, ...] = field(default=DEFAULT_PUBLIC_FIELDS)


@dataclass(frozen=True)
class NewAccount:
    """A person just given a mailbox, with the initial password shown only once."""

    person: PersonInfo
    address: str
    password: str
