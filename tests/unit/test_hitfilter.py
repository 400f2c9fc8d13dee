"""The hit-check filter's shape: chunks by leading bits, lookups, and deltas that touch only what changed."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from rilo_node.core import hitfilter
from rilo_node.pb.rilo.v1 import hit_pb2

entries = hs.binary(min_size=hitfilter.ENTRY_BYTES, max_size=hitfilter.ENTRY_BYTES)


@settings(max_examples=60, deadline=None)
@given(hs.sets(entries, max_size=300), hs.integers(0, hitfilter.MAX_BITS), entries)
def test_an_entry_is_found_in_its_chunk_exactly_when_it_is_in_the_filter(held, bits, probe):
    parts = hitfilter.chunks(held, bits)
    assert len(parts) == 1 << bits
    assert sum(len(c) for c in parts.values()) == len(held) * hitfilter.ENTRY_BYTES
    for e in held:
        assert hitfilter.contains(parts[hitfilter.index_of(e, bits)], e)
    assert hitfilter.contains(parts[hitfilter.index_of(probe, bits)], probe) == (probe in held)


@settings(max_examples=60, deadline=None)
@given(hs.sets(entries, max_size=200), hs.sets(entries, max_size=5), hs.integers(0, hitfilter.MAX_BITS))
def test_a_change_republishes_only_the_chunks_of_the_entries_that_changed(held, added, bits):
    old = hitfilter.chunks(held, bits)
    new = hitfilter.chunks(held | added, bits)
    touched = {hitfilter.index_of(e, bits) for e in added - held}
    assert set(hitfilter.changed(old, new)) == touched


def test_the_chunking_grows_with_the_filter_and_never_shrinks():
    assert hitfilter.bits_for(0) == 0
    assert hitfilter.bits_for(hitfilter.CHUNK_TARGET) == 0
    assert hitfilter.bits_for(hitfilter.CHUNK_TARGET + 1) == 1
    assert hitfilter.bits_for(1_000_000) == 7
    assert hitfilter.bits_for(10, at_least=3) == 3
    assert hitfilter.bits_for(10**9) == hitfilter.MAX_BITS


def test_a_million_entries_fit_chunks_within_a_message():
    parts = hitfilter.chunks((os.urandom(8) for _ in range(20_000)), hitfilter.bits_for(1_000_000))
    # 1,000,000 entries in 128 chunks: about 62 KiB each, far below the 16 MiB message limit.
    assert max(len(c) for c in parts.values()) * 50 < 16 * 1024 * 1024


@pytest.mark.parametrize("record_id,chunk", [
    ("hitfilter-1", hit_pb2.HitFilterChunk(bits=0, index=1, entry_bytes=8)),
    ("hitfilter-0", hit_pb2.HitFilterChunk(bits=0, index=0, entry_bytes=8, entries=b"\x00" * 7)),
    ("hitfilter-2", hit_pb2.HitFilterChunk(bits=1, index=1, entry_bytes=8)),
    ("hitfilter-0", hit_pb2.HitFilterChunk(bits=9, index=0, entry_bytes=8)),
    ("hitfilter-0", hit_pb2.HitFilterChunk(bits=0, index=0, entry_bytes=0)),
])
def test_a_malformed_chunk_is_refused(record_id, chunk):
    with pytest.raises(ValueError):
        hitfilter.parse_chunk(record_id, chunk.SerializeToString())
