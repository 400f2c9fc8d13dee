"""Replicator.feed, the live feed a peer pulls: its start is answered at once, and a record not for the peer
costs it no message; how far the feed scanned goes with the peer's next record (docs/protocol.md, "The feed
and checkpoints"). Real SQLite files, records signed by a real RecordBook."""

from __future__ import annotations

import threading

import pytest

from rilo_node.core.signing import Keyring, SigningKey
from rilo_node.node import peers
from rilo_node.node.clock import FakeClock
from rilo_node.node.peers import Replicator
from rilo_node.node.records import RecordBook
from rilo_node.pb.rilo.v1.record_pb2 import RecordHeader
from rilo_node.store.db import Store
from tests.conftest import seizure_example


@pytest.fixture
def de(tmp_path, directory, monkeypatch):
    """de's book and a Replicator over its store; heartbeats never come within a test (an hour)."""
    monkeypatch.setattr(peers, "HEARTBEAT_SECONDS", 3600.0)
    store = Store(tmp_path / "de.db")
    book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    ring = Keyring()
    ring.add("de", book.key.public_raw)
    replicator = Replicator(store, "de", directory, ring, FakeClock())
    yield book, replicator
    replicator.close()  # ends every feed still waiting
    store.close()


class Next:
    """The feed's next message, waited for on a thread (started at once): a feed that waited for a
    heartbeat instead would hold the test for an hour; `result` fails it after 30 s."""

    def __init__(self, feed):
        self.got: list = []
        self.thread = threading.Thread(target=lambda: self.got.append(next(feed)), daemon=True)
        self.thread.start()

    def result(self):
        self.thread.join(30)
        assert self.got, "the feed sent nothing"
        return self.got[0]


def next_message(feed):
    return Next(feed).result()


def test_a_live_feed_answers_its_start_at_once_even_with_nothing_to_send(de):
    book, replicator = de
    book.submit_seizure(seizure_example(record_id="01JQ6ZK0000000000000000001"))
    head = book.store.last_seq()
    feed = replicator.feed("rilo-we", head, live=True, active=lambda: True)
    first = next_message(feed)
    assert (len(first.items), first.scanned_seq, first.head_seq) == (0, head, head)


def test_a_record_not_for_the_peer_costs_it_no_message(de):
    book, replicator = de
    looked = threading.Event()  # the feed judged the record held by de alone
    offered = replicator.offered

    def watched(rec, peer, **kw):
        out = offered(rec, peer, **kw)
        if rec.record_id == "01JQ6ZK0000000000000000002":
            looked.set()
        return out

    replicator.offered = watched
    feed = replicator.feed("rilo-we", book.store.last_seq(), live=True, active=lambda: True)
    next_message(feed)  # the start
    waiting = Next(feed)  # the feed runs from here, waiting for news
    book.submit_seizure(seizure_example(record_id="01JQ6ZK0000000000000000002", policy={"share": {"scope": "ORIGIN"}}))
    assert looked.wait(30), "the feed never looked at the record"
    book.submit_seizure(seizure_example(record_id="01JQ6ZK0000000000000000003"))  # one rilo-we may hold
    message = waiting.result()
    assert [RecordHeader.FromString(i.record.header).record_id for i in message.items] == [
        "01JQ6ZK0000000000000000003"]
    assert message.items[0].seq == book.store.last_seq() == message.scanned_seq
