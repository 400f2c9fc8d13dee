"""Replication decisions (rilo_node/replication.py) on the real topology with real signed headers,
and the simulated partitions of peers.Links."""

from __future__ import annotations

import functools
import hashlib
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rilo_node.core import replication
from rilo_node.core.convert import policy_to_pb
from rilo_node.core.policy import (
    SCOPES,
    annex_set,
    discover_set,
    hold_set,
    parse_policy,
)
from rilo_node.core.replication import (
    BUCKETS,
    Entitled,
    Entitlements,
    Offer,
    Verdict,
    bucket_of,
    differing_buckets,
    digest,
    direct_targets,
    judge,
    key_hash,
    offer,
    wanted,
    withdrawal_targets,
)
from rilo_node.core.signing import SigningKey, make_record
from rilo_node.core.topology import Directory
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.peers import Links
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2

REAL = load_topology(default_topology_path())
ENT = Entitlements(REAL)  # one per directory, as a node keeps it; tests that count cache hits make their own

NODE_IDS = REAL.ids()
OFFICES = tuple(n.id for n in REAL if n.role != "member")  # wco and the 12 RILOs: the relays
MEMBERS_WITH_RILO = tuple(n.id for n in REAL if n.role == "member" and n.area is not None)
EUR = REAL.ids_where("region", "EUR")

RECORD_ID = "01JQ6ZK0000000000000000000"
CREATED_AT = "2026-03-14T10:00:00.000000Z"

PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# The digest, wanted and judge properties range over a few dozen keys and versions: fewer examples cover them.
SMALL_SPACE = settings(PROPERTY, max_examples=100)


@functools.cache
def signing_key(node_id: str) -> SigningKey:
    return SigningKey(node_id, hashlib.sha256(node_id.encode()).digest())


def policy_msg(data: dict | None, directory: Directory = REAL) -> policy_pb2.SharingPolicy:
    """The explicit policy a submitter's JSON resolves to, as it goes into a signed header."""
    return policy_to_pb(parse_policy(data, directory))


def header(origin: str, policy: dict | None = None, *, version: int = 1, record_id: str = RECORD_ID,
           annex: bytes | None = None) -> record_pb2.RecordHeader:
    """The header of a real signed seizure record from `origin`."""
    rec = make_record(signing_key(origin), record_id=record_id, version=version,
                      kind=record_pb2.RECORD_KIND_SEIZURE, created_at=CREATED_AT,
                      policy=policy_msg(policy), body=b'{"case_ref": "HH-2026-0042"}', annex=annex)
    return record_pb2.RecordHeader.FromString(rec.header)


@functools.cache
def _real_adjacency() -> dict[str, tuple[str, ...]]:
    return {n: REAL.peers(n) for n in NODE_IDS}


def adjacency(directory: Directory) -> dict[str, tuple[str, ...]]:
    return _real_adjacency() if directory is REAL else {n: directory.peers(n) for n in directory.ids()}


def reached(directory: Directory, origin: str, allowed: frozenset[str]) -> set[str]:
    """The test's own BFS: nodes joined to `origin` along Directory.peers by a chain of `allowed` nodes."""
    adj = adjacency(directory)
    seen, stack = {origin}, [origin]
    while stack:
        for peer in adj[stack.pop()]:
            if peer in allowed and peer not in seen:
                seen.add(peer)
                stack.append(peer)
    return seen


# --- strategies -----------------------------------------------------------------------------------

@functools.cache
def _near(origin: str) -> tuple[str, ...]:
    return tuple(sorted({origin, *REAL.peers(origin), *REAL.members_of(REAL.get(origin).area or "-")}))


@st.composite
def policies_from(draw, origin: str) -> dict:
    """A random explicit-or-partial policy JSON naming real nodes, biased towards the origin's neighbours
    (so that `exclude` often cuts the origin off from its relays)."""
    ids = st.one_of(st.sampled_from(OFFICES), st.sampled_from(NODE_IDS), st.sampled_from(_near(origin)))
    spec = st.fixed_dictionaries(
        {"scope": st.sampled_from(SCOPES)},
        optional={"nodes": st.lists(ids, max_size=4), "exclude": st.lists(ids, max_size=4)},
    )
    return draw(st.fixed_dictionaries({}, optional={
        "share": spec, "discover": spec, "annex": spec,
        "tlp": st.sampled_from(("CLEAR", "GREEN", "AMBER", "AMBER_STRICT")),
    }))


