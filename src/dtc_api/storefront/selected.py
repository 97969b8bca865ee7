"""Which fields an operation selects below the current one (fragments expanded)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
)
from graphql.execution.values import get_directive_values


def subfields(info: GraphQLResolveInfo) -> set[str]:
    return {node.name.value for node in _fields(info, directives=False)}


def selected_fields(info: GraphQLResolveInfo, name: str) -> list[FieldNode]:
    """The fields named ``name`` directly below the current one (through fragments), that
    @skip/@include leave in."""
    return [node for node in _fields(info, directives=True) if node.name.value == name]


def _fields(info: GraphQLResolveInfo, *, directives: bool) -> Iterator[FieldNode]:
    """The fields directly below the current one, through fragments (with ``directives``,
    only those @skip/@include leave in)."""
    seen: set[str] = set()
    pending = [node.selection_set for node in info.field_nodes]
    while pending:
        selection_set = pending.pop()
        if selection_set is None:
            continue
        for selection in selection_set.selections:
            if directives and not _included(selection, info):
                continue
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = info.fragments.get(selection.name.value)
                if fragment is not None:
                    pending.append(fragment.selection_set)


def _included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode,
              info: GraphQLResolveInfo) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, info.variable_values)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, info.variable_values)
    return include is None or include.get("if") is not False
