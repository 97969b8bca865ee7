"""The operations reference, ``docs/operations.md``, written from the SDL of both APIs
(``dtc-api docs``): every root field with its description, modes, arguments, return type and
the errors it can answer.

The errors come from each field's description, whose last paragraph lists them in one form::

    Errors:
    - `NOT_FOUND` at `lineId`: no line of the selection has this id.
    - `RATE_LIMITED`: too many attempts (no path: the operation as a whole).

or says ``Errors: none`` (with a note, if any, in parentheses). A path follows the
arguments below the operation's name; ``[]`` stands for any element of a list and ``*`` for
any field below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLSchema, get_named_type, print_ast

from dtc_api.storefront import scope

GENERATED_BY = "dtc-api docs"
PATH = "docs/operations.md"


@dataclass(frozen=True)
class ErrorDoc:
    code: str
    paths: tuple[str, ...]  # () : the operation as a whole
    when: str


@dataclass(frozen=True)
class Described:
    text: str  # the description without its Errors paragraph
    errors: tuple[ErrorDoc, ...] | None  # None: the description lists none
    note: str = ""  # of "Errors: none (note)."


_ITEM = re.compile(r"`([A-Z][A-Z_]*)`(?: at ((?:`[^`]+`)(?:, `[^`]+`)*))?: (.+)", re.DOTALL)
_NONE = re.compile(r"none(?: \((.+)\))?\.?", re.DOTALL)


def described(description: str | None) -> Described:
    """A description split into its text and its Errors paragraph; ValueError when that
    paragraph is not in the form above."""
    paragraphs = (description or "").strip().split("\n\n")
    last = paragraphs[-1]
    if not last.startswith("Errors:"):
        if any(p.startswith("Errors:") for p in paragraphs):
            raise ValueError("the Errors paragraph must come last")
        return Described("\n\n".join(paragraphs).strip(), None)
    text = "\n\n".join(paragraphs[:-1]).strip()
    first, _, rest = last.partition("\n")
    said = first.removeprefix("Errors:").strip()
    if said:
        none = _NONE.fullmatch(" ".join([said, *rest.split()]).strip())
        if none is None:
            raise ValueError(f"after 'Errors:' a list, or 'none': {said!r}")
        return Described(text, (), none.group(1) or "")
    return Described(text, tuple(_item(item) for item in _items(rest)))


def _items(lines: str) -> list[str]:
    items: list[str] = []
    for line in lines.split("\n"):
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        else:
            raise ValueError(f"an error is '- `CODE` at `path`: when', not {line!r}")
    if not items:
        raise ValueError("'Errors:' lists no error (write 'Errors: none.')")
    return items


def _item(item: str) -> ErrorDoc:
    found = _ITEM.fullmatch(item)
    if found is None:
        raise ValueError(f"an error is '- `CODE` at `path`: when', not {item!r}")
    code, paths, when = found.groups()
    return ErrorDoc(code, tuple(re.findall(r"`([^`]+)`", paths or "")), when)


# -- the Markdown ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Api:
    title: str
    key: str  # in anchors
    endpoint: str
    schema: GraphQLSchema
    preamble: str
    access: Any  # (operation type, field name) -> Markdown


def storefront_api() -> Api:
    from dtc_api.storefront import build_schema

    schema = build_schema()
    scopes = scope.root_scopes(schema)

    def access(operation: str, name: str) -> str:
        return "; ".join(f"`{mode}` ({scope.describe(mode)})"
                         for mode in sorted(scopes[(operation, name)]))

    return Api("Storefront API", "storefront", "POST /graphql", schema, STOREFRONT, access)


def backoffice_api() -> Api:
    from dtc_api.backoffice.resolvers import build_schema

    def access(operation: str, name: str) -> str:
        return ("an integration key with the `write` scope" if operation == "mutation"
                else "an integration key (`read` or `write` scope)")

    return Api("Back-office API", "back-office", "POST /integration/graphql", build_schema(),
               BACKOFFICE, access)


def render(apis: list[Api] | None = None) -> str:
    """The whole reference, as Markdown."""
    apis = apis if apis is not None else [storefront_api(), backoffice_api()]
    out = [HEADER]
    for api in apis:
        out.append(f"- [{api.title}](#{_slug(api.title)}): " + ", ".join(
            f"{len(fields)} {kind}" for kind, fields in _roots(api)))
    for api in apis:
        out += ["", f"## {api.title}", "", f"`{api.endpoint}`. {api.preamble}"]
        for kind, fields in _roots(api):
            out += ["", f"### {kind.capitalize()}", "", ", ".join(
                f"[`{name}`](#{_slug(_heading(api, kind, name))})" for name in fields)]
            for name, field in fields.items():
                out += _operation(api, kind, name, field)
    return "\n".join(out).rstrip() + "\n"


def _roots(api: Api) -> list[tuple[str, dict[str, GraphQLField]]]:
    roots: list[tuple[str, GraphQLObjectType | None]] = [
        ("queries", api.schema.query_type), ("mutations", api.schema.mutation_type)]
    return [(kind, dict(sorted(root.fields.items()))) for kind, root in roots if root]


def _heading(api: Api, kind: str, name: str) -> str:
    return f"`{name}` ({api.key} {_ONE[kind]})"


_ONE = {"queries": "query", "mutations": "mutation"}


def _operation(api: Api, kind: str, name: str, field: GraphQLField) -> list[str]:
    operation = _ONE[kind]
    doc = described(field.description)
    out = ["", f"#### {_heading(api, kind, name)}", ""]
    if doc.text:
        out += [doc.text, ""]
    out += ["| | |", "|---|---|", f"| Access | {api.access(operation, name)} |",
            f"| Returns | `{field.type}` |"]
    if field.args:
        out += ["", "| argument | type | default | description |", "|---|---|---|---|"]
        for arg_name, arg in field.args.items():
            node = arg.ast_node
            default = print_ast(node.default_value) if node and node.default_value else ""
            out.append(f"| `{arg_name}` | `{arg.type}` | {_code(default)} | "
                       f"{_cell(arg.description)} |")
    out += ["", *_errors(name, field, doc)]
    return out


def _errors(name: str, field: GraphQLField, doc: Described) -> list[str]:
    payload = get_named_type(field.type)
    as_data = isinstance(payload, GraphQLObjectType) and "userErrors" in payload.fields
    if not doc.errors:
        note = f" ({doc.note})" if doc.note else ""
        always = "; `userErrors` is always empty" if as_data else ""
        return [f"Errors: only those every operation may answer{note}{always}."]
    out = ([f"Errors, in `userErrors` (`path` starts with `{name}`):", "",
            "| code | path | when |"] if as_data else
           ["Errors, as GraphQL errors (`extensions.code`; the message names the argument):",
            "", "| code | argument | when |"])
    out.append("|---|---|---|")
    for error in doc.errors:
        paths = ", ".join(f"`{p}`" for p in error.paths) or "—"
        out.append(f"| `{error.code}` | {paths} | {_cell(error.when)} |")
    return out


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


HEADER = """# Operations reference

