"""Derived policies (rilo_node.core.policy.with_node, within_region): properties over random policies.

Policies are built directly (Policy / ScopeSpec) with random scopes from SCOPES and random node sets of
the real directory (config/topology.toml); origins are members (with and without a RILO) and RILOs.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.policy import (
    SCOPES,
    Policy,
    ScopeSpec,
    annex_set,
    discover_set,
    hold_set,
    parse_policy,
    scope_set,
    with_node,
    within_region,
)
from rilo_node.node.directory import default_topology_path, load_topology

REAL = load_topology(default_topology_path())
IDS = REAL.ids()
ORIGINS = tuple(n.id for n in REAL if n.role in ("member", "rilo"))
PARTS = ("share", "discover", "annex")
INNER_SCOPES = ("ORIGIN", "NAMED", "AREA", "REGION")

SETTINGS = settings(max_examples=200, deadline=None)


@functools.lru_cache(maxsize=None)
def inside(origin: str) -> frozenset[str]:
    """{o} ∪ region(o), computed from the node list rather than the directory's index."""
    region = REAL.get(origin).region
    return frozenset({origin} | {n.id for n in REAL if n.region is not None and n.region == region})


def ids_st(pool, max_size=5):
    return st.lists(st.sampled_from(tuple(pool)), max_size=max_size, unique=True).map(lambda xs: tuple(sorted(xs)))


def spec_st(pool=IDS, scopes=SCOPES):
    return st.builds(ScopeSpec, st.sampled_from(scopes), ids_st(pool), ids_st(IDS, 3))


@functools.lru_cache(maxsize=None)
def policy_st(pool=IDS, scopes=SCOPES):
    # Cached: building a strategy anew for every draw costs more than the test itself.
    return st.builds(
        Policy, spec_st(pool, scopes), spec_st(pool, scopes), spec_st(pool, scopes),
        tlp=st.sampled_from((None, "GREEN", "AMBER", "RED")),
        handling=st.sampled_from(("H0", "H1", "H2")),
    )


@st.composite
def origin_and_policy(draw, scopes=SCOPES, in_region=False):
    origin = draw(st.sampled_from(ORIGINS))
    # Named nodes drawn both from the origin's region (where within_region keeps them) and from anywhere.
    region_pool = tuple(sorted(inside(origin)))
    pool = region_pool if in_region else draw(st.sampled_from((region_pool, IDS)))
    return origin, draw(policy_st(pool, scopes))


def sets(policy, origin):
    return hold_set(policy, origin, REAL), discover_set(policy, origin, REAL), annex_set(policy, origin, REAL)


def test_origins_cover_every_kind_of_node():
    assert {"de", "us", "jp", "rilo-we", "rilo-ap"} <= set(ORIGINS)
    assert "wco" not in ORIGINS
    assert REAL.get("us").area is None


# --- with_node -----------------------------------------------------------------------------------------

# Each property test checks several laws on one draw: drawing a policy costs more than checking it.
# with_node's contract: H' = H ∪ {node}; with annex A' = A ∪ {node}, else A' = A; D and the rest unchanged.
# Given origin and directory it holds for any node; without them the caller ensures node ∉ H.

def check_with_node(policy, origin, node, out, annex):
    h, d, a = sets(policy, origin)
    h2, d2, a2 = sets(out, origin)
    assert h2 == h | {node}
    assert d2 >= d and d2 == d | {node}
    assert a2 == (a | {node} if annex else a)
    assert out.discover == policy.discover
    assert (out.tlp, out.handling, out.handling_note) == (policy.tlp, policy.handling, policy.handling_note)
    assert out.share.scope == policy.share.scope and out.annex.scope == policy.annex.scope


@given(origin_and_policy(), st.sampled_from(IDS))
@SETTINGS
def test_with_node_given_the_origin_widens_by_the_node_alone(op, node):
    origin, policy = op
    h, _, a = sets(policy, origin)
    for annex in (False, True):
        out = with_node(policy, node, annex=annex, origin=origin, directory=REAL)
        check_with_node(policy, origin, node, out, annex)
        # a node that may hold that much already leaves the policy as it is
        if node in h and (not annex or node in a):
            assert out == policy
        # idempotent
        assert with_node(out, node, annex=annex, origin=origin, directory=REAL) == out


