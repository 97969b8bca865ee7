"""checkout: shipping, payment methods, vouchers, payments

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shipping_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_methods")),
    )
    op.create_table(
        "vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("amounts", sa.JSON(), nullable=True),
        sa.Column("minimum", sa.JSON(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('PERCENT', 'AMOUNT', 'FREE_SHIPPING')", name=op.f("ck_vouchers_kind")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vouchers")),
        sa.UniqueConstraint("code", name=op.f("uq_vouchers_code")),
    )
    op.create_table(
        "shipping_method_prices",
        sa.Column("shipping_method_id", sa.Integer(), nullable=False),
        sa.Column("pricelist_id", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("free_from_minor", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pricelist_id"],
            ["pricelists.id"],
            name=op.f("fk_shipping_method_prices_pricelist_id_pricelists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipping_method_id"],
            ["shipping_methods.id"],
            name=op.f("fk_shipping_method_prices_shipping_method_id_shipping_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "shipping_method_id", "pricelist_id", name=op.f("pk_shipping_method_prices")
        ),
    )
    op.create_table(
        "shipping_method_countries",
        sa.Column("shipping_method_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_shipping_method_countries_country_code_countries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipping_method_id"],
            ["shipping_methods.id"],
            name=op.f("fk_shipping_method_countries_shipping_method_id_shipping_methods"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "shipping_method_id", "country_code", name=op.f("pk_shipping_method_countries")
        ),
    )
    op.create_table(
        "payment_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uri", sa.String(length=100), nullable=False),
        sa.Column("plugin", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_payment_methods_client_id_api_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
        sa.UniqueConstraint("client_id", "uri", name=op.f("uq_payment_methods_client_id")),
    )
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_methods_client_id"), ["client_id"], unique=False
        )

    op.create_table(
        "selection_vouchers",
        sa.Column("selection_id", sa.Integer(), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_selection_vouchers_selection_id_selections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_selection_vouchers_voucher_id_vouchers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("selection_id", "voucher_id", name=op.f("pk_selection_vouchers")),
    )
    op.create_table(
        "voucher_uses",
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_voucher_uses_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_voucher_uses_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["vouchers.id"],
            name=op.f("fk_voucher_uses_voucher_id_vouchers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("voucher_id", "order_id", name=op.f("pk_voucher_uses")),
    )
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_voucher_uses_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("selection_id", sa.Integer(), nullable=True),
        sa.Column("payment_method_id", sa.Integer(), nullable=True),
        sa.Column("plugin", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('started', 'paid', 'failed', 'expired')", name=op.f("ck_payments_status")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_payments_order_id_orders"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_payments_payment_method_id_payment_methods"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["selection_id"],
            ["selections.id"],
            name=op.f("fk_payments_selection_id_selections"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_payments_session_id_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("public_id", name=op.f("uq_payments_public_id")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_due", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payments_selection_id"), ["selection_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_payments_session_id"), ["session_id"], unique=False)

    op.create_table(
        "stock_reservations",
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_stock_reservations_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_stock_reservations_payment_id_payments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_reservations_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "payment_id", "item_id", "warehouse_id", name=op.f("pk_stock_reservations")
        ),
    )
    with op.batch_alter_table("countries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_percent", sa.Float(), nullable=True))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payment_method", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("discounts", sa.JSON(), nullable=True))

    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipping_address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("billing_address", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("shipping_method_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payment_method_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_selections_payment_method_id_payment_methods"),
            "payment_methods",
            ["payment_method_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_selections_shipping_method_id_shipping_methods"),
            "shipping_methods",
            ["shipping_method_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_sessions_last_order_id_orders"),
            "orders",
            ["last_order_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sessions_last_order_id_orders"), type_="foreignkey")
        batch_op.drop_column("last_order_id")

    with op.batch_alter_table("selections", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_selections_shipping_method_id_shipping_methods"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_selections_payment_method_id_payment_methods"), type_="foreignkey"
        )
        batch_op.drop_column("payment_method_id")
        batch_op.drop_column("shipping_method_id")
        batch_op.drop_column("billing_address")
        batch_op.drop_column("shipping_address")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("discounts")
        batch_op.drop_column("payment_method")

    with op.batch_alter_table("countries", schema=None) as batch_op:
        batch_op.drop_column("tax_percent")

    op.drop_table("stock_reservations")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_session_id"))
        batch_op.drop_index(batch_op.f("ix_payments_selection_id"))
        batch_op.drop_index("ix_payments_due")

    op.drop_table("payments")
    with op.batch_alter_table("voucher_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_voucher_uses_customer_id"))

    op.drop_table("voucher_uses")
    op.drop_table("selection_vouchers")
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_methods_client_id"))

    op.drop_table("payment_methods")
    op.drop_table("shipping_method_countries")
    op.drop_table("shipping_method_prices")
    op.drop_table("vouchers")
    op.drop_table("shipping_methods")
