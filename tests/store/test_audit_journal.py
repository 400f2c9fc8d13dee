"""Audit lines made durable before a reply without the store's writer (store/audit_journal.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

from rilo_node.store import audit_journal
from rilo_node.store import db as st


def entry(i: int) -> dict:
    return {"at": f"2026-12-07T10:00:{i % 60:02d}Z", "actor": "client:de:analyst", "action": "search",
            "query_id": f"q{i}", "detail": {"filter": {"text": "cocaine"}}, "keys": [["de", f"r{i}", 1, "record"]]}


def searches(store: st.Store) -> list[str]:
    return [e["query_id"] for e in store.audit_entries(0, 100_000) if e["action"] == "search"]


def test_a_line_is_durable_while_the_writer_is_busy_and_goes_into_the_audit(tmp_path):
    store = st.Store(tmp_path / "node.db")
    try:
        entered, release = threading.Event(), threading.Event()
        store.submit(lambda conn: (entered.set(), release.wait(30)), background=True)
        assert entered.wait(30)
        store.audit_durably(**entry(1))  # returns with the writer still held: it waited for the sync alone
        assert not release.is_set()
        (path,) = [p for _, p in audit_journal.journal_files(store.path)]
        assert b'"query_id":"q1"' in path.read_bytes()
        assert path.stat().st_mode & 0o777 == 0o600
        release.set()
        assert searches(store) == ["q1"]
        got = store.audit_entries()[-1]
        assert (got["actor"], got["keys"], got["detail"]) == ("client:de:analyst", [["de", "r1", 1, "record"]],
                                                              {"filter": {"text": "cocaine"}})
    finally:
        store.close()


CRASH = """
import sys, threading
from rilo_node.store import db as st
store = st.Store(sys.argv[1])
store.audit_durably(at="t", actor="client:de:a", action="search", query_id="before")
hold = threading.Event()
store.submit(lambda conn: hold.wait(), background=True)  # the writer never commits again
store.audit_durably(at="t", actor="client:de:a", action="search", query_id="shown")
print("replied", flush=True)
hold.wait()
"""


def test_a_line_synced_before_a_crash_is_in_the_audit_after_the_restart_once(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", CRASH, str(tmp_path / "node.db")], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline() == "replied\n"  # the reply would leave now
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    store = st.Store(tmp_path / "node.db")
    try:
        assert searches(store) == ["before", "shown"]
        store.audit_durably(**entry(3))
        assert searches(store) == ["before", "shown", "q3"]
    finally:
        store.close()
    store = st.Store(tmp_path / "node.db")  # a clean reopen imports nothing twice
    try:
        assert searches(store) == ["before", "shown", "q3"]
        assert len(audit_journal.journal_files(store.path)) == 0  # no line since the opening: no file yet
    finally:
        store.close()


def test_full_files_give_way_to_new_ones_and_every_line_is_kept_once(tmp_path, monkeypatch):
    monkeypatch.setattr(audit_journal, "ROTATE_BYTES", 2_000)
    store = st.Store(tmp_path / "node.db")
    try:
        for i in range(60):
            store.audit_durably(**entry(i))
        assert searches(store) == [f"q{i}" for i in range(60)]
        store.write(lambda conn: None)  # the rotations' commits, and the removals after them
        assert len(audit_journal.journal_files(store.path)) <= 1  # the file being written, if any
    finally:
        store.close()
    store = st.Store(tmp_path / "node.db")
    try:
        assert searches(store) == [f"q{i}" for i in range(60)]
    finally:
        store.close()
