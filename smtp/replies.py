"""SMTP replies with enhanced status codes (RFC 2034, codes from RFC 3463 and RFC 5248).

Once ENHANCEDSTATUSCODES is advertised, every reply except the greeting and the replies to
HELO and EHLO must carry an enhanced code. aiosmtpd writes many replies without one, so
`with_enhanced_code` adds it: first from a table of aiosmtpd's exact texts, then from a
default per reply code.

RFC 5321 section 4.2 allows only printable US-ASCII, SP and HT in reply text, whether or
not the client gave SMTPUTF8 (RFC 6531 leaves reply text as it was), so `ascii_text`
folds any other character before a reply is sent.
"""

from __future__ import annotations

import re
import unicodedata

from appliance.errors import ApplianceError

ENHANCED_CODE = re.compile(r"[245]\.\d{1,3}\.\d{1,3}( |$)")

# Replies that aiosmtpd 1.4.6 writes itself, reworded where its text is unclear.
AIOSMTPD_REPLIES = {
    "250 OK": "250 2.0.0 OK",
    "220 Ready to start TLS": "220 2.0.0 Ready to start TLS",
    "221 Bye": "221 2.0.0 Bye",
    "454 TLS not available": "454 4.7.0 TLS not available",
    "500 Command line too long": "500 5.5.2 Command line too long",
    "500 Error: bad syntax": "500 5.5.2 Syntax error",
    "500 Error: strict ASCII mode": "500 5.5.2 Syntax error: non-ASCII command",
    "530 Must issue a STARTTLS command first": "530 5.7.0 Must issue a STARTTLS command first",
    "552 Error: message size exceeds fixed maximum message size": (
        "552 5.3.4 Message size exceeds fixed maximum message size"
    ),
    "555 MAIL FROM parameters not recognized or not implemented": (
        "555 5.5.4 MAIL FROM parameters not recognized or not implemented"
    ),
    "555 RCPT TO parameters not recognized or not implemented": (
        "555 5.5.4 RCPT TO parameters not recognized or not implemented"
    ),
}

# Enhanced code for a reply code when the text has none (RFC 3463 section 3).
DEFAULT_ENHANCED = {
    "211": "2.0.0",
    "214": "2.0.0",
    "220": "2.0.0",
    "221": "2.0.0",
    "250": "2.0.0",
    "252": "2.5.0",
    "421": "4.3.0",
    "450": "4.2.0",
    "451": "4.3.0",
    "452": "4.3.1",
    "454": "4.7.0",
    "500": "5.5.2",
    "501": "5.5.4",
    "502": "5.5.1",
    "503": "5.5.1",
    "504": "5.5.4",
    "530": "5.7.0",
    "535": "5.7.8",
    "538": "5.7.11",
    "550": "5.0.0",
    "552": "5.3.4",
    "553": "5.1.3",
    "554": "5.0.0",
    "555": "5.5.4",
}

# Replies that carry no enhanced code: intermediate replies (RFC 2034 section 3).
NO_ENHANCED_CODE = frozenset({"334", "354"})

TOO_MANY_ERRORS = "421 4.7.0 Too many errors, closing connection"
TIMEOUT = "421 4.4.2 Timeout exceeded, closing connection"
SERVER_ERROR = "451 4.3.0 Temporary server error, try again later"
SENDER_OK = "250 2.1.0 Sender OK"
RECIPIENT_OK = "250 2.1.5 Recipient OK"
VRFY_UNSUPPORTED = "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery"
EXPN_UNSUPPORTED = "502 5.5.1 EXPN not supported"
AUTH_NOT_OFFERED = "503 5.5.1 Authentication not enabled on this port"
AUTH_SUCCEEDED = "235 2.7.0 Authentication successful"
AUTH_FAILED = "535 5.7.8 Authentication credentials invalid"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
NEED_SMTPUTF8 = "553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter"
BAD_ADDRESS = "553 5.1.3 Invalid address: control characters"
BAD_HELO = "501 5.5.4 Invalid host name: control characters"
NEED_RCPT = "503 5.5.1 Need RCPT command"
DATA_SYNTAX = "501 5.5.4 Syntax: DATA"
DATA_START = "354 End data with <CR><LF>.<CR><LF>"
TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
BARE_LINE_ENDING = "554 5.6.0 Message rejected: bare CR or LF; lines must end with CRLF"
NUL_BYTE = "554 5.6.0 Message rejected: NUL byte in message data"


def of_error(error: ApplianceError) -> str:
    """Return the SMTP reply that a core error carries."""
    code, text = error.smtp_reply
    return f"{code} {text}"


def with_enhanced_code(reply: str) -> str:
    """Return `reply` with an enhanced status code after the reply code, if it lacks one."""
    if reply in AIOSMTPD_REPLIES:
        return AIOSMTPD_REPLIES[reply]
    code, separator, text = reply[:3], reply[3:4], reply[4:]
    if code in NO_ENHANCED_CODE or ENHANCED_CODE.match(text):
        return reply
    enhanced = DEFAULT_ENHANCED.get(code)
    if enhanced is None:
        return reply
    if text.startswith("Error: "):
        text = text[len("Error: ") :]
        text = text[:1].upper() + text[1:]
    return f"{code}{separator or ' '}{enhanced} {text}".rstrip()


# Letters that Unicode does not decompose into an ASCII letter and a mark.
_FOLDED_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})


def ascii_text(reply: str) -> str:
    """Return `reply` in printable US-ASCII: Vietnamese letters lose their marks.

    Any other character outside printable ASCII, SP and HT becomes "?".
    """
    if reply.isascii() and reply.isprintable():
        return reply
    decomposed = unicodedata.normalize("NFKD", reply.translate(_FOLDED_LETTERS))
    letters = (c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if c == "\t" or " " <= c <= "~" else "?" for c in letters)


def is_error(reply: str) -> bool:
    """Tell whether a reply reports a failed command (a 4xx or 5xx code)."""
    return reply[:1] in {"4", "5"}
