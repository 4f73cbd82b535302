"""System mail to accounts: quota warnings, lock notices and the like.

Texts come from the core catalogue, Vietnamese first then English in the same message,
and are delivered locally from the postmaster address through normal delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from appliance.catalogue import text
from appliance.clock import Clock
from appliance.config import Settings
from appliance.delivery import Delivery
from appliance.errors import ApplianceError

log = logging.getLogger("appliance.notifications")


class Notifier:
    def __init__(self, settings: Settings, delivery: Delivery, clock: Clock) -> None:
        self.settings = settings
        self.delivery = delivery
        self.clock = clock

    @property
    def sender(self) -> str:
        return f"postmaster@{self.settings.domain}"

    def compose(self, recipients: Sequence[str], key: str, **values: object) -> bytes:
        """Build the notice `key` (catalogue `key.subject` and `key.body`) as message bytes."""
        message = EmailMessage()
        message["From"] = Address(text("notify.sender_name"), addr_spec=self.sender)
        message["To"] = ", ".join(recipients)
        message["Subject"] = text(f"{key}.subject", "vi", **values)
        message["Date"] = format_datetime(self.clock.now())
        message["Message-ID"] = make_msgid(domain=self.settings.hostname)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
        body = (
            text(f"{key}.body", "vi", **values)
            + "\n\n-- \n"
            + text(f"{key}.subject", "en", **values)
            + "\n\n"
            + text(f"{key}.body", "en", **values)
            + "\n"
        )
        message.set_content(body, cte="quoted-printable")
        return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))

    async def send(self, recipients: Sequence[str], key: str, **values: object) -> None:
        """Deliver the notice to each local recipient on its own; failures are logged.

        Delivery stores a message for all its recipients or for none, so one missing or
        full mailbox (a unit with no `admin.<unit>@` account, say) would keep the notice
        from everyone else. One delivery per recipient avoids that.
        """
        local = [r for r in dict.fromkeys(recipients) if r and self.delivery.is_local(r)]
        if not local:
            return
        raw = self.compose(local, key, **values)
        for recipient in local:
            try:
                await self.delivery.deliver(raw, self.sender, [recipient])
            except ApplianceError as error:
                log.warning("could not deliver notice %s to %s: %s", key, recipient, error)
            except Exception:
                log.exception("could not deliver notice %s to %s", key, recipient)
