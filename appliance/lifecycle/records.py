"""What each lifecycle event takes and returns, and the rules of time shared by them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import ClassVar

from appliance.accounts import Accounts
from appliance.credentials import Credentials
from appliance.directory.service import Directory
from appliance.errors import ApplianceError
from appliance.lifecycle.moves import MailboxMoves
from appliance.workdays import VIETNAM

TRANSFER_FORWARD_MONTHS = 1  # an old address forwards this long after a transfer
RENAME_FORWARD_MONTHS = 2  # and this long after its unit was renamed
DEPARTURE_REASONS = ("retirement", "leaving", "transfer_out")
HANDOVER_FORMS = ("folder", "mbox")  # into the unit's mailbox, or an mbox archive file
HANDOVER_FOLDER = "Bàn giao"  # the unit mailbox's folder that receives a leaver's mail


class LifecycleError(ApplianceError):
    """The lifecycle event cannot be applied."""


def start_of_day(day: date) -> datetime:
    """Return 00:00 of `day` in Huế (Asia/Ho_Chi_Minh), in UTC."""
    return datetime.combine(day, time(0, 0), VIETNAM).astimezone(UTC)


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


@dataclass(frozen=True)
class EventContext:
    """The services an event uses inside its transaction, the time and the actor."""

    directory: Directory
    accounts: Accounts
    credentials: Credentials
    moves: MailboxMoves
    domain: str
    now: datetime
    by: str  # who applied the event: an admin address, or "cli:<user>"


@dataclass(frozen=True)
class HireResult:
    audit_event: ClassVar[str] = "lifecycle_hire"

    person_id: int
    address: str
    password: str  # the initial password, shown once and never stored in clear

    @property
    def account(self) -> str:
        return self.address

    def summary(self) -> str:
        return f"created {self.address}"


@dataclass(frozen=True)
class TransferResult:
    audit_event: ClassVar[str] = "lifecycle_transfer"

    old_address: str
    new_address: str
    unit: str  # mailbox name of the new unit
    password: str  # empty when the address did not change (a move inside one agency)
    forward_until: datetime | None
    move_id: int | None  # the recorded, not yet run, move of the old mailbox's content

    @property
    def account(self) -> str:
        return self.old_address

    def summary(self) -> str:
        if self.old_address == self.new_address:
            return f"{self.old_address} moved to the unit {self.unit}; address unchanged"
        until = "" if self.forward_until is None else f"{local_day(self.forward_until)}"
        return (
            f"{self.old_address} is now {self.new_address}; the old address forwards "
            f"until {until}; mailbox move #{self.move_id} waits to be run"
        )


@dataclass(frozen=True)
class RenameResult:
    audit_event: ClassVar[str] = "lifecycle_rename"

    old_mailbox: str
    new_mailbox: str
    name: str
    renamed: tuple[tuple[str, str], ...]  # (old address, new address), unit mailbox first
    forward_until: datetime | None

    @property
    def account(self) -> str:
        return self.renamed[0][0] if self.renamed else self.old_mailbox

    def summary(self) -> str:
        if not self.renamed:
            return f"unit {self.old_mailbox} renamed {self.name!r}; addresses unchanged"
        until = "" if self.forward_until is None else f"{local_day(self.forward_until)}"
        return (
            f"unit {self.old_mailbox} is now {self.new_mailbox} ({self.name}); "
            f"{len(self.renamed)} addresses renamed, the old ones forward until {until}"
        )


@dataclass(frozen=True)
class DepartureResult:
    audit_event: ClassVar[str] = "lifecycle_departure"

    event_id: int
    address: str
    on: date
    reason: str
    handover: str

    @property
    def account(self) -> str:
        return self.address

    def summary(self) -> str:
        return (
            f"{self.address} is revoked on {self.on.isoformat()} ({self.reason}); "
            f"content handed over as {self.handover} (event #{self.event_id})"
        )


@dataclass(frozen=True)
class HandoverResult:
    audit_event: ClassVar[str] = "lifecycle_handover"

    address: str  # the agency mailbox
    from_name: str  # empty when nobody was responsible before
    to_name: str
    on: date
    password: str  # the new password, shown once

    @property
    def account(self) -> str:
        return self.address

    def summary(self) -> str:
        before = self.from_name or "nobody"
        return f"{self.address} handed over from {before} to {self.to_name} on {self.on}"


@dataclass(frozen=True)
class CancelledDeparture:
    """A scheduled departure that was cancelled before its first step ran."""

    audit_event: ClassVar[str] = "lifecycle_departure"

    event_id: int
    address: str
    on: date  # the official date the departure was scheduled for
    reason: str  # why it was cancelled, as the administrator gave it

    @property
    def account(self) -> str:
        return self.address

    def summary(self) -> str:
        return (
            f"the departure of {self.address} on {self.on.isoformat()} "
            f"(event #{self.event_id}) is cancelled: {self.reason}"
        )


EventResult = HireResult | TransferResult | RenameResult | DepartureResult | HandoverResult


@dataclass(frozen=True)
class EventInfo:
    """A scheduled lifecycle step (a departure) and how far it got."""

    id: int
    kind: str
    account_id: int
    address: str
    due_at: datetime
    state: str  # pending, handover, done, or cancelled before it started
    reason: str
    handover: str
    outcome: str
    done_at: datetime | None
