"""back office

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:11:26.634637
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "integration_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("scope IN ('read', 'write')", name=op.f("ck_integration_keys_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_integration_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_integration_keys_name")),
    )
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate_limits", sa.JSON(), nullable=True))

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("login_blocked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:

    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("login_blocked")

    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("rate_limits")

    op.drop_table("integration_keys")
