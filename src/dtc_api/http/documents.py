"""Parsed and validated documents, cached: parsing and validation are most of a request's CPU.

Limits are applied before validation so a hostile document costs as little as possible:
the parser stops after ``max_tokens``, then depth and alias counts are checked.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
    validate,
)


@dataclass(frozen=True)
class Operation:
    type: str  # "query" | "mutation" | "subscription"
    root_fields: frozenset[str]


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] = ()
    # Errors found by the parser (as opposed to validation); GraphQL over HTTP answers both
    # the same way, but they are kept apart for logs and metrics.
    syntax_error: bool = False
    operations: dict[str | None, Operation] = field(default_factory=dict)

    def operation(self, name: str | None) -> Operation | None:
        if name is None and len(self.operations) == 1:
            return next(iter(self.operations.values()))
        return self.operations.get(name)


@dataclass(frozen=True)
class Limits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    # Validation compares every pair of fields with one response key (OverlappingFields…),
    # so a key repeated hundreds of times costs seconds: refuse that before validating.
    max_repeats: int = 10
    # Whitespace and comments are not tokens; this bounds what a cached document holds.
    max_length: int = 100_000


class DocumentCache:
    """A bounded LRU of query text -> ``Prepared``, for one schema and one set of limits."""

    def __init__(self, schema: GraphQLSchema, limits: Limits, size: int) -> None:
        self._schema = schema
        self._limits = limits
        self._size = size
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> Prepared:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            return entry
        entry = prepare(self._schema, query, self._limits)
        self._entries[query] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry


def prepare(schema: GraphQLSchema, query: str, limits: Limits) -> Prepared:
    if len(query) > limits.max_length:
        return Prepared(None, (GraphQLError(
            f"The query is longer than {limits.max_length} characters."),), syntax_error=True)
    try:
        document = parse(query, no_location=False, max_tokens=limits.max_tokens)
    except GraphQLError as error:
        return Prepared(None, (error,), syntax_error=True)
    errors = check_limits(document, limits)
    if not errors:
        errors = validate(schema, document)
    if errors:
        return Prepared(document, tuple(errors))
    return Prepared(document, (), operations=_operations(document))


def check_limits(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    measure = _Measure(fragments)
    errors = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            depth = measure.depth(definition.selection_set)
            if depth > limits.max_depth:
                errors.append(GraphQLError(
                    f"Query depth {depth} exceeds the limit of {limits.max_depth}.",
                    definition,
                ))
    aliases, repeated = measure.aliases_and_repeats(document)
    if aliases > limits.max_aliases:
        errors.append(GraphQLError(
            f"The document uses {aliases} aliases; the limit is {limits.max_aliases}."
        ))
    if repeated[1] > limits.max_repeats:
        errors.append(GraphQLError(
            f"{repeated[0]} is selected {repeated[1]} times in one selection set; "
            f"the limit is {limits.max_repeats}."
        ))
    return errors


class _Measure:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._fragment_depth: dict[str, int] = {}

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        """The number of nested field levels, fragments expanded (each fragment measured once)."""
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                deepest = max(deepest, 1 + self.depth(selection.selection_set))
            elif isinstance(selection, InlineFragmentNode):
                deepest = max(deepest, self.depth(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                deepest = max(deepest, self._spread_depth(selection.name.value))
        return deepest

    def _spread_depth(self, name: str) -> int:
        if name not in self._fragment_depth:
            fragment = self._fragments.get(name)
            self._fragment_depth[name] = 0  # a cycle counts once; validation rejects it
            self._fragment_depth[name] = self.depth(fragment.selection_set) if fragment else 0
        return self._fragment_depth[name]

    @staticmethod
    def aliases_and_repeats(document: DocumentNode) -> tuple[int, tuple[str, int]]:
        """The number of aliases, and the response key (or fragment) repeated most often
        within one selection set, with its count."""
        count = 0
        worst = ("", 0)
        stack: list[SelectionSetNode] = [
            d.selection_set for d in document.definitions
            if isinstance(d, OperationDefinitionNode | FragmentDefinitionNode)
        ]
        while stack:
            keys: dict[str, int] = {}
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    count += selection.alias is not None
                    key = (selection.alias or selection.name).value
                elif isinstance(selection, FragmentSpreadNode):
                    key = "..." + selection.name.value
                else:
                    key = "... on"
                keys[key] = keys.get(key, 0) + 1
                if keys[key] > worst[1]:
                    worst = (key, keys[key])
                if getattr(selection, "selection_set", None) is not None:
                    stack.append(selection.selection_set)  # type: ignore[union-attr]
        return count, worst


def _operations(document: DocumentNode) -> dict[str | None, Operation]:
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            operations[name] = Operation(
                definition.operation.value,
                frozenset(_root_fields(definition.selection_set, fragments, set())),
            )
    return operations


def _root_fields(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    seen: set[str],
) -> set[str]:
    names = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            names |= _root_fields(fragments[selection.name.value].selection_set, fragments, seen)
    return names
