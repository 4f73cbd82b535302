"""Transcripts of the selected state: FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, CLOSE."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.core import Core
from tests.imap.transcript import LOGIN, check

SIMPLE = (
    b"From: =?UTF-8?B?VHLhuqduIFbEg24gQQ==?= <a@hue.gov.vn>\r\n"
    b"To: an.nguyen@hue.gov.vn, b@example.org\r\n"
    b"Subject: =?UTF-8?Q?C=C3=B4ng_v=C4=83n_s=E1=BB=91_1?=\r\n"
    b"Date: Thu, 05 Feb 2026 08:30:00 +0700\r\n"
    b"Message-ID: <1@hue.gov.vn>\r\n"
    b"\r\n"
    b"Xin ch\xc3\xa0o, \xc4\x91\xc3\xa2y l\xc3\xa0 C\xc3\x94NG V\xc4\x82N.\r\n"
)
MULTIPART = (
    b"From: b@example.org\r\n"
    b"Subject: report\r\n"
    b"Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"see attached\r\n"
    b"--XX\r\n"
    b'Content-Type: application/pdf; name="r.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="r.pdf"\r\n'
    b"\r\n"
    b"JVBERi0=\r\n"
    b"--XX--\r\n"
)
HEADER_1 = SIMPLE[: SIMPLE.index(b"\r\n\r\n") + 4]


async def fill(core: Core) -> None:
    account = await core.accounts.get("an.nguyen@hue.gov.vn")
    date = datetime(2026, 2, 5, 1, 30, tzinfo=UTC)
    await core.store.append(account.id, "INBOX", SIMPLE, ["\\Seen"], date)
    await core.store.append(account.id, "INBOX", MULTIPART, [], date.replace(month=3, day=2))
    await core.store.append(
        account.id, "INBOX", b"Subject: third\r\n\r\nbig body\r\n", ["\\Flagged"]
    )


SELECT = (
    LOGIN
    + """
C: s SELECT INBOX
S: * FLAGS (\\Answered \\Deleted \\Draft \\Flagged \\Seen)
S: * OK [PERMANENTFLAGS (\\* \\Answered \\Deleted \\Draft \\Flagged \\Seen)] Flags permitted
S: * 3 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 2] First unseen message
S: * OK [UIDVALIDITY <*>] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: s OK [READ-WRITE] SELECT completed
"""
)


async def test_fetch_metadata_and_envelope(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + f"""
C: a FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)
S: * 1 FETCH (FLAGS (\\Seen) INTERNALDATE " 5-Feb-2026 01:30:00 +0000" RFC822.SIZE {len(SIMPLE)}
..  UID 1)
S: a OK FETCH completed
C: b FETCH 1 ENVELOPE
S: * 1 FETCH (ENVELOPE ("Thu, 05 Feb 2026 08:30:00 +0700" "=?UTF-8?Q?C=C3=B4ng_v=C4=83n_s=E1=BB=
.. 91_1?=" (("=?UTF-8?B?VHLhuqduIFbEg24gQQ==?=" NIL "a" "hue.gov.vn")) (("=?UTF-8?B?VHLhuqduIFbE
.. g24gQQ==?=" NIL "a" "hue.gov.vn")) (("=?UTF-8?B?VHLhuqduIFbEg24gQQ==?=" NIL "a" "hue.gov.vn")
.. ) ((NIL NIL "an.nguyen" "hue.gov.vn") (NIL NIL "b" "example.org")) NIL NIL NIL "<1@hue.gov.vn
.. >"))
S: b OK FETCH completed
C: c UID FETCH 2:* FAST
S: * 2 FETCH (UID 2 FLAGS () INTERNALDATE " 2-Mar-2026 01:30:00 +0000" RFC822.SIZE {len(MULTIPART)})
S: * 3 FETCH (UID 3 FLAGS (\\Flagged) INTERNALDATE <*> RFC822.SIZE 28)
S: c OK UID FETCH completed
C: d FETCH 4 FLAGS
S: d BAD Message sequence number is larger than the message count
C: e UID FETCH 99 FLAGS
S: e OK UID FETCH completed
C: f FETCH 1 (FLAGS BOGUS)
S: f BAD Unknown FETCH data item: BOGUS
C: g FETCH 1 (ALL)
S: g BAD ALL must be used alone, not inside a list
C: h FETCH 1 BODY[1.MIME.X]
S: h BAD Expected ']' at '.X]'
""",
    )


async def test_fetch_bodystructure(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a FETCH 2 BODYSTRUCTURE
S: * 2 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 0 NIL NIL NIL
..  NIL)("application" "pdf" ("name" "r.pdf") NIL NIL "base64" 8 NIL ("attachment" ("filename" "
.. r.pdf")) NIL NIL) "mixed" ("boundary" "XX") NIL NIL NIL))
S: a OK FETCH completed
C: b FETCH 2 BODY
S: * 2 FETCH (BODY (("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 12 0)("application" "pdf"
..  ("name" "r.pdf") NIL NIL "base64" 8) "mixed"))
S: b OK FETCH completed
C: c FETCH 3 BODYSTRUCTURE
S: * 3 FETCH (BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL N
.. IL NIL))
S: c OK FETCH completed
""",
    )


