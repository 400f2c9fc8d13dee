"""Replicator.start_receive: a received batch is verified on the caller's thread and queued for the store's
writer, so a pull verifies its next message while the writer still stores the previous one
(node/peers.py PeerNetwork._pull). Real SQLite files, records signed by a real RecordBook."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from rilo_node.core.replication import named_policy
from rilo_node.core.signing import Keyring, SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.peers import NotStoredBefore, Replicator
from rilo_node.node.records import RecordBook
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2
from rilo_node.store import db as st
from rilo_node.store.db import Store, checkpoint_of
from tests.conftest import seizure_example

IDS = [f"01JQ6ZK00000000000000000{i:02d}" for i in range(1, 7)]


@pytest.fixture
def source(tmp_path, directory):
    store = Store(tmp_path / "de.db")
    book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    for rid in IDS:
        book.submit_seizure(seizure_example(record_id=rid))
    yield book
    store.close()


@pytest.fixture
def receiver(tmp_path, directory, source):
    store = Store(tmp_path / "rilo-we.db")
    ring = Keyring()
    ring.add("de", source.key.public_raw)
    yield Replicator(store, "rilo-we", directory, ring, FakeClock())
    store.close()


def signed(book: RecordBook, record_id: str) -> record_pb2.SignedRecord:
    rec = book.store.get_record("de", record_id)
    return record_pb2.SignedRecord(header=rec.header, body=rec.body or b"", annex=rec.annex or b"",
                                   signature=rec.signature, key_id=rec.key_id)


def busy_writer(store: Store) -> threading.Event:
    """Occupy the store's writer until the returned event is set (observed: the writer has begun the task)."""
    gate, entered = threading.Event(), threading.Event()

    def hold(_conn) -> None:
        entered.set()
        gate.wait(30)

    store.submit(hold)
    assert entered.wait(30), "the writer never began the blocking task"
    return gate


def test_the_next_batch_is_verified_while_the_writer_stores_the_previous_one(source, receiver):
    recs = [signed(source, rid) for rid in IDS]
    gate = busy_writer(receiver.store)
    try:
        first = receiver.start_receive(recs[:3], peer="de", via="pull", checkpoint=3)
        second = receiver.start_receive(recs[3:], peer="de", via="pull", checkpoint=6, after=first)
        # Both verified and queued while the writer was still busy: nothing committed yet.
        assert not first.outcomes.done() and not second.outcomes.done()
        assert (first.barrier, second.barrier) == (False, False)
        assert receiver.store.counts("de")["records"] == 0
    finally:
        gate.set()
    assert second.outcomes.result(30) == ["stored"] * 3
    assert first.outcomes.result(0) == ["stored"] * 3  # committed in the order queued: before the second
    assert receiver.store.counts("de")["records"] == 6
    assert checkpoint_of(receiver.store, "de") == 6


def test_a_batch_that_changes_what_the_next_is_judged_by_is_a_barrier(source, receiver):
    withdrawal = source.sign(
        kind=record_pb2.RECORD_KIND_WITHDRAWAL, policy=named_policy(["rilo-we"], policy_pb2.HANDLING_H0),
        body=record_pb2.Withdrawal(record_id=IDS[0], version=1).SerializeToString(deterministic=True))
    seizures = receiver.start_receive([signed(source, IDS[0])], peer="de", via="pull")
    mixed = receiver.start_receive([signed(source, IDS[1]), withdrawal], peer="de", via="pull")
    assert not seizures.barrier and mixed.barrier
    assert seizures.outcomes.result(30) == ["stored"]
    assert mixed.outcomes.result(30) == ["stored", "stored"]


def test_a_batch_behind_one_that_failed_stores_nothing(source, receiver, monkeypatch):
    recs = [signed(source, rid) for rid in IDS]
    real = st.set_checkpoint_txn
    calls = []

    def fails_once(conn, peer, seq, now):
        calls.append(seq)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database or disk is full")
        return real(conn, peer, seq, now)

    monkeypatch.setattr(st, "set_checkpoint_txn", fails_once)
    gate = busy_writer(receiver.store)
    try:
        first = receiver.start_receive(recs[:3], peer="de", via="pull", checkpoint=3)
        second = receiver.start_receive(recs[3:], peer="de", via="pull", checkpoint=6, after=first)
    finally:
        gate.set()
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        first.outcomes.result(30)
    # The batch queued behind it stores nothing either: its checkpoint would pass the first one's records.
    with pytest.raises(NotStoredBefore):
        second.outcomes.result(30)
    assert receiver.store.counts("de")["records"] == 0
    assert checkpoint_of(receiver.store, "de") == 0
    assert calls == [3]
    # The pull starts again from the checkpoint (PeerNetwork._pull ends at the failure): all six come.
    again = receiver.start_receive(recs, peer="de", via="pull", checkpoint=6)
    assert again.outcomes.result(30) == ["stored"] * 6
    assert checkpoint_of(receiver.store, "de") == 6