origins = st.one_of(st.sampled_from(OFFICES), st.sampled_from(NODE_IDS))


@st.composite
def records(draw) -> tuple[str, dict, record_pb2.RecordHeader]:
    origin = draw(origins)
    data = draw(policies_from(origin))
    return origin, data, header(origin, data, annex=draw(st.sampled_from((None, b'{"offenders": []}'))))


# --- Entitlements.of --------------------------------------------------------------------------------

OF_CASES = [
    ("de", {}),
    ("de", {"share": {"scope": "AREA"}, "annex": {"scope": "REGION"}}),
    ("de", {"share": {"scope": "NAMED", "nodes": ["kr"]}, "annex": {"scope": "GLOBAL"}}),
    ("de", {"share": {"scope": "REGION", "exclude": ["rilo-we", "de"]}, "discover": {"scope": "RILOS"}}),
    ("kr", {"tlp": "AMBER_STRICT"}),
    ("rilo-ap", {"share": {"scope": "RILOS", "nodes": ["us"]}, "annex": {"scope": "AREA"}}),
    ("us", {"share": {"scope": "AREA"}}),
    ("wco", {"tlp": "GREEN", "annex": {"scope": "RILOS", "exclude": ["rilo-we"]}}),
]


@pytest.mark.parametrize(("origin", "data"), OF_CASES)
def test_entitlements_of_a_header_are_the_sets_of_policy_py(origin, data):
    # docs/protocol.md#the-policy-rule: H = set(share), D = H ∪ set(discover), A = (H ∩ set(annex)) ∪ {o};
    # the header's policy, read back from the signed bytes, must give exactly policy.py's sets.
    policy = parse_policy(data, REAL)
    ent = ENT.of(header(origin, data))
    assert ent == Entitled(hold_set(policy, origin, REAL), discover_set(policy, origin, REAL),
                           annex_set(policy, origin, REAL))


@PROPERTY
@given(records())
def test_entitlements_of_any_policy_match_policy_py_and_keep_the_annex_within_the_holders(case):
    origin, data, h = case
    policy = parse_policy(data, REAL)
    ent = ENT.of(h)
    assert ent.hold == hold_set(policy, origin, REAL)
    assert ent.discover == discover_set(policy, origin, REAL)
    assert ent.annex == annex_set(policy, origin, REAL)
    # docs/protocol.md#the-policy-rule: A = (H ∩ set(annex)) ∪ {o}, so A ⊆ H ∪ {o}; exclude never removes o.
    assert ent.annex <= ent.hold | {origin}
    assert origin in ent.hold and origin in ent.annex
    # docs/protocol.md#the-policy-rule: D = H ∪ set(discover).
    assert ent.hold <= ent.discover


def test_entitlements_are_computed_once_per_origin_and_policy(monkeypatch):
    calls = []

    def counting_hold_set(policy, origin, directory):
        calls.append(origin)
        return hold_set(policy, origin, directory)

    monkeypatch.setattr(replication, "hold_set", counting_hold_set)
    ent = Entitlements(REAL)
    first = ent.of(header("de", {"share": {"scope": "AREA"}}))
    # Another record, another version, another annex: same origin and policy, so the same answer object.
    again = ent.of(header("de", {"share": {"scope": "AREA"}}, record_id="01JQ6ZK0000000000000000001",
                          version=7, annex=b"annex"))
    assert again is first
    assert calls == ["de"]

    other_origin = ent.of(header("fr", {"share": {"scope": "AREA"}}))
    other_policy = ent.of(header("de", {"share": {"scope": "REGION"}}))
    assert other_origin is not first and other_policy is not first
    assert calls == ["de", "fr", "de"]
    assert other_origin.hold == REAL.ids_where("area", "rilo-we")


