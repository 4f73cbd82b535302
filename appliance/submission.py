"""Submission: mail sent by an authenticated account, from SMTP submission or the webmail.

Both paths call this one service, so every rule on what an account may send is checked in
one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from appliance.delivery import Delivery
from appliance.errors import MessageTooLarge, SenderNotAllowed
from appliance.sending_rate import SendingRate
from appliance.store.mailstore import MailStore
from appliance.store.types import AccountInfo


class Submission:
    def __init__(
        self,
        delivery: Delivery,
        store: MailStore,
        sending_rate: SendingRate,
        max_message_size: int,
    ) -> None:
        self.delivery = delivery
        self.store = store
        self.sending_rate = sending_rate
        self.max_message_size = max_message_size

    def check_sender(self, account: AccountInfo, mail_from: str) -> None:
        """Raise SenderNotAllowed unless `mail_from` is the account's own address."""
        if mail_from.strip().lower() != account.address:
            raise SenderNotAllowed(f"{account.address} may not send as {mail_from or '<>'}")

    async def check_recipient(self, account: AccountInfo, address: str) -> None:
        await self.delivery.check_recipient(address, may_relay=True)

    async def submit(
        self,
        account: AccountInfo,
        mail_from: str,
        recipients: Sequence[str],
        raw: bytes,
        *,
        save_copy: bool = False,
    ) -> None:
        """Deliver a message sent by `account`; with `save_copy`, also store it in Sent.

        Raises SenderNotAllowed, MessageTooLarge, AccountLocked or SendingLimitReached
        before anything is stored.
        """
        self.check_sender(account, mail_from)
        if len(raw) > self.max_message_size:
            raise MessageTooLarge()
        await self.sending_rate.record(account, len(recipients))
        await self.delivery.deliver(raw, mail_from, recipients)
        if save_copy:
            await self.store.append(account.id, "Sent", raw, flags=("\\Seen",))
