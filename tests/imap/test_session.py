"""Transcripts of the not-authenticated state, login, and malformed input."""

from __future__ import annotations

import base64

from appliance.core import Core
from tests.imap.transcript import LOGIN, PASSWORD, check, converse, run_transcript

PLAIN = base64.b64encode(f"\0an.nguyen@hue.gov.vn\0{PASSWORD}".encode()).decode()
AFTER_LOGIN = (
    "IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MOVE UNSELECT CHILDREN "
    "LIST-EXTENDED SPECIAL-USE STATUS=SIZE QUOTA QUOTA=RES-STORAGE QUOTA=RES-MESSAGE"
)


async def test_greeting_and_capability_before_tls(core: Core) -> None:
    output = await converse(core, b"a CAPABILITY\r\nb LOGOUT\r\n", secure=False)
    assert output.split(b"\r\n") == [
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE LOGINDISABLED] "
        b"IMAP server ready",
        b"* CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE LOGINDISABLED",
        b"a OK CAPABILITY completed",
        b"* BYE Logging out",
        b"b OK LOGOUT completed",
        b"",
    ]


async def test_capability_over_tls_offers_plain(core: Core) -> None:
    await check(
        core,
        """
C: a CAPABILITY
S: * CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE AUTH=PLAIN
S: a OK CAPABILITY completed
""",
    )


async def test_login_refused_before_tls(core: Core) -> None:
    await check(
        core,
        f"""
C: a LOGIN an.nguyen@hue.gov.vn "{PASSWORD}"
S: a NO [PRIVACYREQUIRED] Use STARTTLS before logging in
C: b AUTHENTICATE PLAIN {PLAIN}
S: b NO [PRIVACYREQUIRED] Use STARTTLS before logging in
""",
        secure=False,
    )


async def test_login_and_capability_change(core: Core) -> None:
    await check(
        core,
        LOGIN
        + f"""
C: a CAPABILITY
S: * CAPABILITY {AFTER_LOGIN}
S: a OK CAPABILITY completed
C: b LOGIN again please
S: b BAD LOGIN is not allowed in the authenticated state
""",
    )


async def test_login_with_literal_password(core: Core) -> None:
    size = len(PASSWORD.encode())
    await check(
        core,
        f"""
C: a LOGIN {{20+}}
C: an.nguyen@hue.gov.vn {{{size}}}
S: + Ready for literal data
C: {PASSWORD}
S: a OK [CAPABILITY {AFTER_LOGIN}] Logged in
""",
    )


async def test_login_wrong_password(core: Core) -> None:
    await check(
        core,
        """
C: a LOGIN an.nguyen@hue.gov.vn wrong
S: a NO [AUTHENTICATIONFAILED] Invalid user name or password
C: b LOGIN nobody@hue.gov.vn wrong
S: b NO [AUTHENTICATIONFAILED] Invalid user name or password
C: c SELECT INBOX
S: c BAD SELECT is not allowed in the not authenticated state
""",
    )


async def test_authenticate_plain_initial_response(core: Core) -> None:
    await check(
        core,
        f"""
C: a AUTHENTICATE PLAIN {PLAIN}
S: a OK [CAPABILITY {AFTER_LOGIN}] Logged in
""",
    )


async def test_authenticate_plain_continuation(core: Core) -> None:
    await check(
        core,
        f"""
C: a AUTHENTICATE PLAIN
S: +<SP>
C: {PLAIN}
S: a OK [CAPABILITY {AFTER_LOGIN}] Logged in
""",
    )


async def test_authenticate_cancel_and_errors(core: Core) -> None:
    other = base64.b64encode(b"boss\0an.nguyen@hue.gov.vn\0x").decode()
    await check(
        core,
        f"""
C: a AUTHENTICATE PLAIN
S: +<SP>
C: *
S: a BAD AUTHENTICATE cancelled by the client
C: b AUTHENTICATE PLAIN !!!
S: b BAD Authentication data is not valid base64 of UTF-8 text
C: c AUTHENTICATE CRAM-MD5
S: c NO [CANNOT] Unsupported authentication mechanism: CRAM-MD5
C: d AUTHENTICATE PLAIN {other}
S: d NO [AUTHORIZATIONFAILED] Acting as another user is not supported
C: e AUTHENTICATE PLAIN =
S: e BAD PLAIN data must be authzid NUL authcid NUL password (RFC 4616)
""",
    )


async def test_malformed_commands_keep_connection(core: Core) -> None:
    await check(
        core,
        """
C: a FROBNICATE
S: a BAD Unknown command: FROBNICATE
C:
S: * BAD Missing or invalid command tag
C: +tag NOOP
S: * BAD Missing or invalid command tag
C: b
S: b BAD Missing command name
C: c  NOOP
S: c BAD Expected an atom at ' NOOP'
C: d NOOP extra
S: d BAD Expected the end of the command at ' extra'
C: e LOGIN "unterminated
S: e BAD Quoted string is not closed
C: f NOOP
S: f OK NOOP completed
""",
    )


async def test_overlong_line_gets_bad_and_resyncs(core: Core) -> None:
    client = b"a NOOP " + b"x" * 70_000 + b"\r\nb NOOP\r\n"
    output = await converse(core, client)
    assert output.split(b"\r\n")[1:] == [
        b"a BAD Command line longer than 65536 bytes",
        b"b OK NOOP completed",
        b"",
    ]


async def test_id_and_noop(core: Core) -> None:
    await check(
        core,
        """
C: a ID ("name" "Thunderbird" "version" "128.0")
S: * ID ("name" "Hue mail appliance" "vendor" "City of Hue")
S: a OK ID completed
C: b ID NIL
S: * ID ("name" "Hue mail appliance" "vendor" "City of Hue")
S: b OK ID completed
C: c ID ("name")
S: c BAD Expected a space at ')'
""",
    )


async def test_namespace_and_enable(core: Core) -> None:
    await check(
        core,
        LOGIN
        + """
C: a NAMESPACE
S: * NAMESPACE (("" "/")) NIL NIL
S: a OK NAMESPACE completed
C: b ENABLE CONDSTORE UTF8=ACCEPT
S: * ENABLED
S: b OK ENABLE completed
C: c ENABLE
S: c BAD Expected a space but the command ended
""",
    )


async def test_logout_ends_session(core: Core) -> None:
    lines = await run_transcript(core, "C: a LOGOUT\nC: b NOOP\n")
    assert lines == [b"* BYE Logging out", b"a OK LOGOUT completed"]
