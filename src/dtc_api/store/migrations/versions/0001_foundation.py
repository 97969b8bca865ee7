"""foundation: clients, sessions, selections, catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:23:42.512882
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "attribute_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("is_multi", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('dynamic', 'mapped')", name=op.f("ck_attribute_types_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_types")),
        sa.UniqueConstraint("name", name=op.f("uq_attribute_types_name")),
    )
    op.create_table(
        "currencies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("iso_number", sa.String(length=3), nullable=False),
        sa.Column("prefix", sa.String(length=10), nullable=True),
        sa.Column("suffix", sa.String(length=10), nullable=True),
        sa.Column("decimal_digits", sa.Integer(), nullable=False),
        sa.Column("decimal_point", sa.String(length=3), nullable=False),
        sa.Column("thousands_separator", sa.String(length=3), nullable=False),
        sa.Column("denominator", sa.Integer(), nullable=False),
        sa.Column("base_rate", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currencies")),
        sa.UniqueConstraint("code", name=op.f("uq_currencies_code")),
    )
    op.create_table(
        "display_items",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("uri", sa.String(length=300), nullable=False),
        sa.Column("product_number", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_display_items")),
        sa.UniqueConstraint("uri", name=op.f("uq_display_items_uri")),
    )
    op.create_table(
        "languages",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("language_code", sa.String(length=8), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_languages")),
    )
    op.create_table(
        "markets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_markets")),
        sa.UniqueConstraint("key", name=op.f("uq_markets_key")),
    )
    op.create_table(
        "selections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selections")),
        sa.UniqueConstraint("public_id", name=op.f("uq_selections_public_id")),
    )
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_selections_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("key", name=op.f("uq_warehouses_key")),
    )
    op.create_table(
        "attribute_elements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attribute_type_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_type_id"],
            ["attribute_types.id"],
            name=op.f("fk_attribute_elements_attribute_type_id_attribute_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribute_elements")),
        sa.UniqueConstraint(
            "attribute_type_id", "key", name=op.f("uq_attribute_elements_attribute_type_id")
        ),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("product_size_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("gtin", sa.String(length=20), nullable=False),
        sa.Column("preorder", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["display_item_id"],
            ["display_items.id"],
            name=op.f("fk_items_display_item_id_display_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_items_display_item_id"), ["display_item_id"], unique=False
        )

    op.create_table(
        "mapped_attributes",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("attribute_type_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_type_id"],
            ["attribute_types.id"],
            name=op.f("fk_mapped_attributes_attribute_type_id_attribute_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapped_attributes")),
    )
    with op.batch_alter_table("mapped_attributes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapped_attributes_attribute_type_id"),
            ["attribute_type_id"],
            unique=False,
        )

    op.create_table(
        "pricelists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currencies.id"], name=op.f("fk_pricelists_currency_id_currencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricelists")),
        sa.UniqueConstraint("key", name=op.f("uq_pricelists_key")),
    )
    op.create_table(
        "warehouse_markets",
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["market_id"],
            ["markets.id"],
            name=op.f("fk_warehouse_markets_market_id_markets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_warehouse_markets_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "market_id", name=op.f("pk_warehouse_markets")),
    )
    op.create_table(
        "countries",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_eu", sa.Boolean(), nullable=False),
        sa.Column("ship_to", sa.Boolean(), nullable=False),
        sa.Column("default_language_code", sa.String(length=16), nullable=True),
        sa.Column("market_id", sa.Integer(), nullable=True),
        sa.Column("pricelist_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["default_language_code"],
            ["languages.code"],
            name=op.f("fk_countries_default_language_code_languages"),
        ),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_countries_market_id_markets")
        ),
        sa.ForeignKeyConstraint(
            ["pricelist_id"], ["pricelists.id"], name=op.f("fk_countries_pricelist_id_pricelists")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_countries")),
    )
    op.create_table(
        "display_item_prices",
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("pricelist_id", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "price_minor >= 0", name=op.f("ck_display_item_prices_price_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["display_item_id"],
            ["display_items.id"],
            name=op.f("fk_display_item_prices_display_item_id_display_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pricelist_id"],
            ["pricelists.id"],
            name=op.f("fk_display_item_prices_pricelist_id_pricelists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "display_item_id", "pricelist_id", name=op.f("pk_display_item_prices")
        ),
    )
    op.create_table(
        "mapped_attribute_values",
        sa.Column("mapped_attribute_id", sa.Integer(), nullable=False),
        sa.Column("element_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mapped_attribute_id"],
            ["mapped_attributes.id"],
            name=op.f("fk_mapped_attribute_values_mapped_attribute_id_mapped_attributes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "mapped_attribute_id", "element_key", name=op.f("pk_mapped_attribute_values")
        ),
    )
    op.create_table(
        "selection_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_selection_lines_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_selection_lines_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_selection_lines_selection_id_selections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_lines")),
        sa.UniqueConstraint("public_id", name=op.f("uq_selection_lines_public_id")),
        sa.UniqueConstraint(
            "selection_id", "item_id", name=op.f("uq_selection_lines_selection_id")
        ),
    )
    op.create_table(
        "stock",
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_quantity_not_negative")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_stock_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("item_id", "warehouse_id", name=op.f("pk_stock")),
    )
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("session_token_hash", sa.String(length=64), nullable=False),
        sa.Column("no_session_token_hash", sa.String(length=64), nullable=False),
        sa.Column("shared_secret_hash", sa.String(length=64), nullable=True),
        sa.Column("frontend_url", sa.String(length=500), nullable=True),
        sa.Column("retain_session_after_logout", sa.Boolean(), nullable=False),
        sa.Column("default_country_code", sa.String(length=2), nullable=True),
        sa.Column("default_language_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_country_code"],
            ["countries.code"],
            name=op.f("fk_api_clients_default_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["default_language_code"],
            ["languages.code"],
            name=op.f("fk_api_clients_default_language_code_languages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_api_clients_name")),
        sa.UniqueConstraint(
            "no_session_token_hash", name=op.f("uq_api_clients_no_session_token_hash")
        ),
        sa.UniqueConstraint("session_token_hash", name=op.f("uq_api_clients_session_token_hash")),
    )
    op.create_table(
        "country_states",
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_country_states_country_code_countries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("country_code", "code", name=op.f("pk_country_states")),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("state_code", sa.String(length=10), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("market_id", sa.Integer(), nullable=False),
        sa.Column("pricelist_id", sa.Integer(), nullable=False),
        sa.Column("selection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_sessions_client_id_api_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_sessions_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["language_code"], ["languages.code"], name=op.f("fk_sessions_language_code_languages")
        ),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_sessions_market_id_markets")
        ),
        sa.ForeignKeyConstraint(
            ["pricelist_id"], ["pricelists.id"], name=op.f("fk_sessions_pricelist_id_pricelists")
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_sessions_selection_id_selections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sessions_last_seen_at"), ["last_seen_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sessions_selection_id"), ["selection_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_selection_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_last_seen_at"))

    op.drop_table("sessions")
    op.drop_table("country_states")
    op.drop_table("api_clients")
    op.drop_table("stock")
    op.drop_table("selection_lines")
    op.drop_table("mapped_attribute_values")
    op.drop_table("display_item_prices")
    op.drop_table("countries")
    op.drop_table("warehouse_markets")
    op.drop_table("pricelists")
    with op.batch_alter_table("mapped_attributes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapped_attributes_attribute_type_id"))

    op.drop_table("mapped_attributes")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_display_item_id"))

    op.drop_table("items")
    op.drop_table("attribute_elements")
    op.drop_table("warehouses")
    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_selections_updated_at"))

    op.drop_table("selections")
    op.drop_table("markets")
    op.drop_table("languages")
    op.drop_table("display_items")
    op.drop_table("currencies")
    op.drop_table("attribute_types")
