"""newsletter and back in stock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 19:32:47.640495
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "back_in_stock_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("state_code", sa.String(length=10), nullable=False),
        sa.Column("language_code", sa.String(length=16), nullable=True),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_back_in_stock_subscriptions_client_id_api_clients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["country_code"],
            ["countries.code"],
            name=op.f("fk_back_in_stock_subscriptions_country_code_countries"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_back_in_stock_subscriptions_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
            name=op.f("fk_back_in_stock_subscriptions_item_id_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["language_code"],
            ["languages.code"],
            name=op.f("fk_back_in_stock_subscriptions_language_code_languages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_back_in_stock_subscriptions")),
    )
    with op.batch_alter_table("back_in_stock_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_back_in_stock_subscriptions_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index("ix_back_in_stock_waiting", ["item_id", "notified_at"], unique=False)
        batch_op.create_index(
            "uq_back_in_stock_waiting",
            ["email_key", "item_id", "country_code", "state_code"],
            unique=True,
            sqlite_where=sa.text("notified_at IS NULL"),
            postgresql_where=sa.text("notified_at IS NULL"),
        )

    op.create_table(
        "newsletter_bot_signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["api_clients.id"],
            name=op.f("fk_newsletter_bot_signups_client_id_api_clients"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_newsletter_bot_signups")),
    )
    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "newsletter_double_opt_in",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )

    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("gender", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("confirmation_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "uq_newsletter_subscriptions_email_key_unique", ["email_key"], unique=True
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_newsletter_subscriptions_client_id_api_clients"),
            "api_clients",
            ["client_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:

    with op.batch_alter_table("newsletter_subscriptions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_newsletter_subscriptions_client_id_api_clients"), type_="foreignkey"
        )
        batch_op.drop_index("uq_newsletter_subscriptions_email_key_unique")
        batch_op.drop_column("unsubscribed_at")
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmation_sent_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("client_id")
        batch_op.drop_column("gender")
        batch_op.drop_column("email")

    with op.batch_alter_table("api_clients", schema=None) as batch_op:
        batch_op.drop_column("newsletter_double_opt_in")

    op.drop_table("newsletter_bot_signups")
    with op.batch_alter_table("back_in_stock_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_back_in_stock_waiting",
            sqlite_where=sa.text("notified_at IS NULL"),
            postgresql_where=sa.text("notified_at IS NULL"),
        )
        batch_op.drop_index("ix_back_in_stock_waiting")
        batch_op.drop_index(batch_op.f("ix_back_in_stock_subscriptions_customer_id"))

    op.drop_table("back_in_stock_subscriptions")
    op.drop_table("signing_keys")
