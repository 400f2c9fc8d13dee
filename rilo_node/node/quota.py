"""Per-caller quotas: at most so many calls at once from one caller, the rest refused at once (Quota), or
waiting their turn behind that caller's own (Turns)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from rilo_node.core.errors import BusyError


def _release(counts: dict[str, int], key: str) -> None:
    """One fewer for `key`; a key at none leaves the table (the caller holds the lock)."""
    left = counts[key] - 1
    if left:
        counts[key] = left
    else:
        del counts[key]


class Quota:
    """At most `limit` concurrent calls per key (a client identity, a calling peer, an asking node).
    A call over the limit raises BusyError at once, with a retry-after: it never queues, so one caller's
    storm holds no worker thread and no other caller waits behind it."""

    def __init__(self, limit: int, what: str, retry_after_ms: int = 250):
        self.limit, self.what, self.retry_after_ms = limit, what, retry_after_ms
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._lock:
            if self._busy.get(key, 0) >= self.limit:
                raise BusyError(f"too many concurrent {self.what} from {key} (at most {self.limit}); "
                                f"try again in {self.retry_after_ms} ms", self.retry_after_ms)
            self._busy[key] = self._busy.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                _release(self._busy, key)

    def in_use(self, key: str) -> int:
        with self._lock:
            return self._busy.get(key, 0)


class Turns:
    """Per key (a client identity): at most `running` calls at once; up to `waiting` more wait for their turn,
    in the order they came, for at most their own time left; a call beyond those is refused at once
    (BusyError, with a retry-after). One client's many calls then take turns with each other, never holding
    more than `running` of the node's work at once, however many it sends."""

    def __init__(self, running: int, waiting: int, what: str, retry_after_ms: int = 250):
        self.running, self.waiting = running, waiting
        self.what, self.retry_after_ms = what, retry_after_ms
        self._cond = threading.Condition()
        self._running: dict[str, int] = {}
        self._queues: dict[str, deque] = {}

    @contextmanager
    def turn(self, key: str, timeout: float | None) -> Iterator[float]:
        """Wait for the key's turn (at most `timeout` seconds; None: no bound). Yields the seconds waited."""
        started = time.monotonic()
        me = object()
        with self._cond:
            if self._running.get(key, 0) + len(self._queues.get(key, ())) >= self.running + self.waiting:
                raise BusyError(f"too many concurrent {self.what} from {key} (at most {self.running} at once and "
                                f"{self.waiting} waiting); try again in {self.retry_after_ms} ms", self.retry_after_ms)
            queue = self._queues.setdefault(key, deque())
            queue.append(me)
            try:
                while queue[0] is not me or self._running.get(key, 0) >= self.running:
                    left = None if timeout is None else started + timeout - time.monotonic()
                    if left is not None and left <= 0:
                        raise BusyError(f"{key}'s earlier {self.what} still ran when this one's time was up (at "
                                        f"most {self.running} at once); try again in {self.retry_after_ms} ms",
                                        self.retry_after_ms)
                    self._cond.wait(left)
            finally:
                queue.remove(me)
                if not queue:
                    del self._queues[key]
                self._cond.notify_all()  # the next in the queue may go, or move up
            self._running[key] = self._running.get(key, 0) + 1
        try:
            yield time.monotonic() - started
        finally:
            with self._cond:
                _release(self._running, key)
                self._cond.notify_all()

    def in_use(self) -> dict[str, tuple[int, int]]:
        """(running, waiting) of each key with any now."""
        with self._cond:
            return {k: (self._running.get(k, 0), len(self._queues.get(k, ())))
                    for k in sorted(set(self._running) | set(self._queues))}
