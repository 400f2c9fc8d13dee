"""Scope GROUP in the policy rule (docs/protocol.md#operations): vectors in the form of
policy-vectors.json, with the membership as input, and property tests. Pure: no store, no network."""

import json
import pathlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rilo_node.core.convert import policy_from_pb, policy_to_pb
from rilo_node.core.errors import PolicyError, ValidationError
from rilo_node.core.operations import (
    GroupRow,
    changed,
    check_group_origin,
    check_message,
    closed,
    due_to_close,
    groups_of,
    lost_by,
    membership,
    new_operation,
    report,
    to_withdraw,
)
from rilo_node.core.policy import (
    annex_set,
    discover_set,
    hold_set,
    parse_policy,
    policy_from_dict_trusted,
    policy_to_dict,
)
from rilo_node.core.topology import Directory

VECTORS = json.loads((pathlib.Path(__file__).resolve().parents[1] / "data" / "policy-vectors.json").read_text())
PARTNERS = [{"id": "interpol", "role": "partner"}, {"id": "europol", "role": "partner"}]
DIRECTORY = Directory.from_dicts(VECTORS["directory"] + PARTNERS)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

# The operation of the vectors: owner rilo-we, members de, fr, pl and the partner interpol.
OP = new_operation(operation_id="op-tide", name="Tide", purpose="cocaine in reefers", owner="rilo-we",
                   members=["de", "fr", "pl", "interpol"], ends="2026-06-30", now=NOW, directory=DIRECTORY)
REMOVED = changed(OP, remove=["fr"], now=NOW, directory=DIRECTORY)
CLOSED = closed(OP)
MEMBERS = ["de", "fr", "interpol", "pl", "rilo-we"]

GROUP = {"share": {"scope": "GROUP", "group": "op-tide"}}

