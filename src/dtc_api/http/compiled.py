"""Compiled execution of cached query documents.

graphql-core resolves each field of an answer through its general machinery (field
collection, a resolve-info object, completion by type, error handling per field): 6-20 µs a
field. A storefront sends the same few documents over and over, against plain dicts of the
read model. Here each (document, operation, @skip/@include values) is compiled once into a
tree of closures, one per field and per object type, that walk the resolved data: fields
are collected, aliased and merged exactly as graphql-core does, leaves coerced with the
schema's own scalars and enums, abstract types dispatched by their type resolvers. Fields
with a resolver of their own call it with a real ``GraphQLResolveInfo`` (without ``path``);
the awaitables they return are awaited together, level by level, as graphql-core gathers
them (so loaders that batch still batch).

Anything the plan does not handle exactly — a null where the schema says non-null, an
exception from a resolver, a value that does not coerce, an unexpected source object, too
many fields — abandons the plan for that request, and the request runs on graphql-core, so
answers, errors, their paths and null propagation are always graphql-core's. Mutations,
subscriptions, introspection and directives other than @skip/@include are never compiled.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from inspect import isawaitable
from typing import Any

from graphql import (
    BooleanValueNode,
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_abstract_type,
    visit,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.language import Visitor

Complete = Callable[[Any, "Run"], Any]
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# A plan holds ~1.5 KB per field it plans. No plan holds more than this many fields, and the
# plans of a process together at most PLANNED_FIELDS (least recently used first out): ~30 MB
# however many distinct documents clients send.
MAX_FIELD_PLANS = 2_000
PLANNED_FIELDS = 20_000
MAX_PLANS = 2_048
# A document is planned on its third use: one-off documents never cost a plan.
COMPILE_AFTER = 3


class Fallback(Exception):
    """The plan cannot answer this request exactly: graphql-core will."""


class Run:
    """One execution of a plan: the request's context and variables, and the awaitables
    met on the way, completed level by level."""

    __slots__ = ("context", "fields_left", "infos", "pending", "plan", "variables")

    def __init__(self, plan: Plan, context: Any, variables: VariableValues,
                 max_fields: int) -> None:
        self.plan = plan
        self.context = context
        self.variables = variables
        self.fields_left = max_fields
        self.pending: list[tuple[Any, Complete, dict[str, Any], str, bool]] = []
        self.infos: dict[int, GraphQLResolveInfo] = {}


class FieldPlan:
    """One response key of an object: how its value is found and completed."""

    __slots__ = ("args", "complete", "field", "key", "leaf", "name", "nodes", "non_null",
                 "parent", "resolve", "typename")

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self.typename: str | None = None  # __typename: the object's type name
        self.leaf: str | None = None  # a built-in scalar's name, when the field is one
        self.resolve: Callable[..., Any] | None = None
        self.args: dict[str, Any] | None = None  # None: computed per run (variables)
        self.complete: Complete = _identity
        self.non_null = False
        self.field: GraphQLField | None = None
        self.nodes: list[FieldNode] = []
        self.parent: GraphQLObjectType | None = None


def _identity(value: Any, run: Run) -> Any:
    return value


# -- leaves ---------------------------------------------------------------------------------

def _coerced(type_: GraphQLScalarType | GraphQLEnumType, value: Any) -> Any:
    try:
        coerced = type_.coerce_output_value(value)
    except Exception:
        raise Fallback from None
    if coerced is None or coerced.__class__.__name__ == "UndefinedType":
        raise Fallback
    return coerced


def _leaf(type_: GraphQLScalarType | GraphQLEnumType) -> Complete:
    if isinstance(type_, GraphQLEnumType):
        lookup = getattr(type_, "_value_lookup", {})

        def enum(value: Any, run: Run) -> Any:
            try:
                name = lookup.get(value)
            except TypeError:
                name = None
            return name if name is not None else _coerced(type_, value)
        return enum
    name = type_.name
    if name in ("String", "ID"):
        def string(value: Any, run: Run) -> Any:
            return value if value.__class__ is str else _coerced(type_, value)
        return string
    if name == "Int":
        def integer(value: Any, run: Run) -> Any:
            if value.__class__ is int and INT_MIN <= value <= INT_MAX:
                return value
            return _coerced(type_, value)
        return integer
    if name == "Float":
        def floating(value: Any, run: Run) -> Any:
            if value.__class__ is float and math.isfinite(value):
                return value
            return _coerced(type_, value)
        return floating
    if name == "Boolean":
        def boolean(value: Any, run: Run) -> Any:
            return value if value.__class__ is bool else _coerced(type_, value)
        return boolean

    def scalar(value: Any, run: Run) -> Any:
        return _coerced(type_, value)
    return scalar


# -- the plan ---------------------------------------------------------------------------------

def _skipped(node: Any, variables: dict[str, Any]) -> bool:
    """@skip(if: true) or @include(if: false), as graphql-core reads them."""
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        argument = next((a for a in directive.arguments or () if a.name.value == "if"), None)
        if argument is None:
            raise Fallback
        value = argument.value
        if isinstance(value, BooleanValueNode):
            flag = value.value
        elif isinstance(value, VariableNode):
            flag = variables.get(value.name.value)
            if flag.__class__ is not bool:
                raise Fallback
        else:
            raise Fallback
        if (name == "skip") == flag:
            return True
    return False


class Plan:
    """The compiled form of one operation of a document, for one set of @skip/@include
    values: object completers are built on first use (an abstract type's per runtime type)."""

    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode,
                 fragments: dict[str, FragmentDefinitionNode], skip_values: dict[str, Any]
                 ) -> None:
        self.schema = schema
        self.operation = operation
        self.fragments = fragments
        self.skip_values = skip_values
        self._objects: dict[tuple[str, tuple[int, ...]], Complete] = {}
        self._field_ids = 0
        query = schema.query_type
        if query is None:
            raise Fallback
        self.root = self._object(query, [operation.selection_set])

    # field collection, as graphql-core's collect_fields
    def _collect(self, type_: GraphQLObjectType, selection_set: SelectionSetNode,
                 fields: dict[str, list[FieldNode]], visited: set[str]) -> None:
        for selection in selection_set.selections:
            if _skipped(selection, self.skip_values):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if selection.type_condition is None or self._applies(
                        selection.type_condition.name.value, type_):
                    self._collect(type_, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None:
                    raise Fallback
                if self._applies(fragment.type_condition.name.value, type_):
                    self._collect(type_, fragment.selection_set, fields, visited)

    def _applies(self, condition: str, type_: GraphQLObjectType) -> bool:
        conditional = self.schema.get_type(condition)
        if conditional is type_:
            return True
        if conditional is not None and is_abstract_type(conditional):
            return self.schema.is_sub_type(conditional, type_)  # type: ignore[arg-type]
        return False

    def _object(self, type_: GraphQLObjectType, selection_sets: list[SelectionSetNode]
                ) -> Complete:
        cache_key = (type_.name, tuple(id(s) for s in selection_sets))
        found = self._objects.get(cache_key)
        if found is not None:
            return found
        collected: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()
        for selection_set in selection_sets:
            self._collect(type_, selection_set, collected, visited)
        plans: list[FieldPlan] = []

        # Registered before its fields are planned, so that planning never recurses forever.
        def complete(source: Any, run: Run) -> Any:
            return completer(source, run)

        self._objects[cache_key] = complete
        for key, nodes in collected.items():
            plans.append(self._field(type_, key, nodes))
        completer = _object_completer(type_, tuple(plans))
        # Only fields planned while this one was being built (a type below itself) go
        # through the forwarder; the rest call the completer directly.
        self._objects[cache_key] = completer
        return completer

    def _field(self, parent: GraphQLObjectType, key: str, nodes: list[FieldNode]
               ) -> FieldPlan:
        name = nodes[0].name.value
        plan = FieldPlan(key, name)
        if name == "__typename":
            plan.typename = parent.name
            return plan
        field = parent.fields.get(name)
        if field is None or name.startswith("__"):
            raise Fallback
        plan.field, plan.nodes, plan.parent = field, nodes, parent
        plan.resolve = field.resolve
        if field.args:
            plan.args = None if _uses_variables(nodes[0]) else \
                get_argument_values(field, nodes[0], None)
        else:
            plan.args = {}
        type_ = field.type
        if isinstance(type_, GraphQLNonNull):
            plan.non_null = True
            type_ = type_.of_type
        self._field_ids += 1
        if self._field_ids > MAX_FIELD_PLANS:
            raise Fallback  # a document this large runs on graphql-core
        plan.complete = self._completer(type_, nodes)
        if isinstance(type_, GraphQLScalarType) and type_.name in _FAST:
            plan.leaf = type_.name
        return plan

    def _completer(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Complete:
        if isinstance(type_, GraphQLList):
            item = type_.of_type
            non_null = isinstance(item, GraphQLNonNull)
            return _list_completer(self._completer(
                item.of_type if non_null else item, nodes), non_null)  # type: ignore[union-attr]
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_)
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, selection_sets)
        if is_abstract_type(type_):
            return self._abstract(type_, selection_sets)  # type: ignore[arg-type]
        raise Fallback

    def _abstract(self, type_: GraphQLAbstractType, selection_sets: list[SelectionSetNode]
                  ) -> Complete:
        possible = {t.name: t for t in self.schema.get_possible_types(type_)}
        dispatch: dict[str, Complete] = {}
        resolve_type = type_.resolve_type

        def complete(source: Any, run: Run) -> Any:
            if resolve_type is None:
                name = source.get("__typename") if source.__class__ is dict else None
            else:
                name = resolve_type(source, _info_for_type(run, type_), type_)
                if isinstance(name, GraphQLObjectType):
                    name = name.name
            completer = dispatch.get(name)  # type: ignore[arg-type]
            if completer is None:
                if name not in possible:
                    raise Fallback
                completer = dispatch[name] = self._object(possible[name], selection_sets)
            return completer(source, run)
        return complete