async def test_fetch_sections_and_partial(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a FETCH 2 (BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[3])
S: * 2 FETCH (BODY[1] {12}
S: see attached BODY[2.MIME] {133}
S: Content-Type: application/pdf; name="r.pdf"
S: Content-Transfer-Encoding: base64
S: Content-Disposition: attachment; filename="r.pdf"
S:
S:  BODY[3] {0}
S: )
S: a OK FETCH completed
C: b FETCH 2 (BODY.PEEK[HEADER.FIELDS (subject FROM)])
S: * 2 FETCH (BODY[HEADER.FIELDS (SUBJECT FROM)] {40}
S: From: b@example.org
S: Subject: report
S:
S: )
S: b OK FETCH completed
C: c FETCH 2 (BODY.PEEK[HEADER.FIELDS.NOT (Content-Type MIME-Version Date)])
S: * 2 FETCH (BODY[HEADER.FIELDS.NOT (CONTENT-TYPE MIME-VERSION DATE)] {40}
S: From: b@example.org
S: Subject: report
S:
S: )
S: c OK FETCH completed
C: d FETCH 3 (BODY.PEEK[]<4.8> BODY.PEEK[TEXT]<100.5> RFC822.HEADER)
S: * 3 FETCH (BODY[]<4> {8}
S: ect: thi BODY[TEXT]<100> {0}
S:  RFC822.HEADER {18}
S: Subject: third
S:
S: )
S: d OK FETCH completed
C: e FETCH 3 (FLAGS)
S: * 3 FETCH (FLAGS (\\Flagged))
S: e OK FETCH completed
""",
    )


async def test_fetch_body_sets_seen(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a FETCH 3 BODY[TEXT]
S: * 3 FETCH (BODY[TEXT] {10}
S: big body
S:  FLAGS (\\Flagged \\Seen))
S: a OK FETCH completed
C: b FETCH 3 BODY[TEXT]
S: * 3 FETCH (BODY[TEXT] {10}
S: big body
S: )
S: b OK FETCH completed
C: c UID FETCH 3 (FLAGS)
S: * 3 FETCH (UID 3 FLAGS (\\Flagged \\Seen))
S: c OK UID FETCH completed
""",
    )


async def test_fetch_in_examine_keeps_unseen(core: Core) -> None:
    await fill(core)
    await check(
        core,
        LOGIN
        + """
C: a EXAMINE INBOX
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: a OK [READ-ONLY] EXAMINE completed
C: b FETCH 2 RFC822.TEXT
S: * 2 FETCH (RFC822.TEXT {220}
S: --XX
S: Content-Type: text/plain; charset=utf-8
S:
S: see attached
S: --XX
S: Content-Type: application/pdf; name="r.pdf"
S: Content-Transfer-Encoding: base64
S: Content-Disposition: attachment; filename="r.pdf"
S:
S: JVBERi0=
S: --XX--
S: )
S: b OK FETCH completed
C: c FETCH 2 FLAGS
S: * 2 FETCH (FLAGS ())
S: c OK FETCH completed
C: d STORE 2 +FLAGS (\\Seen)
S: d NO [READ-ONLY] The mailbox is read-only (selected with EXAMINE)
""",
    )


