"""The selected mailbox of one session: its sequence numbers and what the client knows.

Sequence numbers are positions in the ascending list of UIDs the client has been told
about (RFC 3501 section 2.3.1.2). Changes made by other sessions reach the client as
untagged EXISTS, EXPUNGE and FETCH responses (section 7.4.1 and 7.3.1) when `refresh`
runs; an EXPUNGE noticed while one may not be sent waits, and its message keeps its
sequence number until then.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from appliance.notify import Watcher
from appliance.store.mailstore import MailStore
from appliance.store.types import FolderInfo, MessageInfo
from imap import response
from imap.errors import BadCommand
from imap.wire import SequenceSet


@dataclass
class SelectedMailbox:
    """What one session has told its client about the mailbox it selected."""

    folder: FolderInfo
    readonly: bool
    watcher: Watcher
    modseq: int
    uids: list[int] = field(default_factory=list)
    messages: dict[int, MessageInfo] = field(default_factory=dict)
    gone: set[int] = field(default_factory=set)  # expunged, EXPUNGE not sent yet

    @classmethod
    async def open(
        cls, store: MailStore, folder: FolderInfo, readonly: bool, watcher: Watcher
    ) -> SelectedMailbox:
        # The folder was read first, so replaying changes after its modseq at the next
        # refresh finds nothing new for messages this list already contains.
        infos = await store.messages(folder.id)
        selected = cls(folder, readonly, watcher, folder.highestmodseq)
        selected.uids = [info.uid for info in infos]
        selected.messages = {info.uid: info for info in infos}
        return selected

    @property
    def exists(self) -> int:
        return len(self.uids)

    def seq_of(self, uid: int) -> int:
        return bisect.bisect_left(self.uids, uid) + 1

    def live_uids(self) -> list[int]:
        """UIDs the client knows whose messages still exist."""
        return [uid for uid in self.uids if uid not in self.gone]

    def resolve(self, sequence: SequenceSet, by_uid: bool) -> list[tuple[int, int]]:
        """Return (sequence number, UID) pairs named by a sequence set, skipping gone ones.

        A message number beyond EXISTS is a client error (RFC 9051 section 6.4.5: BAD);
        UIDs that do not exist are ignored (RFC 3501 section 6.4.8).
        """
        if by_uid:
            chosen = sequence.resolve(self.uids)
        else:
            numbers = list(range(1, self.exists + 1))
            for low, high in sequence.ranges:
                # "n:*" stays valid in an empty mailbox; plain numbers must exist.
                if low is not None and high is not None and max(low, high) > self.exists:
                    raise BadCommand("Message sequence number is larger than the message count")
            chosen = [self.uids[number - 1] for number in sequence.resolve(numbers)]
        return [(self.seq_of(uid), uid) for uid in chosen if uid not in self.gone]

    def update(self, info: MessageInfo) -> None:
        if info.uid in self.messages:
            self.messages[info.uid] = info

    async def refresh(
        self, store: MailStore, allow_expunge: bool, with_uid: bool, force: bool = False
    ) -> list[bytes]:
        """Return the untagged responses that bring the client up to date.

        The store is asked only when the change hub signalled the folder (or `force`).
        """
        out: list[bytes] = []
        changed: list[MessageInfo] = []
        if force or self.watcher.pending() or (allow_expunge and self.gone):
            self.watcher.clear()
            changes = await store.changes(self.folder.id, self.modseq)
            self.modseq = changes.highestmodseq
            self.gone.update(uid for uid in changes.expunged if uid in self.messages)
            changed = changes.changed
        # EXPUNGE first, so the numbers in the FETCH and EXISTS responses after it are right.
        if allow_expunge and self.gone:
            out += self._expunge_responses()
        out += self._flag_changes(changed, with_uid)
        out += self._new_messages(changed)
        return out

    def _flag_changes(self, changed: list[MessageInfo], with_uid: bool) -> list[bytes]:
        out: list[bytes] = []
        for info in changed:
            known = self.messages.get(info.uid)
            if known is None or info.uid in self.gone:
                continue
            self.messages[info.uid] = info
            if known.flags != info.flags:
                uid_item = b"UID %d " % info.uid if with_uid else b""
                out.append(
                    b"* %d FETCH (%sFLAGS %s)\r\n"
                    % (self.seq_of(info.uid), uid_item, response.flag_list(info.flags))
                )
        return out

    def _new_messages(self, changed: list[MessageInfo]) -> list[bytes]:
        highest = self.uids[-1] if self.uids else 0
        added = [info for info in changed if info.uid > highest and info.uid not in self.messages]
        for info in added:
            self.uids.append(info.uid)
            self.messages[info.uid] = info
        return [b"* %d EXISTS\r\n" % self.exists] if added else []

    def _expunge_responses(self) -> list[bytes]:
        out: list[bytes] = []
        # Each EXPUNGE renumbers the messages after it, so announce from the lowest UID
        # and remove it before computing the next number (RFC 3501 section 7.4.1).
        for uid in sorted(self.gone):
            seq = self.seq_of(uid)
            del self.uids[seq - 1]
            del self.messages[uid]
            out.append(b"* %d EXPUNGE\r\n" % seq)
        self.gone.clear()
        return out
