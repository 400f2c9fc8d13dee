"""rilo_node.store.backup on store files: what restore refuses, what it keeps aside, how it numbers on."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.records import RecordBook
from rilo_node.store import backup as bk
from rilo_node.store.db import Store
from tests.conftest import seizure_example


def rid(n: int) -> str:
    return f"01JQ6ZK00000000000000{n:05d}"


def make_store(path, directory, n: int, node: str = "de", start: int = 0) -> None:
    store = Store(path)
    book = RecordBook(store, SigningKey(node, bytes(range(32))), directory, FakeClock(), node_country="DE")
    try:
        for i in range(start, start + n):
            book.submit_seizure(seizure_example(record_id=rid(i), case_ref=f"c{i}"))
    finally:
        store.close()


def test_a_backup_is_one_private_file_holding_what_the_store_held(tmp_path, directory):
    make_store(tmp_path / "node.db", directory, 5)
    summary = bk.backup(tmp_path / "node.db", tmp_path / "b.db", "de")
    assert (summary.records, summary.own, summary.last_seq) == (5, 5, 5)
    assert stat.S_IMODE((tmp_path / "b.db").stat().st_mode) == 0o600
    assert not (tmp_path / "b.db.tmp").exists() and not (tmp_path / "b.db-wal").exists()
    conn = sqlite3.connect(tmp_path / "b.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    with pytest.raises(bk.BackupError, match="the store itself"):
        bk.backup(tmp_path / "node.db", tmp_path / "node.db", "de")


def test_restore_refuses_what_is_not_a_store_of_this_node_and_leaves_the_store_alone(tmp_path, directory):
    db = tmp_path / "data" / "node.db"
    db.parent.mkdir()
    make_store(db, directory, 3)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer.db"
    make_store(newer, directory, 1)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m9999_future', 'now')")
    conn.commit()
    conn.close()
    fr = tmp_path / "fr.db"
    make_store(fr, directory, 1, node="fr")
    for bad, says in ((text, "not an SQLite database"), (other, "not a RILO Net store"),
                      (newer, "newer version"), (fr, "the store of node fr, not of de"),
                      (tmp_path / "missing.db", "no such file")):
        with pytest.raises(bk.BackupError, match=says):
            bk.restore(bad, db, stamp="T1", own_origin="de")
    assert sorted(p.name for p in db.parent.iterdir()) == ["node.db"]
    assert bk.summarize(db, "de").records == 3


def test_restore_keeps_the_replaced_store_aside_and_numbers_after_it(tmp_path, directory):
    db = tmp_path / "data" / "node.db"
    db.parent.mkdir()
    make_store(db, directory, 2)
    bk.backup(db, tmp_path / "b.db", "de")
    store = Store(db)
    book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    for i in range(10, 16):
        book.submit_seizure(seizure_example(record_id=rid(i), case_ref=f"c{i}"))
    # A node killed with its last transactions in node.db-wal: the files as they are while it runs.
    assert (tmp_path / "data" / "node.db-wal").exists()
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for name in ("node.db", "node.db-wal"):
        (crashed / name).write_bytes((db.parent / name).read_bytes())
    store.close()
    done = bk.restore(tmp_path / "b.db", crashed / "node.db", stamp="20260101T000000Z", own_origin="de")
    assert (done.backup.records, done.replaced_last_seq) == (2, 8)
    assert done.set_aside == crashed / "node.db.before-restore-20260101T000000Z"
    # The replaced store opens with everything it committed (its -wal went aside with it).
    assert bk.summarize(done.set_aside, "de").records == 8
    assert sorted(p.name for p in crashed.iterdir() if not p.name.startswith("node.db.before")) == ["node.db"]
    assert stat.S_IMODE((crashed / "node.db").stat().st_mode) == 0o600
    store = Store(crashed / "node.db")
    try:
        assert bk.restored_at(store.reader) == "20260101T000000Z"
        book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
        book.submit_seizure(seizure_example(record_id=rid(20), case_ref="after"))
        assert store.get_record("de", rid(20)).seq == 9  # after the 8 the replaced store gave out
        store.write(lambda conn: bk.caught_up_txn(conn, "20260101T000000Z"))
        assert bk.restored_at(store.reader) is None
    finally:
        store.close()
    with pytest.raises(bk.BackupError, match="exists already"):
        bk.restore(tmp_path / "b.db", crashed / "node.db", stamp="20260101T000000Z", own_origin="de")


def test_in_use_while_a_connection_has_the_store_open(tmp_path, directory):
    db = tmp_path / "node.db"
    make_store(db, directory, 1)
    assert not bk.in_use(db)
    store = Store(db)
    try:
        store.last_seq()
        assert bk.in_use(db)
    finally:
        store.close()
    assert not bk.in_use(db)
    assert not bk.in_use(tmp_path / "missing.db")


def test_restore_refuses_a_wal_left_without_its_store(tmp_path, directory):
    db = tmp_path / "data" / "node.db"
    db.parent.mkdir()
    make_store(db, directory, 2)
    bk.backup(db, tmp_path / "b.db", "de")
    lost = tmp_path / "lost"
    lost.mkdir()
    (lost / "node.db-wal").write_bytes(b"frames of some other store")
    with pytest.raises(bk.BackupError, match="left without its store"):
        bk.restore(tmp_path / "b.db", lost / "node.db", stamp="T2", own_origin="de")
    assert not (lost / "node.db").exists()


def test_a_replaced_store_that_cannot_be_read_numbers_new_records_far_above_anything_it_gave(tmp_path, directory):
    db = tmp_path / "data" / "node.db"
    db.parent.mkdir()
    make_store(db, directory, 2)
    bk.backup(db, tmp_path / "b.db", "de")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "node.db").write_bytes(b"not a database at all" * 100)
    done = bk.restore(tmp_path / "b.db", broken / "node.db", stamp="T3", own_origin="de")
    assert done.replaced_last_seq == bk.UNREADABLE_SEQ_FLOOR