def test_entitlements_cache_is_keyed_by_origin_and_policy_of_a_hand_built_header():
    # A RecordHeader built directly (no signature needed to decide entitlement).
    policy = policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_NAMED, nodes=["kr"]),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=policy_pb2.HANDLING_H0,
    )
    ent = Entitlements(REAL)
    a = ent.of(record_pb2.RecordHeader(origin="de", record_id="a", version=1, policy=policy))
    b = ent.of(record_pb2.RecordHeader(origin="de", record_id="b", version=2, policy=policy))
    assert a is b
    assert a == Entitled(frozenset({"de", "kr"}), frozenset({"de", "kr"}), frozenset({"de"}))


# --- offer ------------------------------------------------------------------------------------------

def test_a_node_outside_the_holders_is_offered_nothing():
    # docs/protocol.md#who-may-hold-a-record: the sender filters by policy; H = set(share).
    ent = ENT.of(header("de", {"share": {"scope": "AREA"}}))
    assert offer(ent, "kr", has_annex=False) is Offer.NOTHING
    assert offer(ent, "kr", has_annex=True) is Offer.NOTHING
    assert offer(ent, "pl", has_annex=True) is Offer.NOTHING  # same region, other area


def test_a_holder_outside_the_annex_set_gets_the_record_without_its_annex():
    # docs/protocol.md#redaction-and-tombstones: a node may pass the record on without the annex (redaction).
    ent = ENT.of(header("de", {"share": {"scope": "REGION"}, "annex": {"scope": "AREA"}}))
    assert offer(ent, "pl", has_annex=True) is Offer.WITHOUT_ANNEX


def test_a_holder_gets_the_full_record_when_it_may_hold_the_annex_or_there_is_none():
    ent = ENT.of(header("de", {"share": {"scope": "REGION"}, "annex": {"scope": "AREA"}}))
    assert offer(ent, "fr", has_annex=True) is Offer.FULL
    assert offer(ent, "rilo-we", has_annex=True) is Offer.FULL
    assert offer(ent, "pl", has_annex=False) is Offer.FULL  # nothing to strip
    assert offer(ent, "de", has_annex=True) is Offer.FULL  # the origin is always in A


@PROPERTY
@given(records(), st.one_of(st.sampled_from(NODE_IDS), st.sampled_from(OFFICES), st.just("zz")))
def test_offer_never_gives_a_record_outside_h_nor_an_annex_outside_a(case, receiver):
    origin, data, h = case
    # docs/protocol.md#the-policy-rule, computed here by policy.py, independent of the Entitlements cache.
    policy = parse_policy(data, REAL)
    hold, annex = hold_set(policy, origin, REAL), annex_set(policy, origin, REAL)
    has_annex = bool(h.annex_sha256)
    got = offer(ENT.of(h), receiver, has_annex)
    if receiver not in hold:
        assert got is Offer.NOTHING
    elif has_annex and receiver not in annex:
        assert got is Offer.WITHOUT_ANNEX
    else:
        assert got is Offer.FULL


# --- direct delivery --------------------------------------------------------------------------------

@pytest.mark.parametrize("scope", ["GLOBAL", "REGION", "AREA", "RILOS"])
def test_wide_scopes_from_any_member_with_a_rilo_need_no_direct_delivery(scope):
    # docs/protocol.md#overlay-links: each member links to its RILO, RILOs to every RILO, so a chain
    # of entitled nodes joins the origin to every node of these scopes.
    # (Members without a RILO are the exception: see the AMS test below.)
    needing = {}
    for member in MEMBERS_WITH_RILO:
        if scope == "REGION" and REAL.get(member).region == "AMS":
            continue
        targets = ENT.direct_targets(header(member, {"share": {"scope": scope}}))
        if targets:
            needing[member] = sorted(targets)
    assert needing == {}


def test_region_scope_in_ams_needs_the_members_without_a_rilo_directly():
    # docs/protocol.md#direct-delivery: us, ca, mx link only to wco, which has no region, so no chain
    # of AMS nodes reaches them; the origin delivers to them itself.
    assert ENT.direct_targets(header("br", {"share": {"scope": "REGION"}})) == {"us", "ca", "mx"}


