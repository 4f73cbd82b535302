"""Records the mail store returns. Protocol code reads these and never the ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

SYSTEM_FLAGS = frozenset({"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"})

# Messages moved into this folder are sent to the security intake mailbox (appliance.reports),
# so desktop clients can report suspicious mail without a button.
REPORT_FOLDER = "Báo cáo thư đáng ngờ"

# Folders every account gets, with their RFC 6154 special-use attribute.
DEFAULT_FOLDERS: tuple[tuple[str, str | None], ...] = (
    ("INBOX", None),
    ("Sent", "\\Sent"),
    ("Drafts", "\\Drafts"),
    ("Trash", "\\Trash"),
    ("Junk", "\\Junk"),
    ("Archive", "\\Archive"),
    (REPORT_FOLDER, None),
)

HIERARCHY_SEPARATOR = "/"

# Messages one mailbox may hold, the MESSAGE resource of the IMAP QUOTA extension (RFC 9208).
MAX_MESSAGES = 1_000_000


@dataclass(frozen=True)
class FolderInfo:
    """A folder with its IMAP state and counts, read in one snapshot."""

    id: int
    account_id: int
    name: str
    special_use: str | None
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    subscribed: bool
    messages: int
    unseen: int
    size: int  # bytes of all its messages


@dataclass(frozen=True)
class MessageInfo:
    """The metadata of one message; its bytes and structure are read separately."""

    uid: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    modseq: int
    blob_key: str


@dataclass(frozen=True)
class Changes:
    """What changed in a folder after a given modification sequence."""

    changed: list[MessageInfo]  # new messages and messages whose flags changed, by UID
    expunged: list[int]  # UIDs removed, ascending
    highestmodseq: int


@dataclass(frozen=True)
class CopyResult:
    """UIDs of copied or moved messages (RFC 4315 COPYUID)."""

    uidvalidity: int
    source_uids: list[int]
    target_uids: list[int]


@dataclass(frozen=True)
class QuotaInfo:
    used_bytes: int
    limit_bytes: int
    messages: int


@dataclass(frozen=True)
class AccountInfo:
    """An account as every service sees it after login."""

    id: int
    address: str
    display_name: str
    kind: str
    state: str
