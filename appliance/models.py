"""Database tables of the appliance (SQLAlchemy 2 declarative, typed).

Every schema change comes with an Alembic migration in `appliance/migrations/versions`;
a test compares these models with the migrated schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no time zone, so without this a value written aware would come back naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Account(Base):
    """A mailbox owner that can log in: a person, an agency, an admin or a service."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower case
    display_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="personal")
    state: Mapped[str] = mapped_column(String(20), default="active")
    password_hash: Mapped[str] = mapped_column(String(300), default="")
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    quota_bytes: Mapped[int] = mapped_column(BigInteger)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    message_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    lock_reason: Mapped[str] = mapped_column(String(200), default="")
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    bulk_sender: Mapped[bool] = mapped_column(Boolean, default=False)
    quota_warning_level: Mapped[int] = mapped_column(Integer, default=0)  # percent last warned
    inactivity_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expiry_warned_for: Mapped[datetime | None] = mapped_column(UTCDateTime())  # password date
    # In state "forwarding" mail for this address goes to `forward_to` until `forward_until`.
    forward_to: Mapped[str | None] = mapped_column(String(320))
    forward_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Folder(Base):
    """An IMAP mailbox of one account. `name` is Unicode with "/" as the hierarchy separator."""

    __tablename__ = "folders"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(1000))
    special_use: Mapped[str | None] = mapped_column(String(20))  # e.g. "\\Sent"
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uidnext: Mapped[int] = mapped_column(BigInteger, default=1)
    highestmodseq: Mapped[int] = mapped_column(BigInteger, default=1)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)


