"""Per-caller quotas: so many calls at once per caller, the next refused at once with a retry-after; or taking
turns, the next ones waiting in order within their own time."""

from __future__ import annotations

import threading
import time

import pytest

from rilo_node.core.errors import BusyError
from rilo_node.node.quota import Quota, Turns


def test_a_caller_gets_its_limit_and_the_next_call_is_refused_at_once_with_a_retry_after():
    quota = Quota(2, "searches", retry_after_ms=300)
    with quota.hold("client:de:a"), quota.hold("client:de:a"):
        with pytest.raises(BusyError) as caught:
            with quota.hold("client:de:a"):
                pass
        assert caught.value.retry_after_ms == 300 and "at most 2" in str(caught.value)
        with quota.hold("client:de:b"):  # another caller is not affected
            assert quota.in_use("client:de:b") == 1
    assert quota.in_use("client:de:a") == 0


def test_a_call_that_fails_gives_its_place_back():
    quota = Quota(1, "searches")
    with pytest.raises(RuntimeError):
        with quota.hold("x"):
            raise RuntimeError("boom")
    with quota.hold("x"):
        assert quota.in_use("x") == 1


# -- Turns: one client's calls wait for each other ---------------------------------------------------------------


def _wait_until(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_a_clients_calls_take_turns_in_the_order_they_came_and_the_one_beyond_the_queue_is_refused():
    turns = Turns(1, 2, "searches", retry_after_ms=300)
    order, go = [], threading.Event()

    def call(name: str) -> None:
        with turns.turn("a", None):
            order.append(name)
            go.wait(30)

    first = threading.Thread(target=call, args=("first",))
    first.start()
    _wait_until(lambda: turns.in_use() == {"a": (1, 0)}, "the first call runs")
    second = threading.Thread(target=call, args=("second",))
    second.start()
    _wait_until(lambda: turns.in_use() == {"a": (1, 1)}, "the second call waits")
    third = threading.Thread(target=call, args=("third",))
    third.start()
    _wait_until(lambda: turns.in_use() == {"a": (1, 2)}, "the third call waits behind it")
    with pytest.raises(BusyError) as caught:  # beyond the queue: refused at once, nothing waits
        with turns.turn("a", None):
            pass
    assert caught.value.retry_after_ms == 300 and "at most 1 at once and 2 waiting" in str(caught.value)
    with turns.turn("b", 0.0) as waited:  # another client is not behind them
        assert waited < 1.0 and turns.in_use()["b"] == (1, 0)
    go.set()
    for t in (first, second, third):
        t.join(30)
    assert order == ["first", "second", "third"] and turns.in_use() == {}


def test_a_call_whose_time_is_up_while_it_waits_is_refused_and_the_one_behind_moves_up():
    turns = Turns(1, 2, "searches")
    release, late_done, ran = threading.Event(), threading.Event(), []
    refused = []

    def running() -> None:
        with turns.turn("a", None):
            release.wait(30)

    def late() -> None:
        try:
            with turns.turn("a", 0.05):
                ran.append("late")
        except BusyError as exc:
            refused.append(exc)
        late_done.set()

    def patient() -> None:
        with turns.turn("a", None):
            ran.append("patient")

    t1 = threading.Thread(target=running)
    t1.start()
    _wait_until(lambda: turns.in_use() == {"a": (1, 0)}, "the first call runs")
    t2 = threading.Thread(target=late)
    t2.start()
    _wait_until(lambda: turns.in_use() == {"a": (1, 1)}, "the late call waits")
    t3 = threading.Thread(target=patient)
    t3.start()
    assert late_done.wait(30)  # its 50 ms are up while the first still runs
    assert len(refused) == 1 and "time was up" in str(refused[0])
    _wait_until(lambda: turns.in_use() == {"a": (1, 1)}, "the patient call waits, first in the queue now")
    release.set()
    for t in (t1, t3):
        t.join(30)
    assert ran == ["patient"] and turns.in_use() == {}


def test_a_turn_that_fails_lets_the_next_one_go():
    turns = Turns(1, 0, "searches")
    with pytest.raises(RuntimeError):
        with turns.turn("x", None):
            raise RuntimeError("boom")
    with turns.turn("x", 0.0):
        assert turns.in_use() == {"x": (1, 0)}


def test_a_call_refused_beyond_the_queue_leaves_nothing_behind():
    turns = Turns(1, 0, "searches")
    with turns.turn("x", None):
        with pytest.raises(BusyError):
            with turns.turn("x", None):
                pass
        assert turns.in_use() == {"x": (1, 0)}
    assert turns.in_use() == {}
