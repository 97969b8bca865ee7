"""Which fields an operation selects below the current one (fragments expanded)."""

from __future__ import annotations

from graphql import FieldNode, FragmentSpreadNode, GraphQLResolveInfo, InlineFragmentNode
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
    """The fields named ``name`` directly below the current one (through fragments)."""
    found: list[FieldNode] = []
    for node in info.field_nodes:
        _find(node.selection_set, info, name, found, set())
    return found


def _find(selection_set: SelectionSetNode | None, info: GraphQLResolveInfo, name: str,
          found: list[FieldNode], seen: set[str]) -> None:
    if selection_set is None:
        return
    for selection in selection_set.selections:
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