def _uses_variables(node: FieldNode) -> bool:
    found = False

    class Finder(Visitor):
        def enter_variable(self, *_: Any) -> None:
            nonlocal found
            found = True

    for argument in node.arguments or ():
        visit(argument, Finder())
    return found


def _list_completer(item: Complete, non_null: bool) -> Complete:
    def complete(value: Any, run: Run) -> Any:
        if value.__class__ is not list and value.__class__ is not tuple:
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
                raise Fallback
            value = list(value)
        out = []
        for entry in value:
            if entry is None:
                if non_null:
                    raise Fallback
                out.append(None)
            else:
                out.append(item(entry, run))
        return out
    return complete


def _getter(source: Any) -> Callable[[str], Any]:
    """The default resolver's lookup on something that is not a plain dict."""
    if isawaitable(source):
        raise Fallback
    if isinstance(source, Mapping):
        return source.get
    return lambda name: getattr(source, name, None)


def _info(run: Run, plan: FieldPlan) -> GraphQLResolveInfo:
    info = run.infos.get(id(plan))
    if info is None:
        info = run.infos[id(plan)] = GraphQLResolveInfo(
            plan.name, plan.nodes, plan.field.type, plan.parent,  # type: ignore[union-attr, arg-type]
            None, run.plan.schema, run.plan.fragments, None,  # type: ignore[arg-type]
            run.plan.operation, run.variables, run.context, isawaitable, None, None)  # type: ignore[arg-type]
    return info


