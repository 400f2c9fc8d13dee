"""api.callers.HeapTrim: the C heap is trimmed after a stream, at most once every `every` seconds, and a
stream that ends inside that time gets one trim when it is up (never none, never one per stream)."""

from __future__ import annotations

import threading
import time

from rilo_node.api.callers import HeapTrim, _malloc_trim


def counting(every: float) -> tuple[HeapTrim, list[float]]:
    heap = HeapTrim(every=every)
    calls: list[float] = []
    done = threading.Event()

    def trim(pad: int) -> int:
        assert pad == 0
        calls.append(time.monotonic())
        done.set()
        return 1

    heap._trim = trim
    return heap, calls


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "not reached in time"
        time.sleep(0.01)


def test_the_first_stream_trims_at_once_and_a_burst_after_it_gets_one_more_trim_later():
    heap, calls = counting(every=0.3)
    heap.after_stream()
    assert len(calls) == 1
    for _ in range(50):  # a burst of streams ending inside the interval
        heap.after_stream()
    assert len(calls) == 1
    wait_for(lambda: len(calls) == 2)
    assert calls[1] - calls[0] >= 0.3 - 0.01
    time.sleep(0.35)  # nothing else was pending
    assert len(calls) == 2


def test_streams_ending_far_apart_each_trim_at_once():
    heap, calls = counting(every=0.0)
    for i in range(3):
        heap.after_stream()
        assert len(calls) == i + 1


def test_the_c_library_of_this_machine_has_malloc_trim_and_it_runs():
    trim = _malloc_trim()
    assert trim is not None  # glibc (Debian, the project's machines)
    assert trim(0) in (0, 1)
    heap = HeapTrim(every=0.0)
    heap.after_stream()
    assert heap.trims == 1
