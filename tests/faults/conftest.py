"""Fixtures of the fault tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.faults.support import CuttableProxy


@pytest.fixture
def proxy(backend: str) -> Iterator[CuttableProxy]:
    """A cuttable proxy in front of the PostgreSQL server (an embedded database has no
    connection to cut)."""
    if backend != "postgresql":
        pytest.skip("an outage of an embedded database is a crash of the process")
    from tests.conftest import POSTGRES_URL

    url = make_url(POSTGRES_URL)
    cuttable = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    yield cuttable
    cuttable.close()