def _info_for_type(run: Run, type_: GraphQLAbstractType) -> GraphQLResolveInfo:
    """What a type resolver gets: one per abstract type and run (its fields are the same for
    every value of the type)."""
    info = run.infos.get(id(type_))
    if info is None:
        info = run.infos[id(type_)] = GraphQLResolveInfo(
            type_.name, [], type_, None, None, run.plan.schema,  # type: ignore[arg-type]
            run.plan.fragments, None, run.plan.operation, run.variables,  # type: ignore[arg-type]
            run.context, isawaitable, None, None)
    return info


# How a leaf's plain value passes as it is (anything else goes through the type's coercion).
_FAST = {
    "String": "v.__class__ is str",
    "ID": "v.__class__ is str",
    "Int": "v.__class__ is int and -2147483648 <= v <= 2147483647",
    "Float": "v.__class__ is float and v - v == 0.0",  # finite
    "Boolean": "v.__class__ is bool",
}


def _object_completer(type_: GraphQLObjectType, plans: tuple[FieldPlan, ...]) -> Complete:
    """The completer of an object: straight-line generated code, one block per response key
    (a loop over field plans costs several times more per field)."""
    lines = ["def complete(s, run):",
             f"    run.fields_left -= {len(plans)}",
             "    if run.fields_left < 0:",
             "        raise Fallback",
             "    get = s.get if s.__class__ is dict else getter(s)",
             "    out = {}"]
    names: dict[str, Any] = {"Fallback": Fallback, "getter": _getter, "info": _info,
                             "arguments": get_argument_values, "isawaitable": isawaitable,
                             "PLAIN": _PLAIN}
    for n, plan in enumerate(plans):
        key = repr(plan.key)
        if plan.typename is not None:
            lines.append(f"    out[{key}] = {plan.typename!r}")
            continue
        names[f"c{n}"], names[f"p{n}"] = plan.complete, plan
        on_none = "raise Fallback" if plan.non_null else f"out[{key}] = None"
        if plan.resolve is None:
            fast = _FAST.get(plan.leaf or "")
            lines += [f"    v = get({plan.name!r})",
                      "    if v is None:",
                      f"        {on_none}"]
            if fast is not None:
                lines += [f"    elif {fast}:",
                          f"        out[{key}] = v"]
            lines += ["    else:",
                      "        if v.__class__ not in PLAIN and callable(v):",
                      "            raise Fallback",  # the default resolver would call it
                      f"        out[{key}] = c{n}(v, run)"]
            continue
        names[f"r{n}"], names[f"a{n}"] = plan.resolve, plan.args
        args = f"a{n}" if plan.args is not None else \
            f"arguments(p{n}.field, p{n}.nodes[0], run.variables)"
        lines += [f"    v = r{n}(s, info(run, p{n}), **{args})",
                  "    if v is None:",
                  f"        {on_none}",
                  "    elif v.__class__ not in PLAIN and isawaitable(v):",
                  f"        out[{key}] = None",
                  f"        run.pending.append((v, c{n}, out, {key}, {plan.non_null}))",
                  "    else:",
                  f"        out[{key}] = c{n}(v, run)"]
    lines.append("    return out")
    source = "\n".join(lines)
    code = _CODE.get(source)
    if code is None:
        code = compile(source, f"<plan of {type_.name}>", "exec")
        if len(_CODE) >= MAX_CODE:
            _CODE.pop(next(iter(_CODE)))
        _CODE[source] = code
    exec(code, names)  # noqa: S102 (source built here from names and reprs, never from input)
    return names["complete"]  # type: ignore[no-any-return]


