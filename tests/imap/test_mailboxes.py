"""Transcripts of the mailbox commands: CREATE, DELETE, RENAME, LIST, LSUB, STATUS, APPEND,
SUBSCRIBE, SELECT and EXAMINE."""

from __future__ import annotations

from appliance.core import Core
from tests.imap.transcript import LOGIN, check

DEFAULT_LIST = """S: * LIST (\\HasNoChildren) "/" "INBOX"
S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
S: * LIST (\\HasNoChildren) "/" "B&AOE-o c&AOE-o th&AbA- &AREA4Q-ng ng&Ht0-"
S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
"""


async def account_id(core: Core) -> int:
    account = await core.accounts.get("an.nguyen@hue.gov.vn")
    return account.id


async def test_list_default_folders(core: Core) -> None:
    await check(
        core,
        LOGIN
        + """
C: a LIST "" "*"
"""
        + DEFAULT_LIST
        + """
S: a OK LIST completed
C: b LIST "" ""
S: * LIST (\\Noselect) "/" ""
S: b OK LIST completed
C: c LIST "" "inbox"
S: * LIST (\\HasNoChildren) "/" "INBOX"
S: c OK LIST completed
""",
    )


async def test_vietnamese_folder_round_trip(core: Core) -> None:
    await check(
        core,
        LOGIN
        + """
C: a CREATE "C&APQ-ng v&AQM-n &AREevw-n"
S: a OK CREATE completed
C: b CREATE "C&APQ-ng v&AQM-n &AREevw-n/2026/Th&AOE-ng 3"
S: b OK CREATE completed
C: c LIST "" "C&APQ-ng*"
S: * LIST (\\HasChildren) "/" "C&APQ-ng v&AQM-n &AREevw-n"
S: * LIST (\\HasChildren) "/" "C&APQ-ng v&AQM-n &AREevw-n/2026"
S: * LIST (\\HasNoChildren) "/" "C&APQ-ng v&AQM-n &AREevw-n/2026/Th&AOE-ng 3"
S: c OK LIST completed
C: d LIST "" "%"
S: * LIST (\\HasNoChildren) "/" "INBOX"
S: * LIST (\\HasNoChildren \\Archive) "/" "Archive"
S: * LIST (\\HasNoChildren) "/" "B&AOE-o c&AOE-o th&AbA- &AREA4Q-ng ng&Ht0-"
S: * LIST (\\HasChildren) "/" "C&APQ-ng v&AQM-n &AREevw-n"
S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
S: d OK LIST completed
C: e SELECT "C&APQ-ng v&AQM-n &AREevw-n/2026/Th&AOE-ng 3"
S: * FLAGS (\\Answered \\Deleted \\Draft \\Flagged \\Seen)
S: * OK [PERMANENTFLAGS (\\* \\Answered \\Deleted \\Draft \\Flagged \\Seen)] Flags permitted
S: * 0 EXISTS
S: * 0 RECENT
S: * OK [UIDVALIDITY <*>] UIDs valid
S: * OK [UIDNEXT 1] Predicted next UID
S: e OK [READ-WRITE] SELECT completed
C: f CREATE "bad&name"
S: f BAD Mailbox name is not valid modified UTF-7: an '&' is not closed by '-'
C: g CREATE "C\xc3\xb4ng"
S: g BAD Mailbox name has 8-bit characters; write them in modified UTF-7 (RFC 3501 5.1.3)
""".replace("\\xc3\\xb4", "ô"),
    )
    names = [folder.name for folder in await core.store.list_folders(await account_id(core))]
    assert "Công văn đến/2026/Tháng 3" in names


