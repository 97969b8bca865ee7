"""customer accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:45:46.647055
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "login_failures",
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_key", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failure_at"), ["last_failure_at"], unique=False
        )

    op.create_table(
        "rate_limit_hits",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_rate_limit_hits")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("registered", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_name", sa.String(length=200), nullable=True),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("cell_phone_number", sa.String(length=50), nullable=True),
        sa.Column("phone_number", sa.String(length=50), nullable=True),
        sa.Column("fax_number", sa.String(length=50), nullable=True),
        sa.Column("website_url", sa.String(length=500), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=True),
        sa.Column("vat_number", sa.String(length=50), nullable=True),
        sa.Column("attention", sa.String(length=200), nullable=True),
        sa.Column("address1", sa.String(length=300), nullable=True),
        sa.Column("address2", sa.String(length=300), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("zip_code", sa.String(length=30), nullable=True),
        sa.Column("state_or_province", sa.String(length=200), nullable=True),
        sa.Column("state_code", sa.String(length=10), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=True),
        sa.Column("birthdate", sa.Date(), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("selection_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_customers_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["language_code"], ["languages.code"], name=op.f("fk_customers_language_code_languages")
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_customers_selection_id_selections"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customers_email_key"), ["email_key"], unique=False)
        batch_op.create_index(
            "uq_customers_registered_email_key",
            ["email_key"],
            unique=True,
            sqlite_where=sa.text("registered"),
            postgresql_where=sa.text("registered"),
        )

    op.create_table(
        "customer_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("consented", sa.Boolean(), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_consents_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_consents")),
    )
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_consents_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "customer_dynamic_attributes",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("attribute_type_id", sa.Integer(), nullable=False),
        sa.Column("element_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_type_id"],
            ["attribute_types.id"],
            name=op.f("fk_customer_dynamic_attributes_attribute_type_id_attribute_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_dynamic_attributes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id",
            "attribute_type_id",
            "element_key",
            name=op.f("pk_customer_dynamic_attributes"),
        ),
    )
    op.create_table(
        "customer_mapped_attributes",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("attribute_type_id", sa.Integer(), nullable=False),
        sa.Column("mapped_attribute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attribute_type_id"],
            ["attribute_types.id"],
            name=op.f("fk_customer_mapped_attributes_attribute_type_id_attribute_types"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_mapped_attributes_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mapped_attribute_id"],
            ["mapped_attributes.id"],
            name=op.f("fk_customer_mapped_attributes_mapped_attribute_id_mapped_attributes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "attribute_type_id", name=op.f("pk_customer_mapped_attributes")
        ),
    )
    op.create_table(
        "newsletter_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_newsletter_subscriptions_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_newsletter_subscriptions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["language_code"],
            ["languages.code"],
            name=op.f("fk_newsletter_subscriptions_language_code_languages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_subscriptions")),
    )
    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscriptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_newsletter_subscriptions_email_key"), ["email_key"], unique=False
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=True),
        sa.Column("state_code", sa.String(length=10), nullable=True),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("market_id", sa.Integer(), nullable=True),
        sa.Column("pricelist_id", sa.Integer(), nullable=True),
        sa.Column("currency_id", sa.Integer(), nullable=False),
        sa.Column("billing_address", sa.JSON(), nullable=True),
        sa.Column("shipping_address", sa.JSON(), nullable=True),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"], ["countries.code"], name=op.f("fk_orders_country_code_countries")
        ),
        sa.ForeignKeyConstraint(
            ["currency_id"], ["currencies.id"], name=op.f("fk_orders_currency_id_currencies")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_orders_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["language_code"], ["languages.code"], name=op.f("fk_orders_language_code_languages")
        ),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_orders_market_id_markets")
        ),
        sa.ForeignKeyConstraint(
            ["pricelist_id"], ["pricelists.id"], name=op.f("fk_orders_pricelist_id_pricelists")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "subscription_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("market_id", sa.Integer(), nullable=True),
        sa.Column("pricelist_id", sa.Integer(), nullable=False),
        sa.Column("shipping_address", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_subscription_contracts_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["market_id"], ["markets.id"], name=op.f("fk_subscription_contracts_market_id_markets")
        ),
        sa.ForeignKeyConstraint(
            ["pricelist_id"],
            ["pricelists.id"],
            name=op.f("fk_subscription_contracts_pricelist_id_pricelists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_contracts")),
    )
    with op.batch_alter_table("subscription_contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subscription_contracts_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "wishlists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_wishlists_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wishlists")),
    )
    with op.batch_alter_table("wishlists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wishlists_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(
            "uq_wishlists_default",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    op.create_table(
        "order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=True),
        sa.Column("display_item_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_minor", sa.BigInteger(), nullable=False),
        sa.Column("line_value_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["display_item_id"],
            ["display_items.id"],
            name=op.f("fk_order_lines_display_item_id_display_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_order_lines_item_id_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
    )
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_lines_order_id"), ["order_id"], unique=False)

    op.create_table(
        "wishlist_items",
        sa.Column("wishlist_id", sa.Integer(), nullable=False),
        sa.Column("display_item_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["display_item_id"],
            ["display_items.id"],
            name=op.f("fk_wishlist_items_display_item_id_display_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["wishlist_id"],
            ["wishlists.id"],
            name=op.f("fk_wishlist_items_wishlist_id_wishlists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("wishlist_id", "display_item_id", name=op.f("pk_wishlist_items")),
    )
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_old_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sessions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_sessions_customer_id_customers"),
            "customers",
            ["customer_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_sessions_customer_id_customers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sessions_customer_id"))
        batch_op.drop_column("customer_id")

    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("require_old_password")

    op.drop_table("wishlist_items")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_lines_order_id"))

    op.drop_table("order_lines")
    with op.batch_alter_table("wishlists", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_wishlists_default",
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )
        batch_op.drop_index(batch_op.f("ix_wishlists_customer_id"))

    op.drop_table("wishlists")
    with op.batch_alter_table("subscription_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_contracts_customer_id"))

    op.drop_table("subscription_contracts")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_customer_id"))

    op.drop_table("orders")
    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_newsletter_subscriptions_email_key"))
        batch_op.drop_index(batch_op.f("ix_newsletter_subscriptions_customer_id"))

    op.drop_table("newsletter_subscriptions")
    op.drop_table("customer_mapped_attributes")
    op.drop_table("customer_dynamic_attributes")
    with op.batch_alter_table("customer_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_consents_customer_id"))

    op.drop_table("customer_consents")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_customers_registered_email_key",
            sqlite_where=sa.text("registered"),
            postgresql_where=sa.text("registered"),
        )
        batch_op.drop_index(batch_op.f("ix_customers_email_key"))

    op.drop_table("customers")
    op.drop_table("rate_limit_hits")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failure_at"))

    op.drop_table("login_failures")
