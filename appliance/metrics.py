"""Prometheus metrics of the appliance, in one registry that `/metrics` exposes.

Protocol code records events with one call each (`record_connection`, `record_command`,
`record_refusal`); the gauges that describe stored data (queue length, quota use) are
read from the database by `refresh_gauges` when the metrics are scraped.
"""

from __future__ import annotations

import re

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from appliance.models import Account, OutboundMessage

REGISTRY = CollectorRegistry()

# Seconds: from a quick IMAP FETCH of flags to a large DATA stored with fsync.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REFUSALS = Counter(
    "appliance_refusals",
    "Requests refused by a rule, by rule and service",
    ["rule", "service"],
    registry=REGISTRY,
)
DELIVERIES = Counter(
    "appliance_deliveries",
    "Messages stored or queued, by destination (local, queued, forwarded)",
    ["destination"],
    registry=REGISTRY,
)
LOGINS = Counter(
    "appliance_logins",
    "Login attempts, by service and outcome",
    ["service", "outcome"],
    registry=REGISTRY,
)
CONNECTIONS = Counter(
    "appliance_connections",
    "Client connections accepted, by listener",
    ["listener"],
    registry=REGISTRY,
)
OPEN_CONNECTIONS = Gauge(
    "appliance_open_connections",
    "Client connections open now, by listener",
    ["listener"],
    registry=REGISTRY,
)
COMMANDS = Counter(
    "appliance_commands",
    "Protocol commands answered, by service, command and outcome (ok or error)",
    ["service", "command", "outcome"],
    registry=REGISTRY,
)
COMMAND_SECONDS = Histogram(
    "appliance_command_seconds",
    "Time from reading a command to its final reply, by service",
    ["service"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
DELIVERY_SECONDS = Histogram(
    "appliance_delivery_seconds",
    "Time to store one accepted message durably for every recipient",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
QUEUE_LENGTH = Gauge(
    "appliance_outbound_queue_messages",
    "Outbound messages waiting for delivery to a remote server",
    registry=REGISTRY,
)
QUOTA_USED = Gauge(
    "appliance_quota_used_bytes",
    "Bytes stored in all mailboxes together",
    registry=REGISTRY,
)
QUOTA_LIMIT = Gauge(
    "appliance_quota_limit_bytes",
    "Sum of the quotas of all mailboxes",
    registry=REGISTRY,
)
NEARLY_FULL = Gauge(
    "appliance_mailboxes_nearly_full",
    "Mailboxes using 90 % or more of their quota",
    registry=REGISTRY,
)
ACCOUNTS = Gauge(
    "appliance_accounts",
    "Accounts, by state",
    ["state"],
    registry=REGISTRY,
)

_ENHANCED_CODE = re.compile(r"^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})")


def record_connection(listener: str, opened: bool) -> None:
    """Count a connection that opened (`opened`) or closed on `listener`."""
    if opened:
        CONNECTIONS.labels(listener=listener).inc()
        OPEN_CONNECTIONS.labels(listener=listener).inc()
    else:
        OPEN_CONNECTIONS.labels(listener=listener).dec()


def record_command(service: str, command: str, ok: bool, seconds: float) -> None:
    """Count one answered command and its latency.

    `command` must come from a fixed set (the server's own command table), never from
    client input as such, so that the number of label values stays bounded.
    """
    COMMANDS.labels(service=service, command=command, outcome="ok" if ok else "error").inc()
    COMMAND_SECONDS.labels(service=service).observe(seconds)


def record_refusal(service: str, reply: str) -> None:
    """Count an SMTP rejection, labelled by its enhanced status code (RFC 3463)."""
    match = _ENHANCED_CODE.match(reply)
    rule = match.group(1) if match else reply[:3]
    REFUSALS.labels(rule=rule, service=service).inc()


async def refresh_gauges(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Read the queue length and quota use from the database into their gauges."""
    async with sessions() as session:
        queued = await session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.state == "queued")
        )
        used, limit = (
            await session.execute(
                select(
                    func.coalesce(func.sum(Account.used_bytes), 0),
                    func.coalesce(func.sum(Account.quota_bytes), 0),
                )
            )
        ).one()
        nearly_full = await session.scalar(
            select(func.count())
            .select_from(Account)
            .where(Account.used_bytes * 10 >= Account.quota_bytes * 9)
        )
        states = (
            await session.execute(select(Account.state, func.count()).group_by(Account.state))
        ).all()
    QUEUE_LENGTH.set(queued or 0)
    QUOTA_USED.set(int(used))
    QUOTA_LIMIT.set(int(limit))
    NEARLY_FULL.set(nearly_full or 0)
    for state, count in states:
        ACCOUNTS.labels(state=state).set(count)