async def test_store_variants(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a STORE 1:2 +FLAGS (\\Flagged $Urgent)
S: * 1 FETCH (FLAGS ($Urgent \\Flagged \\Seen))
S: * 2 FETCH (FLAGS ($Urgent \\Flagged))
S: a OK STORE completed
C: b STORE 1 -FLAGS.SILENT \\Seen
S: b OK STORE completed
C: c UID STORE 1,3 FLAGS (\\Answered)
S: * 1 FETCH (UID 1 FLAGS (\\Answered))
S: * 3 FETCH (UID 3 FLAGS (\\Answered))
S: c OK UID STORE completed
C: d STORE 1 FLAGS.SILENT ()
S: d OK STORE completed
C: e FETCH 1:* FLAGS
S: * 1 FETCH (FLAGS ())
S: * 2 FETCH (FLAGS ($Urgent \\Flagged))
S: * 3 FETCH (FLAGS (\\Answered))
S: e OK FETCH completed
C: f STORE 1 REPLACE (\\Seen)
S: f BAD Unknown STORE action: REPLACE
C: g STORE 1 +FLAGS (\\Recent)
S: g BAD Unknown system flag: \\Recent
""",
    )


async def test_search_keys(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a SEARCH ALL
S: * SEARCH 1 2 3
S: a OK SEARCH completed
C: b SEARCH UNSEEN
S: * SEARCH 2 3
S: b OK SEARCH completed
C: c SEARCH SUBJECT "công văn"
S: * SEARCH 1
S: c OK SEARCH completed
C: d SEARCH CHARSET UTF-8 BODY "CÔNG văn"
S: * SEARCH 1
S: d OK SEARCH completed
C: e SEARCH FROM "trần"
S: * SEARCH 1
S: e OK SEARCH completed
C: f UID SEARCH OR FLAGGED SEEN
S: * SEARCH 1 3
S: f OK UID SEARCH completed
C: g SEARCH NOT (FROM example.org) 1:2
S: * SEARCH 1
S: g OK SEARCH completed
C: h SEARCH SINCE 1-Mar-2026 BEFORE 3-Mar-2026
S: * SEARCH 2
S: h OK SEARCH completed
C: i SEARCH SENTON 5-Feb-2026
S: * SEARCH 1
S: i OK SEARCH completed
C: j SEARCH LARGER 100 SMALLER 400
S: * SEARCH 1 2
S: j OK SEARCH completed
C: k SEARCH HEADER Message-ID "<1@"
S: * SEARCH 1
S: k OK SEARCH completed
C: l SEARCH TEXT attached TO nobody
S: * SEARCH
S: l OK SEARCH completed
C: m SEARCH CHARSET KOI8-R ALL
S: m NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset KOI8-R
C: n SEARCH BOGUS
S: n BAD Unknown search key: BOGUS
C: o SEARCH UID 2:3 NEW
S: * SEARCH
S: o OK SEARCH completed
C: p SEARCH OLD KEYWORD $Nothing
S: * SEARCH
S: p OK SEARCH completed
C: q SEARCH UNKEYWORD $Nothing 2,*
S: * SEARCH 2 3
S: q OK SEARCH completed
C: r SEARCH TEXT report
S: * SEARCH 2
S: r OK SEARCH completed
C: s SEARCH OR
S: s BAD Expected a space but the command ended
""",
    )


async def test_copy_move_expunge(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a COPY 1:2 Archive
S: a OK [COPYUID <*> 1:2 1:2] COPY completed
C: b UID MOVE 2 Trash
S: * OK [COPYUID <*> 2 1] Moved
S: * 2 EXPUNGE
S: b OK UID MOVE completed
C: c COPY 1 Nowhere
S: c NO [TRYCREATE] Mailbox does not exist: Nowhere
C: d STORE 1:2 +FLAGS.SILENT (\\Deleted)
S: d OK STORE completed
C: e UID EXPUNGE 3
S: * 2 EXPUNGE
S: e OK UID EXPUNGE completed
C: f EXPUNGE
S: * 1 EXPUNGE
S: f OK EXPUNGE completed
C: g FETCH 1:* FLAGS
S: g OK FETCH completed
C: h STATUS Archive (MESSAGES)
S: * STATUS "Archive" (MESSAGES 2)
S: h OK STATUS completed
C: i MOVE 1 Trash
S: i BAD Message sequence number is larger than the message count
C: j UID MOVE 1:* Trash
S: j OK UID MOVE completed: no messages
""",
    )


async def test_close_unselect_check(core: Core) -> None:
    await fill(core)
    await check(
        core,
        SELECT
        + """
C: a STORE 1 +FLAGS.SILENT (\\Deleted)
S: a OK STORE completed
C: b CHECK
S: b OK CHECK completed
C: c UNSELECT
S: c OK UNSELECT completed
C: d STATUS INBOX (MESSAGES)
S: * STATUS "INBOX" (MESSAGES 3)
S: d OK STATUS completed
C: e SELECT INBOX
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: <*>
S: e OK [READ-WRITE] SELECT completed
C: f CLOSE
S: f OK CLOSE completed
C: g STATUS INBOX (MESSAGES)
S: * STATUS "INBOX" (MESSAGES 2)
S: g OK STATUS completed
C: h CLOSE
S: h BAD CLOSE is not allowed in the authenticated state
""",
    )
