"""Periodic jobs under APScheduler; each calls one core step, so tests call the step directly."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from rilo_node import store as st

logger = logging.getLogger(__name__)


def index_text(store: st.Store) -> int:
    """Bring the full-text index up to date with the seizures stored since the last run."""
    if not store.fts_pending:
        return 0
    indexed = store.write(st.catch_up_fts_txn)
    store.fts_pending = False  # a commit racing with this one is indexed by the next text search
    return indexed


class Jobs:
    """The node's scheduler. Jobs never overlap themselves (max_instances=1) and late runs coalesce."""

    def __init__(self):
        self.scheduler = BackgroundScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )

    def every(self, seconds: float, fn, name: str, **kwargs) -> None:
        self.scheduler.add_job(fn, "interval", seconds=seconds, id=name, name=name, kwargs=kwargs)

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
