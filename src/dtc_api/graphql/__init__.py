"""The storefront schema: SDL files are the contract, resolvers are bound to them here."""

from __future__ import annotations

from pathlib import Path

from ariadne import load_schema_from_path, make_executable_schema
from graphql import GraphQLSchema, print_schema

from dtc_api.graphql.resolvers import geography, selection, session

SCHEMA_DIR = Path(__file__).parent / "schema"
BINDABLES = [*geography.bindables, *session.bindables, *selection.bindables]


def type_defs() -> str:
    return load_schema_from_path(str(SCHEMA_DIR))


def build_schema() -> GraphQLSchema:
    return make_executable_schema(type_defs(), *BINDABLES)


def sdl() -> str:
    return print_schema(build_schema())
