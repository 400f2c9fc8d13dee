"""The node's ticker (node/jobs.py Jobs.tick): its checks run every TICK_SECONDS while one of them has
something coming, at the idle pace otherwise, and at once when woken."""

from __future__ import annotations

import queue
import threading

import pytest

from rilo_node.node import jobs as jobs_module
from rilo_node.node.jobs import Jobs


@pytest.fixture
def ticker(monkeypatch):
    """Jobs with a fast pace and an idle pace no test outlives; the runs of its one check, in a queue."""
    monkeypatch.setattr(jobs_module, "TICK_SECONDS", 0.01)
    monkeypatch.setattr(jobs_module, "TICK_IDLE_SECONDS", 3600.0)
    runs: queue.Queue = queue.Queue()
    coming = threading.Event()
    jobs = Jobs("de")
    jobs.tick(lambda: runs.put("ran"), "check", soon=coming.is_set)
    yield jobs, runs, coming
    jobs.stop()


def test_with_nothing_coming_the_checks_wait_for_a_wake_up(ticker):
    jobs, runs, _coming = ticker
    jobs.start()
    assert runs.get(timeout=30) == "ran"  # the first look, a tick after the start
    with pytest.raises(queue.Empty):
        runs.get(timeout=0.5)  # fifty fast ticks would have passed; the idle pace is an hour
    jobs.wake()
    assert runs.get(timeout=30) == "ran"


def test_while_a_check_has_something_coming_it_runs_at_the_fast_pace(ticker):
    jobs, runs, coming = ticker
    coming.set()
    jobs.start()
    for _ in range(5):  # no wake-up: the fast pace alone
        assert runs.get(timeout=30) == "ran"
    coming.clear()
    for _ in range(3):  # a run under way as it changed, then the one that saw nothing coming; then none
        try:
            runs.get(timeout=0.5)
        except queue.Empty:
            break
    else:
        pytest.fail("the checks still run at the fast pace with nothing coming")


def test_a_failing_check_is_tried_again_at_the_fast_pace(ticker):
    jobs, runs, _coming = ticker
    failures = iter([True, True, False])

    def flaky():
        runs.put("tried")
        if next(failures, False):
            raise RuntimeError("not yet")

    jobs.ticks.clear()
    jobs.tick(flaky, "flaky")
    jobs.start()
    assert [runs.get(timeout=30) for _ in range(3)] == ["tried"] * 3  # no wake-up needed after a failure


def test_stop_ends_the_ticker_at_once(ticker):
    jobs, runs, _coming = ticker
    jobs.start()
    runs.get(timeout=30)
    stopped = threading.Thread(target=jobs.stop)
    stopped.start()
    stopped.join(30)
    assert not stopped.is_alive()
    assert jobs._ticker is None
