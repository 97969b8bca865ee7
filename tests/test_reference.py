"""docs/operations.md, written from the SDL by `dtc-api docs`: current, and every operation
documented: a description, its modes, and the errors it answers in a form the generator
reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type

from dtc_api import reference
from dtc_api.backoffice.resolvers import build_schema as backoffice_schema
from dtc_api.cli import main
from dtc_api.core.errors import Code
from dtc_api.storefront import build_schema as storefront_schema
from dtc_api.storefront.scope import root_scopes

COMMITTED = Path(__file__).parents[1] / reference.PATH
CODES = {value for name, value in vars(Code).items() if name.isupper()}
# Paths that do not start with an argument, as the operations answer them.
NOT_ARGUMENTS = {
    ("paymentInstructions", "selection"),  # stock taken by another payment meanwhile
}


def roots(schema: GraphQLSchema) -> list[tuple[str, GraphQLField]]:
    return [(name, field) for root in (schema.query_type, schema.mutation_type) if root
            for name, field in root.fields.items()]


def answers_user_errors(field: GraphQLField) -> bool:
    payload = get_named_type(field.type)
    return isinstance(payload, GraphQLObjectType) and "userErrors" in payload.fields


SCHEMAS = pytest.mark.parametrize("schema", [storefront_schema(), backoffice_schema()],
                                  ids=["storefront", "back-office"])


def test_the_committed_reference_is_the_sdl_s() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == reference.render(), (
        f"{reference.PATH} is out of date: run `dtc-api docs` at the repository root")


@SCHEMAS
def test_every_operation_has_a_description(schema: GraphQLSchema) -> None:
    undescribed = [name for name, field in roots(schema)
                   if not reference.described(field.description).text]
    assert undescribed == []


def test_every_storefront_operation_has_a_mode() -> None:
    schema = storefront_schema()
    scopes = root_scopes(schema)
    assert {name for (_, name) in scopes} == {name for name, _ in roots(schema)}
    assert all(scopes.values())


@SCHEMAS
def test_every_operation_that_answers_user_errors_documents_them(schema: GraphQLSchema
                                                                 ) -> None:
    undocumented = [name for name, field in roots(schema) if answers_user_errors(field)
                    and reference.described(field.description).errors is None]
    assert undocumented == [], "add an 'Errors:' paragraph (or 'Errors: none.')"


@SCHEMAS
def test_documented_errors_are_codes_at_arguments(schema: GraphQLSchema) -> None:
    for name, field in roots(schema):
        for error in reference.described(field.description).errors or ():
            assert error.code in CODES, (name, error.code)
            for path in error.paths:
                assert re.fullmatch(r"[A-Za-z]+(\[\])?(\.([A-Za-z]+|\*)(\[\])?)*(\.\*)?",
                                    path), (name, path)
                argument = re.split(r"[.\[]", path)[0]
                assert argument in field.args or (name, argument) in NOT_ARGUMENTS, \
                    (name, path)


def test_an_errors_paragraph_is_read_item_by_item() -> None:
    found = reference.described("""Add an item.

Errors:
- `NOT_FOUND` at `item`, `sections[].item`: no item has this
  id.
- `RATE_LIMITED`: too many.""")
    assert found == reference.Described("Add an item.", (
        reference.ErrorDoc("NOT_FOUND", ("item", "sections[].item"), "no item has this id."),
        reference.ErrorDoc("RATE_LIMITED", (), "too many."),
    ))
    assert reference.described("Read.\n\nErrors: none (an empty list).") == \
        reference.Described("Read.", (), "an empty list")
    assert reference.described("Read.").errors is None


@pytest.mark.parametrize("description", [
    "Add.\n\nErrors:\n- NOT_FOUND at `item`: no item.",  # the code in backticks
    "Add.\n\nErrors:\n- `NOT_FOUND` at item: no item.",  # the path in backticks
    "Add.\n\nErrors:\n* `NOT_FOUND`: no item.",  # an item starts with "- "
    "Add.\n\nErrors:",  # a list, or "none"
    "Add.\n\nErrors: some.",
    "Errors:\n- `NOT_FOUND`: no item.\n\nAdd.",  # the last paragraph
])
def test_an_errors_paragraph_not_in_its_form_is_refused(description: str) -> None:
    with pytest.raises(ValueError):
        reference.described(description)


def test_docs_writes_and_checks_the_file(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "operations.md"
    result = CliRunner().invoke(main, ["docs", "--check", "-o", str(target)])
    assert result.exit_code == 1 and "out of date: run `dtc-api docs" in result.output
    result = CliRunner().invoke(main, ["docs", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == reference.render()
    result = CliRunner().invoke(main, ["docs", "--check", "-o", str(target)])
    assert result.exit_code == 0 and "up to date" in result.output
    result = CliRunner().invoke(main, ["docs", "-o", "-"])
    assert result.stdout == reference.render()
