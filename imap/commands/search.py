"""SEARCH and UID SEARCH (RFC 3501 section 6.4.4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from imap.commands import SELECTED, Command, Reply, command, ok
from imap.search_keys import parse_search
from imap.search_match import Candidate, Context, evaluate, needs_bytes

if TYPE_CHECKING:
    from imap.session import Session


@command("SEARCH", "UID SEARCH", states=SELECTED)
async def search(session: Session, cmd: Command) -> Reply:
    """Send one SEARCH response with the matching sequence numbers or UIDs."""
    program = parse_search(cmd.parser)
    selected = session.selected
    assert selected is not None
    context = Context(selected.exists, list(selected.uids))
    read_bytes = needs_bytes(program)
    found: list[int] = []
    for uid in selected.live_uids():
        info = selected.messages[uid]
        candidate = Candidate(selected.seq_of(uid), info)
        if read_bytes:
            try:
                candidate.raw = await session.core.store.read(info.blob_key)
            except FileNotFoundError:
                continue  # expunged and collected while this SEARCH ran
        if evaluate(program, candidate, context):
            found.append(uid if cmd.by_uid else candidate.seq)
    numbers = b"".join(b" %d" % number for number in found)
    await session.send(b"* SEARCH%s\r\n" % numbers)
    return ok(f"{cmd.name} completed")
