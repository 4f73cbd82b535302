"""Directory: units, people, every issued address, responsible persons of agency mailboxes.

Revision ID: 0003
Revises: 0004

Revision 0004 (credentials) was committed before this one and became the head, so the
chain runs 0001, 0002, 0004, 0003: Alembic follows down_revision, not the numbers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("mailbox", sa.String(length=64), nullable=True),
        sa.Column("abbreviation", sa.String(length=31), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("publish", sa.Boolean(), nullable=False),
        sa.Column("mailbox_confirmed", sa.String(length=20), nullable=False),
        sa.Column("search_text", sa.String(length=400), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("mailbox"),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index("ix_units_parent_id", ["parent_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=100), nullable=False),
        sa.Column("middle", sa.String(length=100), nullable=False),
        sa.Column("given", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("search_text", sa.String(length=400), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("contract_type", sa.String(length=30), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("public_fields", sa.String(length=200), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_account_id", ["account_id"], unique=False)
        batch_op.create_index("ix_people_unit_rank", ["unit_id", "rank"], unique=False)

    op.create_table(
        "issued_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("local_part", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("override_by", sa.String(length=320), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("local_part"),
    )
    with op.batch_alter_table("issued_addresses", schema=None) as batch_op:
        batch_op.create_index("ix_issued_addresses_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_issued_addresses_unit_id", ["unit_id"], unique=False)

    op.create_table(
        "unit_responsibles",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.PrimaryKeyConstraint("unit_id", "person_id"),
    )


def downgrade() -> None:
    op.drop_table("unit_responsibles")
    with op.batch_alter_table("issued_addresses", schema=None) as batch_op:
        batch_op.drop_index("ix_issued_addresses_unit_id")
        batch_op.drop_index("ix_issued_addresses_person_id")
    op.drop_table("issued_addresses")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_unit_rank")
        batch_op.drop_index("ix_people_account_id")
    op.drop_table("people")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_parent_id")
    op.drop_table("units")
