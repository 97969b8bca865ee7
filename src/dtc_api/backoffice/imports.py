"""An import file's records are the back-office API's inputs: each section is coerced by its
input type (CatalogueInput's lists, StockInput, OrderInput), so a record of a file is refused
exactly as the same record sent to the API would be, with the path of the bad value."""

from __future__ import annotations

from functools import cache
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    coerce_input_value,
)
from graphql.utilities.validate_input_value import validate_input_value

from dtc_api.backoffice.resolvers import build_schema
from dtc_api.core.errors import Code, DomainError, UserError


@cache
def _section_types() -> dict[str, GraphQLInputType]:
    schema = build_schema()
    catalogue = schema.get_type("CatalogueInput")
    assert isinstance(catalogue, GraphQLInputObjectType)
    sections: dict[str, GraphQLInputType] = {
        name: field.type for name, field in catalogue.fields.items()}
    for name, input_type in (("stock", "StockInput"), ("orders", "OrderInput")):
        found = schema.get_type(input_type)
        assert isinstance(found, GraphQLInputObjectType)
        sections[name] = GraphQLList(GraphQLNonNull(found))
    return sections


def coerced(document: Any) -> dict[str, Any]:
    """The document with every record coerced (defaults filled in); refused whole, each bad
    value named, if any record is not what its section's input type allows."""
    if not isinstance(document, dict):
        raise DomainError(UserError("the file must hold a JSON object", (),
                                    code=Code.INVALID_INPUT))
    types = _section_types()
    errors: list[UserError] = []
    result: dict[str, Any] = {}
    for section, records in document.items():
        if section not in types:
            errors.append(UserError(f"unknown section {section!r}", (section,),
                                    code=Code.INVALID_INPUT))
            continue
        if not isinstance(records, list):
            errors.append(UserError("must be a list", (section,), code=Code.INVALID_INPUT))
            continue

        def refuse(error: GraphQLError, path: list[str | int], section: str = section
                   ) -> None:
            if len(errors) < 100:
                message = error.message if len(error.message) <= 300 else \
                    f"{error.message[:300]}…"
                errors.append(UserError(message, (section, *map(str, path)),
                                        code=Code.INVALID_INPUT))

        validate_input_value(records, types[section], refuse)
        result[section] = coerce_input_value(records, types[section])
    if errors:
        raise DomainError(*errors)
    return result
