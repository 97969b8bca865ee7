"""bundles and bundle lines

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_NONE = sa.text("subscription_plan_id IS NULL")
_SET = sa.text("subscription_plan_id IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "bundles",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=10), nullable=False),
        sa.Column("price_type", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["display_item_id"], ["display_items.id"],
                                name=op.f("fk_bundles_display_item_id_display_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", name=op.f("pk_bundles")),
    )
    op.create_table(
        "bundle_sections",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bundle_id"], ["bundles.display_item_id"],
                                name=op.f("fk_bundle_sections_bundle_id_bundles"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_sections")),
    )
    op.create_index(op.f("ix_bundle_sections_bundle_id"), "bundle_sections", ["bundle_id"])
    op.create_table(
        "bundle_section_items",
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["display_item_id"], ["display_items.id"],
                                name=op.f("fk_bundle_section_items_display_item_id_display_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["section_id"], ["bundle_sections.id"],
                                name=op.f("fk_bundle_section_items_section_id_bundle_sections"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("section_id", "display_item_id",
                                name=op.f("pk_bundle_section_items")),
    )
    op.drop_index("ix_selection_lines_planned", table_name="selection_lines")
    op.drop_index("ix_selection_lines_once", table_name="selection_lines")
    with op.batch_alter_table("selection_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contents", sa.String(length=1000), nullable=False,
                                      server_default=""))
    op.create_index("ix_selection_lines_once", "selection_lines",
                    ["selection_id", "item_id", "contents"], unique=True,
                    sqlite_where=_NONE, postgresql_where=_NONE)
    op.create_index("ix_selection_lines_planned", "selection_lines",
                    ["selection_id", "item_id", "subscription_plan_id", "contents"],
                    unique=True, sqlite_where=_SET, postgresql_where=_SET)
    op.create_table(
        "selection_line_parts",
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"],
                                name=op.f("fk_selection_line_parts_item_id_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["line_id"], ["selection_lines.id"],
                                name=op.f("fk_selection_line_parts_line_id_selection_lines"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["section_id"], ["bundle_sections.id"],
                                name=op.f("fk_selection_line_parts_section_id_bundle_sections"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("line_id", "section_id", name=op.f("pk_selection_line_parts")),
    )


def downgrade() -> None:
    op.drop_table("selection_line_parts")
    op.drop_index("ix_selection_lines_planned", table_name="selection_lines")
    op.drop_index("ix_selection_lines_once", table_name="selection_lines")
    op.execute("DELETE FROM selection_lines WHERE contents <> ''")
    with op.batch_alter_table("selection_lines", schema=None) as batch_op:
        batch_op.drop_column("contents")
    op.create_index("ix_selection_lines_once", "selection_lines", ["selection_id", "item_id"],
                    unique=True, sqlite_where=_NONE, postgresql_where=_NONE)
    op.create_index("ix_selection_lines_planned", "selection_lines",
                    ["selection_id", "item_id", "subscription_plan_id"], unique=True,
                    sqlite_where=_SET, postgresql_where=_SET)
    op.drop_table("bundle_section_items")
    op.drop_index(op.f("ix_bundle_sections_bundle_id"), table_name="bundle_sections")
    op.drop_table("bundle_sections")
    op.drop_table("bundles")
