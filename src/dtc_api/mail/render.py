"""Templates per language (plain text and HTML), with the customer's language falling back
to English. Every value put into HTML is escaped."""

from __future__ import annotations

import html
from dataclasses import dataclass
from functools import cache
from importlib import resources
from string import Template

FALLBACK = "en"

_DURATION = {
    "en": (("hour", "hours"), ("minute", "minutes")),
    "sv": (("timme", "timmar"), ("minut", "minuter")),
    "de": (("Stunde", "Stunden"), ("Minute", "Minuten")),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@cache
def _template(language: str, name: str, part: str) -> Template | None:
    path = resources.files(__package__).joinpath("templates", language, f"{name}.{part}")
    return Template(path.read_text("utf-8")) if path.is_file() else None


def duration(seconds: int, language: str) -> str:
    (hour, hours), (minute, minutes) = _DURATION.get(language, _DURATION[FALLBACK])
    if seconds % 3600 == 0:
        count = seconds // 3600
        return f"{count} {hour if count == 1 else hours}"
    count = max(1, seconds // 60)
    return f"{count} {minute if count == 1 else minutes}"


def render(name: str, language: str | None, values: dict[str, str]) -> Rendered:
    """The message ``name`` in ``language`` (or English when there is no translation)."""
    chosen = language if language and _template(language, name, "subject") else FALLBACK
    escaped = {key: html.escape(value, quote=True) for key, value in values.items()}

    def part(kind: str, mapping: dict[str, str]) -> str:
        template = _template(chosen, name, kind)
        if template is None:
            raise LookupError(f"no template {chosen}/{name}.{kind}")
        return template.substitute(mapping)

    return Rendered(part("subject", values).strip(), part("txt", values), part("html", escaped))
