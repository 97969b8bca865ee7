"""versions of customers and of the catalogue, raised by triggers in every write

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 10:00:00.000000

Every write to a customer or to what belongs to them raises the customer's version; every
write to anything shared (catalogue, prices, stock, geography, API clients, shipping and
payment methods, vouchers) raises the catalogue's. The token lookup reads both, so an answer
kept between requests is served only while neither has moved. Tables that no kept answer
reads (sessions, carts, payments, limits, mail, keys) have no trigger.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

STRIPES = 16

# Whose customer a row of these tables belongs to, for the row ``{r}`` (NEW or OLD).
CUSTOMER_OF = {
    "customer_consents": "{r}.customer_id",
    "customer_dynamic_attributes": "{r}.customer_id",
    "customer_mapped_attributes": "{r}.customer_id",
    "wishlists": "{r}.customer_id",
    "wishlist_items": "(SELECT customer_id FROM wishlists WHERE id = {r}.wishlist_id)",
    "orders": "{r}.customer_id",
    "order_lines": "(SELECT customer_id FROM orders WHERE id = {r}.order_id)",
    "voucher_uses": "{r}.customer_id",
    "subscription_contracts": "{r}.customer_id",
    "subscriptions": "(SELECT customer_id FROM subscription_contracts WHERE id = {r}.contract_id)",
    "subscription_lines": "(SELECT c.customer_id FROM subscriptions s JOIN subscription_contracts c"
                          " ON c.id = s.contract_id WHERE s.id = {r}.subscription_id)",
    "newsletter_subscriptions": "{r}.customer_id",
    "back_in_stock_subscriptions": "{r}.customer_id",
}

SHARED = (
    "api_clients", "attribute_elements", "attribute_types", "brands", "bundle_section_items",
    "bundle_sections", "bundles", "categories", "category_translations", "collections",
    "countries", "country_states", "currencies", "display_item_attributes",
    "display_item_categories", "display_item_media", "display_item_plans",
    "display_item_prices", "display_item_relations", "display_item_translations",
    "display_items", "item_size_localizations", "items", "languages", "mapped_attribute_values",
    "mapped_attributes", "markets", "payment_methods", "pricelists",
    "shipping_method_countries", "shipping_method_prices", "shipping_methods", "stock",
    "subscription_plans", "vouchers", "warehouse_markets", "warehouses",
)

# Every statement here is built from the constants of this file only.
_RAISE_CUSTOMER = "UPDATE customer_versions SET version = version + 1 WHERE customer_id = {who}"
# A customer's row, made or raised: by the customer's writes it is made if a write with the
# triggers off (a bulk load) left it out, and raised if a delete without foreign keys left
# it behind.
_CUSTOMER_WRITTEN = (
    "INSERT INTO customer_versions (customer_id, version) VALUES (NEW.id, 1) "
    "ON CONFLICT (customer_id) DO UPDATE SET version = customer_versions.version + 1")


def upgrade() -> None:
    op.create_table(
        "customer_versions",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_versions_customer_id_customers"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_versions")),
    )
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_versions")),
    )
    op.execute("INSERT INTO customer_versions (customer_id, version) "
               "SELECT id, 1 FROM customers")
    op.execute("INSERT INTO catalogue_versions (id, version) VALUES "  # noqa: S608
               + ", ".join(f"({n}, 1)" for n in range(STRIPES)))
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    def trigger(name: str, event: str, table: str, body: str) -> None:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}; END")

    trigger("dtc_versions_customers_insert", "INSERT", "customers", _CUSTOMER_WRITTEN)
    trigger("dtc_versions_customers_update", "UPDATE", "customers", _CUSTOMER_WRITTEN)
    for table, of in CUSTOMER_OF.items():
        new, old = of.format(r="NEW"), of.format(r="OLD")
        trigger(f"dtc_versions_{table}_insert", "INSERT", table,
                _RAISE_CUSTOMER.format(who=new))
        trigger(f"dtc_versions_{table}_update", "UPDATE", table,
                _RAISE_CUSTOMER.replace("= {who}", "IN ({new}, {old})").format(new=new, old=old))
        trigger(f"dtc_versions_{table}_delete", "DELETE", table,
                _RAISE_CUSTOMER.format(who=old))
    for table in SHARED:
        for event in ("INSERT", "UPDATE", "DELETE"):
            trigger(f"dtc_versions_{table}_{event.lower()}", event, table,
                    "UPDATE catalogue_versions SET version = version + 1 WHERE id = 0")


def _postgres_triggers() -> None:
    def function(name: str, body: str) -> None:
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN\n{body}\nRETURN NULL;\nEND\n$$")

    # A row no other transaction holds, so a writer never waits for another (a long import
    # does not hold checkouts up); the writer's own stripe if all are taken.
    function("dtc_versions_catalogue",
             "UPDATE catalogue_versions SET version = version + 1 WHERE id = (\n"  # noqa: S608
             "  SELECT id FROM catalogue_versions ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED);\n"
             "IF NOT FOUND THEN\n"
             "  UPDATE catalogue_versions SET version = version + 1 "
             f"WHERE id = pg_backend_pid() % {STRIPES};\n"
             "END IF;")
    function("dtc_versions_customers", _CUSTOMER_WRITTEN + ";")
    op.execute("CREATE TRIGGER dtc_versions AFTER INSERT OR UPDATE ON customers "
               "FOR EACH ROW EXECUTE FUNCTION dtc_versions_customers()")
    # TRUNCATE fires no row trigger: it raises every customer's version.
    function("dtc_versions_every_customer",
             "UPDATE customer_versions SET version = version + 1;")
    for table in ("customers", *CUSTOMER_OF):
        op.execute(f"CREATE TRIGGER dtc_versions_truncate AFTER TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION dtc_versions_every_customer()")
    for table, of in CUSTOMER_OF.items():
        function(f"dtc_versions_{table}",
                 "IF TG_OP <> 'DELETE' THEN\n  "
                 + _RAISE_CUSTOMER.format(who=of.format(r="NEW")) + ";\nEND IF;\n"
                 "IF TG_OP <> 'INSERT' THEN\n  "
                 + _RAISE_CUSTOMER.format(who=of.format(r="OLD")) + ";\nEND IF;")
        op.execute(f"CREATE TRIGGER dtc_versions AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION dtc_versions_{table}()")
    for table in SHARED:
        op.execute(f"CREATE TRIGGER dtc_versions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                   f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dtc_versions_catalogue()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("customers", *CUSTOMER_OF):
            op.execute(f"DROP TRIGGER dtc_versions_truncate ON {table}")
        for table in ("customers", *CUSTOMER_OF, *SHARED):
            op.execute(f"DROP TRIGGER dtc_versions ON {table}")
        for name in ("catalogue", "customers", "every_customer", *CUSTOMER_OF):
            op.execute(f"DROP FUNCTION dtc_versions_{name}()")
    else:
        names = ["dtc_versions_customers_insert", "dtc_versions_customers_update"]
        names += [f"dtc_versions_{table}_{event}" for table in (*CUSTOMER_OF, *SHARED)
                  for event in ("insert", "update", "delete")]
        for name in names:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("catalogue_versions")
    op.drop_table("customer_versions")
