"""Which fields an operation selects below the current one (fragments expanded)."""

from __future__ import annotations

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
)
from graphql.execution.values import get_directive_values
from graphql.language import SelectionSetNode


def subfields(info: GraphQLResolveInfo) -> set[str]:
    names: set[str] = set()
    for node in info.field_nodes:
        _collect(node.selection_set, info, names, set())
    return names


def _collect(selection_set: SelectionSetNode | None, info: GraphQLResolveInfo,
             names: set[str], seen: set[str]) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set, info, names, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                _collect(fragment.selection_set, info, names, seen)


def selected_fields(info: GraphQLResolveInfo, name: str) -> list[FieldNode]:
    """The fields named ``name`` directly below the current one (through fragments), that
    @skip/@include leave in."""
    found: list[FieldNode] = []
    for node in info.field_nodes:
        _find(node.selection_set, info, name, found, set())
    return found


def _find(selection_set: SelectionSetNode | None, info: GraphQLResolveInfo, name: str,
          found: list[FieldNode], seen: set[str]) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if not _included(selection, info):
            continue
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _find(selection.selection_set, info, name, found, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None:
                _find(fragment.selection_set, info, name, found, seen)


def _included(node: FieldNode | InlineFragmentNode | FragmentSpreadNode,
              info: GraphQLResolveInfo) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, info.variable_values)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, info.variable_values)
    return include is None or include.get("if") is not False