<!-- Written by `dtc-api docs` from the SDL (src/dtc_api/storefront/schema/*.graphql,
src/dtc_api/backoffice/schema/*.graphql). Change the descriptions there and run
`dtc-api docs`; a test fails while this file differs. -->

Every query and mutation of both APIs: what it does, who may call it, its arguments, what it
returns, and the errors it answers. A field's description, arguments and errors are the
SDL's own (introspection shows the same text).

**Errors.** Expected failures of a mutation are data: `userErrors { message path code }`.
`path` starts with the operation's name and follows the argument: an error of `updateLine`
"at `lineId`" below has the path `["updateLine", "lineId"]`; `[]` stands for any element of
a list (its index in the answer) and `*` for any field below. An error listed without a path
has the operation's name alone. Branch on `code` (the constants of
`src/dtc_api/core/errors.py`), never on the message. A refused selection mutation still
answers the latest selection.
"""

# GraphQL errors any storefront operation may answer, besides its own: (answer, when).
EVERYWHERE = [
    ('`{"errors":[{"message":"Unauthorized"}]}`',
     "the token is missing, unknown or expired: start a new session with the API client's "
     "session token"),
    ("`FORBIDDEN`", "the request is not in one of the operation's modes (also a `LOGGED_IN` "
                    "operation after a `logout` earlier in the same document)"),
    ("a message, no code", "the document is not valid, or is over a limit: depth, tokens, "
                           "aliases, a field repeated, a date `format` (see the README's "
                           "\"Limits on one request\")"),
    ("`TOO_MANY_LIST_ITEMS`", "the list arguments hold more than `DTC_MAX_LIST_ITEMS` "
                              "elements in all"),
    ("`RESPONSE_TOO_LARGE`", "the answer would have more than `DTC_MAX_RESULT_FIELDS` "
                             "fields or `DTC_MAX_RESPONSE_BYTES` bytes"),
    ("`PERSISTED_QUERY_NOT_FOUND`", "a persisted query's hash this process has not seen: "
                                    "send the query with it"),
    ("`SERVICE_UNAVAILABLE`", "the database cannot be reached (HTTP 503, `Retry-After: 5`)"),
    ("`Internal server error`", "a fault; the log line with the answer's `traceId` has the "
                                "details"),
]

STOREFRONT = "\n".join([
    "Each operation runs in the modes its `@scope(modes: […])` lists; a request in another "
    "mode gets a GraphQL error with `extensions.code: \"FORBIDDEN\"` that names the mode, "
    "and no data.",
    "",
    "Besides its own errors, any operation may answer these GraphQL errors (no data):",
    "",
    "| answer | when |",
    "|---|---|",
    *(f"| {answer} | {when} |" for answer, when in EVERYWHERE),
])

BACKOFFICE = (
    "Authenticate with an integration key (`Authorization: Bearer <key>`); a wrong or "
    "revoked key answers `Unauthorized`, and a mutation with a `read` key a GraphQL error "
    "`FORBIDDEN`. The other errors every operation may answer are the storefront's (without "
    "the modes; list arguments may hold 100,000 elements). A mutation's input is written all "
    "or nothing: with any userError, nothing was changed.")
