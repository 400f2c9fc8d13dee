"""Background threads (store/priority.py): the writer, replication's receivers and exports run at a
higher nice value than the threads that answer calls; the rest of the process keeps its own."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from rilo_node.store import priority
from rilo_node.store.db import Store

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")


def nice_of(tid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, tid)


def in_thread(fn):
    out = []
    t = threading.Thread(target=lambda: out.append((fn(), threading.get_native_id(), nice_of(threading.get_native_id()))))
    t.start()
    t.join()
    return out[0]


def test_a_lowered_thread_runs_at_the_background_nice_and_the_process_keeps_its_own():
    before = nice_of(0)
    got, _tid, nice = in_thread(priority.lower_this_thread)
    assert got == nice == max(before, priority.BACKGROUND_NICE)
    assert nice_of(0) == before and nice_of(threading.get_native_id()) == before


def test_zero_leaves_threads_alone_and_junk_falls_back_to_the_default(monkeypatch):
    monkeypatch.setenv("RILO_BACKGROUND_NICE", "0")
    before = nice_of(0)
    assert in_thread(priority.lower_this_thread)[0] == -1
    assert in_thread(lambda: None)[2] == before
    monkeypatch.setenv("RILO_BACKGROUND_NICE", "not a number")
    assert priority.background_nice() == priority.BACKGROUND_NICE
    monkeypatch.setenv("RILO_BACKGROUND_NICE", "99")
    assert priority.background_nice() == 19


def test_the_store_writer_runs_at_the_background_nice(tmp_path):
    store = Store(tmp_path / "node.db")
    try:
        tid = store.write(lambda conn: threading.get_native_id())
        assert tid != threading.get_native_id()
        assert nice_of(tid) == max(nice_of(0), priority.BACKGROUND_NICE)
    finally:
        store.close()


def test_what_peers_call_to_replicate_runs_on_the_lowered_exports_pool_and_queries_do_not():
    from rilo_node.api.callers import CallPools

    pools = CallPools(peer_workers=2, node_id="t")
    try:
        for method in ("Pull", "Deliver", "Digest", "Fetch"):
            assert pools.pool_of(f"/rilo.v1.PeerService/{method}") is pools.exports
        assert pools.pool_of("/rilo.v1.PeerService/Query") is pools.peers
        assert pools.pool_of("/rilo.v1.SearchService/Search") is None  # the server's own workers
        background = max(nice_of(0), priority.BACKGROUND_NICE)
        assert pools.exports.submit(lambda: nice_of(threading.get_native_id())).result() == background
        assert pools.peers.submit(lambda: nice_of(threading.get_native_id())).result() == nice_of(0)
    finally:
        for pool in pools.executors:
            pool.shutdown()
