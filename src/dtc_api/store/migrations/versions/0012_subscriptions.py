"""subscriptions of contracts: plans, lines, payment and shipping

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription_contracts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipping_method", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("payment_method", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("payment_status", sa.String(length=10), nullable=True))
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("interval_type", sa.String(length=10), nullable=False),
        sa.Column("interval_value", sa.Integer(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=True),
        sa.Column("next_order_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contract_id"], ["subscription_contracts.id"],
                                name=op.f("fk_subscriptions_contract_id_subscription_contracts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["subscription_plans.id"],
                                name=op.f("fk_subscriptions_plan_id_subscription_plans"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index(op.f("ix_subscriptions_contract_id"), "subscriptions", ["contract_id"])
    op.create_table(
        "subscription_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_subscription_lines_quantity_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_subscription_lines_item_id_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"],
                                name=op.f("fk_subscription_lines_subscription_id_subscriptions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_lines")),
    )
    op.create_index(op.f("ix_subscription_lines_subscription_id"), "subscription_lines",
                    ["subscription_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_subscription_lines_subscription_id"), table_name="subscription_lines")
    op.drop_table("subscription_lines")
    op.drop_index(op.f("ix_subscriptions_contract_id"), table_name="subscriptions")
    op.drop_table("subscriptions")
    with op.batch_alter_table("subscription_contracts", schema=None) as batch_op:
        batch_op.drop_column("payment_status")
        batch_op.drop_column("payment_method")
        batch_op.drop_column("shipping_method")
