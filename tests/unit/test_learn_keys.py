"""KeyBook.learn_keys (node/keys.py): records naming a key this node lacks wait for one on-demand sync with
the peer that sent them; a second batch, from another path, waits for the sync under way rather than being
verified before it has brought the key (a rotation in the middle of replication refuses nothing)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

from rilo_node.core.signing import Keyring, SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.keys import KeyBook


def book_with_slow_sync(new_key: SigningKey):
    """A KeyBook with only what learn_keys uses; its sync with a peer blocks until released, then brings
    `new_key`."""
    book = object.__new__(KeyBook)
    book.keyring, book.clock, book._closed = Keyring(), FakeClock(), False
    book._last_on_demand, book._on_demand_locks, book._on_demand_guard = {}, {}, threading.Lock()
    started, release, syncs = threading.Event(), threading.Event(), []

    def sync_with(peer):
        syncs.append(peer)
        started.set()
        release.wait(30)
        book.keyring.add(new_key.node_id, new_key.public_raw)
        return 1

    book.sync_with = sync_with
    return book, started, release, syncs


def test_a_second_batch_with_the_same_unknown_key_waits_for_the_sync_under_way():
    new_key = SigningKey.generate("de")
    book, started, release, syncs = book_with_slow_sync(new_key)
    records = [SimpleNamespace(key_id=new_key.key_id)]
    first = threading.Thread(target=book.learn_keys, args=("de", records))
    first.start()
    assert started.wait(30)
    known_when_back: list[bool] = []
    second = threading.Thread(target=lambda: known_when_back.append(
        (book.learn_keys("de", records), new_key.key_id in book.keyring)[1]))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # it waits for the sync under way
    release.set()
    first.join(30)
    second.join(30)
    assert known_when_back == [True] and syncs == ["de"]  # one sync, and the second batch saw its key