def test_named_nodes_in_another_region_are_delivered_to_directly():
    # docs/protocol.md#direct-delivery: de's only peer, rilo-we, is not entitled, so kr is direct.
    assert ENT.direct_targets(header("de", {"share": {"scope": "NAMED", "nodes": ["kr"]}})) == {"kr"}


def test_excluding_the_origins_only_relay_makes_every_other_region_node_direct():
    # docs/protocol.md#exclude-and-named: exclude removes rilo-we from H; de's only overlay peer is rilo-we,
    # and relays pass on only what they may hold, so no chain of entitled nodes leaves de.
    h = header("de", {"share": {"scope": "REGION", "exclude": ["rilo-we"]}})
    assert REAL.peers("de") == ("rilo-we",)
    assert ENT.direct_targets(h) == EUR - {"de", "rilo-we"}


def test_an_annex_holder_reached_only_through_relays_without_the_annex_is_direct():
    # docs/protocol.md#direct-delivery: the sender strips annexes the receiver may not hold, so fr (in A)
    # would get the record from rilo-we (in H, not in A) without its annex.
    h = header("de", {"share": {"scope": "REGION"}, "annex": {"scope": "NAMED", "nodes": ["fr"]}})
    assert ENT.of(h).annex == {"de", "fr"}
    assert ENT.direct_targets(h) == {"fr"}
    # The origin's own peer in A is reached without help.
    h = header("de", {"share": {"scope": "REGION"}, "annex": {"scope": "NAMED", "nodes": ["rilo-we"]}})
    assert ENT.direct_targets(h) == frozenset()


def test_direct_targets_on_a_small_network_follow_its_own_links():
    small = REAL.subset(["wco", "rilo-we", "rilo-ap", "de", "fr", "kr", "us"])
    ent = Entitlements(small)
    # GLOBAL on the small network: us hangs off wco, which relays; nothing is direct.
    assert ent.direct_targets(header("de", {"share": {"scope": "GLOBAL"}})) == frozenset()
    # RILOS + us: wco is not a RILO, so us is reached only by the origin.
    assert ent.direct_targets(header("de", {"share": {"scope": "RILOS", "nodes": ["us"]}})) == {"us"}
    # A named node outside this directory is never a target: the origin has no address for it.
    assert ent.direct_targets(header("de", {"share": {"scope": "NAMED", "nodes": ["kr", "pl"]}})) == {"kr"}


def test_direct_targets_skip_the_origin_and_nodes_missing_from_the_adjacency():
    adj = {"o": frozenset({"a"}), "a": frozenset({"o", "b"}), "b": frozenset({"a"}), "c": frozenset()}
    assert direct_targets(frozenset({"o", "a", "b"}), "o", adj) == frozenset()
    assert direct_targets(frozenset({"o", "b", "c", "x"}), "o", adj) == {"b", "c"}


@st.composite
def networks(draw) -> Directory:
    """The real topology, or a random part of it (policies may then name nodes outside it)."""
    if draw(st.booleans()):
        return REAL
    return REAL.subset(draw(st.sets(st.one_of(st.sampled_from(OFFICES), st.sampled_from(NODE_IDS)),
                                    min_size=1, max_size=25)))


@PROPERTY
@given(networks(), st.data())
def test_every_entitled_node_is_reached_through_entitled_nodes_or_delivered_to_directly(directory, data):
    origin = data.draw(st.sampled_from(directory.ids()), label="origin")
    policy = data.draw(policies_from(origin), label="policy")
    h = header(origin, policy)
    ent = Entitlements(directory) if directory is not REAL else ENT
    e = ent.of(h)
    targets = ent.direct_targets(h)
    members = directory.id_set()
    by_holders = reached(directory, origin, e.hold)
    by_annex_holders = reached(directory, origin, e.annex)
    # docs/protocol.md#direct-delivery: where no chain of entitled nodes joins the origin to an entitled
    # node, the origin delivers to it directly; relays pass on only what they may hold (H for the record,
    # A for the annex).
    for node in e.hold & members:
        assert node in by_holders or node in targets, node
    for node in e.annex & members:
        assert node in by_annex_holders or node in targets, node
    # Never more than that: only entitled nodes of the directory, never the origin, none reachable both ways.
    assert targets <= (e.hold | e.annex) & members
    assert origin not in targets
    for node in targets:
        assert node not in by_holders or node not in by_annex_holders, node