# Documents share their objects' code when they select the same fields the same way (the
# constants differ, the code does not): compiled once.
_CODE: dict[str, Any] = {}
MAX_CODE = 4_096


_PLAIN = frozenset({str, int, float, bool, list, dict, tuple})


# -- documents ----------------------------------------------------------------------------------

class Compiled:
    """The plans of one document (by operation and @skip/@include values), or why none."""

    MAX_PLANS = 16  # per document: combinations of @skip/@include values

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self.schema = schema
        self.fragments = {d.name.value: d for d in document.definitions
                          if isinstance(d, FragmentDefinitionNode)}
        self.operations = {(d.name.value if d.name else None): d for d in document.definitions
                           if isinstance(d, OperationDefinitionNode)}
        self.plans: OrderedDict[tuple[Any, ...], Plan | None] = OrderedDict()
        self.switches = _switch_variables(document)
        self.uses = 0
        self.compile_after = COMPILE_AFTER

    def query(self, operation_name: str | None) -> OperationDefinitionNode | None:
        """The query operation a request runs (None: none, or not a query)."""
        operation = self.operations.get(operation_name) if operation_name is not None \
            else (next(iter(self.operations.values())) if len(self.operations) == 1 else None)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        return operation

    def plan(self, operation_name: str | None, variables: VariableValues) -> Plan | None:
        operation = self.query(operation_name)
        if operation is None:
            return None
        key = (operation_name, *(variables.coerced.get(n) for n in self.switches))
        self.uses += 1
        if self.uses < self.compile_after:
            return None  # a document sent once or twice is not worth planning
        if key in self.plans:
            found = self.plans[key]
            if found is not None:
                BUDGET.used(found)
            return found
        try:
            plan: Plan | None = Plan(self.schema, operation, self.fragments,
                                     variables.coerced)
        except Exception:  # anything it cannot plan runs on graphql-core
            plan = None
        if len(self.plans) >= self.MAX_PLANS:
            self.plans.popitem(last=False)
        self.plans[key] = plan
        if plan is not None:
            BUDGET.add(self, key, plan)
        return plan