async def test_create_delete_rename(core: Core) -> None:
    await check(
        core,
        LOGIN
        + """
C: a CREATE Projects/
S: a OK CREATE completed
C: b CREATE projects/2026
S: b OK CREATE completed
C: c CREATE Projects
S: c NO [ALREADYEXISTS] Mailbox already exists: Projects
C: d CREATE INBOX
S: d NO [ALREADYEXISTS] Mailbox already exists: INBOX
C: e RENAME Projects Archive/Projects
S: e OK RENAME completed
C: f LIST "" "Archive/*"
S: * LIST (\\HasNoChildren) "/" "Archive/Projects"
S: f OK LIST completed
C: g DELETE Archive
S: g OK DELETE completed
C: h LIST "" "%"
S: * LIST (\\HasNoChildren) "/" "INBOX"
S: * LIST (\\Noselect \\HasChildren) "/" "Archive"
S: * LIST (\\HasNoChildren) "/" "B&AOE-o c&AOE-o th&AbA- &AREA4Q-ng ng&Ht0-"
S: * LIST (\\HasNoChildren \\Drafts) "/" "Drafts"
S: * LIST (\\HasNoChildren \\Junk) "/" "Junk"
S: * LIST (\\HasNoChildren \\Sent) "/" "Sent"
S: * LIST (\\HasNoChildren \\Trash) "/" "Trash"
S: * LIST (\\HasChildren) "/" "projects"
S: h OK LIST completed
C: i DELETE INBOX
S: i NO [CANNOT] INBOX cannot be deleted.
C: j DELETE Nowhere
S: j NO [NONEXISTENT] Mailbox does not exist: Nowhere
C: k RENAME Nowhere Somewhere
S: k NO [NONEXISTENT] Mailbox does not exist: Nowhere
""",
    )


async def test_list_extended_and_lsub(core: Core) -> None:
    await check(
        core,
        LOGIN
        + """
C: a CREATE Work/Reports
S: a OK CREATE completed
C: b UNSUBSCRIBE Work
S: b OK UNSUBSCRIBE completed
C: c LIST (SUBSCRIBED RECURSIVEMATCH) "" "W%"
S: * LIST (\\HasChildren) "/" "Work" ("CHILDINFO" ("SUBSCRIBED"))
S: c OK LIST completed
C: d LIST (SPECIAL-USE) "" "*" RETURN (SUBSCRIBED)
S: * LIST (\\HasNoChildren \\Archive \\Subscribed) "/" "Archive"
S: * LIST (\\HasNoChildren \\Drafts \\Subscribed) "/" "Drafts"
S: * LIST (\\HasNoChildren \\Junk \\Subscribed) "/" "Junk"
S: * LIST (\\HasNoChildren \\Sent \\Subscribed) "/" "Sent"
S: * LIST (\\HasNoChildren \\Trash \\Subscribed) "/" "Trash"
S: d OK LIST completed
C: e LIST "" ("INBOX" "Work/*") RETURN (CHILDREN SUBSCRIBED)
S: * LIST (\\HasNoChildren \\Subscribed) "/" "INBOX"
S: * LIST (\\HasNoChildren \\Subscribed) "/" "Work/Reports"
S: e OK LIST completed
C: f LSUB "" "W%"
S: * LSUB (\\Noselect) "/" "Work"
S: f OK LSUB completed
C: g LSUB "" "Work/*"
S: * LSUB () "/" "Work/Reports"
S: g OK LSUB completed
C: h LIST (RECURSIVEMATCH) "" "*"
S: h BAD RECURSIVEMATCH needs another selection option (RFC 5258)
C: i LIST (BOGUS) "" "*"
S: i BAD Unsupported LIST selection option: BOGUS
C: j SUBSCRIBE Nowhere
S: j NO [NONEXISTENT] Mailbox does not exist: Nowhere
""",
    )


MESSAGE = "From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n"
# The message as transcript lines, then the empty rest of the command line after it.
MESSAGE_LINES = "C: From: a@b.example\nC: Subject: hi\nC:\nC: hello\nC:"


