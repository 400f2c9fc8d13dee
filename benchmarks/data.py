"""Benchmark data: realistic seizures from the synthetic generator."""

from __future__ import annotations

import datetime

from rilo_node.core.topology import Directory
from rilo_node.sim.synth import Origin, generate_seizures


def origin_of(directory: Directory, node_id: str) -> Origin:
    n = directory.get(node_id)
    return Origin(node_id=n.id, country=(n.country or n.id.upper()), region=n.region or "EUR", area=n.area)


def seizures_from(directory: Directory, node_id: str, n: int, seed: int = 1,
                  peers: list[str] | None = None) -> list[dict]:
    """n seizures reported by node_id; RED policies may name `peers` (default: the node's area)."""
    me = origin_of(directory, node_id)
    others = [origin_of(directory, p) for p in (peers or [m for m in directory.members_of(me.area or "")
                                                          if m != node_id][:3])]
    today = datetime.date.today()
    out = []
    for origin, data in generate_seizures(n * (1 + len(others)) + 10, [me, *others], seed=seed, today=today):
        if origin == node_id:
            out.append(data)
            if len(out) == n:
                break
    while len(out) < n:  # the generator weights origins; top up from more draws if needed
        seed += 1
        for origin, data in generate_seizures(n, [me], seed=seed, today=today):
            out.append(data)
            if len(out) == n:
                break
    return out