# (name, operation held by the evaluating node, origin, policy, H, D, A)
CASES = [
    ("member origin, discover absent: D is the group", OP, "de", GROUP, MEMBERS, MEMBERS, ["de"]),
    ("the owner's record", OP, "rilo-we", GROUP, MEMBERS, MEMBERS, ["rilo-we"]),
    ("annex to the group", OP, "de", {**GROUP, "annex": {"scope": "GROUP", "group": "op-tide"}},
     MEMBERS, MEMBERS, MEMBERS),
    # exclude applies to share; discover (the same group) still lets fr learn that the record exists
    ("exclude applies", OP, "de", {"share": {"scope": "GROUP", "group": "op-tide", "exclude": ["fr", "de"]}},
     ["de", "interpol", "pl", "rilo-we"], MEMBERS, ["de"]),
    ("nodes apply", OP, "de", {"share": {"scope": "GROUP", "group": "op-tide", "nodes": ["jp"]}},
     MEMBERS + ["jp"], sorted(MEMBERS + ["jp"]), ["de"]),
    ("discover named wider", OP, "de", {**GROUP, "discover": {"scope": "REGION"}},
     MEMBERS, sorted(set(MEMBERS) | {"rilo-ece"}), ["de"]),
    ("unknown operation: the origin alone", None, "de", GROUP, ["de"], ["de"], ["de"]),
    ("a member removed loses the group", REMOVED, "de", GROUP,
     ["de", "interpol", "pl", "rilo-we"], ["de", "interpol", "pl", "rilo-we"], ["de"]),
    ("the removed member's own record stays with the group", REMOVED, "fr", GROUP, MEMBERS, MEMBERS, ["fr"]),
    ("closed: the origin and the owner", CLOSED, "de", GROUP, ["de", "rilo-we"], ["de", "rilo-we"], ["de"]),
    ("closed, the owner's record: the owner alone", CLOSED, "rilo-we", GROUP, ["rilo-we"], ["rilo-we"], ["rilo-we"]),
    ("non-member origin (the rule gives the set; the receiver refuses it)", OP, "jp", GROUP,
     sorted(MEMBERS + ["jp"]), sorted(MEMBERS + ["jp"]), ["jp"]),
    ("a partner is in no base set but GROUP: GLOBAL", OP, "de", {"share": {"scope": "GLOBAL"}},
     sorted(set(DIRECTORY.ids()) - {"interpol", "europol"}), sorted(set(DIRECTORY.ids()) - {"interpol", "europol"}),
     ["de"]),
    ("a partner named in nodes holds it", OP, "de", {"share": {"scope": "REGION", "nodes": ["europol"]}},
     ["de", "europol", "fr", "pl", "rilo-ece", "rilo-we"], None, ["de"]),
    ("a partner's own record", OP, "interpol", GROUP, MEMBERS, MEMBERS, ["interpol"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_group_vectors(case):
    _name, op, origin, data, hold, discover, annex = case
    groups = groups_of([op]) if op is not None else {}
    policy = parse_policy(data, DIRECTORY)
    assert sorted(hold_set(policy, origin, DIRECTORY, groups)) == sorted(hold)
    if discover is not None:
        assert sorted(discover_set(policy, origin, DIRECTORY, groups)) == sorted(discover)
    assert sorted(annex_set(policy, origin, DIRECTORY, groups)) == sorted(annex)


def test_a_group_policy_without_membership_is_the_origin_alone():
    policy = parse_policy(GROUP, DIRECTORY)
    assert hold_set(policy, "de", DIRECTORY) == {"de"}


def test_discover_absent_becomes_the_same_group_and_survives_the_round_trips():
    policy = parse_policy(GROUP, DIRECTORY)
    assert policy.discover.scope == "GROUP" and policy.discover.group == "op-tide"
    explicit = policy_to_dict(policy)
    assert explicit["share"] == {"scope": "GROUP", "group": "op-tide"}
    assert policy_from_dict_trusted(explicit) == policy
    assert policy_from_pb(policy_to_pb(policy)) == policy


@pytest.mark.parametrize("data, field", [
    ({"share": {"scope": "GROUP"}}, "policy.share.group"),
    ({"share": {"scope": "GROUP", "group": "tide"}}, "policy.share.group"),
    ({"share": {"scope": "GROUP", "group": 7}}, "policy.share.group"),
    ({"share": {"scope": "REGION", "group": "op-tide"}}, "policy.share.group"),
    ({"share": {"scope": "GROUP", "group": "op-tide", "nodes": ["zz"]}}, "policy.share.nodes[0]"),
    ({"share": {"scope": "GROUPS", "group": "op-tide"}}, "policy.share.scope"),
])
def test_malformed_group_policies_are_refused_naming_the_field(data, field):
    with pytest.raises(PolicyError) as err:
        parse_policy(data, DIRECTORY)
    assert err.value.field == field


def test_the_receiver_refuses_a_non_member_origin_and_an_unknown_operation():
    policy = parse_policy(GROUP, DIRECTORY)
    ops = {"op-tide": OP}
    check_group_origin(policy, "de", ops)
    with pytest.raises(PolicyError, match="not a member"):
        check_group_origin(policy, "jp", ops)
    with pytest.raises(PolicyError, match="not a member"):
        check_group_origin(policy, "de", {})
    # Removed: may not share any more; what it shared as a member is still taken from others.
    with pytest.raises(PolicyError):
        check_group_origin(policy, "fr", {"op-tide": REMOVED})
    check_group_origin(policy, "fr", {"op-tide": REMOVED}, received=True)
    # Closed: no member shares any more, the owner neither; what was shared before still arrives.
    for origin in ("de", "rilo-we"):
        with pytest.raises(PolicyError, match="closed"):
            check_group_origin(policy, origin, {"op-tide": CLOSED})
    check_group_origin(policy, "de", {"op-tide": CLOSED}, received=True)


def test_membership_over_time():
    assert membership(OP) == set(MEMBERS)
    assert lost_by("fr", REMOVED) and not lost_by("de", REMOVED)
    assert lost_by("de", CLOSED) and not lost_by("rilo-we", CLOSED)
    assert lost_by("de", None)
    added = changed(REMOVED, add=["fr", "jp"], now=NOW, directory=DIRECTORY)
    assert set(added.members) == set(MEMBERS) | {"jp"} and list(added.removed) == []
    assert to_withdraw("fr", [("de", "a", 1), ("fr", "b", 2), ("pl", "c", 3)]) == [("de", "a", 2), ("pl", "c", 4)]


def test_bad_operation_input_is_refused_naming_the_field():
    kw = {"operation_id": "op-x", "name": "X", "purpose": "", "owner": "rilo-we", "now": NOW,
          "directory": DIRECTORY}
    with pytest.raises(ValidationError) as err:
        new_operation(members=["de", "zz"], ends="", **kw)
    assert err.value.field == "members[1]"
    with pytest.raises(ValidationError) as err:
        new_operation(members=["de"], ends="2026-04-30", **kw)
    assert err.value.field == "ends"
    with pytest.raises(ValidationError) as err:
        new_operation(members=["rilo-we"], ends="", **kw)
    assert err.value.field == "members"
    with pytest.raises(ValidationError) as err:
        changed(OP, remove=["rilo-we"], now=NOW, directory=DIRECTORY)
    assert err.value.field == "remove"
    with pytest.raises(ValidationError) as err:
        changed(OP, remove=["jp"], now=NOW, directory=DIRECTORY)
    assert err.value.field == "remove[0]"
    with pytest.raises(ValidationError):
        changed(CLOSED, add=["jp"], now=NOW, directory=DIRECTORY)


def test_messages_are_checked():
    assert check_message("op-tide", "x" * 4000, ["de/01ABC"]).text == "x" * 4000
    with pytest.raises(ValidationError) as err:
        check_message("op-tide", "x" * 4001, [])
    assert err.value.field == "text"
    with pytest.raises(ValidationError) as err:
        check_message("op-tide", "hello", ["nonsense"])
    assert err.value.field == "refs[0]"


def test_close_is_due_past_ends_only():
    assert not due_to_close(OP, NOW)
    assert due_to_close(OP, datetime(2026, 7, 1, tzinfo=UTC))
    assert not due_to_close(CLOSED, datetime(2027, 1, 1, tzinfo=UTC))


def test_report_counts_per_member_section_and_day():
    rows = [GroupRow("de", "SEIZURE", "2026-05-01T10:00:00Z", (("DRUGS", "COCAINE"),)),
            GroupRow("de", "MESSAGE", "2026-05-01T11:00:00Z"),
            GroupRow("fr", "SEIZURE", "2026-05-02T10:00:00Z", (("DRUGS", "COCAINE"), ("DRUGS", "CANNABIS")))]
    out = report(["de", "fr", "pl"], rows)
    assert out["members"] == [{"node": "de", "records": 1, "messages": 1}, {"node": "fr", "records": 1, "messages": 0},
                              {"node": "pl", "records": 0, "messages": 0}]
    assert out["seizures"][0] == {"section": "DRUGS", "category": "COCAINE", "count": 2}
    assert out["timeline"] == [{"day": "2026-05-01", "records": 1, "messages": 1},
                               {"day": "2026-05-02", "records": 1, "messages": 0}]


ids = st.sampled_from(sorted(DIRECTORY.ids()))


@settings(max_examples=60, deadline=None)
@given(owner=ids, members=st.sets(ids, max_size=8), origin=ids, nodes=st.sets(ids, max_size=3),
       exclude=st.sets(ids, max_size=3), is_closed=st.booleans())
def test_group_sets_follow_the_rule(owner, members, origin, nodes, exclude, is_closed):
    members = members - {owner} or {"de" if owner != "de" else "fr"}
    op = new_operation(operation_id="op-p", name="P", purpose="", owner=owner, members=sorted(members), ends="",
                       now=NOW, directory=DIRECTORY)
    if is_closed:
        op = closed(op)
    groups = groups_of([op])
    policy = parse_policy({"share": {"scope": "GROUP", "group": "op-p", "nodes": sorted(nodes),
                                     "exclude": sorted(exclude)}}, DIRECTORY)
    base = {origin} | (({owner} | members) if not is_closed else {owner})
    expected = (base | nodes) - (exclude - {origin})
    assert hold_set(policy, origin, DIRECTORY, groups) == expected
    # discover absent: the same group (share's nodes and exclude are share's alone), so nothing is
    # announced outside the group and the nodes it names
    assert discover_set(policy, origin, DIRECTORY, groups) == expected | base
    assert annex_set(policy, origin, DIRECTORY, groups) == {origin}


@settings(max_examples=60, deadline=None)
@given(origin=ids, scope=st.sampled_from(["ORIGIN", "NAMED", "AREA", "REGION", "RILOS", "GLOBAL"]))
def test_partners_are_in_no_other_base_set(origin, scope):
    policy = parse_policy({"share": {"scope": scope}, "discover": {"scope": scope}}, DIRECTORY)
    partners = {"interpol", "europol"} - {origin}
    assert not (discover_set(policy, origin, DIRECTORY, groups_of([OP])) & partners)
