"""Replication decisions (pure): what a peer may receive, what to accept, who needs direct delivery,
and the digests anti-entropy compares. See docs/protocol.md#replication."""

from __future__ import annotations

import enum
import hashlib
from collections import deque
from dataclasses import dataclass
from functools import lru_cache

from rilo_node.core.convert import policy_from_pb
from rilo_node.core.policy import annex_set, discover_set, groups_named, hold_set
from rilo_node.core.topology import Directory
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2

BUCKETS = 64


@dataclass(frozen=True)
class Entitled:
    """The sets of docs/protocol.md#the-policy-rule for one record: H, D and A."""

    hold: frozenset[str]
    discover: frozenset[str]
    annex: frozenset[str]


class Entitlements:
    """H, D and A per (origin, policy), computed once per distinct policy for one directory."""

    def __init__(self, directory: Directory, groups=None):
        self.directory = directory
        # The membership of the operations this node holds (policy scope GROUP): operation id -> members.
        self.groups: dict[str, frozenset[str]] = dict(groups or {})
        # Grows with every change of what these entitlements say (a group's membership): whoever keeps
        # decisions derived from them (the query plans, the digest pairs) starts afresh when it moves.
        self.generation = 0
        self._cache: dict[tuple[str, bytes], Entitled] = {}
        self._adjacency = {n.id: frozenset(directory.peers(n.id)) for n in directory}
        self._direct: dict[tuple[str, bytes], frozenset[str]] = {}

    def of(self, header: record_pb2.RecordHeader) -> Entitled:
        return self.of_policy(header.origin, header.policy.SerializeToString(deterministic=True))

    def of_policy(self, origin: str, policy_bytes: bytes) -> Entitled:
        """The sets for a record of `origin` whose header carries this serialized SharingPolicy."""
        key = (origin, policy_bytes)
        hit = self._cache.get(key)
        if hit is None:
            policy = policy_from_pb(policy_pb2.SharingPolicy.FromString(policy_bytes))
            # Only a policy that names an operation (scope GROUP) reads the membership.
            extra = (self.groups,) if groups_named(policy) else ()
            hit = Entitled(
                hold_set(policy, origin, self.directory, *extra),
                discover_set(policy, origin, self.directory, *extra),
                annex_set(policy, origin, self.directory, *extra),
            )
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def set_group(self, operation_id: str, members: frozenset[str] | None) -> bool:
        """A new membership of one operation (None: no longer held); True when it changed. Every set
        computed before is forgotten (operations change a few times a year)."""
        old = self.groups.get(operation_id)
        if old == members:
            return False
        if members is None:
            self.groups.pop(operation_id, None)
        else:
            self.groups[operation_id] = frozenset(members)
        self._cache = {}
        self._direct = {}
        self.generation += 1
        return True

    def peers(self, node_id: str) -> frozenset[str]:
        return self._adjacency.get(node_id, frozenset())

    def direct_targets(self, header: record_pb2.RecordHeader) -> frozenset[str]:
        """Entitled nodes the origin must deliver to itself (cached per policy)."""
        key = (header.origin, header.policy.SerializeToString(deterministic=True))
        hit = self._direct.get(key)
        if hit is None:
            ent = self.of(header)
            # Relays pass on only what they may hold themselves: a node entitled to the annex that no
            # chain of annex-entitled nodes reaches gets the full record from the origin too.
            hit = (direct_targets(ent.hold, header.origin, self._adjacency)
                   | direct_targets(ent.annex, header.origin, self._adjacency))
            self._direct[key] = hit
        return hit


def named_policy(nodes, handling: int) -> policy_pb2.SharingPolicy:
    """A policy held by exactly `nodes` (and the origin), discovered by no one else, with no annex:
    what withdrawals, requests and their answers, and endorsements are shared with."""
    return policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_NAMED, nodes=sorted(set(nodes))),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=handling,
    )


class Offer(enum.Enum):
    FULL = "full"
    WITHOUT_ANNEX = "without annex"
    NOTHING = "nothing"


def offer(ent: Entitled, receiver: str, has_annex: bool) -> Offer:
    """What a sender may give `receiver` of a record it holds: never more than H and A allow."""
    if receiver not in ent.hold:
        return Offer.NOTHING
    if has_annex and receiver not in ent.annex:
        return Offer.WITHOUT_ANNEX
    return Offer.FULL


def direct_targets(hold: frozenset[str], origin: str, adjacency: dict[str, frozenset[str]]) -> frozenset[str]:
    """Entitled nodes that no chain of entitled nodes joins to the origin along the overlay: the
    origin delivers to them directly (docs/protocol.md#direct-delivery)."""
    seen = {origin}
    queue = deque([origin])
    while queue:
        node = queue.popleft()
        for peer in adjacency.get(node, ()):
            if peer in hold and peer not in seen:
                seen.add(peer)
                queue.append(peer)
    return frozenset(n for n in hold if n not in seen and n in adjacency)


def withdrawal_targets(old: Entitled, new: Entitled, origin: str) -> frozenset[str]:
    """Nodes that held the old version and may not hold the new one."""
    return frozenset(old.hold - new.hold - {origin})


class Verdict(enum.Enum):
    STORE = "stored"
    ANNEX = "annex added"
    DUPLICATE = "duplicate"
    OLDER = "older"
    WITHDRAWN = "withdrawn"
    NOT_ENTITLED = "not entitled"


def judge(header: record_pb2.RecordHeader, me: str, ent: Entitled, held_version: int | None,
          withdrawn_through: int | None, *, has_annex: bool = False, held_annex: bool = False) -> Verdict:
    """What a receiver does with a verified record (the receiver checks, not only the sender)."""
    if me not in ent.hold:
        return Verdict.NOT_ENTITLED
    if withdrawn_through is not None and header.version < withdrawn_through:
        return Verdict.WITHDRAWN
    if held_version is not None:
        if header.version == held_version:
            # The same version may come again with the annex a relay had to leave out.
            if has_annex and not held_annex and me in ent.annex:
                return Verdict.ANNEX
            return Verdict.DUPLICATE
        if header.version < held_version:
            return Verdict.OLDER
    return Verdict.STORE


@lru_cache(maxsize=65_536)
def bucket_of(origin: str, record_id: str, buckets: int = BUCKETS) -> int:
    return hashlib.sha256(f"{origin}\x00{record_id}".encode()).digest()[0] % buckets


def key_hash(origin: str, record_id: str, version: int) -> bytes:
    return hashlib.sha256(f"{origin}\x00{record_id}\x00{version}".encode()).digest()[:16]


def digest(keys, buckets: int = BUCKETS) -> dict[int, tuple[int, bytes]]:
    """Per bucket: (count, XOR of key hashes) over (origin, record_id, version) keys."""
    acc: dict[int, list] = {}
    for origin, record_id, version in keys:
        b = bucket_of(origin, record_id, buckets)
        entry = acc.setdefault(b, [0, 0])
        entry[0] += 1
        entry[1] ^= int.from_bytes(key_hash(origin, record_id, version), "big")
    return {b: (c, x.to_bytes(16, "big")) for b, (c, x) in acc.items()}


def differing_buckets(mine: dict[int, tuple[int, bytes]], theirs: dict[int, tuple[int, bytes]]) -> list[int]:
    return sorted(b for b in set(mine) | set(theirs) if mine.get(b) != theirs.get(b))


def wanted(mine: dict[tuple[str, str], int], theirs: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Keys the peer holds in a newer version than mine (or that I lack)."""
    return [(o, r, v) for o, r, v in theirs if mine.get((o, r), 0) < v]