@given(origin_and_policy(), st.sampled_from(IDS))
@SETTINGS
def test_with_node_for_a_node_not_yet_holding(op, node):
    origin, policy = op
    h = hold_set(policy, origin, REAL)
    if node in h:
        others = [n for n in IDS if n not in h]
        if not others:
            return  # everyone holds the record already (e.g. share GLOBAL)
        node = others[IDS.index(node) % len(others)]
    for annex in (False, True):
        out = with_node(policy, node, annex=annex)
        check_with_node(policy, origin, node, out, annex)
        assert node in out.share.nodes and node not in out.share.exclude
        # the same policy whether or not with_node is told the origin
        assert out == with_node(policy, node, annex=annex, origin=origin, directory=REAL)
        assert with_node(out, node, annex=annex) == out


def test_release_without_annex_does_not_release_the_annex(directory):
    # de's seizure: held in its area (rilo-we), annex for region holders; the addressee releases it to pl
    # (EUR, under rilo-ece) without release_annex. set(annex) covers pl: without care A' would too.
    policy = parse_policy({"share": {"scope": "AREA"}, "annex": {"scope": "REGION"}}, directory)
    assert "pl" not in hold_set(policy, "de", directory)
    for released in (with_node(policy, "pl"), with_node(policy, "pl", origin="de", directory=directory)):
        assert "pl" in hold_set(released, "de", directory)
        assert annex_set(released, "de", directory) == annex_set(policy, "de", directory)
        assert "pl" not in annex_set(released, "de", directory)
    both = with_node(policy, "pl", annex=True, origin="de", directory=directory)
    assert annex_set(both, "de", directory) == annex_set(policy, "de", directory) | {"pl"}


def test_release_to_a_holder_keeps_its_annex(directory):
    # fr holds de's record and its annex already: a release without annex takes nothing away.
    policy = parse_policy({"share": {"scope": "AREA"}, "annex": {"scope": "REGION"}}, directory)
    assert "fr" in annex_set(policy, "de", directory)
    assert with_node(policy, "fr", origin="de", directory=directory) == policy
    assert with_node(policy, "fr", annex=True, origin="de", directory=directory) == policy


def test_within_region_keep_gives_no_annex_the_submitted_policy_withheld(directory):
    # de submits: held by jp, annex for region holders: A = {de}. Held for validation, the RILO is kept.
    policy = parse_policy({"share": {"scope": "NAMED", "nodes": ["jp"]}, "annex": {"scope": "REGION"}}, directory)
    assert annex_set(policy, "de", directory) == {"de"}
    held = within_region(policy, "de", directory, keep=("rilo-we",))
    assert "rilo-we" in hold_set(held, "de", directory)
    assert annex_set(held, "de", directory) == {"de"}


def test_with_node_examples(directory):
    policy = parse_policy({"share": {"scope": "AREA", "exclude": ["fr"]}, "annex": {"scope": "ORIGIN"}}, directory)
    assert "fr" not in hold_set(policy, "de", directory)
    released = with_node(policy, "fr", origin="de", directory=directory)
    assert released.share == ScopeSpec("AREA", ("fr",), ())
    assert hold_set(released, "de", directory) == hold_set(policy, "de", directory) | {"fr"}
    assert annex_set(released, "de", directory) == {"de"}
    both = with_node(policy, "jp", annex=True, origin="de", directory=directory)
    assert both.share == ScopeSpec("AREA", ("jp",), ("fr",))
    assert both.annex == ScopeSpec("ORIGIN", ("jp",), ())
    assert annex_set(both, "de", directory) == {"de", "jp"}


# --- within_region -------------------------------------------------------------------------------------

@given(origin_and_policy())
@SETTINGS
def test_within_region_is_the_policy_intersected_with_the_region(op):
    origin, policy = op
    region = inside(origin)
    cut = within_region(policy, origin, REAL)
    # each part: set(cut part) = set(part) ∩ ({o} ∪ region(o))
    for part in PARTS:
        assert scope_set(getattr(cut, part), origin, REAL) == scope_set(getattr(policy, part), origin, REAL) & region
    # and so H', D', A' are H, D, A inside the region
    h, d, a = sets(policy, origin)
    h2, d2, a2 = sets(cut, origin)
    assert h2 <= region and d2 <= region and a2 <= region
    assert (h2, d2, a2) == (h & region, d & region, a & region)
    assert origin in h2 and origin in a2
    # labels kept, no scope reaching beyond the region, idempotent
    assert (cut.tlp, cut.handling, cut.handling_note) == (policy.tlp, policy.handling, policy.handling_note)
    assert all(getattr(cut, part).scope not in ("GLOBAL", "RILOS") for part in PARTS)
    assert within_region(cut, origin, REAL) == cut


