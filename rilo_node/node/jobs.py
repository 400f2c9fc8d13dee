"""Periodic jobs under APScheduler; each calls one core step, so tests call the step directly."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler


logger = logging.getLogger(__name__)

# The ticker's pace: every TICK_SECONDS while one of its checks has something coming (a pull to restart),
# else every TICK_IDLE_SECONDS; at once when woken (Jobs.wake: a pull ended, a received record asks for a
# validation). Each wake-up of a thread costs an idle node about 0.2 ms of CPU on these machines.
TICK_SECONDS = 1.0
TICK_IDLE_SECONDS = 5.0


class Jobs:
    """The node's scheduler. Jobs never overlap themselves (max_instances=1) and late runs coalesce."""

    def __init__(self, node_id: str = ""):
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        self.node_id = node_id
        self.ticks: dict[str, tuple[Callable[[], object], Callable[[], bool] | None]] = {}
        self._tick_stop = threading.Event()
        self._tick_wake = threading.Event()  # set by wake() and stop()
        self._ticker: threading.Thread | None = None

    def tick(self, fn: Callable[[], object], name: str, *, soon: Callable[[], bool] | None = None) -> None:
        """Run fn() on the node's ticker thread, one check after the other: for the checks that cost next to
        nothing when there is nothing to do (a pull to restart, a validation to publish, an operation past
        its end). One thread wakes for all of them, where a scheduler job each would cost a wake-up of the
        scheduler and a hand-over to its pool per check: on an idle network of 40 nodes that was most of the
        CPU the jobs used. The ticker looks again after TICK_SECONDS if any check's `soon()` says it has
        something coming, else after TICK_IDLE_SECONDS; whatever makes work for a check at once calls
        `wake()`."""
        self.ticks[name] = (fn, soon)

    def wake(self) -> None:
        """Run the ticker's checks now (from any thread)."""
        self._tick_wake.set()

    def every(self, seconds: float, fn, name: str, *, jitter: float = 0.0, **kwargs) -> None:
        """Run fn(**kwargs) every `seconds`; with `jitter`, each run up to that many seconds later, and
        the first one a random part of the interval from now, so that the nodes of a network started
        together do not all run a heavy job in the same second."""
        start = None
        if jitter:
            start = datetime.now(timezone.utc) + timedelta(seconds=random.uniform(0, seconds))
        self.scheduler.add_job(fn, "interval", seconds=seconds, id=name, name=name, kwargs=kwargs,
                               jitter=int(jitter) or None, start_date=start)

    def start(self) -> None:
        self.scheduler.start()
        if self.ticks and self._ticker is None:
            self._tick_stop.clear()
            self._ticker = threading.Thread(target=self._tick_loop, name=f"ticker:{self.node_id}", daemon=True)
            self._ticker.start()

    def _tick_loop(self) -> None:
        wait = TICK_SECONDS
        while True:
            self._tick_wake.wait(wait)
            if self._tick_stop.is_set():
                return
            self._tick_wake.clear()  # before the checks: a wake-up during them runs them again
            soon = False
            for name, (fn, coming) in list(self.ticks.items()):
                if self._tick_stop.is_set():
                    return
                try:
                    fn()
                    soon = soon or (coming is not None and coming())
                except Exception:  # noqa: BLE001 - logged; the next tick tries again, in a second
                    logger.exception("[node=%s] %s failed", self.node_id, name)
                    soon = True
            wait = TICK_SECONDS if soon else TICK_IDLE_SECONDS

    def stop(self) -> None:
        self._tick_stop.set()
        self._tick_wake.set()
        if self._ticker is not None:
            self._ticker.join(timeout=30)
            self._ticker = None
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
