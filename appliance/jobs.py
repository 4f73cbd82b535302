"""The scheduled jobs of the appliance and their intervals."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, union

from appliance.backup import add_daily_backup
from appliance.blobs import collect_garbage
from appliance.core import Core
from appliance.models import Message, OutboundMessage

DAILY = timedelta(days=1)
HOURLY = timedelta(hours=1)


def register_jobs(core: Core) -> None:
    """Add every lifecycle job to the core's scheduler."""
    core.scheduler.add("lock_inactive", HOURLY, core.locks.lock_inactive)
    core.scheduler.add("warn_password_expiry", HOURLY, core.locks.warn_password_expiry)
    core.scheduler.add("run_lifecycle_events", HOURLY, core.lifecycle.run_due_events)
    core.scheduler.add("end_forwarding", HOURLY, core.lifecycle.end_forwarding)
    core.scheduler.add("purge_revoked", DAILY, core.retention.purge)

    async def collect_blobs(_now: datetime) -> str:
        async with core.sessions() as session:
            referenced = set(
                await session.scalars(
                    union(select(Message.blob_key), select(OutboundMessage.blob_key))
                )
            )
        removed = await collect_garbage(core.blobs, referenced)
        return f"removed {len(removed)} unreferenced blobs"

    core.scheduler.add("collect_blobs", DAILY, collect_blobs)
    add_daily_backup(core)
