"""The transport's ceiling: a bare Starlette app that answers POST /graphql with fixed bytes
(the file named by BENCH_CEILING_BODY: the real answer of the full customer query), run on
the same uvicorn settings as `dtc-api serve`. Nothing is parsed, looked up or serialised.

Run by `python -m bench`; by hand: BENCH_CEILING_BODY=answer.json python bench/ceiling.py PORT
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["BENCH_CEILING_BODY"]).read_bytes()


async def graphql(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json")


async def healthz(request: Request) -> Response:
    return Response(b"ok", media_type="text/plain")


app = Starlette(routes=[Route("/graphql", graphql, methods=["POST"]),
                        Route("/healthz", healthz)])


def main() -> None:
    import uvicorn

    port, workers = int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sys.path.insert(0, str(Path(__file__).parent))
    # The settings of `dtc-api serve` (src/dtc_api/cli.py).
    uvicorn.run("ceiling:app", host="127.0.0.1", port=port, workers=workers, loop="uvloop",
                http="httptools", access_log=False, log_level="warning", lifespan="on",
                proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