@given(origin_and_policy(scopes=INNER_SCOPES, in_region=True))
@SETTINGS
def test_a_policy_inside_the_region_is_returned_equal(op):
    origin, policy = op
    assert within_region(policy, origin, REAL) == policy


@given(origin_and_policy(), st.lists(st.sampled_from(IDS), max_size=2, unique=True))
@SETTINGS
def test_within_region_keep_adds_holders_and_nothing_else(op, keep):
    origin, policy = op
    region = inside(origin)
    cut = within_region(policy, origin, REAL)
    kept = within_region(policy, origin, REAL, keep=tuple(keep))
    h, d, a = sets(cut, origin)
    h2, d2, a2 = sets(kept, origin)
    # the kept nodes hold the record wherever they are; everyone else is still cut to the region
    assert h2 == h | set(keep)
    assert d2 == d | set(keep)
    assert h2 - set(keep) <= region and d2 - set(keep) <= region
    assert kept.discover == cut.discover
    # the kept nodes get the record, not its annex: A' = A, inside the region
    assert a2 == a and a2 <= region


def test_within_region_keeps_the_home_rilo(directory):
    policy = parse_policy({"share": {"scope": "NAMED", "nodes": ["jp"]}, "discover": {"scope": "RILOS"}}, directory)
    kept = within_region(policy, "de", directory, keep=("rilo-we",))
    assert hold_set(kept, "de", directory) == {"de", "rilo-we"}
    assert annex_set(kept, "de", directory) == {"de"}
    assert within_region(policy, "de", directory, keep=()) == within_region(policy, "de", directory)


@pytest.mark.parametrize("origin, data, expected_share", [
    ("de", {"share": {"scope": "GLOBAL"}}, ScopeSpec("REGION")),
    ("de", {"share": {"scope": "RILOS"}}, ScopeSpec("NAMED", ("rilo-cis", "rilo-ece", "rilo-we"))),
    ("jp", {"share": {"scope": "RILOS", "nodes": ["kr", "de"]}}, ScopeSpec("NAMED", ("kr", "rilo-ap"))),
    ("de", {"share": {"scope": "NAMED", "nodes": ["fr", "jp", "us"]}}, ScopeSpec("NAMED", ("fr",))),
    ("us", {"share": {"scope": "AREA", "nodes": ["ca", "de"], "exclude": ["mx"]}},
     ScopeSpec("AREA", ("ca",), ("mx",))),
    ("rilo-we", {"share": {"scope": "REGION", "exclude": ["jp"]}}, ScopeSpec("REGION", (), ("jp",))),
])
def test_within_region_examples(directory, origin, data, expected_share):
    policy = parse_policy(data, directory)
    assert within_region(policy, origin, directory).share == expected_share


def test_within_region_of_a_global_policy_is_the_region(directory):
    policy = parse_policy({"share": {"scope": "GLOBAL"}, "discover": {"scope": "GLOBAL"},
                           "annex": {"scope": "GLOBAL"}}, directory)
    eur = directory.ids_where("region", "EUR")
    cut = within_region(policy, "de", directory)
    assert hold_set(cut, "de", directory) == discover_set(cut, "de", directory) == eur
    assert annex_set(cut, "de", directory) == eur
    assert "jp" not in eur and "wco" not in eur


def test_within_region_for_a_member_without_a_rilo(directory):
    policy = parse_policy({"share": {"scope": "RILOS"}, "discover": {"scope": "GLOBAL"}}, directory)
    cut = within_region(policy, "us", directory)
    assert hold_set(cut, "us", directory) == {"us", "rilo-sa", "rilo-car", "rilo-cam"}
    assert discover_set(cut, "us", directory) == directory.ids_where("region", "AMS")
