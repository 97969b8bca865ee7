"""One endpoint under fuzzing: sends a generated request and checks what no answer may be."""

from __future__ import annotations

import faulthandler
import logging
import traceback
from typing import Any, TextIO

import httpx
import orjson

from tests.fuzz.operations import GraphQLRequest, Pool

# Seconds: the slowest answers (1 MB bodies on a busy machine) take about one.
ANSWER_WITHIN = 60
FAULT_WORDS = ("Traceback", "Internal server error")


class ServerLog(logging.Handler):
    """Errors the app logs (with their exceptions) while one request runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def exception(self) -> BaseException | None:
        """The first exception logged."""
        return next((r.exc_info[1] for r in self.records if r.exc_info and r.exc_info[1]),
                    None)

    def lines(self) -> list[str]:
        shown = []
        for record in self.records:
            line = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                error = record.exc_info[1]
                frames = traceback.extract_tb(record.exc_info[2])
                # Where it failed, and the last line of the app on the way there.
                at = [frames[-1], *[f for f in frames if "/dtc_api/" in f.filename][-1:]]
                line += (f": {type(error).__module__}.{type(error).__qualname__}: {error}"[:600]
                         + " (at " + ", from ".join(f"{f.filename}:{f.lineno}" for f in at)
                         + ")")
            shown.append(line)
        return shown


class Endpoint:
    """Sends generated requests to one endpoint and checks what no answer may be."""

    def __init__(self, http: httpx.AsyncClient, path: str, log: ServerLog, watchdog: TextIO
                 ) -> None:
        self.http = http
        self.path = path
        self.log = log
        self.watchdog = watchdog
        self.pool = Pool([])

    async def send(self, request: GraphQLRequest, headers: dict[str, str], caller: str) -> Any:
        """The parsed answer; fails on a server error, an answer that is not JSON, or one that
        shows a traceback or hides a fault behind "Internal server error"."""
        self.log.records.clear()
        sent = {"content-type": "application/json", **headers}
        if request.accept:
            sent["accept"] = request.accept
        # The app runs on this thread: a computation that never ends holds it, and no timeout
        # can cancel it. Rather than hang CI, the watchdog then ends the run and shows where
        # every thread is.
        faulthandler.dump_traceback_later(ANSWER_WITHIN, exit=True, file=self.watchdog)
        try:
            response = await self.http.post(self.path, content=request.body(), headers=sent)
        finally:
            faulthandler.cancel_dump_traceback_later()
        problems = []
        if response.status_code >= 500:
            problems.append(f"status {response.status_code}")
        try:
            answer = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            answer = None
            problems.append("the answer is not JSON")
        problems += _faults_shown(response.text, answer, request)
        if problems:
            # Raised from the app's own exception: Hypothesis then tells failures with different
            # causes apart, and reports (and shrinks) each of them.
            raise AssertionError(
                f"{', '.join(problems)}\nPOST {self.path} as {caller}\n"
                f"request: {request.shown()}\nanswer: {response.text[:2000]}\n"
                f"server log: {self.log.lines()}") from self.log.exception()
        self.pool.harvest(answer)
        return answer


def _faults_shown(text: str, answer: Any, request: GraphQLRequest) -> list[str]:
    """A traceback or a masked fault in the answer. Error messages may quote the request
    (``String cannot represent a non string value: …``): where the request holds the words
    itself, only an error message that starts with them counts."""
    sent = request.body().decode("utf-8", "replace")
    errors = answer.get("errors") if isinstance(answer, dict) else None
    messages = [str(e.get("message")) for e in errors or () if isinstance(e, dict)]
    return [f"the answer contains {words!r}" for words in FAULT_WORDS if words in text and (
        words not in sent or any(m.startswith(words) for m in messages))]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