async def test_append_and_status(core: Core) -> None:
    await check(
        core,
        LOGIN
        + f"""
C: a APPEND INBOX (\\Seen $Label1) " 5-Feb-2026 08:30:00 +0700" {{{len(MESSAGE)}}}
S: + Ready for literal data
{MESSAGE_LINES}
S: a OK [APPENDUID <*> 1] APPEND completed
C: b APPEND INBOX {{{len(MESSAGE)}+}}
{MESSAGE_LINES}
S: b OK [APPENDUID <*> 2] APPEND completed
C: c STATUS INBOX (MESSAGES UIDNEXT UNSEEN RECENT SIZE)
S: * STATUS "INBOX" (MESSAGES 2 UIDNEXT 3 UNSEEN 1 RECENT 0 SIZE {2 * len(MESSAGE)})
S: c OK STATUS completed
C: d APPEND Nowhere {{{len(MESSAGE)}+}}
{MESSAGE_LINES}
S: d NO [TRYCREATE] Mailbox does not exist: Nowhere
C: e APPEND INBOX {{0}}
S: + Ready for literal data
C:
S: e NO An empty message cannot be stored
C: f STATUS INBOX (MESSAGES BOGUS)
S: f BAD Unknown STATUS item: BOGUS
C: g STATUS INBOX ()
S: g BAD STATUS needs at least one item
C: h APPEND INBOX (\\Recent2) {{1+}}
C: x
S: h BAD Unknown system flag: \\Recent2
""",
    )
    inbox = await core.store.folder(await account_id(core), "INBOX")
    messages = await core.store.messages(inbox.id)
    assert messages[0].flags == frozenset({"\\Seen", "$Label1"})
    assert messages[0].internal_date.isoformat() == "2026-02-05T01:30:00+00:00"
    assert messages[1].flags == frozenset()


async def test_append_over_limit_is_not_read(core: Core) -> None:
    limit = core.settings.max_message_size
    await check(
        core,
        LOGIN
        + f"""
C: a APPEND INBOX {{{limit + 1}}}
S: a NO [TOOBIG] Message of {limit + 1} bytes exceeds the limit of {limit} bytes
C: b NOOP
S: b OK NOOP completed
""",
    )


async def test_literal_plus_over_limit_is_discarded(core: Core) -> None:
    limit = core.settings.max_message_size
    body = "x" * (limit + 10)
    await check(
        core,
        LOGIN
        + f"""
C: a APPEND INBOX {{{limit + 10}+}}
C: {body}
S: a NO [TOOBIG] Message of {limit + 10} bytes exceeds the limit of {limit} bytes
C: b NOOP
S: b OK NOOP completed
""",
    )
    inbox = await core.store.folder(await account_id(core), "INBOX")
    assert inbox.messages == 0


async def test_big_literal_refused_before_login(core: Core) -> None:
    await check(
        core,
        """
C: a LOGIN {70000}
S: a BAD Literal of 70000 bytes is too large for this command
""",
    )


async def test_select_and_examine(core: Core) -> None:
    for flags in (["\\Seen"], [], ["\\Seen", "$Work"]):
        await core.store.append(await account_id(core), "INBOX", MESSAGE.encode(), flags)
    await check(
        core,
        LOGIN
        + """
C: a EXAMINE INBOX
S: * FLAGS ($Work \\Answered \\Deleted \\Draft \\Flagged \\Seen)
S: * OK [PERMANENTFLAGS ()] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] First unseen message
S: * OK [UIDVALIDITY <*>] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: a OK [READ-ONLY] EXAMINE completed
C: b SELECT Nowhere
S: b NO [NONEXISTENT] Mailbox does not exist: Nowhere
C: c FETCH 1 FLAGS
S: c BAD FETCH is not allowed in the authenticated state
C: d SELECT inbox
S: * FLAGS ($Work \\Answered \\Deleted \\Draft \\Flagged \\Seen)
S: * OK [PERMANENTFLAGS ($Work \\* \\Answered \\Deleted \\Draft \\Flagged \\Seen)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] First unseen message
S: * OK [UIDVALIDITY <*>] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: d OK [READ-WRITE] SELECT completed
C: e STATUS INBOX (MESSAGES UNSEEN)
S: * STATUS "INBOX" (MESSAGES 3 UNSEEN 1)
S: e OK STATUS completed
""",
    )