# --- withdrawal -------------------------------------------------------------------------------------

def test_narrowing_withdraws_from_exactly_the_nodes_that_lose_the_record():
    # docs/protocol.md#corrections-and-withdrawals: every node the earlier version entitled and the new one does not
    # gets a signed withdrawal.
    old = ENT.of(header("de", {"share": {"scope": "REGION"}}))
    new = ENT.of(header("de", {"share": {"scope": "AREA"}}, version=2))
    assert withdrawal_targets(old, new, "de") == EUR - REAL.ids_where("area", "rilo-we")


def test_widening_withdraws_from_no_one():
    old = ENT.of(header("de", {"share": {"scope": "AREA"}}))
    new = ENT.of(header("de", {"share": {"scope": "GLOBAL"}}, version=2))
    assert withdrawal_targets(old, new, "de") == frozenset()
    assert withdrawal_targets(old, old, "de") == frozenset()


def test_the_origin_never_receives_a_withdrawal_of_its_own_record():
    old = Entitled(frozenset({"de", "fr"}), frozenset({"de", "fr"}), frozenset({"de"}))
    new = Entitled(frozenset(), frozenset(), frozenset())
    assert withdrawal_targets(old, new, "de") == {"fr"}


# --- judge ------------------------------------------------------------------------------------------

REGION_DE = {"share": {"scope": "REGION"}, "annex": {"scope": "AREA"}}


def verdict(me, *, version=1, held=None, through=None, has_annex=False, held_annex=False, policy=REGION_DE):
    h = header("de", policy, version=version, annex=b"annex" if has_annex else None)
    return judge(h, me, ENT.of(h), held, through, has_annex=has_annex, held_annex=held_annex)


def test_a_record_that_does_not_entitle_the_receiver_is_refused_before_anything_else():
    # docs/protocol.md#what-a-receiver-does-with-a-record: a record arriving at a node it does not entitle is refused
    # (the receiver checks, not only the sender), whatever else is true of it.
    assert verdict("kr") is Verdict.NOT_ENTITLED
    assert verdict("kr", version=1, through=5) is Verdict.NOT_ENTITLED
    assert verdict("kr", version=3, held=3, has_annex=True) is Verdict.NOT_ENTITLED
    assert verdict("kr", version=1, held=4) is Verdict.NOT_ENTITLED


def test_a_version_below_a_withdrawal_is_not_stored_again():
    # docs/protocol.md#corrections-and-withdrawals: a withdrawal drops the versions the node may no longer hold.
    assert verdict("fr", version=1, through=2) is Verdict.WITHDRAWN
    assert verdict("fr", version=1, held=1, through=2) is Verdict.WITHDRAWN


def test_a_version_at_or_after_a_withdrawal_is_stored():
    assert verdict("fr", version=2, through=2) is Verdict.STORE
    assert verdict("fr", version=3, held=1, through=2) is Verdict.STORE


def test_the_same_version_again_is_a_duplicate():
    # docs/protocol.md#what-a-receiver-does-with-a-record: duplicates are dropped by key, so loops in the overlay are
    # harmless.
    assert verdict("fr", version=2, held=2) is Verdict.DUPLICATE
    assert verdict("fr", version=2, held=2, has_annex=True, held_annex=True) is Verdict.DUPLICATE
    # pl is in H but not in A: an annex it may not hold adds nothing.
    assert verdict("pl", version=2, held=2, has_annex=True) is Verdict.DUPLICATE


def test_the_same_version_with_an_annex_the_node_may_hold_and_lacks_adds_the_annex():
    # docs/protocol.md#what-a-receiver-does-with-a-record: a relay may have passed the record on without the annex.
    assert verdict("fr", version=2, held=2, has_annex=True, held_annex=False) is Verdict.ANNEX


