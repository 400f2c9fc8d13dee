"""The store contract: one writer with group commit, named migrations, newest version wins."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rilo_node.store import db as st
from rilo_node.store import migrations


@pytest.fixture(params=["FULL", "NORMAL"])
def store(request, tmp_path):
    s = st.Store(tmp_path / "node.db", synchronous=request.param)
    yield s
    s.close()


def row(version: int, record_id: str = "r1", origin: str = "de", body: bytes = b"b") -> dict:
    return {"origin": origin, "record_id": record_id, "version": version, "kind": 1, "created_at": "t",
            "key_id": "k", "header": b"h%d" % version, "body": body, "annex": None, "signature": b"s",
            "withdrawn": False, "retracted": False}


def test_the_store_uses_wal_and_the_durability_setting(store):
    assert store.reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    level = store._wconn.execute("PRAGMA synchronous").fetchone()[0]
    assert level == {"FULL": 2, "NORMAL": 1}[store.synchronous]


def test_the_checkpointer_copies_commits_into_the_database_file(store):
    """Checkpoints run on a thread of their own, not in the writer's commits (store/db.py
    _checkpoint_loop): after a commit, the row is in the database file itself (read with the WAL ignored)."""
    assert store._wconn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == st.WAL_PAGES
    before = store.checkpoints
    store.write(lambda c: st.upsert_record_txn(c, row(1), None, "now"))
    assert store.wait_checkpoint(before + 1, timeout=60)
    # One more checkpoint after the commit's: the first may have started before the commit ended.
    store.write(lambda c: st.upsert_record_txn(c, row(1, "r2"), None, "now"))
    assert store.wait_checkpoint(before + 2, timeout=60)
    file_only = sqlite3.connect(f"file:{store.path}?immutable=1", uri=True)
    try:
        assert {r[0] for r in file_only.execute("SELECT record_id FROM records")} >= {"r1"}
    finally:
        file_only.close()


def test_migrations_are_named_and_applied_once(tmp_path):
    s = st.Store(tmp_path / "a.db")
    assert s.applied_migrations == [name for name, _ in migrations.MIGRATIONS]
    s.close()
    again = st.Store(tmp_path / "a.db")
    assert again.applied_migrations == []
    again.close()


def test_a_new_version_replaces_the_old_and_takes_a_new_sequence_number(store):
    first = store.write(lambda c: st.upsert_record_txn(c, row(1), None, "now"))
    store.write(lambda c: st.upsert_record_txn(c, row(1, "r2"), None, "now"))
    second = store.write(lambda c: st.upsert_record_txn(c, row(2), None, "now"))
    assert second > first
    rec = store.get_record("de", "r1")
    assert rec.version == 2 and rec.seq == second
    assert [r.record_id for r in store.iter_records()] == ["r2", "r1"]
    assert [r.record_id for r in store.iter_records(after_seq=first + 1)] == ["r1"]


def test_a_failing_task_is_rolled_back_alone(store):
    def bad(c):
        st.upsert_record_txn(c, row(1, "bad"), None, "now")
        raise ValueError("boom")

    futures = [store.submit(lambda c: st.upsert_record_txn(c, row(1, "ok1"), None, "now")),
               store.submit(bad),
               store.submit(lambda c: st.upsert_record_txn(c, row(1, "ok2"), None, "now"))]
    assert futures[0].result() and futures[2].result()
    with pytest.raises(ValueError):
        futures[1].result()
    assert store.get_record("de", "bad") is None
    assert store.get_record("de", "ok1") and store.get_record("de", "ok2")


def test_concurrent_writers_are_batched_and_all_committed(store):
    commits = []
    store.on_commit(commits.append)

    def writer(n):
        for i in range(50):
            store.write(lambda c, i=i: st.upsert_record_txn(c, row(1, f"w{n}-{i}"), None, "now"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.counts("de")["records"] == 400
    assert len(commits) <= 400
    assert commits[-1] == store.last_seq()


def test_a_quiet_write_wakes_nothing_and_skips_only_its_own_fsync(store):
    """Audit lines and counters alone: committed and readable at once, without the hints, the commit count,
    the commit listeners or (on a FULL store) an fsync; a batch holding any other write is as every write."""
    woken = []
    store.on_commit(woken.append)
    store.write(lambda c: st.upsert_record_txn(c, row(1), None, "now"))
    store.outbox_pending, commits, woken[:] = False, store.commits, []
    level = store.write(lambda c: (st.audit_txn(c, at="t", actor="nl", action="hitcheck_answer", detail={"count": 1}),
                                   c.execute("PRAGMA synchronous").fetchone()[0])[1], quiet=True)
    full = {"FULL": 2, "NORMAL": 1}[store.synchronous]
    assert level == 1  # NORMAL for that commit: no fsync
    assert (store.outbox_pending, store.commits, woken) == (False, commits, [])
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT COUNT(*) FROM audit WHERE action = 'hitcheck_answer'").fetchone()[0] == 1
    other.close()
    assert store._wconn.execute("PRAGMA synchronous").fetchone()[0] == full  # the store's own level again

    # The writer held in a task: the next two writes, one quiet, commit in one batch, as every write does.
    held, release = threading.Event(), threading.Event()
    first = store.submit(lambda c: (held.set(), release.wait(10)))
    assert held.wait(10)
    quiet = store.submit(lambda c: c.execute("PRAGMA synchronous").fetchone()[0], quiet=True)
    loud = store.submit(lambda c: st.upsert_record_txn(c, row(1, "r2"), None, "now"))
    release.set()
    first.result(10), loud.result(10)
    assert quiet.result(10) == full
    # The hint of owed deliveries comes from a new outbox row only (PeerNetwork.start_delivery wakes on it).
    assert not store.outbox_pending and store.commits == commits + 2 and woken == [store.last_seq()]
    store.write(lambda c: st.enqueue_delivery_txn(c, ["fr"], "de", "r2", 1))
    assert store.outbox_pending
    store.outbox_pending = False
    store.write(lambda c: st.upsert_record_txn(c, row(1, "r3"), None, "now"))
    assert not store.outbox_pending


def test_a_committed_write_is_visible_to_a_fresh_connection(store, tmp_path):
    store.write(lambda c: st.upsert_record_txn(c, row(1), None, "now"))
    other = sqlite3.connect(store.path)
    assert other.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 1
    other.close()


def test_audit_and_security_events_are_kept(store):
    store.write(lambda c: st.audit_txn(c, at="t", actor="client:de:x", action="search", query_id="q",
                                       detail={"filter": {}}, keys=[["de", "r1", 1]]))
    store.write(lambda c: st.security_event_txn(c, at="t", kind="bad_signature", peer="fr", detail="x"))
    assert store.audit_entries()[0]["keys"] == [["de", "r1", 1]]
    assert store.security_events()[0]["kind"] == "bad_signature"
    assert store.counts("de")["security_events"] == 1


def test_writing_after_close_is_refused(tmp_path):
    s = st.Store(tmp_path / "c.db")
    s.close()
    with pytest.raises(RuntimeError):
        s.submit(lambda c: None)


def test_the_store_file_and_its_wal_are_readable_by_the_node_alone(tmp_path):
    store = st.Store(tmp_path / "node.db")
    try:
        store.write(lambda conn: conn.execute("CREATE TABLE IF NOT EXISTS t (x)"))
        for name in ("node.db", "node.db-wal", "node.db-shm"):
            path = tmp_path / name
            if path.exists():
                assert path.stat().st_mode & 0o777 == 0o600, name
        assert (tmp_path / "node.db").exists()
    finally:
        store.close()


def test_a_background_write_waits_for_every_other_write_queued_and_nothing_is_lost_at_close(tmp_path):
    """Replication's writes (background=True) come after every other task queued: a submission or a search's
    audit line does not wait behind a backlog of copies. All are committed, in their order within each
    kind, and close() commits what was queued before it."""
    store = st.Store(tmp_path / "node.db")
    entered, release, order = threading.Event(), threading.Event(), []

    def hold(conn):
        entered.set()
        assert release.wait(30)

    first = store.submit(hold)
    assert entered.wait(30)  # the writer is inside a batch: what follows queues up behind it
    later = [store.submit(lambda conn, i=i: order.append(f"b{i}"), background=True) for i in range(3)]
    urgent = [store.submit(lambda conn, i=i: order.append(f"u{i}")) for i in range(3)]
    release.set()
    for f in (first, *later, *urgent):
        f.result(timeout=30)
    assert order == ["u0", "u1", "u2", "b0", "b1", "b2"]

    order.clear()
    entered.clear()
    release.clear()
    store.submit(hold)
    assert entered.wait(30)
    queued = [store.submit(lambda conn, i=i: order.append(i), background=i % 2 == 0) for i in range(6)]
    release.set()
    store.close()
    assert all(f.done() and f.exception() is None for f in queued)
    assert order == [1, 3, 5, 0, 2, 4]


def test_a_write_someone_waits_for_ends_a_batch_of_background_writes_after_the_task_it_is_running(tmp_path):
    """The writer merges queued background tasks (pulled messages) into one transaction; a submission or a
    search's audit line queued meanwhile waits for the task being run, not for the rest: they commit after it,
    in their order. A quiet task (an audit line nobody waits for) ends no batch."""
    store = st.Store(tmp_path / "node.db")
    try:
        store.write(lambda conn: conn.execute("CREATE TABLE t (x)"))
        entered, release, order = threading.Event(), threading.Event(), []

        def hold(conn):
            order.append("b0")
            entered.set()
            assert release.wait(30)

        def background(i):
            def task(conn):
                order.append(f"b{i}")
                conn.execute("INSERT INTO t VALUES (?)", (i,))
            return task

        first = store.submit(hold, background=True)
        rest = [store.submit(background(i), background=True) for i in range(1, 4)]
        assert entered.wait(30)  # the writer runs b0; b1..b3 wait in the same batch
        quiet = store.submit(lambda conn: order.append("q"), quiet=True)
        urgent = store.submit(lambda conn: order.append("u"))
        release.set()
        for f in (first, *rest, quiet, urgent):
            f.result(timeout=30)
        assert order == ["b0", "q", "u", "b1", "b2", "b3"]
        assert [row[0] for row in store.reader.execute("SELECT x FROM t ORDER BY rowid")] == [1, 2, 3]
    finally:
        store.close()


def test_opening_a_new_store_loads_neither_numpy_nor_pandas(tmp_path):
    """The migrations use sqlite-utils, which imports numpy and pandas when they are installed: about 13 MiB
    and 145 ms for a node's whole life (and every node `cluster up` forks). They stay out, and importable.
    In a child process: this one may have loaded numpy for another test."""
    code = ("import sys; from rilo_node.store.db import Store; s = Store(sys.argv[1]); s.db.table_names(); "
            "s.close(); print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules)); import numpy")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "new.db")], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]"
