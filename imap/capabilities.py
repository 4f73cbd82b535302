"""The CAPABILITY list in each connection state (RFC 3501 section 7.2.1).

Only what the server implements is listed. Password authentication is offered only over
TLS (RFC 3501 section 6.2.3, LOGINDISABLED before STARTTLS).
"""

from __future__ import annotations

BASE = ("IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE")
AFTER_LOGIN = (
    "NAMESPACE",
    "UIDPLUS",
    "MOVE",
    "UNSELECT",
    "CHILDREN",
    "LIST-EXTENDED",
    "SPECIAL-USE",
    "STATUS=SIZE",
    "QUOTA",
    "QUOTA=RES-STORAGE",
    "QUOTA=RES-MESSAGE",
)


def capabilities(secure: bool, authenticated: bool, can_starttls: bool) -> str:
    """Return the capability names for a connection, space separated."""
    names = list(BASE)
    if authenticated:
        names += AFTER_LOGIN
    elif secure:
        names.append("AUTH=PLAIN")
    else:
        if can_starttls:
            names.append("STARTTLS")
        names.append("LOGINDISABLED")
    return " ".join(names)
