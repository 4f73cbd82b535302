"""Reports of suspicious mail to the security intake mailbox (tiepnhan@ by default).

The report carries the original message unchanged, byte for byte, as a message/rfc822
attachment, so the intake team sees every header and part as received. The reported
message is then moved to Junk. Desktop clients report by moving messages into the
report folder, which this service empties after each change.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid

from appliance.audit import Audit
from appliance.catalogue import text
from appliance.clock import Clock
from appliance.delivery import Delivery, header_block
from appliance.models import SuspiciousReport
from appliance.store.mailstore import MailStore
from appliance.store.types import REPORT_FOLDER, AccountInfo, FolderInfo
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("appliance.reports")


def original_subject(raw: bytes) -> str:
    """Return the decoded Subject of a message, or an empty string."""
    for line in header_block(raw).decode("utf-8", "replace").replace("\r\n", "\n").split("\n"):
        if line.lower().startswith("subject:"):
            try:
                return str(make_header(decode_header(line[8:].strip())))
            except (UnicodeError, LookupError, ValueError):
                return line[8:].strip()
    return ""


def build_report(
    raw: bytes, reporter: AccountInfo, intake: str, now: datetime, hostname: str
) -> bytes:
    """Return a multipart/mixed report whose second part is `raw`, unchanged."""
    boundary = "=_report_" + secrets.token_hex(12)
    while boundary.encode() in raw:
        boundary = "=_report_" + secrets.token_hex(12)
    subject = text("report.subject", "vi", subject=original_subject(raw) or "(không tiêu đề)")
    encoding = "8bit" if any(byte > 127 for byte in raw) else "7bit"
    if any(len(line) > 998 for line in raw.split(b"\n")):
        encoding = "binary"
    from_header = str(Address(reporter.display_name or "", addr_spec=reporter.address))
    headers = [
        f"From: {_encode(from_header)}",
        f"To: {intake}",
        f"Subject: {_encode(subject)}",
        f"Date: {format_datetime(now)}",
        f"Message-ID: {make_msgid(domain=hostname)}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    body = text("report.body", "vi", reporter=reporter.address)
    body += "\r\n\r\n" + text("report.body", "en", reporter=reporter.address)
    parts = [
        "\r\n".join(headers).encode() + b"\r\n\r\n",
        f"--{boundary}\r\n".encode(),
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        body.encode() + b"\r\n",
        f"--{boundary}\r\n".encode(),
        f"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n".encode(),
        b'Content-Disposition: attachment; filename="original.eml"\r\n\r\n',
        raw if raw.endswith(b"\r\n") else raw + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts)


def _encode(value: str) -> str:
    return str(make_header([(value.encode(), "utf-8")])) if not value.isascii() else value


class Reports:
    def __init__(
        self,
        store: MailStore,
        delivery: Delivery,
        writer: Writer,
        audit: Audit,
        clock: Clock,
        intake: str,
        hostname: str,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.writer = writer
        self.audit = audit
        self.clock = clock
        self.intake = intake
        self.hostname = hostname
        self.accounts_by_id: Callable[[int], Awaitable[AccountInfo]] | None = None
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def on_added(self, account_id: int, folder_name: str) -> None:
        """Store hook: messages moved into the report folder are reported (desktop clients)."""
        if folder_name != REPORT_FOLDER or account_id in self._busy:
            return
        task = asyncio.get_running_loop().create_task(self.empty_report_folder(account_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def empty_report_folder(self, account_id: int) -> None:
        """Report every message in the account's report folder, moving each to Junk."""
        if self.accounts_by_id is None:
            return
        self._busy.add(account_id)
        try:
            account = await self.accounts_by_id(account_id)
            while True:
                folder = await self.store.folder(account_id, REPORT_FOLDER)
                pending = await self.store.messages(folder.id)
                if not pending:
                    return
                for message in pending:
                    await self.report(account, folder, message.uid, "imap")
        except Exception:
            log.exception("reporting from the report folder of account %d failed", account_id)
        finally:
            self._busy.discard(account_id)

    async def report(self, account: AccountInfo, folder: FolderInfo, uid: int, via: str) -> None:
        """Send one message to the intake mailbox and move it to Junk."""
        message = await self.store.message(folder.id, uid)
        raw = await self.store.read(message.blob_key)
        now = self.clock.now()
        report = build_report(raw, account, self.intake, now, self.hostname)
        await self.delivery.deliver(report, account.address, [self.intake])
        subject = original_subject(raw)

        async def write(tx: Transaction) -> None:
            tx.session.add(
                SuspiciousReport(
                    account_id=account.id,
                    blob_key=message.blob_key,
                    subject=subject[:1000],
                    via=via,
                    reported_at=now,
                )
            )

        await self.writer.run(write)
        if folder.name != "Junk":
            await self.store.copy(folder.id, [uid], "Junk", move=True)
        await self.audit.record(
            "report_suspicious", account=account.address, service=via, outcome="ok"
        )
