"""The simulator ends when the process that started it ends, even when that one is killed with SIGKILL.

``borderwatch demo`` starts the simulator as a child; a ``kill -9`` of the demo runs no clean-up, and the
orphaned simulator used to keep flying and holding its UDP ports. The parent passes its pid in
``BORDERWATCH_PARENT_PID``; here the simulator asks Linux for SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, via ctypes: no dependency) and, if the parent is already gone by then,
stops at once. Where prctl is unavailable a daemon thread polls the parent pid instead. SIGTERM is the
signal the simulator's runner already handles with a clean stop (ports closed, ready-json removed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import threading

PARENT_PID_ENV = "BORDERWATCH_PARENT_PID"
PR_SET_PDEATHSIG = 1
POLL_S = 1.0


def _prctl_death_signal(signum: int) -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _poll_parent(parent: int, signum: int) -> None:
    stop = threading.Event()
    while not stop.wait(POLL_S):
        if os.getppid() != parent:
            os.kill(os.getpid(), signum)
            return


def die_with_parent(signum: int = signal.SIGTERM) -> bool:
    """Arms the death signal when ``BORDERWATCH_PARENT_PID`` is set; returns whether it did."""
    value = os.environ.get(PARENT_PID_ENV)
    if not value or not value.isdigit():
        return False
    parent = int(value)
    armed = _prctl_death_signal(signum)
    if os.getppid() != parent:  # the parent died before the signal was armed
        os.kill(os.getpid(), signum)
        return True
    if not armed:
        threading.Thread(target=_poll_parent, args=(parent, signum), daemon=True, name="parent-watch").start()
    return True
