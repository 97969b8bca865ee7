"""The schema, as SQLAlchemy Core tables. Alembic migrations must produce exactly this."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on every backend (SQLite stores naive text, so re-attach UTC)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _created() -> sa.Column[Any]:
    return sa.Column("created_at", UTCDateTime(), nullable=False)


TOKEN_HASH = sa.String(64)  # hex SHA-256

currencies = sa.Table(
    "currencies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(3), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("iso_number", sa.String(3), nullable=False),
    sa.Column("prefix", sa.String(10), nullable=True),
    sa.Column("suffix", sa.String(10), nullable=True),
    sa.Column("decimal_digits", sa.Integer, nullable=False),
    sa.Column("decimal_point", sa.String(3), nullable=False),
    sa.Column("thousands_separator", sa.String(3), nullable=False),
    sa.Column("denominator", sa.Integer, nullable=False),
    sa.Column("base_rate", sa.Float, nullable=False),
)

languages = sa.Table(
    "languages",
    metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    sa.Column("language_code", sa.String(8), nullable=False),
    sa.Column("country_code", sa.String(2), nullable=True),
)

markets = sa.Table(
    "markets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
)

pricelists = sa.Table(
    "pricelists",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("currency_id", sa.ForeignKey("currencies.id"), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
)

countries = sa.Table(
    "countries",
    metadata,
    sa.Column("code", sa.String(2), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_eu", sa.Boolean, nullable=False, default=False),
    sa.Column("ship_to", sa.Boolean, nullable=False, default=False),
    sa.Column("default_language_code", sa.ForeignKey("languages.code"), nullable=True),
    sa.Column("market_id", sa.ForeignKey("markets.id"), nullable=True),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id"), nullable=True),
    # The tax included in prices sold to the country, in percent (null: none shown).
    sa.Column("tax_percent", sa.Float, nullable=True),
)

country_states = sa.Table(
    "country_states",
    metadata,
    sa.Column("country_code", sa.ForeignKey("countries.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
)

warehouses = sa.Table(
    "warehouses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(100), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
)

warehouse_markets = sa.Table(
    "warehouse_markets",
    metadata,
    sa.Column("warehouse_id", sa.ForeignKey("warehouses.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("market_id", sa.ForeignKey("markets.id", ondelete="CASCADE"), primary_key=True),
)

brands = sa.Table(
    "brands",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uri", sa.String(300), nullable=False, unique=True),
)
collections = sa.Table(
    "collections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uri", sa.String(300), nullable=False, unique=True),
)
# A tree: a category's uri is its whole path ("women/shoes").
categories = sa.Table(
    "categories",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("parent_id", sa.ForeignKey("categories.id", ondelete="CASCADE"), nullable=True,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uri", sa.String(1000), nullable=False, unique=True),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("meta_title", sa.String(300), nullable=False, server_default=""),
    sa.Column("meta_description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("meta_keywords", sa.String(1000), nullable=False, server_default=""),
)
display_items = sa.Table(
    "display_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("uri", sa.String(300), nullable=False, unique=True),
    sa.Column("product_number", sa.String(100), nullable=False),
    sa.Column("brand_id", sa.ForeignKey("brands.id", ondelete="SET NULL"), nullable=True),
    sa.Column("collection_id", sa.ForeignKey("collections.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("short_description", sa.Text, nullable=False, server_default=""),
    sa.Column("meta_title", sa.String(300), nullable=False, server_default=""),
    sa.Column("meta_description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("meta_keywords", sa.String(1000), nullable=False, server_default=""),
    sa.Column("variant_name", sa.String(300), nullable=True),
    sa.Column("variant_number", sa.String(100), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=True),
    sa.Column("modified_at", UTCDateTime(), nullable=True),
)
# A display item's texts in another language (empty: as in the shop's own).
display_item_translations = sa.Table(
    "display_item_translations",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("language_code", sa.ForeignKey("languages.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("uri", sa.String(300), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("short_description", sa.Text, nullable=False, server_default=""),
    sa.Column("meta_title", sa.String(300), nullable=False, server_default=""),
    sa.Column("meta_description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("meta_keywords", sa.String(1000), nullable=False, server_default=""),
)
category_translations = sa.Table(
    "category_translations",
    metadata,
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("language_code", sa.ForeignKey("languages.code", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("uri", sa.String(200), nullable=False, server_default=""),  # its own segment
    sa.Column("meta_title", sa.String(300), nullable=False, server_default=""),
    sa.Column("meta_description", sa.String(1000), nullable=False, server_default=""),
    sa.Column("meta_keywords", sa.String(1000), nullable=False, server_default=""),
)
# Display items shown with another: "variant" (other colours), merchant-named ("standard").
display_item_relations = sa.Table(
    "display_item_relations",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("relation", sa.String(100), primary_key=True),
    sa.Column("related_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
)
# A display item's values of dynamic attribute types (e.g. variant_swatch.color_code).
display_item_attributes = sa.Table(
    "display_item_attributes",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("attribute_type_id", sa.ForeignKey("attribute_types.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("element_key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
# The categories a display item is in; the first (position 0) is its own.
display_item_categories = sa.Table(
    "display_item_categories",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("category_id", sa.ForeignKey("categories.id", ondelete="CASCADE"),
              primary_key=True, index=True),
    sa.Column("position", sa.Integer, nullable=False),
)

display_item_prices = sa.Table(
    "display_item_prices",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id", ondelete="CASCADE"),
              primary_key=True),
    # In the currency's minor unit (öre, cent), so arithmetic stays exact.
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.CheckConstraint("price_minor >= 0", name="price_not_negative"),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("product_size_id", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("sku", sa.String(100), nullable=False),
    sa.Column("gtin", sa.String(20), nullable=False, default=""),
    sa.Column("preorder", sa.Boolean, nullable=False, default=False),
)

subscription_plans = sa.Table(
    "subscription_plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("interval_type", sa.String(10), nullable=False),  # DAY, WEEK, MONTH or YEAR
    sa.Column("interval_value", sa.Integer, nullable=False),
    # Percent off every delivery (0 to 100); null: none.
    sa.Column("discount", sa.Float, nullable=True),
)
# The plans a display item may be subscribed to, in the shop's order.
display_item_plans = sa.Table(
    "display_item_plans",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("plan_id", sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
)
display_item_media = sa.Table(
    "display_item_media",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("alt_text", sa.String(500), nullable=True),
    # The URL of each size: {"standard": "https://…/a.jpg", "mini": "…", "1350x0": "…"}
    sa.Column("sources", sa.JSON, nullable=False),
    sa.UniqueConstraint("display_item_id", "position"),
)
# A display item sold as a bundle of others: FIXED (its sections' contents are set) or
# FLEXIBLE (the shopper picks a size of one display item per section); priced by its own
# price (STATIC) or by the sum of its contents (DYNAMIC).
bundles = sa.Table(
    "bundles",
    metadata,
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("type", sa.String(10), nullable=False),
    sa.Column("price_type", sa.String(10), nullable=False),
)
bundle_sections = sa.Table(
    "bundle_sections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("bundle_id", sa.ForeignKey("bundles.display_item_id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    # Units of the chosen item in one bundle.
    sa.Column("quantity", sa.Integer, nullable=False),
)
bundle_section_items = sa.Table(
    "bundle_section_items",
    metadata,
    sa.Column("section_id", sa.ForeignKey("bundle_sections.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
)
# An item's size as written in some countries: "8" in the US and Canada ("US" sizes).
item_size_localizations = sa.Table(
    "item_size_localizations",
    metadata,
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("definition", sa.String(100), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("countries", sa.JSON, nullable=False),  # ["US", "CA"]
)
stock = sa.Table(
    "stock",
    metadata,
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("warehouse_id", sa.ForeignKey("warehouses.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
)

attribute_types = sa.Table(
    "attribute_types",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),  # 'dynamic' | 'mapped'
    sa.Column("is_multi", sa.Boolean, nullable=False, default=False),
    sa.CheckConstraint("kind IN ('dynamic', 'mapped')", name="kind"),
)

attribute_elements = sa.Table(
    "attribute_elements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("attribute_type_id", sa.ForeignKey("attribute_types.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # AttributeElementKind
    sa.UniqueConstraint("attribute_type_id", "key"),
)

mapped_attributes = sa.Table(
    "mapped_attributes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("attribute_type_id", sa.ForeignKey("attribute_types.id", ondelete="CASCADE"),
              nullable=False, index=True),
)

mapped_attribute_values = sa.Table(
    "mapped_attribute_values",
    metadata,
    sa.Column("mapped_attribute_id", sa.ForeignKey("mapped_attributes.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("element_key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

api_clients = sa.Table(
    "api_clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("session_token_hash", TOKEN_HASH, nullable=False, unique=True),
    sa.Column("no_session_token_hash", TOKEN_HASH, nullable=False, unique=True),
    sa.Column("shared_secret_hash", TOKEN_HASH, nullable=True),
    sa.Column("frontend_url", sa.String(500), nullable=True),
    sa.Column("retain_session_after_logout", sa.Boolean, nullable=False, default=False),
    sa.Column("require_old_password", sa.Boolean, nullable=False, default=False,
              server_default=sa.false()),
    sa.Column("newsletter_double_opt_in", sa.Boolean, nullable=False, default=False,
              server_default=sa.false()),
    # Per-client overrides of the deployment's limits: {"loginPerIpPerMinute": 20, ...}
    sa.Column("rate_limits", sa.JSON, nullable=True),
    sa.Column("default_country_code", sa.ForeignKey("countries.code"), nullable=True),
    sa.Column("default_language_code", sa.ForeignKey("languages.code"), nullable=True),
    # Browser origins allowed besides the frontend URL's: ["https://shop.example", ...]
    sa.Column("allowed_origins", sa.JSON, nullable=True),
    _created(),
)

selections = sa.Table(
    "selections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False, index=True),
    # Checkout: the addresses given ({"firstName": ..., "country": "SE", ...}; no billing
    # address: the shipping address), the shipping and payment methods chosen.
    sa.Column("shipping_address", sa.JSON, nullable=True),
    sa.Column("billing_address", sa.JSON, nullable=True),
    sa.Column("shipping_method_id", sa.ForeignKey("shipping_methods.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("payment_method_id", sa.ForeignKey("payment_methods.id", ondelete="SET NULL"),
              nullable=True),
)

selection_lines = sa.Table(
    "selection_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    sa.Column("selection_id", sa.ForeignKey("selections.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    # A line bought on subscription, under this plan; null: bought once.
    sa.Column("subscription_plan_id",
              sa.ForeignKey("subscription_plans.id", ondelete="CASCADE"), nullable=True),
    # A bundle's contents, "<section>:<item>,…" by section id ("" for a product): the same
    # bundle with other contents is another line.
    sa.Column("contents", sa.String(1000), nullable=False, server_default=""),
    _created(),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)
# One line per item, plan and contents (and one per item and contents bought once).
sa.Index("ix_selection_lines_once", selection_lines.c.selection_id, selection_lines.c.item_id,
         selection_lines.c.contents, unique=True,
         sqlite_where=selection_lines.c.subscription_plan_id.is_(None),
         postgresql_where=selection_lines.c.subscription_plan_id.is_(None))
sa.Index("ix_selection_lines_planned", selection_lines.c.selection_id,
         selection_lines.c.item_id, selection_lines.c.subscription_plan_id,
         selection_lines.c.contents, unique=True,
         sqlite_where=selection_lines.c.subscription_plan_id.isnot(None),
         postgresql_where=selection_lines.c.subscription_plan_id.isnot(None))
# What one unit of a bundle line holds: per section, the item chosen and its units.
selection_line_parts = sa.Table(
    "selection_line_parts",
    metadata,
    sa.Column("line_id", sa.ForeignKey("selection_lines.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("section_id", sa.ForeignKey("bundle_sections.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", TOKEN_HASH, nullable=False, unique=True),
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False),
    sa.Column("country_code", sa.ForeignKey("countries.code"), nullable=False),
    sa.Column("state_code", sa.String(10), nullable=True),
    sa.Column("language_code", sa.ForeignKey("languages.code"), nullable=True),
    sa.Column("market_id", sa.ForeignKey("markets.id"), nullable=False),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id"), nullable=False),
    sa.Column("selection_id", sa.ForeignKey("selections.id", ondelete="SET NULL"),
              nullable=True, index=True),
    _created(),
    sa.Column("last_seen_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=True, index=True),
    # The order the session placed last (``order`` and ``receipt`` answer it, for a guest too).
    sa.Column("last_order_id", sa.ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
)

# --- customers (accounts) -------------------------------------------------------------------

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # As given (normalised by email-validator); email_key is its lower-cased lookup form.
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_key", sa.String(320), nullable=False, index=True),
    # False for customers created implicitly (guest orders, subscriptions): no login.
    sa.Column("registered", sa.Boolean, nullable=False, default=False),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.Column("password_changed_at", UTCDateTime(), nullable=True),
    # Set by the operator: the customer cannot log in (existing sessions are ended).
    sa.Column("login_blocked", sa.Boolean, nullable=False, default=False,
              server_default=sa.false()),
    sa.Column("first_name", sa.String(200), nullable=True),
    sa.Column("last_name", sa.String(200), nullable=True),
    sa.Column("cell_phone_number", sa.String(50), nullable=True),
    sa.Column("phone_number", sa.String(50), nullable=True),
    sa.Column("fax_number", sa.String(50), nullable=True),
    sa.Column("website_url", sa.String(500), nullable=True),
    sa.Column("company_name", sa.String(200), nullable=True),
    sa.Column("vat_number", sa.String(50), nullable=True),
    sa.Column("attention", sa.String(200), nullable=True),
    sa.Column("address1", sa.String(300), nullable=True),
    sa.Column("address2", sa.String(300), nullable=True),
    sa.Column("city", sa.String(200), nullable=True),
    sa.Column("zip_code", sa.String(30), nullable=True),
    sa.Column("state_or_province", sa.String(200), nullable=True),
    sa.Column("state_code", sa.String(10), nullable=True),
    sa.Column("country_code", sa.ForeignKey("countries.code"), nullable=True),
    sa.Column("gender", sa.String(10), nullable=True),
    sa.Column("birthdate", sa.Date, nullable=True),
    sa.Column("language_code", sa.ForeignKey("languages.code"), nullable=True),
    # The selection a logged-out customer left behind, merged back at the next login.
    sa.Column("selection_id", sa.ForeignKey("selections.id", ondelete="SET NULL"),
              nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    # One registered account per e-mail; non-registered profiles may share it (as in Centra).
    sa.Index("uq_customers_registered_email_key", "email_key", unique=True,
             sqlite_where=sa.text("registered"), postgresql_where=sa.text("registered")),
)

customer_consents = sa.Table(
    "customer_consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("version", sa.String(50), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("consented", sa.Boolean, nullable=False),
    sa.Column("language_code", sa.String(16), nullable=True),
    _created(),
)

customer_dynamic_attributes = sa.Table(
    "customer_dynamic_attributes",
    metadata,
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("attribute_type_id", sa.ForeignKey("attribute_types.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("element_key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

customer_mapped_attributes = sa.Table(
    "customer_mapped_attributes",
    metadata,
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("attribute_type_id", sa.ForeignKey("attribute_types.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("mapped_attribute_id", sa.ForeignKey("mapped_attributes.id", ondelete="CASCADE"),
              nullable=False),
)

wishlists = sa.Table(
    "wishlists",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, default=False),
    _created(),
    sa.Index("uq_wishlists_default", "customer_id", unique=True,
             sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
)

wishlist_items = sa.Table(
    "wishlist_items",
    metadata,
    sa.Column("wishlist_id", sa.ForeignKey("wishlists.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="CASCADE"),
              primary_key=True),
    _created(),
)

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("number", sa.Integer, nullable=False, unique=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("order_date", UTCDateTime(), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("country_code", sa.ForeignKey("countries.code"), nullable=True),
    sa.Column("state_code", sa.String(10), nullable=True),
    sa.Column("language_code", sa.ForeignKey("languages.code"), nullable=True),
    sa.Column("market_id", sa.ForeignKey("markets.id"), nullable=True),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id"), nullable=True),
    sa.Column("currency_id", sa.ForeignKey("currencies.id"), nullable=False),
    # Addresses as they were when ordered: {"firstName": ..., "country": "SE", ...}
    sa.Column("billing_address", sa.JSON, nullable=True),
    sa.Column("shipping_address", sa.JSON, nullable=True),
    # Total rows as ordered: [{"type": "ITEMS_SUBTOTAL", "minor": 59800}, ...]
    sa.Column("totals", sa.JSON, nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    # The shipping method as chosen: {"id": 1, "name": "Standard", "comment": null}
    sa.Column("shipping_method", sa.JSON, nullable=True),
    # The payment method as chosen at checkout: {"id": 1, "name": "Invoice", "plugin": ...}
    sa.Column("payment_method", sa.JSON, nullable=True),
    # The vouchers applied: [{"id": 3, "code": "SUMMER", "name": ..., "minor": 1000}]
    sa.Column("discounts", sa.JSON, nullable=True),
    _created(),
    # A customer's orders, newest first, read in index order (no sort, however many).
    sa.Index("ix_orders_customer_newest", "customer_id", "order_date", "id"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="SET NULL"), nullable=True),
    sa.Column("display_item_id", sa.ForeignKey("display_items.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("name", sa.String(300), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price_minor", sa.BigInteger, nullable=False),
    sa.Column("line_value_minor", sa.BigInteger, nullable=False),
)

# --- checkout ----------------------------------------------------------------------------------

shipping_methods = sa.Table(
    "shipping_methods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("comment", sa.String(1000), nullable=True),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)
# The countries a method ships to.
shipping_method_countries = sa.Table(
    "shipping_method_countries",
    metadata,
    sa.Column("shipping_method_id", sa.ForeignKey("shipping_methods.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("country_code", sa.ForeignKey("countries.code", ondelete="CASCADE"),
              primary_key=True),
)
# Its price per pricelist, free from an order value (items less discounts) when set. A method
# without a price in the session's pricelist is not offered.
shipping_method_prices = sa.Table(
    "shipping_method_prices",
    metadata,
    sa.Column("shipping_method_id", sa.ForeignKey("shipping_methods.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("free_from_minor", sa.BigInteger, nullable=True),
)
# A way to pay, of an API client: a payment plugin ("test", "invoice", …) under a name and the
# kind a storefront knows it by.
payment_methods = sa.Table(
    "payment_methods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("uri", sa.String(100), nullable=False),
    sa.Column("plugin", sa.String(50), nullable=False),
    sa.Column("kind", sa.String(50), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    # Market ids it is offered in; null: every market.
    sa.Column("markets", sa.JSON, nullable=True),
    sa.Column("settings", sa.JSON, nullable=True),
    sa.UniqueConstraint("client_id", "uri"),
)
vouchers = sa.Table(
    "vouchers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The code a shopper types, stored upper-case; null: an automatic voucher.
    sa.Column("code", sa.String(100), nullable=True, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),  # PERCENT | AMOUNT | FREE_SHIPPING
    sa.Column("percent", sa.Float, nullable=True),
    # An AMOUNT voucher's value per pricelist: {"1": 5000}; also, for any kind, the order
    # value (items) it needs: "minimum".
    sa.Column("amounts", sa.JSON, nullable=True),
    sa.Column("minimum", sa.JSON, nullable=True),
    sa.Column("starts_at", UTCDateTime(), nullable=True),
    sa.Column("ends_at", UTCDateTime(), nullable=True),
    sa.Column("max_uses", sa.Integer, nullable=True),
    sa.Column("max_uses_per_customer", sa.Integer, nullable=True),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("kind IN ('PERCENT', 'AMOUNT', 'FREE_SHIPPING')", name="kind"),
)
voucher_uses = sa.Table(
    "voucher_uses",
    metadata,
    sa.Column("voucher_id", sa.ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("order_id", sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="SET NULL"),
              nullable=True, index=True),
    _created(),
)
selection_vouchers = sa.Table(
    "selection_vouchers",
    metadata,
    sa.Column("selection_id", sa.ForeignKey("selections.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("voucher_id", sa.ForeignKey("vouchers.id", ondelete="CASCADE"), primary_key=True),
    _created(),
)
# A payment started at checkout. Its public id is the idempotency key of the order it makes:
# the first confirmed result creates the order, any later one answers the same order.
payments = sa.Table(
    "payments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("public_id", sa.String(32), nullable=False, unique=True),
    sa.Column("session_id", sa.ForeignKey("sessions.id", ondelete="SET NULL"), nullable=True,
              index=True),
    sa.Column("selection_id", sa.ForeignKey("selections.id", ondelete="SET NULL"),
              nullable=True, index=True),
    sa.Column("payment_method_id", sa.ForeignKey("payment_methods.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("plugin", sa.String(50), nullable=False),
    # started -> paid (an order) | failed | expired (stock returned)
    sa.Column("status", sa.String(10), nullable=False),
    # What is being paid for, as it was at the start: lines, addresses, totals, customer.
    sa.Column("snapshot", sa.JSON, nullable=False),
    sa.Column("order_id", sa.ForeignKey("orders.id", ondelete="SET NULL"), nullable=True),
    _created(),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Index("ix_payments_due", "status", "expires_at"),
    sa.CheckConstraint("status IN ('started', 'paid', 'failed', 'expired')", name="status"),
)
# Units taken from stock while a payment runs: kept when it is paid, returned otherwise.
stock_reservations = sa.Table(
    "stock_reservations",
    metadata,
    sa.Column("payment_id", sa.ForeignKey("payments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("warehouse_id", sa.ForeignKey("warehouses.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
)

subscription_contracts = sa.Table(
    "subscription_contracts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("market_id", sa.ForeignKey("markets.id"), nullable=True),
    sa.Column("pricelist_id", sa.ForeignKey("pricelists.id"), nullable=False),
    sa.Column("shipping_address", sa.JSON, nullable=False),
    # The shipping method deliveries go with: {"id": 1, "name": "Standard", "comment": null}
    sa.Column("shipping_method", sa.JSON, nullable=True),
    # The stored payment method deliveries are paid with (e.g. "Card"); null once purged.
    sa.Column("payment_method", sa.String(100), nullable=True),
    sa.Column("payment_status", sa.String(10), nullable=True),  # ACTIVE, REVOKED, SUSPENDED
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
# One product (or bundle) delivered on a schedule under a contract.
subscriptions = sa.Table(
    "subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("contract_id", sa.ForeignKey("subscription_contracts.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("plan_id", sa.ForeignKey("subscription_plans.id", ondelete="SET NULL"),
              nullable=True),
    sa.Column("status", sa.String(10), nullable=False),  # ACTIVE, PAUSED or CANCELLED
    # The terms in force (the plan's when chosen: a plan changed since does not change them).
    sa.Column("interval_type", sa.String(10), nullable=False),
    sa.Column("interval_value", sa.Integer, nullable=False),
    sa.Column("discount", sa.Float, nullable=True),
    sa.Column("next_order_date", sa.Date, nullable=True),
    _created(),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
subscription_lines = sa.Table(
    "subscription_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("subscription_id", sa.ForeignKey("subscriptions.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
)

newsletter_subscriptions = sa.Table(
    "newsletter_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email_key", sa.String(320), nullable=False, index=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="SET NULL"),
              nullable=True, index=True),
    sa.Column("country_code", sa.ForeignKey("countries.code"), nullable=True),
    sa.Column("language_code", sa.ForeignKey("languages.code"), nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False),
    _created(),
    sa.Column("email", sa.String(320), nullable=True),
    sa.Column("gender", sa.String(10), nullable=True),
    # Which API client took the subscription (consent records: when, and from where).
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="SET NULL"), nullable=True),
    sa.Column("updated_at", UTCDateTime(), nullable=True),
    # Double opt-in: pending until confirmed; both stay null without it.
    sa.Column("confirmation_sent_at", UTCDateTime(), nullable=True),
    sa.Column("confirmed_at", UTCDateTime(), nullable=True),
    sa.Column("unsubscribed_at", UTCDateTime(), nullable=True),
    sa.Index("uq_newsletter_subscriptions_email_key_unique", "email_key", unique=True),
)

newsletter_bot_signups = sa.Table(
    "newsletter_bot_signups",
    metadata,
    # Sign-ups whose honeypot field was filled in: counted for the operator, nothing else kept.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="SET NULL"), nullable=True),
    _created(),
)

back_in_stock_subscriptions = sa.Table(
    "back_in_stock_subscriptions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("email_key", sa.String(320), nullable=False),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="SET NULL"), nullable=True,
              index=True),
    sa.Column("item_id", sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("country_code", sa.ForeignKey("countries.code"), nullable=False),
    sa.Column("state_code", sa.String(10), nullable=False, default=""),
    sa.Column("language_code", sa.ForeignKey("languages.code"), nullable=True),
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="SET NULL"), nullable=True),
    _created(),
    # Set, exactly once, in the transaction that queues the notification.
    sa.Column("notified_at", UTCDateTime(), nullable=True),
    sa.Index("ix_back_in_stock_waiting", "item_id", "notified_at"),
    sa.Index("uq_back_in_stock_waiting", "email_key", "item_id", "country_code", "state_code",
             unique=True, sqlite_where=sa.text("notified_at IS NULL"),
             postgresql_where=sa.text("notified_at IS NULL")),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    # The key that signs unsubscribe and confirmation links, made once per database so every
    # process of a deployment shares it.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(128), nullable=False),
    _created(),
)

# --- throttling -------------------------------------------------------------------------------

rate_limit_hits = sa.Table(
    "rate_limit_hits",
    metadata,
    # e.g. "login:ip:203.0.113.7"; windows are fixed and start at multiples of their length.
    # A long key is stored shortened (throttle.bounded), so any input fits.
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("window_start", UTCDateTime(), primary_key=True),
    sa.Column("hits", sa.Integer, nullable=False),
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    # Keyed by the e-mail as typed (lower-cased), registered or not, so that an unknown
    # address is throttled exactly like a known one; a long one is stored shortened
    # (throttle.bounded).
    sa.Column("email_key", sa.String(320), primary_key=True),
    # The client address the failures came from, or "" for the account's failures from
    # every address.
    sa.Column("client", sa.String(100), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", UTCDateTime(), nullable=False, index=True),
)

# --- password reset and mail -------------------------------------------------------------------

password_reset_tokens = sa.Table(
    "password_reset_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("token_hash", TOKEN_HASH, nullable=False, unique=True),
    _created(),
    sa.Column("expires_at", UTCDateTime(), nullable=False, index=True),
    sa.Column("used_at", UTCDateTime(), nullable=True),
)

password_reset_requests = sa.Table(
    "password_reset_requests",
    metadata,
    # Every request is recorded the same way, whether or not the e-mail has an account, and
    # the delivery worker decides later: the HTTP answer cannot differ in content or timing.
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email_key", sa.String(320), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("client_id", sa.ForeignKey("api_clients.id", ondelete="CASCADE"), nullable=False),
    # False when the request was over a limit: it is dropped without a word.
    sa.Column("allowed", sa.Boolean, nullable=False),
    _created(),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(50), nullable=False),  # e.g. "password_reset"
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    # Erased (null) once the message is sent or failed for good, when it held a one-time link:
    # a reset link must not outlive its delivery in a database dump.
    sa.Column("text_body", sa.Text, nullable=True),
    sa.Column("html_body", sa.Text, nullable=True),
    # pending -> sending (claimed by a worker until claimed_until) -> sent, or failed
    # (refused for good, or DTC_MAIL_MAX_ATTEMPTS failures); the operator may retry it.
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
    # While sending: the claim's random token and when it lapses. Only the holder of the
    # token may send the message or record its outcome; another worker may take the message
    # (with a new token) once claimed_until has passed.
    sa.Column("lease", sa.String(32), nullable=True),
    sa.Column("claimed_until", UTCDateTime(), nullable=True),
    _created(),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.Column("failed_at", UTCDateTime(), nullable=True),
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
)

# --- back-office -------------------------------------------------------------------------------

integration_keys = sa.Table(
    "integration_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("key_hash", TOKEN_HASH, nullable=False, unique=True),
    sa.Column("scope", sa.String(5), nullable=False),  # 'read' | 'write'
    _created(),
    sa.Column("revoked_at", UTCDateTime(), nullable=True),
    sa.CheckConstraint("scope IN ('read', 'write')", name="scope"),
)

# --- versions of what answers are built from ----------------------------------------------------
# Kept by triggers (migration 0017) in the transaction of every write, so a stored answer can
# be checked against the data it was built from in the token lookup (``http/answers.py``).

customer_versions = sa.Table(
    "customer_versions",
    metadata,
    # One row per customer, made with it: raised by every write to the customer or to what
    # belongs to them (orders and their lines, wishlists, subscriptions, attributes, …).
    sa.Column("customer_id", sa.ForeignKey("customers.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("version", sa.BigInteger, nullable=False),
)

catalogue_versions = sa.Table(
    "catalogue_versions",
    metadata,
    # Raised by every write to anything shared (catalogue, prices, stock, geography, …); the
    # catalogue's version is the sum of the rows. PostgreSQL writers spread over the rows (by
    # connection), so concurrent checkouts do not queue for one row; SQLite uses row 0.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.BigInteger, nullable=False),
)
