"""The query planner (core.federation.plan_routes): every node in scope is asked once, by the overlay
where it leads and directly where it does not, through relays in scope or not (docs/protocol.md#routing)."""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rilo_node.core.federation import MAX_HOPS, plan_routes
from rilo_node.node.directory import default_topology_path, load_topology

REAL = load_topology(default_topology_path())
IDS = list(REAL.ids())


def walk(directory, asker: str, targets: set[str], down: frozenset[str] = frozenset()) -> tuple[list, set]:
    """Carry a query as the nodes do: each plans its part, a hop that is down is routed around once.
    Returns (every call made, as (from, to)), and the targets that got the query."""
    calls, reached = [], set()
    peers = functools.lru_cache(maxsize=None)(directory.peers)

    def ask(me: str, reach: set[str], hops: int) -> None:
        routes = plan_routes(me, reach, peers) if hops > 1 else {t: [t] for t in sorted(reach)}
        failed, retry = set(), set()
        for hop, part in routes.items():
            calls.append((me, hop))
            if hop in down:
                failed.add(hop)
                retry |= set(part) - {hop}
                continue
            reached.add(hop)
            ask(hop, set(part) - {hop}, hops - 1)
        for hop, part in plan_routes(me, retry, peers, avoid=failed).items():
            calls.append((me, hop))
            if hop not in down:
                reached.add(hop)
                ask(hop, set(part) - {hop}, hops - 1)

    ask(asker, set(targets) - {asker}, MAX_HOPS)
    return calls, reached


def test_a_member_reaches_a_member_of_another_area_through_two_rilos_outside_the_scope():
    assert plan_routes("de", {"pl"}, REAL.peers) == {"rilo-we": ["pl"]}
    assert plan_routes("rilo-we", {"pl"}, REAL.peers) == {"rilo-ece": ["pl"]}
    calls, reached = walk(REAL, "de", {"pl"})
    assert calls == [("de", "rilo-we"), ("rilo-we", "rilo-ece"), ("rilo-ece", "pl")]
    assert reached & {"pl"} == {"pl"}


def test_a_member_without_a_rilo_is_reached_through_the_secretariat():
    calls, _ = walk(REAL, "de", {"us"})
    assert calls == [("de", "rilo-we"), ("rilo-we", "wco"), ("wco", "us")]


def test_the_asker_is_never_routed_to_itself_and_a_plan_for_nobody_is_empty():
    assert plan_routes("de", {"de"}, REAL.peers) == {}
    assert plan_routes("de", set(), REAL.peers) == {}


def test_a_node_the_overlay_does_not_lead_to_is_asked_directly():
    small = REAL.subset(["de", "fr", "pl", "rilo-ece", "kr"])  # de has no RILO here: no overlay link at all
    assert plan_routes("de", {"pl", "kr", "fr"}, small.peers) == {"fr": ["fr"], "kr": ["kr"], "pl": ["pl"]}


def test_a_failed_hop_is_avoided_and_the_nodes_behind_it_go_another_way():
    routes = plan_routes("rilo-we", {"pl"}, REAL.peers, avoid={"rilo-ece"})
    assert routes == {"pl": ["pl"]}  # pl's only link is rilo-ece: asked directly
    routes = plan_routes("de", {"pl", "kr"}, REAL.peers, avoid={"rilo-we"})
    assert routes == {"kr": ["kr"], "pl": ["pl"]}


@st.composite
def queries(draw, min_nodes: int = 2):
    """A partial network of the real topology, an asker in it, and a scope of nodes in it."""
    ids = draw(st.lists(st.sampled_from(IDS), min_size=min_nodes, max_size=40, unique=True), label="network")
    asker = draw(st.sampled_from(ids), label="asker")
    targets = set(draw(st.lists(st.sampled_from(ids), min_size=1, max_size=8), label="scope"))
    return REAL.subset(ids), ids, asker, targets


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries())
def test_every_node_in_scope_is_asked_exactly_once_and_only_relays_are_asked_besides(query):
    directory, _, asker, targets = query
    calls, reached = walk(directory, asker, targets)
    asked = [to for _, to in calls]
    assert len(asked) == len(set(asked)), "a node was asked twice"
    assert targets - {asker} <= reached
    for frm, to in calls:
        # A call follows an overlay link, or goes straight to a node in scope.
        assert to in directory.peers(frm) or to in targets


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(min_nodes=3), data=st.data())
def test_with_relays_down_every_live_node_in_scope_is_still_asked(query, data):
    directory, ids, asker, targets = query
    down = frozenset(data.draw(st.lists(st.sampled_from([i for i in ids if i != asker]), max_size=3), label="down"))
    _, reached = walk(directory, asker, targets, down)
    assert (targets - {asker}) - down <= reached


@pytest.mark.parametrize("asker", ["de", "us", "wco", "rilo-ap", "kr"])
def test_a_global_query_on_the_real_network_asks_every_node_once_along_overlay_links(asker):
    calls, reached = walk(REAL, asker, set(IDS))
    assert reached == set(IDS) - {asker}
    assert all(to in REAL.peers(frm) for frm, to in calls)
