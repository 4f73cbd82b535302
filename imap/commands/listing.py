"""LIST and LSUB (RFC 3501 sections 6.3.8 and 6.3.9) with LIST-EXTENDED (RFC 5258),
CHILDREN attributes (RFC 3348) and SPECIAL-USE attributes (RFC 6154).

A parent level that is not itself a mailbox (left behind when its mailbox was deleted)
is listed with \\Noselect so clients can still show the tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from appliance.store.types import HIERARCHY_SEPARATOR, FolderInfo
from imap import response
from imap.commands import AUTHENTICATED, Command, Reply, command, ok
from imap.commands.mailboxes import account_id
from imap.errors import BadCommand
from imap.wire import Parser

if TYPE_CHECKING:
    from imap.session import Session

_SELECTION_OPTIONS = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
_RETURN_OPTIONS = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE"})


@dataclass(frozen=True)
class Entry:
    """One name in the mailbox tree: a folder, or a parent level with no folder."""

    name: str
    folder: FolderInfo | None
    has_children: bool
    subscribed_descendant: bool


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Compile a LIST pattern: "*" matches anything, "%" anything but the separator."""
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "%":
            parts.append(f"[^{re.escape(HIERARCHY_SEPARATOR)}]*")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def matches(name: str, regexes: list[re.Pattern[str]]) -> bool:
    for regex in regexes:
        if regex.fullmatch(name):
            return True
        # INBOX is case-insensitive (RFC 3501 section 5.1), whatever the pattern's case.
        is_inbox = name.split(HIERARCHY_SEPARATOR)[0] == "INBOX"
        if is_inbox and re.fullmatch(regex.pattern, name, re.DOTALL | re.IGNORECASE):
            return True
    return False


def build_tree(folders: list[FolderInfo]) -> list[Entry]:
    """Return every folder and every parent level without a folder, INBOX first."""
    by_name = {folder.name: folder for folder in folders}
    names = set(by_name)
    for name in list(names):
        parts = name.split(HIERARCHY_SEPARATOR)
        names.update(HIERARCHY_SEPARATOR.join(parts[:depth]) for depth in range(1, len(parts)))
    subscribed = [folder.name for folder in folders if folder.subscribed]
    entries = []
    for name in sorted(names, key=lambda n: (n != "INBOX", n)):
        prefix = name + HIERARCHY_SEPARATOR
        entries.append(
            Entry(
                name,
                by_name.get(name),
                any(other.startswith(prefix) for other in names),
                any(other.startswith(prefix) for other in subscribed),
            )
        )
    return entries


def _options(parser: Parser, allowed: frozenset[str], kind: str) -> set[str]:
    parser.open_list()
    options: set[str] = set()
    while parser.list_continues():
        if options:
            parser.space()
        option = parser.keyword()
        if option not in allowed:
            raise BadCommand(f"Unsupported LIST {kind} option: {option}")
        options.add(option)
    return options


def _patterns(parser: Parser) -> list[str]:
    if parser.peek() != b"(":
        return [parser.list_mailbox()]
    parser.open_list()
    patterns: list[str] = []
    while parser.list_continues():
        if patterns:
            parser.space()
        patterns.append(parser.list_mailbox())
    if not patterns:
        raise BadCommand("LIST needs at least one pattern")
    return patterns


@command("LIST", states=AUTHENTICATED)
async def list_(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.8 and RFC 5258."""
    parser = cmd.parser
    parser.space()
    selection: set[str] = set()
    if parser.peek() == b"(":
        selection = _options(parser, _SELECTION_OPTIONS, "selection")
        parser.space()
        if selection == {"RECURSIVEMATCH"} or selection == {"RECURSIVEMATCH", "REMOTE"}:
            raise BadCommand("RECURSIVEMATCH needs another selection option (RFC 5258)")
    reference = parser.list_mailbox()
    parser.space()
    patterns = _patterns(parser)
    returns: set[str] = set()
    if parser.try_space():
        parser.expect(b"RETURN ")
        returns = _options(parser, _RETURN_OPTIONS, "return")
    parser.end()
    if patterns == [""] and not selection:
        await session.send(b'* LIST (\\Noselect) "/" ""\r\n')
        return ok("LIST completed")
    if "SUBSCRIBED" in selection:
        returns.add("SUBSCRIBED")
    folders = await session.core.store.list_folders(account_id(session))
    regexes = [pattern_regex(reference + pattern) for pattern in patterns if pattern]
    lines = [
        _list_line(entry, selection, returns)
        for entry in build_tree(folders)
        if matches(entry.name, regexes)
    ]
    await session.send(b"".join(line for line in lines if line))
    return ok("LIST completed")


def _list_line(entry: Entry, selection: set[str], returns: set[str]) -> bytes:
    folder = entry.folder
    subscribed = folder is not None and folder.subscribed
    extended = b""
    recursive = "RECURSIVEMATCH" in selection and entry.subscribed_descendant
    if "SUBSCRIBED" in selection and not subscribed and not recursive:
        return b""
    if recursive and "SUBSCRIBED" in selection:
        extended = b' ("CHILDINFO" ("SUBSCRIBED"))'
    if "SPECIAL-USE" in selection and (folder is None or not folder.special_use):
        return b""
    attributes = [b"\\Noselect"] if folder is None else []
    attributes.append(b"\\HasChildren" if entry.has_children else b"\\HasNoChildren")
    if folder is not None and folder.special_use:
        attributes.append(folder.special_use.encode("ascii"))
    if "SUBSCRIBED" in returns and subscribed:
        attributes.append(b"\\Subscribed")
    return b'* LIST (%s) "/" %s%s\r\n' % (
        b" ".join(attributes),
        response.mailbox(entry.name),
        extended,
    )


@command("LSUB", states=AUTHENTICATED)
async def lsub(session: Session, cmd: Command) -> Reply:
    """RFC 3501 section 6.3.9: "%" also shows unsubscribed parents of subscribed mailboxes."""
    parser = cmd.parser
    parser.space()
    reference = parser.list_mailbox()
    parser.space()
    pattern = parser.list_mailbox()
    parser.end()
    folders = await session.core.store.list_folders(account_id(session))
    regexes = [pattern_regex(reference + pattern)] if pattern else []
    lines = []
    for entry in build_tree(folders):
        if not matches(entry.name, regexes):
            continue
        if entry.folder is not None and entry.folder.subscribed:
            attributes = b""
        elif entry.subscribed_descendant and "%" in pattern:
            attributes = b"\\Noselect"
        else:
            continue
        lines.append(b'* LSUB (%s) "/" %s\r\n' % (attributes, response.mailbox(entry.name)))
    await session.send(b"".join(lines))
    return ok("LSUB completed")
