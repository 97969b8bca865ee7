"""The schema as a whole: every root field is bound to a resolver and declares its mode."""

from __future__ import annotations

from dtc_api.storefront import build_schema
from dtc_api.storefront.scope import root_scopes

VALID_MODES = {"NO_SESSION", "SESSION", "LOGGED_IN", "SHARED_SECRET"}


def test_every_root_field_has_a_resolver() -> None:
    schema = build_schema()
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        unbound = [name for name, field in root.fields.items() if field.resolve is None]
        assert unbound == [], f"{root.name} fields without a resolver: {unbound}"


def test_every_root_field_declares_valid_modes() -> None:
    schema = build_schema()
    scopes = root_scopes(schema)
    assert len(scopes) == len(schema.query_type.fields) + len(schema.mutation_type.fields)
    for field, modes in scopes.items():
        assert modes and modes <= VALID_MODES, field
