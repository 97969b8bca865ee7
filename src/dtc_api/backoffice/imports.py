"""An import file's records are the back-office API's inputs: each section is coerced by its
input type (CatalogueInput's lists, StockInput, OrderInput), so a record of a file is refused
exactly as the same record sent to the API would be, with the path of the bad value."""

from __future__ import annotations

from collections.abc import Callable
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
from dtc_api.core.progress import SILENT, Progress, step


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


def coerced(document: Any, progress: Progress = SILENT) -> dict[str, Any]:
    """The document with every record coerced (defaults filled in); refused whole, each bad
    value named, if any record is not what its section's input type allows. ``progress``
    hears of the records checked, a step ``checking`` of them all."""
    if not isinstance(document, dict):
        raise DomainError(UserError("the file must hold a JSON object", (),
                                    code=Code.INVALID_INPUT))
    types = _section_types()
    errors: list[UserError] = []
    result: dict[str, Any] = {}
    records_in = [len(v) for k, v in document.items() if k in types and isinstance(v, list)]
    with step(progress, "checking", sum(records_in)):
        done = 0
        for section, records in document.items():
            if section not in types:
                errors.append(UserError(f"unknown section {section!r}", (section,),
                                        code=Code.INVALID_INPUT))
                continue
            if not isinstance(records, list):
                errors.append(UserError("must be a list", (section,), code=Code.INVALID_INPUT))
                continue
            result[section] = []
            # A slice at a time, so that a watcher sees a large file being checked.
            for first in range(0, len(records), CHECK_CHUNK):
                chunk = records[first:first + CHECK_CHUNK]
                validate_input_value(chunk, types[section], _refuse(errors, section, first))
                if not errors:
                    result[section] += coerce_input_value(chunk, types[section])
                done += len(chunk)
                progress.update(done)
    if errors:
        raise DomainError(*errors)
    return result


CHECK_CHUNK = 1_000


def _refuse(errors: list[UserError], section: str, first: int
            ) -> Callable[[GraphQLError, list[str | int]], None]:
    """Keep a refusal of the records from ``first`` on, with the record's index in the
    whole section; at most 100 in all."""
    def refuse(error: GraphQLError, path: list[str | int]) -> None:
        if len(errors) < 100:
            message = error.message if len(error.message) <= 300 else \
                f"{error.message[:300]}…"
            if path and isinstance(path[0], int):
                path = [first + path[0], *path[1:]]
            errors.append(UserError(message, (section, *map(str, path)),
                                    code=Code.INVALID_INPUT))
    return refuse
