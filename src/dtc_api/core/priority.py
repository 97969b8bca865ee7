"""Background threads that yield the CPU to the event loop (Linux scheduling policies)."""

from __future__ import annotations

import os
import sys
import threading

# A background thread's niceness when it must run although the CPU is busy: it gets about a
# tenth of what a thread at nice 0 (the event loop) gets.
BACKGROUND_NICENESS = 10


def to_idle() -> None:
    """The calling thread runs only when nothing else would (Linux's SCHED_IDLE; falls back
    to nice 10): the event loop takes the core back the moment it has work."""
    if sys.platform != "linux":
        return
    try:
        os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
    except OSError:
        raise_to_niceness(threading.get_native_id())


def raise_to_niceness(thread: int) -> None:
    """``thread`` (a native id) back to the normal policy, at BACKGROUND_NICENESS."""
    try:
        os.sched_setscheduler(thread, os.SCHED_OTHER, os.sched_param(0))
        os.setpriority(os.PRIO_PROCESS, thread, BACKGROUND_NICENESS)
    except OSError:  # the thread has ended, or the system refuses: it keeps what it had
        pass
