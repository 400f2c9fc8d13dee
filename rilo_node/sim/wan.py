"""WAN latency for the simulated network: the region-pair table (config/latency.toml), the shape of
each link (one-way delay, loss, bandwidth cap), when a relayed byte is due at the far end, and the
physical floor of a path (its summed one-way delays).

The kernel here has no netem, so `cluster up --latency wan` puts a delaying relay (rilo_node.sim.relay)
on every directed link instead: node A reaches node B at the relay port of the link A->B, and the
relay hands B each chunk A sent when `LinkClock.due` says it arrives.
"""

from __future__ import annotations

import heapq
import math
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rilo_node.core.errors import RiloError
from rilo_node.core.topology import Directory

MSS = 1448  # bytes of payload per TCP segment on a 1500-byte Ethernet path
RTO_MIN = 0.2  # Linux's minimum retransmission timeout (TCP_RTO_MIN), seconds
MAX_DELAY_MS = 2000


class LatencyError(RiloError):
    """A latency table or a link option that cannot be used; the message names the key."""


def default_table_path() -> Path:
    """The table shipped in the package (rilo_node/data/latency.toml; config/latency.toml links to it)."""
    return Path(str(resources.files("rilo_node") / "data" / "latency.toml"))


@dataclass(frozen=True)
class LatencyTable:
    within: dict[str, float]
    between: dict[frozenset[str], float]
    region_of: dict[str, str] = field(default_factory=dict)

    def region(self, directory: Directory, node_id: str) -> str:
        node = directory.get(node_id)
        if node is None:
            raise LatencyError(f"unknown node {node_id!r}")
        region = node.region or self.region_of.get(node_id)
        if region is None:
            raise LatencyError(f"node {node_id!r} has no region: give it one in [region_of]")
        return region

    def one_way_ms(self, region_a: str, region_b: str) -> float:
        if region_a == region_b:
            try:
                return self.within[region_a]
            except KeyError:
                raise LatencyError(f"[within] has no {region_a}") from None
        try:
            return self.between[frozenset((region_a, region_b))]
        except KeyError:
            raise LatencyError(f'[between] has no "{region_a}-{region_b}"') from None

    def node_delay_ms(self, directory: Directory, a: str, b: str) -> float:
        """The one-way delay of the link between nodes a and b."""
        return self.one_way_ms(self.region(directory, a), self.region(directory, b))

    def check_covers(self, directory: Directory) -> None:
        """Every pair of regions the directory's nodes are in has a figure (else LatencyError)."""
        regions = sorted({self.region(directory, n.id) for n in directory})
        for i, a in enumerate(regions):
            for b in regions[i:]:
                self.one_way_ms(a, b)


def _ms(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_DELAY_MS:
        raise LatencyError(f"{where}: a number of milliseconds from 0 to {MAX_DELAY_MS}, not {value!r}")
    return float(value)


def parse_table(text: str, source: str = "latency table") -> LatencyTable:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LatencyError(f"{source}: not TOML: {exc}") from None
    unknown = sorted(set(doc) - {"within", "between", "region_of"})
    if unknown:
        raise LatencyError(f"{source}: unknown table [{unknown[0]}]")
    within = {str(k): _ms(v, f"{source} [within] {k}") for k, v in doc.get("within", {}).items()}
    between: dict[frozenset[str], float] = {}
    for key, v in doc.get("between", {}).items():
        parts = key.split("-")
        if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
            raise LatencyError(f'{source} [between] "{key}": two different regions as "A-B"')
        pair = frozenset(parts)
        if pair in between:
            raise LatencyError(f'{source} [between] "{key}": the pair is given twice')
        between[pair] = _ms(v, f'{source} [between] "{key}"')
    region_of = {}
    for k, v in doc.get("region_of", {}).items():
        if not isinstance(v, str):
            raise LatencyError(f"{source} [region_of] {k}: a region code")
        region_of[str(k)] = v
    return LatencyTable(within, between, region_of)


def load_table(path: Path | str | None = None) -> LatencyTable:
    path = Path(path) if path else default_table_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LatencyError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_table(text, str(path))


@dataclass(frozen=True)
class LinkShape:
    """What one direction of a link does to the bytes: one-way delay, a loss rate per TCP segment,
    and a bandwidth cap (None: no cap)."""

    delay_s: float = 0.0
    loss: float = 0.0
    bandwidth_bps: float | None = None

    def __post_init__(self):
        if not 0 <= self.delay_s <= MAX_DELAY_MS / 1000:
            raise LatencyError(f"delay: 0 to {MAX_DELAY_MS} ms")
        if not 0 <= self.loss < 1:
            raise LatencyError("loss: a fraction from 0 up to (not including) 1")
        if self.bandwidth_bps is not None and not self.bandwidth_bps > 0:
            raise LatencyError("bandwidth: more than 0 bits per second")

    @property
    def retransmit_s(self) -> float:
        """What a lost segment costs: TCP resends it after its retransmission timeout, about one round
        trip plus Linux's 200 ms minimum."""
        return 2 * self.delay_s + RTO_MIN


class LinkClock:
    """When the bytes sent into one direction of a relayed TCP connection reach the far end.

    A relay carries a byte stream, so it cannot drop bytes: a lost segment is what TCP makes of it,
    a resend one retransmission timeout later, and everything behind it waits (head-of-line
    blocking). A bandwidth cap sends one chunk after the other at that rate. The connection's first
    bytes also wait one round trip, the TCP handshake a real link costs before data flows."""

    def __init__(self, shape: LinkShape, opened_at: float, *, handshake: bool = True):
        self.shape = shape
        self._free_at = opened_at + (2 * shape.delay_s if handshake else 0.0)
        self._last_due = opened_at

    def due(self, now: float, nbytes: int, rand: Callable[[], float]) -> float:
        s = self.shape
        start = max(now, self._free_at)
        sent = start + (nbytes * 8 / s.bandwidth_bps if s.bandwidth_bps else 0.0)
        self._free_at = sent
        due = sent + s.delay_s
        if s.loss and nbytes:
            segments = max(1, math.ceil(nbytes / MSS))
            if rand() < 1 - (1 - s.loss) ** segments:
                due += s.retransmit_s
        due = max(due, self._last_due)  # a stream arrives in order
        self._last_due = due
        return due


# -- the physical floor ----------------------------------------------------------------------------

def path_delays_ms(directory: Directory, table: LatencyTable, source: str) -> dict[str, float]:
    """The least summed one-way delay from `source` to every node over the overlay links
    (member - its RILO - RILO mesh - Secretariat): what replication and routed queries travel."""
    best = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > best.get(node, math.inf):
            continue
        for peer in directory.peers(node):
            nd = d + table.node_delay_ms(directory, node, peer)
            if nd < best.get(peer, math.inf):
                best[peer] = nd
                heapq.heappush(heap, (nd, peer))
    return best


def longest_path_ms(directory: Directory, table: LatencyTable, source: str) -> tuple[str, float]:
    """The node farthest from `source` over the overlay, and its summed one-way delay."""
    delays = path_delays_ms(directory, table, source)
    far = max(sorted(delays), key=lambda n: delays[n])
    return far, delays[far]


def link_delays_ms(directory: Directory, table: LatencyTable) -> dict[tuple[str, str], float]:
    """The one-way delay of every directed pair of nodes (a node may call any other directly)."""
    table.check_covers(directory)
    ids = directory.ids()
    return {(a, b): table.node_delay_ms(directory, a, b) for a in ids for b in ids if a != b}
