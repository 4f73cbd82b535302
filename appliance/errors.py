"""Domain errors raised by the core services.

Protocol code catches these and turns them into its own replies: each error carries the
IMAP response code and the SMTP reply that fit it, so the mapping lives in one place.
"""

from __future__ import annotations


class ApplianceError(Exception):
    """Base of every error the core raises on purpose."""

    imap_code: str | None = None  # IMAP response code, e.g. "NONEXISTENT"
    # SMTP reply text is US-ASCII only (RFC 5321 section 4.2): Vietnamese without marks.
    smtp_reply: tuple[int, str] = (451, "4.3.0 Temporary server error")

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        self.message = message or (self.__class__.__doc__ or "").strip()


class MailboxNotFound(ApplianceError):
    """The mailbox (folder) does not exist."""

    imap_code = "NONEXISTENT"


class MailboxExists(ApplianceError):
    """A mailbox (folder) with that name already exists."""

    imap_code = "ALREADYEXISTS"


class MailboxNameInvalid(ApplianceError):
    """The mailbox name is not valid."""

    imap_code = "CANNOT"


class MailboxProtected(ApplianceError):
    """That mailbox cannot be deleted or renamed."""

    imap_code = "CANNOT"


class OverQuota(ApplianceError):
    """The mailbox is over its storage quota."""

    imap_code = "OVERQUOTA"
    smtp_reply = (552, "5.2.2 Mailbox full")


class MessageTooLarge(ApplianceError):
    """The message is larger than the size limit."""

    imap_code = "TOOBIG"
    smtp_reply = (552, "5.3.4 Message too big for system")


class UnknownRecipient(ApplianceError):
    """No mailbox has that address."""

    smtp_reply = (550, "5.1.1 No such user here")


class RelayDenied(ApplianceError):
    """The recipient is not local and the client is not authenticated."""

    smtp_reply = (550, "5.7.1 Relaying denied")


class SenderNotAllowed(ApplianceError):
    """The envelope sender is not an address of the authenticated account."""

    smtp_reply = (553, "5.7.1 Sender address not owned by the authenticated account")


class AuthorNotAllowed(ApplianceError):
    """A From: or Sender: address of a submitted message is not the account's own."""

    smtp_reply = (
        550,
        "5.7.1 From: header address not owned by the authenticated account;"
        " use your own address in From:",
    )


class AuthenticationFailed(ApplianceError):
    """The user name or the password is wrong."""

    imap_code = "AUTHENTICATIONFAILED"
    smtp_reply = (535, "5.7.8 Authentication credentials invalid")


class NoSuchMessage(ApplianceError):
    """No message has that UID in that mailbox."""

    imap_code = "NONEXISTENT"


class PasswordExpired(ApplianceError):
    """The password has expired or was never changed; change it in the webmail."""

    imap_code = "EXPIRED"
    smtp_reply = (
        535,
        "5.7.8 Password expired or never changed: change it in the webmail "
        "(Mat khau da het han: hay doi mat khau trong webmail)",
    )


class PasswordRejected(ApplianceError):
    """The new password breaks the password rules."""

    def __init__(self, rules: list[str], message: str) -> None:
        super().__init__(message)
        self.rules = rules


class InvalidCode(ApplianceError):
    """The verification code is wrong, expired or already used."""


class OutOfScope(ApplianceError):
    """The administrator may not act on that account."""


class MailboxFull(OverQuota):
    """The mailbox is already full; try again later (RFC 3463 X.2.2)."""

    smtp_reply = (452, "4.2.2 Mailbox full, try again later")


class AccountLocked(ApplianceError):
    """The account is locked; its unit can ask the operations centre to unlock it."""

    imap_code = "AUTHORIZATIONFAILED"
    smtp_reply = (550, "5.7.1 Account locked: contact your unit's IT administrator")


class SendingLimitReached(AccountLocked):
    """More than 100 messages in 30 minutes: the account is locked for review."""

    smtp_reply = (
        550,
        "5.7.1 Sending limit reached (100 messages in 30 minutes); the account is locked "
        "(Vuot gioi han gui thu: tai khoan da bi khoa)",
    )


class BulkSenderRequires2FA(ApplianceError):
    """A bulk sender must have two-factor login on."""


class ForwardingNotAllowed(ApplianceError):
    """Forwarding is allowed only to government mail domains on the allowlist."""


class ForwardingTargetUnknown(ForwardingNotAllowed):
    """A forwarding target in a local domain is not an account that receives mail."""


class MailLoop(ApplianceError):
    """The message has passed through too many servers: a mail loop."""

    smtp_reply = (554, "5.4.6 Too many hops: mail loop detected")


class VirusFound(ApplianceError):
    """The virus scanner found malware in the message."""

    def __init__(self, signature: str) -> None:
        super().__init__(f"Virus found: {signature}")
        self.signature = signature
        self.smtp_reply = (554, f"5.7.1 Message rejected: virus found ({signature})")


class ScanFailed(ApplianceError):
    """The virus scanner could not be reached or gave no verdict; the sender should retry."""

    smtp_reply = (451, "4.3.0 Virus scan unavailable, try again later")
