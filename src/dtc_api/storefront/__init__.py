"""The storefront schema: SDL files are the contract, resolvers are bound to them here."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema

from dtc_api.storefront.resolvers import (
    catalog,
    checkout,
    contracts,
    customer,
    geography,
    listing,
    password_reset,
    selection,
    session,
    subscriptions,
)

SCHEMA_DIR = Path(__file__).parent / "schema"
BINDABLES = [*geography.bindables, *session.bindables, *selection.bindables,
             *customer.bindables, *password_reset.bindables, *subscriptions.bindables,
             *catalog.bindables, *contracts.bindables, *listing.bindables,
             *checkout.bindables]


def type_defs() -> str:
    return load_schema_from_path(str(SCHEMA_DIR))


@cache
def build_schema() -> GraphQLSchema:
    """The executable schema; built once per process (the SDL files and resolvers are fixed)."""
    return make_executable_schema(type_defs(), *BINDABLES)


def sdl() -> str:
    """The SDL as written, with the @scope of every operation (print_schema would drop it)."""
    build_schema()  # fail here, not in a client, if the files do not form a valid schema
    return type_defs()
