"""Mailbox requests, agency mailbox handovers, and the dates people and responsibles end.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("left_on", sa.Date(), nullable=True))
    with op.batch_alter_table("unit_responsibles") as batch:
        batch.add_column(sa.Column("since", sa.Date(), nullable=True))
        batch.add_column(sa.Column("until", sa.Date(), nullable=True))
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_person_id", sa.Integer(), nullable=True),
        sa.Column("to_person_id", sa.Integer(), nullable=False),
        sa.Column("from_name", sa.String(length=300), nullable=False),
        sa.Column("to_name", sa.String(length=300), nullable=False),
        sa.Column("handed_over_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(length=320), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["to_person_id"], ["people.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handovers_unit", "handovers", ["unit_id", "handed_over_on"])
    op.create_table(
        "mailbox_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("filed_by", sa.String(length=320), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=320), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mailbox_requests_unit", "mailbox_requests", ["unit_id", "state"])


def downgrade() -> None:
    op.drop_table("mailbox_requests")
    op.drop_table("handovers")
    with op.batch_alter_table("unit_responsibles") as batch:
        batch.drop_column("until")
        batch.drop_column("since")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("left_on")
