"""A ceiling on the fields one request may resolve, and turns of the loop in long executions.

Execution runs on the event loop, and most fields resolve without awaiting anything, so a
request that resolves many fields would hold the loop for all of them: 7-20 µs a field
(resolution and serialisation, depending on the machine), so 10,000 fields take 70-200 ms.
Counting is per object (each selection set executed), which costs nothing measurable; once
the ceiling is passed the remaining work is abandoned.

Past ``UNSLICED_FIELDS``, execution is cut into slices of ``SLICE_SECONDS``. Once a slice
is used up, every further field is deferred: graphql-core awaits it as it would a field
whose resolver is asynchronous, so the answer, its order and its errors are the same. The
deferred fields resume one slice per turn of the loop, so other requests and timers run in
between. Smaller answers (nearly all) are resolved exactly as before.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from graphql import ExecutionResult
from graphql.execution import Executor

# Answers up to this many fields (the documents' full CustomerFragment has 857) are resolved
# in one go: deferring costs more than it saves there.
UNSLICED_FIELDS = 1_000
# Work done in one turn of the loop after that. Checked once an object, so a slice may run
# over by the time of one object's fields.
SLICE_SECONDS = 0.02
# Introspection answers (a code generator's query describes the whole schema: ~15,000 fields
# here) have a ceiling of their own, this many times the one of data fields.
INTROSPECTION_SHARE = 5


class FieldBudgetExceeded(Exception):
    """Raised inside execution when a request would resolve more fields than allowed."""


def budgeted(max_fields: int) -> type[Executor]:
    """An executor class that stops after ``max_fields`` resolved fields, and works at most
    about ``SLICE_SECONDS`` in one turn of the loop."""

    class Budgeted(Executor):
        fields_left = max_fields
        schema_fields_left = max_fields * INTROSPECTION_SHARE
        resolved = 0
        slice_ends = 0.0  # perf_counter() time; 0: execution has not started
        slice_over = False
        _next_slice: asyncio.Future[None] | None = None

        def execute_fields(self, parent_type: Any, source_value: Any, path: Any,
                           grouped_field_set: Any, position_context: Any) -> Any:
            count = len(grouped_field_set)
            self.resolved += count
            if parent_type.name.startswith("__"):  # the schema's own description
                self.schema_fields_left -= count
            else:
                self.fields_left -= count
            if self.fields_left < 0 or self.schema_fields_left < 0:
                raise FieldBudgetExceeded
            if self.resolved > UNSLICED_FIELDS:
                now = time.perf_counter()
                if not self.slice_ends:
                    self.slice_ends = now + SLICE_SECONDS
                elif now > self.slice_ends:
                    self.slice_over = True
            return super().execute_fields(parent_type, source_value, path,
                                          grouped_field_set, position_context)

        def execute_field(self, *arguments: Any) -> Any:
            if self.slice_over:
                return self._in_a_later_slice(arguments)
            return super().execute_field(*arguments)

        async def _in_a_later_slice(self, arguments: tuple[Any, ...]) -> Any:
            while self.slice_over:
                await self._slice()
            result = super().execute_field(*arguments)
            return await result if self.is_awaitable(result) else result

        def _slice(self) -> asyncio.Future[None]:
            """Done when the next slice opens, on the loop's next turn."""
            if self._next_slice is None or self._next_slice.done():
                loop = asyncio.get_running_loop()
                self._next_slice = loop.create_future()
                loop.call_soon(self._open_slice, self._next_slice)
            return self._next_slice

        def _open_slice(self, opened: asyncio.Future[None]) -> None:
            self.slice_over = False
            self.slice_ends = time.perf_counter() + SLICE_SECONDS
            if not opened.done():
                opened.set_result(None)

    return Budgeted


def exceeded(result: ExecutionResult) -> bool:
    return any(isinstance(error.original_error, FieldBudgetExceeded)
               for error in result.errors or ())
