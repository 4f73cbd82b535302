"""Prometheus metrics of the appliance, in one registry that `/metrics` exposes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry()

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
