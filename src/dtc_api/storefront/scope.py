"""The operating mode each root field needs, read from its ``@scope(modes: […])`` directive."""

from __future__ import annotations

from graphql import GraphQLSchema
from graphql.language import EnumValueNode, ListValueNode

# Introspection works in every mode.
INTROSPECTION = frozenset({"__schema", "__type", "__typename"})

_DESCRIPTIONS = {
    "NO_SESSION": "the API client's no-session token",
    "SESSION": "a shopper session token",
    "LOGGED_IN": "a logged-in customer's session",
    "SHARED_SECRET": "a shopper session token and the x-shared-secret header",
}


def root_scopes(schema: GraphQLSchema) -> dict[tuple[str, str], frozenset[str]]:
    """``(operation type, field) -> modes`` for every root field; a field without one fails."""
    scopes: dict[tuple[str, str], frozenset[str]] = {}
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type),
                            ("subscription", schema.subscription_type)):
        if root is None:
            continue
        for name, field in root.fields.items():
            modes = _modes(field.ast_node)
            if not modes:
                raise ValueError(f"{root.name}.{name} has no @scope directive")
            scopes[(operation, name)] = modes
    return scopes


def _modes(node: object) -> frozenset[str]:
    for directive in getattr(node, "directives", None) or ():
        if directive.name.value != "scope":
            continue
        for argument in directive.arguments:
            value = argument.value
            if argument.name.value == "modes" and isinstance(value, ListValueNode):
                return frozenset(v.value for v in value.values if isinstance(v, EnumValueNode))
    return frozenset()


def describe(mode: str) -> str:
    """What a request in ``mode`` carries, in words."""
    return _DESCRIPTIONS[mode]


def denial(field: str, required: frozenset[str]) -> str:
    """The message for a root field called outside its modes."""
    needs = " or ".join(_DESCRIPTIONS[m] for m in sorted(required))
    return f"{field} requires {needs} (mode {' or '.join(sorted(required))})"
