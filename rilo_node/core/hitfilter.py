"""A node's hit-check filter (docs/design.md#hitno-hit-on-identifiers): the sorted, truncated OPRF outputs of
its own annex identifiers under its own key, cut into chunks by their first bits so that each chunk fits a
record and a change of identifiers republishes only the chunks it touches."""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from rilo_node.pb.rilo.v1 import hit_pb2

FILTER_PREFIX = "hitfilter-"  # a chunk's record id: this and its index
# 56 bits: a false hit in a filter of n entries has probability n / 2^56 per check (1.4e-11 for a million),
# and a million entries take 7 MB
ENTRY_BYTES = 7
MAX_BITS = 8
CHUNK_TARGET = 8192  # entries per chunk the chunking aims at (56 KiB of entries)


def entry_of(output: bytes) -> bytes:
    """The filter entry of one OPRF output (its first ENTRY_BYTES)."""
    return output[:ENTRY_BYTES]


def bits_for(count: int, at_least: int = 0) -> int:
    """How many leading bits cut a filter of `count` entries into chunks of about CHUNK_TARGET; never fewer
    than `at_least` (the chunking in use only grows, so that no old chunk is left behind)."""
    bits = 0
    while bits < MAX_BITS and count > CHUNK_TARGET << bits:
        bits += 1
    return max(bits, min(at_least, MAX_BITS))


def index_of(entry: bytes, bits: int) -> int:
    return entry[0] >> (8 - bits) if bits else 0


def chunks(entries: Iterable[bytes], bits: int) -> dict[int, bytes]:
    """Every chunk index (0 .. 2^bits - 1) to its entries, sorted and concatenated (empty chunks too)."""
    parts: dict[int, list[bytes]] = {i: [] for i in range(1 << bits)}
    for e in set(entries):
        parts[index_of(e, bits)].append(e)
    return {i: b"".join(sorted(es)) for i, es in parts.items()}


def contains(chunk: bytes, entry: bytes, entry_bytes: int = ENTRY_BYTES) -> bool:
    """Binary search of one sorted chunk."""
    if entry_bytes <= 0 or len(chunk) % entry_bytes:
        return False
    n = len(chunk) // entry_bytes
    entry = entry[:entry_bytes]
    i = bisect.bisect_left(range(n), entry, key=lambda k: chunk[k * entry_bytes:(k + 1) * entry_bytes])
    return i < n and chunk[i * entry_bytes:(i + 1) * entry_bytes] == entry


def changed(old: dict[int, bytes], new: dict[int, bytes]) -> list[int]:
    """The chunk indexes to republish: those whose entries differ."""
    return sorted(i for i in new if old.get(i) != new[i])


def parse_chunk(record_id: str, body: bytes) -> hit_pb2.HitFilterChunk:
    """A received filter chunk, checked: its record id names its index, and its entries are whole (ValueError)."""
    chunk = hit_pb2.HitFilterChunk.FromString(body)
    if (record_id != f"{FILTER_PREFIX}{chunk.index}" or chunk.bits > MAX_BITS or chunk.index >= (1 << chunk.bits)
            or not chunk.entry_bytes or len(chunk.entries) % chunk.entry_bytes):
        raise ValueError(f"malformed hit-check filter chunk {record_id!r}")
    return chunk
