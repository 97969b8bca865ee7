"""The progress displays of long commands: how often they draw, and what their lines say."""

from __future__ import annotations

import io

from dtc_api.terminal import LogProgress, TerminalProgress, progress_on


class Timer:
    """Seconds that pass only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_line_is_rewritten_at_most_ten_times_a_second() -> None:
    out, timer = io.StringIO(), Timer()
    progress = TerminalProgress(out, timer=timer)
    progress.start("displayItems", 40_000)
    for done in range(1_000, 12_001, 1_000):  # twelve reports within 0.06 s: none drawn
        timer.now += 0.005
        progress.update(done)
    timer.now += 0.1
    progress.update(12_000)
    assert out.getvalue().split("\r")[1:] == [
        "displayItems            0 / 40,000",
        "displayItems       12,000 / 40,000",
    ]
    timer.now += 2.5
    progress.finish()  # 2.66 s after the start
    assert out.getvalue().endswith("\rdisplayItems       40,000 / 40,000  2.7 s\n")


def test_a_shorter_terminal_line_blanks_out_the_longer_one_before_it() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out, timer=Timer())
    progress.start("subscriptionPlans", 2)
    progress.finish()
    progress.start("stock", 1)
    assert out.getvalue().split("\n")[-1] == "\rstock                   0 / 1"


def test_closing_a_terminal_display_ends_an_unfinished_line_only() -> None:
    out = io.StringIO()
    progress = TerminalProgress(out, timer=Timer())
    progress.close()
    assert out.getvalue() == ""
    progress.start("orders", 10)
    progress.close()
    progress.close()
    assert out.getvalue() == "\rorders                  0 / 10\n"


def test_plain_lines_tell_a_step_s_start_its_count_every_five_seconds_and_its_end() -> None:
    out, timer = io.StringIO(), Timer()
    progress = LogProgress(out, timer=timer)
    progress.start("stock", 12_000)
    for done in range(0, 12_000, 50):
        timer.now += 0.125  # 240 reports over 30 s
        progress.update(done)
    progress.finish()
    assert out.getvalue().splitlines() == [
        "stock: 12,000 records ...",
        *(f"stock: {done:,} / 12,000" for done in (1_950, 3_950, 5_950, 7_950, 9_950, 11_950)),
        "stock: 12,000 records in 30.0 s",
    ]


def test_the_display_follows_the_stream() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert isinstance(progress_on(Terminal()), TerminalProgress)
    assert isinstance(progress_on(io.StringIO()), LogProgress)