def test_a_lower_version_than_the_one_held_is_older():
    # docs/protocol.md#record-key-and-versions: the highest version from the origin wins.
    assert verdict("fr", version=1, held=2) is Verdict.OLDER
    assert verdict("fr", version=1, held=2, has_annex=True) is Verdict.OLDER


def test_a_new_record_or_a_newer_version_is_stored():
    assert verdict("fr") is Verdict.STORE
    assert verdict("fr", version=3, held=2) is Verdict.STORE
    assert verdict("de", version=1) is Verdict.STORE  # the origin is in H


@SMALL_SPACE
@given(st.integers(1, 6), st.none() | st.integers(1, 6), st.none() | st.integers(1, 6), st.booleans(),
       st.booleans(), st.sampled_from(("fr", "pl", "kr")))
def test_a_receiver_never_stores_a_record_it_may_not_hold_or_a_version_not_newer(
        version, held, through, has_annex, held_annex, me):
    got = verdict(me, version=version, held=held, through=through, has_annex=has_annex, held_annex=held_annex)
    if got in (Verdict.STORE, Verdict.ANNEX):
        assert me in ENT.of(header("de", REGION_DE)).hold
        assert through is None or version >= through
    if got is Verdict.STORE:
        assert held is None or version > held
    if got is Verdict.ANNEX:
        assert version == held and has_annex and not held_annex and me == "fr"


# --- anti-entropy digests ---------------------------------------------------------------------------

