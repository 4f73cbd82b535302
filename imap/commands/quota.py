"""The QUOTA extension (RFC 9208): GETQUOTA, GETQUOTAROOT and a refused SETQUOTA.

Each account has one quota root, the empty name "", covering all its mailboxes, with two
resources: STORAGE in units of 1024 octets (RFC 9208 section 5.1) and MESSAGE. Quotas are
set by centre admins in the admin console, so SETQUOTA is refused and QUOTASET is not
advertised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.store.types import MAX_MESSAGES
from imap import response
from imap.commands import AUTHENTICATED, Command, Reply, command, ok
from imap.errors import CommandFailed

if TYPE_CHECKING:
    from imap.session import Session

ROOT = ""


async def quota_line(session: Session) -> bytes:
    """Return the untagged QUOTA response of the account's one root."""
    assert session.account is not None
    quota = await session.core.store.quota(session.account.id)
    used_units = -(-quota.used_bytes // 1024)  # round up: any byte used counts
    limit_units = quota.limit_bytes // 1024
    return b'* QUOTA "" (STORAGE %d %d MESSAGE %d %d)\r\n' % (
        used_units,
        limit_units,
        quota.messages,
        MAX_MESSAGES,
    )


@command("GETQUOTAROOT", states=AUTHENTICATED)
async def get_quota_root(session: Session, cmd: Command) -> Reply:
    """RFC 9208 section 4.3.2: the roots of a mailbox, then each root's QUOTA."""
    assert session.account is not None
    cmd.parser.space()
    name = cmd.parser.mailbox()
    cmd.parser.end()
    await session.core.store.folder(session.account.id, name)  # NO [NONEXISTENT] if missing
    root_line = b'* QUOTAROOT %s ""\r\n' % response.mailbox(name)
    await session.send(root_line + await quota_line(session))
    return ok("GETQUOTAROOT completed")


@command("GETQUOTA", states=AUTHENTICATED)
async def get_quota(session: Session, cmd: Command) -> Reply:
    """RFC 9208 section 4.3.1: only the root "" exists."""
    cmd.parser.space()
    root = cmd.parser.astring()
    cmd.parser.end()
    if root != ROOT.encode():
        raise CommandFailed("No such quota root", "NONEXISTENT")
    await session.send(await quota_line(session))
    return ok("GETQUOTA completed")


@command("SETQUOTA", states=AUTHENTICATED)
async def set_quota(session: Session, cmd: Command) -> Reply:
    """RFC 9208 section 4.3.3: quotas are set by administrators, never by the user."""
    raise CommandFailed("Quotas are set by the operations centre", "NOPERM")
