"""Parsed and validated documents, cached: parsing and validation are most of a request's CPU.

Limits are applied before validation so a hostile document costs as little as possible:
the parser stops after ``max_tokens``, then depth and alias counts are checked.
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import (
    BREAK,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    Visitor,
    parse,
    validate,
    visit,
)

from dtc_api.http.answers import text_digest
from dtc_api.http.compiled import Compiled, compilable

NUL_MESSAGE = "Strings must not contain the NUL character (U+0000)"


@dataclass(frozen=True)
class Operation:
    type: str  # "query" | "mutation" | "subscription"
    root_fields: frozenset[str]
    # Elements of literal list arguments, and the uses of each variable in arguments.
    list_literals: int = 0
    variable_uses: dict[str, int] = field(default_factory=dict)
    name: str | None = None

    def list_items(self, variables: dict[str, Any] | None) -> int:
        """The elements of list arguments this request passes, each use counted: a variable
        holding 1,000 ids used by ten aliased fields passes 10,000."""
        variables = variables or {}
        return self.list_literals + sum(uses * json_list_items(variables.get(name))
                                        for name, uses in self.variable_uses.items())


@dataclass(frozen=True)
class Prepared:
    document: DocumentNode | None
    # The errors as the client sees them: plain data, never the exceptions (a parse error's
    # traceback holds the parser and every token of the document).
    errors: tuple[dict[str, Any], ...] = ()
    # A string literal holds U+0000 (written as an escape), which no backend stores alike.
    has_nul: bool = False
    operations: dict[str | None, Operation] = field(default_factory=dict)
    # What the cache entry holds, estimated in bytes.
    size: int = 0
    # Its compiled plans (built on first use); None: graphql-core only.
    compiled: Compiled | None = None
    # The text's digest (``answers.text_digest``): what a kept answer is keyed by.
    digest: bytes = b""

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


# A parsed document holds about this many bytes per character of its text, once its token
# chain is dropped (measured with tracemalloc on the documents of the tests).
_BYTES_PER_CHARACTER = 48
_ENTRY_OVERHEAD = 1500
# Documents longer than this are parsed and validated in a thread, so that a long hostile
# document does not hold the event loop (a 5,000-token one takes ~200 ms to validate).
_INLINE_LENGTH = 1000
_preparer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dtc-prepare")


class DocumentCache:
    """A bounded LRU of query text -> ``Prepared``, for one schema and one set of limits,
    bounded both by entries and by the bytes they hold."""

    def __init__(self, schema: GraphQLSchema, limits: Limits, size: int,
                 max_bytes: int = 16 * 1024 * 1024) -> None:
        self._schema = schema
        self._limits = limits
        self._size = size
        self._max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, Prepared] = OrderedDict()
        # Lookups answered from the cache, and not (read by the metrics now and then).
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes

    async def get(self, query: str) -> Prepared:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            self.hits += 1
            return entry
        self.misses += 1
        if len(query) <= _INLINE_LENGTH:
            entry = prepare(self._schema, query, self._limits)
        else:
            entry = await asyncio.get_running_loop().run_in_executor(
                _preparer, prepare, self._schema, query, self._limits)
        self._put(query, entry)
        return entry

    def _put(self, query: str, entry: Prepared) -> None:
        if entry.size > self._max_bytes or query in self._entries:
            return
        self._entries[query] = entry
        self._bytes += entry.size
        while len(self._entries) > self._size or self._bytes > self._max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size


def prepare(schema: GraphQLSchema, query: str, limits: Limits) -> Prepared:
    key_size = 2 * len(query) + 100
    if len(query) > limits.max_length:
        return _failed(key_size, [GraphQLError(
            f"The query is longer than {limits.max_length} characters.")])
    try:
        document = parse(query, no_location=False, max_tokens=limits.max_tokens)
    except GraphQLError as error:
        return _failed(key_size, [error])
    if "\\u" in query and _has_nul(document):
        return _failed(key_size, [GraphQLError(NUL_MESSAGE)], has_nul=True)
    errors = check_limits(document, limits)
    if not errors:
        errors = validate(schema, document)
    if errors:
        return _failed(key_size, errors)
    _drop_tokens(document)
    return Prepared(document, (), operations=_operations(document),
                    size=key_size + _BYTES_PER_CHARACTER * len(query) + _ENTRY_OVERHEAD,
                    compiled=Compiled(schema, document) if compilable(document) else None,
                    digest=text_digest(query))


def _failed(key_size: int, errors: list[GraphQLError], **flags: bool) -> Prepared:
    formatted = tuple(error.formatted for error in errors)
    size = key_size + len(orjson.dumps(formatted)) * 3 + 200
    return Prepared(None, formatted, size=size, **flags)  # type: ignore[arg-type]


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_: Any) -> Any:
        if "\x00" in node.value:
            self.found = True
            return BREAK
        return None


def _has_nul(document: DocumentNode) -> bool:
    finder = _NulFinder()
    visit(document, finder)
    return finder.found


def _drop_tokens(document: DocumentNode) -> None:
    """Cut each location's link to the token chain: the chain holds every token of the
    text, while errors need only a location's offsets and source."""
    stack: list[Node] = [document]
    while stack:
        node = stack.pop()
        if node.loc is not None:
            node.loc.start_token = node.loc.end_token = None  # type: ignore[assignment]
        for key in node.keys:
            value = getattr(node, key, None)
            if isinstance(value, Node):
                stack.append(value)
            elif isinstance(value, tuple | list):
                stack.extend(item for item in value if isinstance(item, Node))


def _list_arguments(operation: OperationDefinitionNode,
                    fragments: dict[str, FragmentDefinitionNode]) -> tuple[int, dict[str, int]]:
    """The elements of the operation's literal list arguments, and how many times each
    variable is used as (or inside) an argument, fragments expanded: a variable used by ten
    aliased fields counts ten times. Known once the document is parsed; each fragment is
    measured once, however often it is spread."""
    per_fragment: dict[str, tuple[int, Counter[str]]] = {}

    def in_value(node: ValueNode, uses: Counter[str]) -> int:
        if isinstance(node, ListValueNode):
            return len(node.values) + sum(in_value(value, uses) for value in node.values)
        if isinstance(node, ObjectValueNode):
            return sum(in_value(f.value, uses) for f in node.fields)
        if isinstance(node, VariableNode):
            uses[node.name.value] += 1
        return 0

    def in_selections(selection_set: SelectionSetNode | None, seen: frozenset[str]
                      ) -> tuple[int, Counter[str]]:
        literals, uses = 0, Counter[str]()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                literals += sum(in_value(a.value, uses) for a in selection.arguments or ())
                inner = in_selections(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                inner = in_selections(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in per_fragment and name not in seen and name in fragments:
                    per_fragment[name] = in_selections(fragments[name].selection_set,
                                                       seen | {name})
                inner = per_fragment.get(name, (0, Counter()))
            literals += inner[0]
            uses.update(inner[1])
        return literals, uses

    literals, uses = in_selections(operation.selection_set, frozenset())
    return literals, dict(uses)


def json_list_items(value: Any) -> int:
    """The elements of every list inside a decoded JSON value."""
    total = 0
    stack = [value] if isinstance(value, list | dict) else []
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            total += len(item)
        values = item.values() if isinstance(item, dict) else item
        stack.extend(v for v in values if isinstance(v, list | dict))
    return total


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
                *_list_arguments(definition, fragments),
                name=name,
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
