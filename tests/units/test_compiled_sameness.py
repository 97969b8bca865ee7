"""Compiled plans against graphql-core on generated selections and generated data.

A small schema with every shape a plan handles (interfaces, a union, enums, nullable and
non-null lists and items, arguments, resolvers of their own that may fail or await), data
drawn with nulls and wrong types in any place, and selections drawn by hypothesis-graphql.
Whenever the plan answers, its bytes must be graphql-core's; and whenever graphql-core
reports an error, the plan must not have answered (it leaves such requests to graphql-core).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from graphql import build_schema, execute, parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries

from dtc_api.http import compiled

SDL = """
enum Kind { SMALL LARGE }
interface Node { id: ID! }
type Item implements Node {
  id: ID!
  name: String
  count: Int
  price: Float!
  tags: [String!]
  flag: Boolean
  kind: Kind
  label(upper: Boolean = false): String
}
type Box implements Node {
  id: ID!
  items: [Item]!
  first: Item
  size: Int!
  later: String
}
union Thing = Item | Box
type Query {
  box: Box
  things: [Thing!]
  node: Node
  nodes: [Node]
  delayed: Box
}
"""
SCHEMA = build_schema(SDL)


def _label(item: Any, info: Any, upper: bool = False) -> Any:
    name = item.get("name")
    if name == "boom":
        raise ValueError("no label")
    return name.upper() if upper and isinstance(name, str) else name


async def _later(box: Any, info: Any) -> Any:
    await asyncio.sleep(0)
    if box.get("size") == 13:
        raise ValueError("unlucky")
    return box.get("id")


async def _delayed(_: Any, info: Any) -> Any:
    await asyncio.sleep(0)
    return info.context["box"]


def _root(name: str) -> Any:
    return lambda _, info: info.context[name]


SCHEMA.type_map["Item"].fields["label"].resolve = _label  # type: ignore[union-attr]
SCHEMA.type_map["Box"].fields["later"].resolve = _later  # type: ignore[union-attr]
for _name in ("box", "things", "node", "nodes"):
    SCHEMA.query_type.fields[_name].resolve = _root(_name)  # type: ignore[union-attr]
SCHEMA.query_type.fields["delayed"].resolve = _delayed  # type: ignore[union-attr]

# Values as data holds them: mostly right, sometimes null or of another type.
_ODD = st.one_of(st.none(), st.just("x"), st.just(2**40), st.just(float("inf")),
                 st.just([1]), st.just({"a": 1}), st.just(True))


def _value(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(right, right, right, _ODD)


_ITEM = st.fixed_dictionaries({
    "__typename": st.sampled_from(["Item", "Item", "Item", "Box", "Nope"]),
    "id": _value(st.text(max_size=3)),
    "name": _value(st.sampled_from(["a", "boom", "Ä"])),
    "count": _value(st.integers(-5, 5)),
    "price": _value(st.floats(-5, 5, allow_nan=False)),
    "tags": _value(st.lists(_value(st.text(max_size=2)), max_size=3)),
    "flag": _value(st.booleans()),
    "kind": _value(st.sampled_from(["SMALL", "LARGE", "HUGE"])),
})
_BOX = st.fixed_dictionaries({
    "__typename": st.sampled_from(["Box", "Box", "Item"]),
    "id": _value(st.text(max_size=3)),
    "items": _value(st.lists(st.one_of(st.none(), _ITEM), max_size=3)),
    "first": st.one_of(st.none(), _ITEM),
    "size": _value(st.sampled_from([1, 13, 7])),
})
_DATA = st.fixed_dictionaries({
    "box": st.one_of(st.none(), _BOX),
    "things": st.one_of(st.none(), st.lists(st.one_of(_ITEM, _BOX, st.none()), max_size=3)),
    "node": st.one_of(st.none(), _ITEM, _BOX),
    "nodes": st.one_of(st.none(), st.lists(st.one_of(st.none(), _ITEM, _BOX), max_size=3)),
})


async def _both(query: str, data: dict[str, Any]) -> tuple[Any, Any]:
    document = parse(query)
    plans = compiled.Compiled(SCHEMA, document)
    plans.compile_after = 1
    planned = await compiled.execute(plans, None, None, data, 100_000)
    reference = execute(SCHEMA, document, context_value=data)
    if not isinstance(reference, dict) and hasattr(reference, "__await__"):
        reference = await reference
    return planned, reference


@settings(max_examples=600, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(query=queries(SCHEMA, allow_x00=False), data=_DATA)
def test_a_plan_answers_as_graphql_core_or_not_at_all(query: str, data: dict[str, Any]
                                                      ) -> None:
    planned, reference = asyncio.run(_both(query, data))
    if reference.errors:
        assert planned is None, (query, data, reference.errors)
    elif planned is not None:
        assert orjson.dumps(planned.data) == orjson.dumps(reference.data), (query, data)


FIXED = [
    # aliases, a key selected twice with merged sub-selections, fragments on the interfaces
    # and the union, __typename, arguments, @skip/@include with literals
    """{ b: box { id items { ... on Node { id } name } items { count label(upper: true) }
         ...B } things { __typename ... on Item { name } ... on Box { size first { id } } }
         node { id ... on Item { kind @include(if: true) flag @skip(if: true) } } }
       fragment B on Box { size first { ...I } later }
       fragment I on Item { id price tags }""",
    "{ delayed { later items { label } } nodes { id __typename } }",
]


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(query=st.sampled_from(FIXED), data=_DATA)
def test_fragments_aliases_and_directives_on_generated_data(query: str,
                                                            data: dict[str, Any]) -> None:
    planned, reference = asyncio.run(_both(query, data))
    if reference.errors:
        assert planned is None, (query, data, reference.errors)
    elif planned is not None:
        assert orjson.dumps(planned.data) == orjson.dumps(reference.data), (query, data)


def test_the_plans_do_answer_clean_data() -> None:
    """The property above would hold if plans never answered: on data without faults they
    must."""
    item = {"__typename": "Item", "id": "1", "name": "a", "count": 1, "price": 1.5,
            "tags": ["t"], "flag": True, "kind": "SMALL"}
    box = {"__typename": "Box", "id": "b", "items": [item, None], "first": item, "size": 1}
    data = {"box": box, "things": [item, box], "node": item, "nodes": [box, None]}
    for query in FIXED:
        planned, reference = asyncio.run(_both(query, data))
        assert reference.errors is None
        assert planned is not None
        assert orjson.dumps(planned.data) == orjson.dumps(reference.data)
