"""Durations in the customer's language, as the e-mails write them."""

from __future__ import annotations

import pytest

from dtc_api.mail.render import duration


@pytest.mark.parametrize(("seconds", "language", "expected"), [
    (3600, "en", "1 hour"),
    (7200, "en", "2 hours"),
    (86400, "en", "24 hours"),
    (60, "en", "1 minute"),
    (900, "en", "15 minutes"),
    (5400, "en", "90 minutes"),
    # Under a minute still says one minute.
    (59, "en", "1 minute"),
    (119, "en", "1 minute"),
    (3600, "sv", "1 timme"),
    (10800, "sv", "3 timmar"),
    (60, "sv", "1 minut"),
    (1800, "sv", "30 minuter"),
    (3600, "de", "1 Stunde"),
    (7200, "de", "2 Stunden"),
    (60, "de", "1 Minute"),
    (120, "de", "2 Minuten"),
    # A language without words of its own falls back to English.
    (7200, "fr", "2 hours"),
    (60, "xx", "1 minute"),
])
def test_duration(seconds: int, language: str, expected: str) -> None:
    assert duration(seconds, language) == expected
