"""The audit trail: one line per login attempt and per administrative act.

Each entry goes to the `audit` logger, in a stable key=value format that a log watcher
such as fail2ban can match, and to the audit_log table. No secret is ever passed here.
"""

from __future__ import annotations

import logging

from appliance.clock import Clock
from appliance.metrics import REFUSALS
from appliance.models import AuditEntry
from appliance.store.writer import Transaction, Writer

log = logging.getLogger("audit")


class Audit:
    def __init__(self, writer: Writer, clock: Clock) -> None:
        self.writer = writer
        self.clock = clock

    async def record(
        self,
        event: str,
        *,
        account: str = "",
        client: str = "",
        service: str = "",
        outcome: str = "",
        detail: str = "",
    ) -> None:
        """Write one audit entry to the log and the database."""
        now = self.clock.now()
        log.info(
            "event=%s account=%s client=%s service=%s outcome=%s",
            event,
            account or "-",
            client or "-",
            service or "-",
            outcome or "-",
        )

        async def write(tx: Transaction) -> None:
            tx.session.add(
                AuditEntry(
                    time=now,
                    event=event,
                    account=account,
                    client=client,
                    service=service,
                    outcome=outcome,
                    detail=detail,
                )
            )

        await self.writer.run(write)

    async def refused(
        self, rule: str, *, service: str, account: str = "", client: str = "", detail: str = ""
    ) -> None:
        """Record a request refused by one of the city's rules: an audit entry and a metric."""
        REFUSALS.labels(rule=rule, service=service).inc()
        await self.record(
            "refused", account=account, client=client, service=service, outcome=rule, detail=detail
        )
