"""A bulk load with its indexes made at the end (store.db.deferred_indexes): the same store as a load row by
row, and a load that dies part-way leaves a store that makes its indexes when it opens."""

from __future__ import annotations

import datetime
import os
import pickle
import subprocess
import sys

import pytest

from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.records import RecordBook
from rilo_node.sim.synth import Origin, generate_seizures
from rilo_node.store import db as st

NOW = "2026-12-07T00:00:00Z"


def indexes(store: st.Store) -> list[tuple[str, str]]:
    return store.reader.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                                "ORDER BY name").fetchall()


@pytest.fixture(scope="module")
def rows(directory) -> list[st.NewRows]:
    book = RecordBook(None, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    de = directory.get("de")
    origin = Origin(de.id, de.country, de.region, de.area)
    today = datetime.date(2026, 11, 28)  # FakeClock's day
    return [book.prepare(s).rows for _, s in generate_seizures(300, [origin], seed=3, today=today)]


def load(store: st.Store, rows: list[st.NewRows]) -> None:
    for i in range(0, len(rows), 100):
        store.write(lambda conn, b=rows[i:i + 100]: st.insert_new_records_txn(conn, b, None, NOW))


def dump(store: st.Store) -> dict:
    r = store.reader
    return {
        "indexes": indexes(store),
        "seizures": r.execute("SELECT * FROM seizures ORDER BY id").fetchall(),
        "tags": r.execute("SELECT * FROM seizure_tags ORDER BY tag, sid").fetchall(),
        "facts": r.execute("SELECT * FROM seizure_facts ORDER BY sid, section, category").fetchall(),
        "text": r.execute("SELECT rowid FROM seizures_fts WHERE seizures_fts MATCH 'cocaine' ORDER BY rowid")
        .fetchall(),
        "counts": r.execute("SELECT * FROM origin_counts").fetchall(),
        "digests": r.execute("SELECT * FROM pid_digests ORDER BY pid, bucket").fetchall(),
        "integrity": r.execute("PRAGMA integrity_check").fetchall(),
    }


def test_a_load_with_deferred_indexes_makes_the_same_store_as_one_row_by_row(tmp_path, rows):
    plain = st.Store(tmp_path / "plain.db")
    load(plain, rows)
    deferred = st.Store(tmp_path / "deferred.db")
    before = indexes(deferred)
    with st.deferred_indexes(deferred):
        dropped = {name for name, _ in before} - {name for name, _ in indexes(deferred)}
        load(deferred, rows)
    assert {"seizures_order", "seizures_country", "seizure_facts_category", "records_pid_bucket"} <= dropped
    assert indexes(deferred) == before
    assert dump(deferred) == dump(plain)
    assert dump(plain)["integrity"] == [("ok",)]
    assert deferred.reader.execute("SELECT COUNT(*) FROM deferred_indexes").fetchone() == (0,)
    plan = " ".join(r[-1] for r in deferred.reader.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM seizures WHERE country = 'DE' ORDER BY seizure_date DESC LIMIT 10"))
    assert "seizures_country" in plan
    plain.close()
    deferred.close()


def test_a_load_that_died_part_way_leaves_a_store_that_makes_its_indexes_when_it_opens(tmp_path, rows):
    path = tmp_path / "node.db"
    (tmp_path / "rows.pickle").write_bytes(pickle.dumps(rows[:50]))
    expected = indexes(st.Store(tmp_path / "fresh.db"))
    # A process that loads inside deferred_indexes and is killed (SIGKILL) after its first batch committed.
    child = subprocess.Popen([sys.executable, "-c", f"""
import os, pickle, sys
from rilo_node.store import db as st
rows = pickle.loads(open({str(tmp_path / 'rows.pickle')!r}, 'rb').read())
store = st.Store({str(path)!r})
with st.deferred_indexes(store):
    store.write(lambda conn: st.insert_new_records_txn(conn, rows, None, {NOW!r}))
    print("loaded", flush=True)
    sys.stdin.read()  # killed here
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False, cwd=os.getcwd())
    assert child.stdout.readline() == b"loaded\n"
    child.kill()
    child.wait()
    raw = st.connect(path)
    assert raw.execute("SELECT COUNT(*) FROM deferred_indexes").fetchone()[0] > 0  # the indexes were missing
    raw.close()
    store = st.Store(path)
    assert indexes(store) == expected
    assert store.reader.execute("SELECT COUNT(*) FROM deferred_indexes").fetchone() == (0,)
    assert store.reader.execute("SELECT COUNT(*) FROM seizures").fetchone() == (50,)
    assert store.reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()
