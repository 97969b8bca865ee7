"""brands, collections, categories; display item texts, variants and dates

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TEXTS = (("description", sa.Text()), ("short_description", sa.Text()),
          ("meta_title", sa.String(length=300)), ("meta_description", sa.String(length=1000)),
          ("meta_keywords", sa.String(length=1000)))


def upgrade() -> None:
    for table in ("brands", "collections"):
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("name", sa.String(length=200), nullable=False),
            sa.Column("uri", sa.String(length=300), nullable=False),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("uri", name=op.f(f"uq_{table}_uri")),
        )
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uri", sa.String(length=1000), nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("meta_title", sa.String(length=300), server_default="", nullable=False),
        sa.Column("meta_description", sa.String(length=1000), server_default="",
                  nullable=False),
        sa.Column("meta_keywords", sa.String(length=1000), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"],
                                name=op.f("fk_categories_parent_id_categories"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("uri", name=op.f("uq_categories_uri")),
    )
    op.create_index(op.f("ix_categories_parent_id"), "categories", ["parent_id"])
    with op.batch_alter_table("display_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("collection_id", sa.Integer(), nullable=True))
        for name, kind in _TEXTS:
            batch_op.add_column(sa.Column(name, kind, server_default="", nullable=False))
        batch_op.add_column(sa.Column("variant_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("variant_number", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_display_items_brand_id_brands"), "brands",
                                    ["brand_id"], ["id"], ondelete="SET NULL")
        batch_op.create_foreign_key(batch_op.f("fk_display_items_collection_id_collections"),
                                    "collections", ["collection_id"], ["id"],
                                    ondelete="SET NULL")
    op.create_table(
        "display_item_categories",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_display_item_categories_category_id_categories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["display_item_id"], ["display_items.id"],
            name=op.f("fk_display_item_categories_display_item_id_display_items"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", "category_id",
                                name=op.f("pk_display_item_categories")),
    )
    op.create_index(op.f("ix_display_item_categories_category_id"), "display_item_categories",
                    ["category_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_display_item_categories_category_id"),
                  table_name="display_item_categories")
    op.drop_table("display_item_categories")
    with op.batch_alter_table("display_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_display_items_collection_id_collections"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_display_items_brand_id_brands"),
                                 type_="foreignkey")
        for name in ("modified_at", "created_at", "variant_number", "variant_name",
                     *(n for n, _ in _TEXTS), "collection_id", "brand_id"):
            batch_op.drop_column(name)
    op.drop_index(op.f("ix_categories_parent_id"), table_name="categories")
    op.drop_table("categories")
    op.drop_table("collections")
    op.drop_table("brands")