class Message(Base):
    """One message in one folder. The bytes live in the blob store under `blob_key`."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("folder_id", "uid"),
        Index("ix_messages_folder_modseq", "folder_id", "modseq"),
        Index("ix_messages_blob", "blob_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    blob_key: Mapped[str] = mapped_column(String(80))
    size: Mapped[int] = mapped_column(BigInteger)
    internal_date: Mapped[datetime] = mapped_column(UTCDateTime())
    flags: Mapped[str] = mapped_column(Text, default="")  # space-separated, sorted
    modseq: Mapped[int] = mapped_column(BigInteger)
    structure: Mapped[str] = mapped_column(Text)  # appliance.mime.serialize JSON


class Expunged(Base):
    """A UID removed from a folder, kept so other sessions learn of the removal."""

    __tablename__ = "expunged"
    __table_args__ = (Index("ix_expunged_folder_modseq", "folder_id", "modseq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    folder_id: Mapped[int] = mapped_column(ForeignKey("folders.id", ondelete="CASCADE"))
    uid: Mapped[int] = mapped_column(BigInteger)
    modseq: Mapped[int] = mapped_column(BigInteger)


class OutboundMessage(Base):
    """A message accepted for a recipient on another domain, waiting for delivery."""

    __tablename__ = "outbound_queue"
    __table_args__ = (Index("ix_outbound_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    blob_key: Mapped[str] = mapped_column(String(80))
    mail_from: Mapped[str] = mapped_column(String(320))
    rcpt_to: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    last_error: Mapped[str] = mapped_column(Text, default="")
    delay_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """One audited event: a login attempt, an admin action, a refusal."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_time", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    event: Mapped[str] = mapped_column(String(50))
    account: Mapped[str] = mapped_column(String(320), default="")
    client: Mapped[str] = mapped_column(String(100), default="")
    service: Mapped[str] = mapped_column(String(20), default="")
    outcome: Mapped[str] = mapped_column(String(50), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


class WebSession(Base):
    """A signed-in webmail session. Its id is the hash of the random token in the cookie."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_account", "account_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the token, hex
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute end of the session
    client: Mapped[str] = mapped_column(String(100), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class PasswordHistory(Base):
    """Every password hash an account has had, so none is used twice."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecoveryCode(Base):
    """A single-use code that replaces a TOTP code when the phone is lost."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AppPassword(Base):
    """A password for one device's mail client, the only kind IMAP and SMTP take with 2FA on.

    App passwords are long random strings, so a SHA-256 of one is as safe to store as a
    slow hash and can be looked up directly.
    """

    __tablename__ = "app_passwords"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_client: Mapped[str] = mapped_column(String(100), default="")
    last_used_service: Mapped[str] = mapped_column(String(20), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Submission(Base):
    """One message submitted by an account, for the sending-rate rule."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_account_time", "account_id", "time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    time: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(Integer)


class ForwardingRule(Base):
    """Mail for an account also (or only) goes to `target`, inside government mail only."""

    __tablename__ = "forwarding_rules"
    __table_args__ = (UniqueConstraint("account_id", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(320))
    keep_copy: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RuntimeSetting(Base):
    """A setting that centre admins change while the appliance runs."""

    __tablename__ = "runtime_settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SuspiciousReport(Base):
    """A message an account reported to the security intake mailbox."""

    __tablename__ = "suspicious_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    blob_key: Mapped[str] = mapped_column(String(80))
    subject: Mapped[str] = mapped_column(Text, default="")
    via: Mapped[str] = mapped_column(String(20))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Job(Base):
    """The state of one scheduled job: when it last ran and when it is due."""

    __tablename__ = "jobs"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_outcome: Mapped[str] = mapped_column(String(200), default="")


class UnlockRequest(Base):
    """A unit's request to unlock an account, actionable after one working day."""

    __tablename__ = "unlock_requests"
    __table_args__ = (Index("ix_unlock_state", "state", "actionable_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    requested_by: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actionable_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")


class LifecycleEvent(Base):
    """A lifecycle step due at a date (a retirement, the end of a forwarding period)."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index("ix_lifecycle_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[str] = mapped_column(Text, default="{}")  # JSON
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(Text, default="")


class MailboxMove(Base):
    """Moving every message of one mailbox into another, in resumable batches."""

    __tablename__ = "mailbox_moves"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    target_account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(300), default="")  # target folder for the copy
    total: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="running")
    started_by: Mapped[str] = mapped_column(String(320), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Counter(Base):
    """A named number that only grows, such as the last UIDVALIDITY handed out."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Unit(Base):
    """A unit of the city directory: agency, commune or ward, sub-unit, or external office.

    `mailbox` is the local part of the unit's own mailbox (`skhcn`, `vp.skhcn`); external
    offices have none. `search_text` is the folded name, for accent-insensitive search.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    mailbox: Mapped[str | None] = mapped_column(String(64), unique=True)
    abbreviation: Mapped[str] = mapped_column(String(31), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open or closed
    publish: Mapped[bool] = mapped_column(Boolean, default=False)  # public directory pages
    mailbox_confirmed: Mapped[str] = mapped_column(String(20), default="")  # yes, assumed…
    search_text: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Person(Base):
    """A person listed in the directory, with or without a mailbox here.

    The name is stored in its three parts because the address depends on the split.
    `public_fields` lists, comma-separated, the fields a published directory may show.
    """

    __tablename__ = "people"
    __table_args__ = (Index("ix_people_unit_rank", "unit_id", "rank"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family: Mapped[str] = mapped_column(String(100))
    middle: Mapped[str] = mapped_column(String(100), default="")
    given: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str] = mapped_column(String(300))
    search_text: Mapped[str] = mapped_column(String(400), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    position: Mapped[str] = mapped_column(String(200), default="")
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[int] = mapped_column(Integer, default=1000)  # lower is listed first
    contract_type: Mapped[str] = mapped_column(String(30), default="permanent")
    contract_end: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(320), default="")  # external contacts only
    public_fields: Mapped[str] = mapped_column(String(200), default="name,position,unit,email")
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The official date the person left the city's service (retired, left, moved away);
    # people who left are no longer listed in the directory.
    left_on: Mapped[date | None] = mapped_column(Date)


class IssuedAddress(Base):
    """Every local part ever issued. Rows are never deleted, so no address is issued twice.

    `state` is live, forwarding (an old address still delivered to its owner) or retired.
    `override_by` names the centre admin who chose the address instead of the naming rule.
    """

    __tablename__ = "issued_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    local_part: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # person, agency, subunit, unit_admin, special
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), default="live")
    override_by: Mapped[str | None] = mapped_column(String(320))
    override_reason: Mapped[str] = mapped_column(Text, default="")


class UnitResponsible(Base):
    """A person named responsible for a unit's own (agency) mailbox.

    `until` is set when the mailbox is handed over to someone else; only rows without it
    are current.
    """

    __tablename__ = "unit_responsibles"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    since: Mapped[date | None] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)


class Handover(Base):
    """The handover of an agency mailbox from one responsible person to the next.

    The names are copied as they were on the day, so the record stays true if a person is
    renamed or leaves.
    """

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handovers_unit", "unit_id", "handed_over_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    from_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    to_person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    from_name: Mapped[str] = mapped_column(String(300), default="")  # empty: nobody before
    to_name: Mapped[str] = mapped_column(String(300))
    handed_over_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(320))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MailboxRequest(Base):
    """A unit admin's request to create, change or revoke a mailbox of their unit.

    `payload` is the JSON of the lifecycle event the request runs once approved; `outcome`
    is what that event did, or why it failed.
    """

    __tablename__ = "mailbox_requests"
    __table_args__ = (Index("ix_mailbox_requests_unit", "unit_id", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(10))  # create, change or revoke
    payload: Mapped[str] = mapped_column(Text, default="{}")
    filed_by: Mapped[str] = mapped_column(String(320))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(20), default="pending")  # approved, rejected…
    decided_by: Mapped[str] = mapped_column(String(320), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
