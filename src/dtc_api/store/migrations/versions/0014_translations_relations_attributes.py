"""translations of display items and categories, relations, display item attributes

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _texts(*columns: tuple[str, sa.types.TypeEngine]) -> list[sa.Column]:
    return [sa.Column(name, kind, server_default="", nullable=False) for name, kind in columns]


_META = (("meta_title", sa.String(length=300)), ("meta_description", sa.String(length=1000)),
         ("meta_keywords", sa.String(length=1000)))


def upgrade() -> None:
    op.create_table(
        "display_item_translations",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=False),
        *_texts(("name", sa.String(length=300)), ("uri", sa.String(length=300)),
                ("description", sa.Text()), ("short_description", sa.Text()), *_META),
        sa.ForeignKeyConstraint(
            ["display_item_id"], ["display_items.id"],
            name=op.f("fk_display_item_translations_display_item_id_display_items"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["language_code"], ["languages.code"],
            name=op.f("fk_display_item_translations_language_code_languages"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", "language_code",
                                name=op.f("pk_display_item_translations")),
    )
    op.create_table(
        "category_translations",
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=False),
        *_texts(("name", sa.String(length=200)), ("uri", sa.String(length=200)), *_META),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_category_translations_category_id_categories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["language_code"], ["languages.code"],
                                name=op.f("fk_category_translations_language_code_languages"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("category_id", "language_code",
                                name=op.f("pk_category_translations")),
    )
    op.create_table(
        "display_item_relations",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=100), nullable=False),
        sa.Column("related_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["display_item_id"], ["display_items.id"],
            name=op.f("fk_display_item_relations_display_item_id_display_items"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["related_id"], ["display_items.id"],
                                name=op.f("fk_display_item_relations_related_id_display_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", "relation", "related_id",
                                name=op.f("pk_display_item_relations")),
    )
    op.create_table(
        "display_item_attributes",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("attribute_type_id", sa.Integer(), nullable=False),
        sa.Column("element_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_type_id"], ["attribute_types.id"],
            name=op.f("fk_display_item_attributes_attribute_type_id_attribute_types"),
            ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["display_item_id"], ["display_items.id"],
            name=op.f("fk_display_item_attributes_display_item_id_display_items"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("display_item_id", "attribute_type_id", "element_key",
                                name=op.f("pk_display_item_attributes")),
    )


def downgrade() -> None:
    for table in ("display_item_attributes", "display_item_relations", "category_translations",
                  "display_item_translations"):
        op.drop_table(table)
