"""Periodic jobs under APScheduler; each calls one core step, so tests call the step directly."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler


logger = logging.getLogger(__name__)


class Jobs:
    """The node's scheduler. Jobs never overlap themselves (max_instances=1) and late runs coalesce."""

    def __init__(self):
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )

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

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
