"""The CPU priority of a node's background threads.

Replication (receiving, verifying and storing copies; serving pulls to peers) and the store's writer run
at a lower priority (a higher nice value) than the threads that answer calls. Where a machine's cores are
all busy (a burst of records coming in, the simulated network of dozens of nodes on one machine), the
kernel then gives a search or a health check the CPU first, and the background work takes what is left;
on an idle machine nothing changes. Raising a thread's nice value needs no privilege; lowering it again
would, so a thread is lowered once, for good, when it starts (Linux: a thread's nice value is its own).

RILO_BACKGROUND_NICE sets the value (0 leaves every thread at the process's priority).
"""

from __future__ import annotations

import logging
import os
import threading

logger = logging.getLogger(__name__)

BACKGROUND_NICE = 10


def background_nice() -> int:
    try:
        return max(0, min(19, int(os.environ.get("RILO_BACKGROUND_NICE", BACKGROUND_NICE))))
    except ValueError:
        return BACKGROUND_NICE


def lower_this_thread() -> int:
    """Give the calling thread the background priority (a thread initializer). Returns its nice value
    after, or -1 where threads have no priority of their own to set."""
    nice = background_nice()
    if not nice or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return -1
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return os.getpriority(os.PRIO_PROCESS, tid)
    except OSError as exc:  # a platform where PRIO_PROCESS names the whole process, or a sandbox refusing it
        logger.debug("background priority not set: %s", exc)
        return -1
