"""The folder list of the navigation: special-use folders first, with translated names."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.store.types import HIERARCHY_SEPARATOR, REPORT_FOLDER, FolderInfo
from webmail.i18n import Translator

# Catalogue key of each special folder, in the order the navigation shows them.
# INBOX is special by name (RFC 3501 section 5.1), and so is the report folder, whose
# messages are sent to the security intake mailbox; the others by RFC 6154 attribute.
SPECIAL_ORDER = ("inbox", "sent", "drafts", "trash", "junk", "archive", "report_suspicious")
SPECIAL_USE_ROLES = {
    "\\Sent": "sent",
    "\\Drafts": "drafts",
    "\\Trash": "trash",
    "\\Junk": "junk",
    "\\Archive": "archive",
}


@dataclass(frozen=True)
class FolderView:
    """One folder as the navigation and the move menu show it."""

    id: int
    name: str  # the stored name, as IMAP lists it
    label: str  # the displayed name, translated for special folders
    role: str | None  # catalogue key of a special folder, e.g. "sent"
    depth: int  # nesting level, for indentation
    messages: int
    unseen: int


def folder_role(folder: FolderInfo) -> str | None:
    if folder.name.upper() == "INBOX":
        return "inbox"
    if folder.name == REPORT_FOLDER:
        return "report_suspicious"
    return SPECIAL_USE_ROLES.get(folder.special_use or "")


def folder_views(folders: list[FolderInfo], t: Translator) -> list[FolderView]:
    """Return the folders ordered for display: special folders first, then by name."""
    views = []
    for folder in folders:
        role = folder_role(folder)
        parts = folder.name.split(HIERARCHY_SEPARATOR)
        views.append(
            FolderView(
                id=folder.id,
                name=folder.name,
                label=t(role) if role else parts[-1],
                role=role,
                depth=0 if role else len(parts) - 1,
                messages=folder.messages,
                unseen=folder.unseen,
            )
        )
    return sorted(views, key=_display_order)


def _display_order(view: FolderView) -> tuple[int, str]:
    if view.role is not None:
        return SPECIAL_ORDER.index(view.role), ""
    return len(SPECIAL_ORDER), view.name.casefold()


def find_role(views: list[FolderView], role: str) -> FolderView | None:
    return next((view for view in views if view.role == role), None)