RECORD_IDS = tuple(f"01JQ6ZK{i:019d}" for i in range(12))
KEY_ORIGINS = ("de", "fr", "kr", "rilo-we", "wco")
# {(origin, record_id): version}; drawn as small integers (cheap to generate and shrink), then named.
key_sets = st.dictionaries(st.integers(0, len(KEY_ORIGINS) * len(RECORD_IDS) - 1), st.integers(1, 5),
                           max_size=16).map(
    lambda d: {(KEY_ORIGINS[k % len(KEY_ORIGINS)], RECORD_IDS[k // len(KEY_ORIGINS)]): v for k, v in d.items()})


def keys_of(held: dict) -> list[tuple[str, str, int]]:
    return [(o, r, v) for (o, r), v in held.items()]


def test_bucket_and_key_hash_are_stable_and_in_range():
    assert 0 <= bucket_of("de", RECORD_ID) < BUCKETS
    assert bucket_of("de", RECORD_ID) == bucket_of("de", RECORD_ID)
    assert len(key_hash("de", RECORD_ID, 1)) == 16
    assert key_hash("de", RECORD_ID, 1) != key_hash("de", RECORD_ID, 2)
    # The NUL separator keeps ("de", "x1") and ("de\x00x", "1")-style splits apart.
    assert key_hash("de", "1", 1) != key_hash("d", "e1", 1)


def test_an_empty_store_has_an_empty_digest():
    assert digest([]) == {}
    assert differing_buckets({}, {}) == []


@SMALL_SPACE
@given(key_sets, st.randoms(use_true_random=False))
def test_equal_key_sets_give_equal_digests_in_any_order(held, rnd):
    keys = keys_of(held)
    shuffled = list(keys)
    rnd.shuffle(shuffled)
    assert digest(keys) == digest(shuffled)
    assert differing_buckets(digest(keys), digest(shuffled)) == []
    assert sum(count for count, _ in digest(keys).values()) == len(keys)


@SMALL_SPACE
@given(key_sets.filter(bool), st.data())
def test_one_changed_version_changes_exactly_its_bucket(held, data):
    origin, record_id = data.draw(st.sampled_from(sorted(held)))
    changed = dict(held)
    changed[(origin, record_id)] += data.draw(st.integers(1, 3))
    assert differing_buckets(digest(keys_of(held)), digest(keys_of(changed))) == [bucket_of(origin, record_id)]


@SMALL_SPACE
@given(key_sets, st.data())
def test_one_added_key_changes_exactly_its_bucket(held, data):
    # An origin key_sets never draws, so the key is new.
    key = ("ng", data.draw(st.sampled_from(RECORD_IDS)))
    more = {**held, key: 1}
    assert differing_buckets(digest(keys_of(held)), digest(keys_of(more))) == [bucket_of(*key)]


def test_wanted_returns_what_the_peer_has_newer_or_i_lack():
    mine = {("de", "a"): 2, ("de", "b"): 1, ("fr", "c"): 3}
    theirs = [("de", "a", 2), ("de", "b", 2), ("fr", "c", 1), ("kr", "d", 1)]
    assert wanted(mine, theirs) == [("de", "b", 2), ("kr", "d", 1)]
    assert wanted(mine, []) == []


@SMALL_SPACE
@given(key_sets, key_sets)
def test_wanted_asks_for_exactly_the_newer_or_missing_keys(mine, theirs_held):
    theirs = keys_of(theirs_held)
    got = wanted(mine, theirs)
    for o, r, v in theirs:
        newer = (o, r) not in mine or mine[(o, r)] < v
        assert ((o, r, v) in got) == newer
    assert set(got) <= set(theirs)


# --- Links (simulated partitions) -------------------------------------------------------------------

def test_a_cut_blocks_both_directions_and_only_that_pair():
    # STYLE.md "Tests": partitions by cutting a peer link; a cut pair cannot reach each other either way.
    links = Links()
    links.cut("de", "rilo-we")
    assert links.is_cut("de", "rilo-we") and links.is_cut("rilo-we", "de")
    assert not links.is_cut("de", "fr")
    assert not links.is_cut("fr", "rilo-we")


def test_healing_a_pair_in_either_order_undoes_its_cut():
    links = Links()
    links.cut("de", "rilo-we")
    links.cut("fr", "rilo-we")
    links.heal("rilo-we", "de")
    assert not links.is_cut("de", "rilo-we")
    assert links.is_cut("rilo-we", "fr")


def test_heal_with_no_pair_heals_every_cut():
    # docs/operator-guide.md#the-simulated-network: `cluster heal [A B]` undoes one partition, or all.
    links = Links()
    links.cut("de", "rilo-we")
    links.cut("kr", "rilo-ap")
    links.heal()
    assert not links.is_cut("de", "rilo-we") and not links.is_cut("kr", "rilo-ap")


def _write_links(path, pairs, *, mtime_ns: int | None = None) -> None:
    path.write_text(json.dumps({"cut": pairs}))
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_file_backed_links_treat_a_missing_file_as_no_cuts(tmp_path):
    links = Links(tmp_path / "links.json")
    assert not links.is_cut("de", "rilo-we")


def test_file_backed_links_pick_up_a_file_written_later_and_its_edits(tmp_path):
    # docs/operator-guide.md#the-simulated-network: `cluster partition` / `cluster heal` reach running nodes
    # through this file.
    path = tmp_path / "links.json"
    links = Links(path)
    assert not links.is_cut("de", "rilo-we")

    _write_links(path, [["de", "rilo-we"]])
    assert links.is_cut("de", "rilo-we") and links.is_cut("rilo-we", "de")
    first = path.stat().st_mtime_ns

    # Each edit gets a later mtime explicitly, so the test does not depend on the filesystem's clock tick.
    _write_links(path, [["kr", "rilo-ap"]], mtime_ns=first + 1_000_000_000)
    assert not links.is_cut("de", "rilo-we")
    assert links.is_cut("rilo-ap", "kr")

    _write_links(path, [], mtime_ns=first + 2_000_000_000)
    assert not links.is_cut("kr", "rilo-ap")

    _write_links(path, [["de", "rilo-we"]], mtime_ns=first + 3_000_000_000)
    assert links.is_cut("de", "rilo-we")
    path.unlink()
    assert not links.is_cut("de", "rilo-we")


def test_file_backed_links_notice_an_edit_that_keeps_the_same_mtime(tmp_path):
    path = tmp_path / "links.json"
    links = Links(path)
    _write_links(path, [["de", "rilo-we"]])
    assert links.is_cut("de", "rilo-we")
    same = path.stat().st_mtime_ns
    _write_links(path, [], mtime_ns=same)
    assert not links.is_cut("de", "rilo-we")
