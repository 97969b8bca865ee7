"""media, subscription plans, localized sizes, subscription lines

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription_plans",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("interval_type", sa.String(length=10), nullable=False),
        sa.Column("interval_value", sa.Integer(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_plans")),
    )
    op.create_table(
        "display_item_plans",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["display_item_id"], ["display_items.id"],
                                name=op.f("fk_display_item_plans_display_item_id_display_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["subscription_plans.id"],
                                name=op.f("fk_display_item_plans_plan_id_subscription_plans"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", "plan_id",
                                name=op.f("pk_display_item_plans")),
    )
    op.create_table(
        "display_item_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=500), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["display_item_id"], ["display_items.id"],
                                name=op.f("fk_display_item_media_display_item_id_display_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_item_media")),
        sa.UniqueConstraint("display_item_id", "position",
                            name=op.f("uq_display_item_media_display_item_id")),
    )
    op.create_table(
        "item_size_localizations",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("definition", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_item_size_localizations_item_id_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "position", name=op.f("pk_item_size_localizations")),
    )
    with op.batch_alter_table("selection_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscription_plan_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_selection_lines_subscription_plan_id_subscription_plans"),
            "subscription_plans", ["subscription_plan_id"], ["id"], ondelete="CASCADE")
        batch_op.drop_constraint("uq_selection_lines_selection_id", type_="unique")
    is_none = sa.text("subscription_plan_id IS NULL")
    is_set = sa.text("subscription_plan_id IS NOT NULL")
    op.create_index("ix_selection_lines_once", "selection_lines", ["selection_id", "item_id"],
                    unique=True, sqlite_where=is_none, postgresql_where=is_none)
    op.create_index("ix_selection_lines_planned", "selection_lines",
                    ["selection_id", "item_id", "subscription_plan_id"], unique=True,
                    sqlite_where=is_set, postgresql_where=is_set)


def downgrade() -> None:
    op.drop_index("ix_selection_lines_planned", table_name="selection_lines")
    op.drop_index("ix_selection_lines_once", table_name="selection_lines")
    op.execute("DELETE FROM selection_lines WHERE subscription_plan_id IS NOT NULL")
    with op.batch_alter_table("selection_lines", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_selection_lines_selection_id",
                                          ["selection_id", "item_id"])
        batch_op.drop_constraint(
            batch_op.f("fk_selection_lines_subscription_plan_id_subscription_plans"),
            type_="foreignkey")
        batch_op.drop_column("subscription_plan_id")
    op.drop_table("item_size_localizations")
    op.drop_table("display_item_media")
    op.drop_table("display_item_plans")
    op.drop_table("subscription_plans")
