"""Per-caller quotas: at most so many calls at once from one caller, the rest refused at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from rilo_node.core.errors import BusyError


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
                left = self._busy[key] - 1
                if left:
                    self._busy[key] = left
                else:
                    del self._busy[key]

    def in_use(self, key: str) -> int:
        with self._lock:
            return self._busy.get(key, 0)
