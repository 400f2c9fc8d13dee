"""Periodic jobs under APScheduler; each calls one core step, so tests call the step directly."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler


logger = logging.getLogger(__name__)

TICK_SECONDS = 1.0


class Jobs:
    """The node's scheduler. Jobs never overlap themselves (max_instances=1) and late runs coalesce."""

    def __init__(self, node_id: str = ""):
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        self.node_id = node_id
        self.ticks: dict[str, Callable[[], object]] = {}
        self._tick_stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def tick(self, fn: Callable[[], object], name: str) -> None:
        """Run fn() every TICK_SECONDS on the node's ticker thread, one after the other: for the checks that
        cost next to nothing when there is nothing to do (a pull to restart, a validation to publish, an
        operation past its end). One thread wakes for all of them, where a scheduler job each would cost a
        wake-up of the scheduler and a hand-over to its pool per check per second: on an idle network of 40
        nodes that was most of the CPU the jobs used."""
        self.ticks[name] = fn

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
        while not self._tick_stop.wait(TICK_SECONDS):
            for name, fn in list(self.ticks.items()):
                if self._tick_stop.is_set():
                    return
                try:
                    fn()
                except Exception:  # noqa: BLE001 - logged; the next tick tries again
                    logger.exception("[node=%s] %s failed", self.node_id, name)

    def stop(self) -> None:
        self._tick_stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=30)
            self._ticker = None
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
