"""Strategies for GraphQL requests, generated from an executable schema.

hypothesis-graphql writes each operation: a random subset of fields at random depth, with
inline arguments that are valid, or that break the schema in one way (negative mode). Here its
arguments are then steered towards values the demo data knows, so that resolvers get past "not
found", and in about half of the requests moved into variables, whose values may be made
hostile: wrong types, huge numbers, long or non-ASCII strings, NUL, deep nesting, huge lists.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FloatValueNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    IntValueNode,
    ListValueNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    Visitor,
    get_named_type,
    parse_type,
    print_ast,
    value_from_ast_untyped,
    visit,
)
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

PASSWORD = "fuzz-Password-1"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


COUNTRIES = ("SE", "US", "DE", "GB", "NO", "AX", "XX", "se", "")
LANGUAGES = ("en", "sv", "de", "fr", "xx", "EN", "")
EMAILS = ("fuzz@example.com", "daniel@example.com", "FUZZ@Example.COM", "ünï@exämple.com",
          "a@b", "not-an-email", "x@localhost", "")
DATE_FORMATS = ("Y-m-d", "Y-m-dTH:i:sP", "D, d M Y H:i:s", "U", "\\Y\\m", "", "%Y-%m",
                "l jS \\of F Y h:i:s A", "e T O P c r", "u v B I L N w z t", "Y" * 200)

# Values the demo data (or a fuzzed request before) knows, by argument or input field name.
# A name's values are filtered by the GraphQL type where it is used: strings for String and
# ID, integers for Int, numbers for Float.
KNOWN: dict[str, tuple[Any, ...]] = {
    "item": ("1-1", "1-3", "2-1", "4-1", "10-1", "10-2", "404-1", "1", "1-"),
    "items": ("1-1", "10-1"),
    "id": (1, 2, 3, 10, 404, 0, -1, "1", "2", "1-1", "abc"),
    "displayItemId": (1, 2, 10, 404, 0),
    "wishlistId": (1, 2, 3, 0),
    "customerId": (1, 2, 3, 404),
    "quantity": (0, 1, 2, 3, 40, 1000, -1),
    "number": (1, 2, 1001, 0, -1),
    "countryCode": COUNTRIES,
    "countryCodes": COUNTRIES,
    "country": COUNTRIES,
    "stateCode": ("CA", "NY", "XX", ""),
    "state": ("CA", "NY", "XX", ""),
    "code": (*LANGUAGES, "SEK", "EUR", "SE"),
    "languageCode": LANGUAGES,
    "language": LANGUAGES,
    "locale": (*LANGUAGES, "sv_SE", "zz-ZZ"),
    "defaultLanguage": LANGUAGES,
    "defaultCountry": COUNTRIES,
    "email": EMAILS,
    "password": (PASSWORD, "secret", "correct horse battery staple", "short"),
    "oldPassword": (PASSWORD, "wrong-password-1"),
    "confirmPassword": (PASSWORD,),
    "warehouse": ("main", "us-east", "nowhere"),
    "markets": ("sweden", "europe", "international", "nowhere"),
    "market": ("sweden", "europe", 1, 2, 3, 404),
    "pricelist": ("sek", "eur", "usd", 1, 2, 3, 4, 404),
    "currency": ("SEK", "EUR", "USD", "XXX"),
    "url": ("/reset", "reset/password", "https://evil.example/", "//evil.example", "/\\evil",
            "/a\tb"),
    "resetPasswordExternalUrl": ("/reset", "https://evil.example/"),
    "token": ("", "abc", "e30.e30", "Zm9v.YmFy", "ä.ö"),
    "i": ("", "0" * 32, "abc"),
    "format": DATE_FORMATS,
    "since": (_cursor("2026-01-01T00:00:00+00:00|0"), _cursor("2026-01-01T00:00:00|0"),
              _cursor("2026-01-01|x"), "not a cursor", "", "MjAyNg=="),
    "limit": (1, 20, 100, 0, -1, 101, 2**31 - 1, -(2**31)),
    "page": (1, 2, 0, -1, 2**31 - 1),
    "name": ("storefront", "demo", "erp", "fuzz"),
    "frontendUrl": ("https://shop.example", "http://localhost:3000", "javascript:alert(1)", ""),
    "search": ("a", "%", "_", "\\", "example.com", "'"),
    "status": ("pending", "sending", "sent", "failed"),
    "kind": ("dynamic", "mapped", "INPUT", "SELECT", "IMAGE", "bogus"),
    "attributeTypeName": ("health", "registration_source", "nope"),
    "attributeElementKey": ("diet", "source", "nope"),
    "attributeElementValue": ("vegan", ""),
    "attributeId": (1, 2, 3, 99),
    "key": ("diet", "source", "sweden", "main", "sek", "newsletter"),
    "orderDate": ("2026-02-01T10:00:00+01:00", "2026-02-01T10:00:00", "2026-02-01", "soon",
                  "2026-02-30T10:00:00Z"),
    "uri": ("organic-cotton-t-shirt", "a/b", ""),
    "sizeId": (1, 2, 3),
    "unitPrice": (0.0, 299.0, 1e-9, 1e15, -1.0, 0.005),
    "price": (0.0, 299.0, 1e-9, 1e15, -1.0),
    "shipping": (0.0, 49.0, -1.0, 1e15),
    "baseRate": (1.0, 0.0, -1.0, 1e-12, 1e12),
    "decimalDigits": (0, 2, 3, -1, 30),
    "decimalPoint": (",", ".", ""),
    "thousandsSeparator": (" ", ",", ""),
    "isoNumber": ("752", "978", "ABC"),
    "firstName": ("Ada", "Ünïcødé", "O'Brien"),
    "lastName": ("Lovelace", "Ünïcødé"),
}

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})")


@dataclass
class Pool:
    """Values seen in answers during one test, offered back to later requests."""

    line_ids: list[str]

    def harvest(self, answer: Any) -> None:
        if isinstance(answer, dict):
            lines = answer.get("lines")
            if isinstance(lines, list):
                for line in lines:
                    if isinstance(line, dict) and isinstance(line.get("id"), str):
                        self.line_ids.append(line["id"])
                del self.line_ids[:-16]
            for value in answer.values():
                self.harvest(value)
        elif isinstance(answer, list):
            for value in answer:
                self.harvest(value)


@dataclass(frozen=True)
class Deep:
    """A value nested ``depth`` levels deep (lists, or objects under ``key``), written out
    only when the body is encoded: Python's and orjson's encoders give up far earlier."""

    depth: int
    key: str | None


@dataclass(frozen=True, repr=False)
class GraphQLRequest:
    query: str
    variables: dict[str, Any] | None = None
    ascii_only: bool = True
    # None: the default (JSON, where errors are answered with 200)
    accept: str | None = None

    def __repr__(self) -> str:
        return f"GraphQLRequest(accept={self.accept!r}, body={self.shown()})"

    def _repr_pretty_(self, printer: Any, _cycle: bool) -> None:  # how Hypothesis shows it
        printer.text(repr(self))

    def body(self) -> bytes:
        parts = [f'"query":{_encode(self.query, self.ascii_only)}']
        if self.variables is not None:
            parts.append(f'"variables":{_encode(self.variables, self.ascii_only)}')
        # surrogatepass: a lone surrogate in a string is sent as the bytes it would have.
        return ("{" + ",".join(parts) + "}").encode("utf-8", "surrogatepass")

    def shown(self, limit: int = 4000) -> str:
        """The body as text, with long runs written as ``⟨'x'*N⟩``."""
        text = self.body().decode("utf-8", "backslashreplace")
        if len(text) > 400:
            text = re.sub(r"(.{1,12}?)\1{15,}",
                          lambda m: f"⟨{m.group(1)!r}*{len(m.group(0)) // len(m.group(1))}⟩",
                          text)
        return text if len(text) <= limit else text[:limit] + f"… ({len(text)} characters)"


def _encode(value: Any, ascii_only: bool) -> str:
    if isinstance(value, Deep):
        opening, closing = ("[", "]") if value.key is None else (
            "{" + json.dumps(value.key) + ":", "}")
        return opening * value.depth + "1" + closing * value.depth
    if isinstance(value, dict):
        return "{" + ",".join(f"{_encode(str(k), ascii_only)}:{_encode(v, ascii_only)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_encode(v, ascii_only) for v in value) + "]"
    return json.dumps(value, ensure_ascii=ascii_only)


# --- hostile JSON values -------------------------------------------------------------------

_EDGE_INTS = (2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**53 + 1, 2**63 - 1, 2**63,
              -(2**63) - 1, 2**64, 10**100, 0, -1)
_EDGE_STRINGS = ("", " ", "null", "0", "-1", "1e309", "NaN", "true", "' OR 1=1 --", "%", "_",
                 "\\", "\x00", "a\x00b", "\ud800", "\U0001d518\U0001d52b\U0001d526", "\u202eabc",
                 "\uff33\uff25", "İ", "ß", "\r\n", "<script>alert(1)</script>", "../../etc/passwd",
                 "2026-02-30T25:61:00", "2026-01-01T00:00:00", "1-1\x00", "🙂" * 3, "e\u0301",
                 "\ufeff", "\uffff")
_RUN_CHARACTERS = ("a", "é", "漢", "🙂", "\u202e", "'", "%", "\\", "-1")

integers = st.one_of(st.sampled_from(_EDGE_INTS), st.integers())
floats = st.one_of(st.sampled_from((1e308, -1e308, 5e-324, 0.5, 2.0**63, 1e20, -0.0)),
                   st.floats(allow_nan=False, allow_infinity=False))
texts = st.one_of(st.sampled_from(_EDGE_STRINGS), st.text(max_size=40),
                  st.text(st.characters(min_codepoint=0x80), max_size=20))
long_texts = st.builds(lambda c, n: c * n, st.sampled_from(_RUN_CHARACTERS),
                       st.sampled_from((300, 5_000, 100_000, 400_000)))
scalars = st.one_of(st.none(), st.booleans(), integers, floats, texts)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(sorted(KNOWN)),
                                                      st.text(max_size=8)),
                                            inner, max_size=4)),
    max_leaves=12,
)
deep_values = st.builds(Deep, st.sampled_from((30, 33, 300, 1_100, 5_000)),
                        st.one_of(st.none(), st.sampled_from(("input", "a", "billingAddress"))))
huge_lists = st.builds(
    lambda item, n: [item] * n,
    st.sampled_from((1, "SE", "1-1", None, {"item": "1-1", "warehouse": "main", "quantity": 1},
                     {"key": "k", "name": "n", "default": False})),
    st.sampled_from((999, 1_001, 40_000)),
)


@st.composite
def _hostile_values(draw: st.DrawFn) -> Any:
    # Big values cost the server (and the test) most: one in ten each.
    pick = draw(st.integers(0, 9))
    big = {0: long_texts, 1: deep_values, 2: huge_lists}
    return draw(big.get(pick, json_values))


hostile_values = _hostile_values()


@st.composite
def _hostile(draw: st.DrawFn, value: Any) -> Any:
    """The value, broken in one place (or whole): a field, an item, or the value itself."""
    if isinstance(value, dict) and value and draw(st.booleans()):
        key = draw(st.one_of(st.sampled_from(sorted(value)), st.sampled_from(sorted(KNOWN))))
        broken = dict(value)
        broken[key] = draw(_hostile(value[key])) if key in value else draw(hostile_values)
        return broken
    if isinstance(value, list) and value and draw(st.booleans()):
        index = draw(st.integers(0, len(value) - 1))
        return [*value[:index], draw(_hostile(value[index])), *value[index + 1:]]
    return draw(hostile_values)


# --- documents -------------------------------------------------------------------------------


def _document(document: DocumentNode) -> DocumentNode:
    return document


# A Map (payment fields, a widget's event): an object of a few strings and numbers, keys
# including the payment's own field and the test plugin's result.
_MAP_KEYS = st.sampled_from(["dtcPayment", "result", "centraPaymentMethod", "a", "x" * 300])
_MAP_VALUES = st.one_of(st.text(max_size=50).map(lambda t: StringValueNode(value=t)),
                        st.integers(-(2**40), 2**40).map(lambda n: IntValueNode(value=str(n))),
                        st.sampled_from(["confirm", "decline"]).map(
                            lambda t: StringValueNode(value=t)))
_MAP = st.lists(st.tuples(_MAP_KEYS, _MAP_VALUES), max_size=4).map(
    lambda pairs: ObjectValueNode(fields=tuple(
        ObjectFieldNode(name=NameNode(value=k), value=v) for k, v in dict(pairs).items())))


@cache
def _documents(schema: GraphQLSchema, kind: str, fields: tuple[str, ...], variant: str
               ) -> st.SearchStrategy[DocumentNode]:
    make = queries if kind == "query" else mutations
    return make(schema, fields=fields, print_ast=_document, allow_x00=variant == "x00",
                mode=Mode.NEGATIVE if variant == "negative" else Mode.POSITIVE,
                custom_scalars={"Map": _MAP})


def _known(name: str, named: str) -> tuple[Any, ...]:
    values = KNOWN.get(name, ())
    if named in ("String", "ID"):
        return tuple(v for v in values if isinstance(v, str))
    if named == "Int":
        return tuple(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    if named == "Float":
        return tuple(float(v) for v in values if isinstance(v, int | float)
                     and not isinstance(v, bool))
    return ()


def _item_type(type_: GraphQLInputType) -> GraphQLInputType:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_.of_type if isinstance(type_, GraphQLList) else type_


def _steer(draw: st.DrawFn, node: ValueNode, type_: GraphQLInputType, name: str,
           pool: Pool) -> ValueNode:
    """The literal, with leaves replaced (three times in four) by values the data knows."""
    named = get_named_type(type_)
    if isinstance(node, ObjectValueNode) and isinstance(named, GraphQLInputObjectType):
        fields = []
        for item in node.fields:
            field = named.fields.get(item.name.value)
            value = item.value if field is None else _steer(draw, item.value, field.type,
                                                             item.name.value, pool)
            fields.append(ObjectFieldNode(name=item.name, value=value))
        return ObjectValueNode(fields=tuple(fields))
    if isinstance(node, ListValueNode):
        inner = _item_type(type_)
        return ListValueNode(values=tuple(_steer(draw, v, inner, name, pool)
                                          for v in node.values))
    known = _known(name, named.name)
    if name == "lineId" and pool.line_ids:
        known = (*pool.line_ids, "0", "")
    if not known or draw(st.integers(0, 3)) == 0:
        return node
    value = draw(st.sampled_from(known))
    if isinstance(node, StringValueNode) and isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(node, IntValueNode) and isinstance(value, int):
        return IntValueNode(value=str(value))
    if isinstance(node, FloatValueNode | IntValueNode) and isinstance(value, float):
        return FloatValueNode(value=repr(value))
    return node


class _Arguments(Visitor):
    """Steers every argument and, with ``variables``, moves most of them into variables."""

    def __init__(self, type_info: TypeInfo, draw: st.DrawFn, pool: Pool, variables: bool
                 ) -> None:
        super().__init__()
        self.type_info = type_info
        self.draw = draw
        self.pool = pool
        self.hoist = variables
        self.definitions: list[VariableDefinitionNode] = []
        self.values: dict[str, Any] = {}

    def enter_argument(self, node: ArgumentNode, *_: Any) -> ArgumentNode | None:
        argument = self.type_info.get_argument()
        if argument is None:  # an unknown argument, from negative mode: leave it
            return None
        value = _steer(self.draw, node.value, argument.type, node.name.value, self.pool)
        if not self.hoist or self.draw(st.integers(0, 4)) == 0:
            return ArgumentNode(name=node.name, value=value)
        name = f"v{len(self.definitions)}"
        type_ = argument.type
        if isinstance(type_, GraphQLNonNull) and self.draw(st.integers(0, 9)) == 0:
            type_ = type_.of_type  # a nullable variable in a non-null position: invalid
        self.definitions.append(VariableDefinitionNode(
            variable=VariableNode(name=NameNode(value=name)), type=parse_type(str(type_)),
            directives=()))
        self.values[name] = value_from_ast_untyped(value)
        return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))


@st.composite
def graphql_requests(draw: st.DrawFn, schema: GraphQLSchema,
                     fields: dict[str, tuple[str, ...]], pool: Pool) -> GraphQLRequest:
    """One request for ``fields`` (operation type -> root fields that may appear)."""
    kind = draw(st.sampled_from(sorted(k for k, names in fields.items() if names)))
    variant = draw(st.sampled_from(("valid", "valid", "valid", "x00", "negative")))
    document = draw(_documents(schema, kind, fields[kind], variant))
    with_variables = draw(st.booleans())
    type_info = TypeInfo(schema)
    arguments = _Arguments(type_info, draw, pool, with_variables)
    document = visit(document, TypeInfoVisitor(type_info, arguments))
    variables: dict[str, Any] | None = None
    if with_variables:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        document = DocumentNode(definitions=(OperationDefinitionNode(
            operation=operation.operation, name=operation.name, directives=(),
            variable_definitions=tuple(arguments.definitions),
            selection_set=operation.selection_set),))
        variables = {name: draw(_hostile(value)) if draw(st.booleans()) else value
                     for name, value in arguments.values.items()}
        if variables and draw(st.integers(0, 9)) == 0:
            variables.pop(draw(st.sampled_from(sorted(variables))))
        if draw(st.integers(0, 9)) == 0:
            variables["unexpected"] = draw(hostile_values)
    query = print_ast(document)
    if draw(st.booleans()):
        # GraphQL also spells a Unicode escape with braces: `\u{0}` is the same as `\u0000`.
        query = _ESCAPE.sub(lambda m: "\\u{" + (m.group(1).lstrip("0") or "0") + "}", query)
    accept = draw(st.sampled_from((None, None, None, GRAPHQL_RESPONSE)))
    return GraphQLRequest(query, variables, ascii_only=draw(st.booleans()), accept=accept)


def root_fields(schema: GraphQLSchema, keep: Callable[[str, str], bool]
                ) -> dict[str, tuple[str, ...]]:
    """``operation type -> root field names`` for which ``keep(operation type, name)``."""
    roots: Iterable[tuple[str, Any]] = (("query", schema.query_type),
                                        ("mutation", schema.mutation_type))
    return {kind: tuple(sorted(n for n in root.fields if keep(kind, n)))
            for kind, root in roots if root is not None}

