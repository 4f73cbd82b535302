"""Give every existing account the report folder "Báo cáo thư đáng ngờ".

New accounts get it with their default folders; accounts created before it became one get
it here. Only accounts that have an INBOX get it, because an account without folders only
forwards mail. Each new folder takes the next UIDVALIDITY of the "uidvalidity" counter, as
`appliance.store.folders.next_uidvalidity` hands them out.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The name as it was when this migration was written; later renames need a migration too.
REPORT_FOLDER = "Báo cáo thư đáng ngờ"
folders = sa.table(
    "folders",
    sa.column("id", sa.Integer),
    sa.column("account_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("special_use", sa.String),
    sa.column("uidvalidity", sa.BigInteger),
    sa.column("uidnext", sa.BigInteger),
    sa.column("highestmodseq", sa.BigInteger),
    sa.column("subscribed", sa.Boolean),
)
messages = sa.table("messages", sa.column("folder_id", sa.Integer))
counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def upgrade() -> None:
    connection = op.get_bind()
    inboxes = sa.select(folders.c.account_id).where(folders.c.name == "INBOX")
    having = sa.select(folders.c.account_id).where(folders.c.name == REPORT_FOLDER)
    account_ids = list(
        connection.scalars(
            inboxes.where(folders.c.account_id.not_in(having)).order_by(folders.c.account_id)
        )
    )
    if not account_ids:
        return
    last = connection.scalar(sa.select(counters.c.value).where(counters.c.name == "uidvalidity"))
    value = max(int(time.time()), (last or 0) + 1)
    rows = []
    for offset, account_id in enumerate(account_ids):
        rows.append(
            {
                "account_id": account_id,
                "name": REPORT_FOLDER,
                "special_use": None,
                "uidvalidity": value + offset,
                "uidnext": 1,
                "highestmodseq": 1,
                "subscribed": True,
            }
        )
    connection.execute(folders.insert(), rows)
    highest = value + len(rows) - 1
    if last is None:
        connection.execute(counters.insert().values(name="uidvalidity", value=highest))
    else:
        connection.execute(
            counters.update().where(counters.c.name == "uidvalidity").values(value=highest)
        )


def downgrade() -> None:
    # Only empty report folders go; one with messages stays, so no mail is lost.
    connection = op.get_bind()
    filled = sa.select(messages.c.folder_id)
    connection.execute(
        folders.delete().where(folders.c.name == REPORT_FOLDER, folders.c.id.not_in(filled))
    )