class Budget:
    """The plans of this process, least recently used first out. A plan lives as long as its
    document is cached; this bounds them together as well."""

    def __init__(self, fields: int, plans: int) -> None:
        self.fields = fields
        self.max_plans = plans
        self.entries: OrderedDict[int, tuple[weakref.ref[Compiled], tuple[Any, ...],
                                             weakref.ref[Plan]]] = OrderedDict()

    def add(self, owner: Compiled, key: tuple[Any, ...], plan: Plan) -> None:
        self.entries[id(plan)] = (weakref.ref(owner), key, weakref.ref(plan))
        total = 0
        for ident, (_, _, ref) in list(self.entries.items()):
            alive = ref()
            if alive is None:  # its document left the cache
                del self.entries[ident]
            else:
                # Plans grow as they meet new runtime types of abstract fields.
                total += alive._field_ids
        while self.entries and (total > self.fields or len(self.entries) > self.max_plans):
            _, (owner_ref, old_key, plan_ref) = self.entries.popitem(last=False)
            old_owner, old_plan = owner_ref(), plan_ref()
            if old_plan is None:
                continue
            total -= old_plan._field_ids
            if old_owner is not None and old_owner.plans.get(old_key) is old_plan:
                del old_owner.plans[old_key]

    def used(self, plan: Plan) -> None:
        if id(plan) in self.entries:
            self.entries.move_to_end(id(plan))


BUDGET = Budget(PLANNED_FIELDS, MAX_PLANS)


def _switch_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables @skip/@include read (a plan per combination of their values)."""
    names: list[str] = []

    class Finder(Visitor):
        def enter_directive(self, node: Any, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    if isinstance(argument.value, VariableNode) and \
                            argument.value.name.value not in names:
                        names.append(argument.value.name.value)

    visit(document, Finder())
    return tuple(names)


def compilable(document: DocumentNode) -> bool:
    """Only @skip/@include, no introspection below the root's __typename, no fragment
    variables."""
    allowed = True

    class Checker(Visitor):
        def enter_directive(self, node: Any, *_: Any) -> None:
            nonlocal allowed
            if node.name.value not in ("skip", "include"):
                allowed = False

        def enter_field(self, node: FieldNode, *_: Any) -> None:
            nonlocal allowed
            if node.name.value.startswith("__") and node.name.value != "__typename":
                allowed = False

        def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
            nonlocal allowed
            if getattr(node, "variable_definitions", None):
                allowed = False

    visit(document, Checker())
    return allowed


async def execute(compiled: Compiled, operation_name: str | None, raw_variables: Any,
                  context: Any, max_fields: int) -> ExecutionResult | None:
    """The answer through the plan; None: run graphql-core instead."""
    operation = compiled.query(operation_name)
    if operation is None:
        return None
    if operation.variable_definitions:
        if raw_variables is not None and not isinstance(raw_variables, dict):
            return None
        variables = get_variable_values(compiled.schema, operation.variable_definitions,
                                        raw_variables or {})
        if isinstance(variables, list):
            return None  # graphql-core words the errors
    else:
        variables = _NO_VARIABLES
    try:
        plan = compiled.plan(operation_name, variables)
    except Fallback:
        return None
    if plan is None:
        return None
    run = Run(plan, context, variables, max_fields)
    try:
        data = plan.root(None, run)
        while run.pending:
            batch, run.pending = run.pending, []
            if len(batch) == 1:
                results: list[Any] = [await batch[0][0]]
            else:
                results = await asyncio.gather(*(p[0] for p in batch), return_exceptions=True)
            for (_, complete, out, key, non_null), value in zip(batch, results, strict=True):
                if isinstance(value, BaseException):
                    raise Fallback
                if value is None:
                    if non_null:
                        raise Fallback
                else:
                    out[key] = complete(value, run)
    except Exception:
        _abandon(run)
        return None
    return ExecutionResult(data=data, errors=None)


_NO_VARIABLES = VariableValues(sources={}, coerced={})


def _abandon(run: Run) -> None:
    """Close what will never be awaited (graphql-core starts over)."""
    for awaitable, *_ in run.pending:
        close = getattr(awaitable, "close", None) or getattr(awaitable, "cancel", None)
        if close is not None:
            close()
