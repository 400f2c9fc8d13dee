"""The sharing policy of docs/protocol.md#sharing-policy: one case per rule, refusals, and properties."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rilo_node.core.errors import PolicyError, ValidationError
from rilo_node.core.policy import (
    HANDLING,
    SCOPES,
    TLP_REFUSED_SHARE_SCOPES,
    TLPS,
    Policy,
    PolicyDefaults,
    ScopeSpec,
    annex_set,
    discover_set,
    hold_set,
    may_discover,
    may_hold,
    may_hold_annex,
    parse_policy,
    policy_from_dict_trusted,
    policy_to_dict,
    scope_set,
)
from rilo_node.core.topology import Directory
from rilo_node.node.directory import default_topology_path, load_topology

# The small directory of policy-vectors.json, written out so each case reads on its own.
SMALL = Directory.from_dicts([
    {"id": "wco", "role": "secretariat", "region": None, "area": None},
    {"id": "rilo-we", "role": "rilo", "region": "EUR", "area": "rilo-we"},
    {"id": "rilo-ece", "role": "rilo", "region": "EUR", "area": "rilo-ece"},
    {"id": "rilo-ap", "role": "rilo", "region": "AP", "area": "rilo-ap"},
    {"id": "rilo-sa", "role": "rilo", "region": "AMS", "area": "rilo-sa"},
    {"id": "de", "role": "member", "region": "EUR", "area": "rilo-we"},
    {"id": "fr", "role": "member", "region": "EUR", "area": "rilo-we"},
    {"id": "pl", "role": "member", "region": "EUR", "area": "rilo-ece"},
    {"id": "kr", "role": "member", "region": "AP", "area": "rilo-ap"},
    {"id": "jp", "role": "member", "region": "AP", "area": "rilo-ap"},
    {"id": "br", "role": "member", "region": "AMS", "area": "rilo-sa"},
    {"id": "us", "role": "member", "region": "AMS", "area": None},
])
ALL = set(SMALL.ids())
RILOS = {"rilo-we", "rilo-ece", "rilo-ap", "rilo-sa"}
EUR = {"de", "fr", "pl", "rilo-we", "rilo-ece"}
WE_AREA = {"de", "fr", "rilo-we"}

REAL = load_topology(default_topology_path())


def spec(scope, nodes=(), exclude=()):
    return ScopeSpec(scope, tuple(nodes), tuple(exclude))


# --- one case per rule --------------------------------------------------------
# Each case: (rule, origin, policy JSON, expected sets); only the sets named are checked.

RULES = [
    ("base ORIGIN is the origin alone",
     "de", {"share": {"scope": "ORIGIN"}}, {"hold": {"de"}}),
    ("base NAMED is the origin alone, before nodes",
     "de", {"share": {"scope": "NAMED"}}, {"hold": {"de"}}),
    ("base AREA is the origin's RILO and its members",
     "de", {"share": {"scope": "AREA"}}, {"hold": WE_AREA}),
    ("base AREA of a RILO is itself and its members",
     "rilo-we", {"share": {"scope": "AREA"}}, {"hold": WE_AREA}),
    ("base AREA of a member without a RILO is the origin alone",
     "us", {"share": {"scope": "AREA"}}, {"hold": {"us"}}),
    ("base AREA of the Secretariat is the origin alone",
     "wco", {"share": {"scope": "AREA"}}, {"hold": {"wco"}}),
    ("base REGION is every node of the origin's region",
     "de", {"share": {"scope": "REGION"}}, {"hold": EUR}),
    ("base REGION includes members without a RILO",
     "br", {"share": {"scope": "REGION"}}, {"hold": {"br", "rilo-sa", "us"}}),
    ("base REGION of the Secretariat is the origin alone",
     "wco", {"share": {"scope": "REGION"}}, {"hold": {"wco"}}),
    ("base RILOS is the origin and every RILO",
     "kr", {"share": {"scope": "RILOS"}}, {"hold": RILOS | {"kr"}}),
    ("base GLOBAL is every node of the directory",
     "kr", {"share": {"scope": "GLOBAL"}}, {"hold": ALL}),
    ("nodes are added to the base",
     "de", {"share": {"scope": "AREA", "nodes": ["kr", "us"]}}, {"hold": WE_AREA | {"kr", "us"}}),
    ("exclude removes nodes from the base",
     "de", {"share": {"scope": "REGION", "exclude": ["pl", "rilo-ece"]}}, {"hold": WE_AREA}),
    ("exclude removes named nodes too",
     "de", {"share": {"scope": "AREA", "nodes": ["kr"], "exclude": ["kr"]}}, {"hold": WE_AREA}),
    ("exclude never removes the origin",
     "de", {"share": {"scope": "GLOBAL", "exclude": ["de", "fr"]}}, {"hold": ALL - {"fr"}}),
    ("defaults are share REGION, discover GLOBAL, annex ORIGIN",
     "de", {}, {"hold": EUR, "discover": ALL, "annex": {"de"}}),
    ("discover is share together with set(discover)",
     "de", {"share": {"scope": "AREA"}, "discover": {"scope": "ORIGIN", "nodes": ["kr"]}},
     {"discover": WE_AREA | {"kr"}}),
    ("annex is what share and annex both allow, plus the origin",
     "de", {"share": {"scope": "AREA"}, "annex": {"scope": "REGION", "nodes": ["kr"]}},
     {"annex": WE_AREA}),
    ("annex never reaches a node that may not hold the record",
     "de", {"share": {"scope": "ORIGIN"}, "annex": {"scope": "GLOBAL"}}, {"annex": {"de"}}),
    ("TLP CLEAR shares and discovers globally",
     "de", {"tlp": "CLEAR"}, {"hold": ALL, "discover": ALL, "annex": {"de"}}),
    ("TLP GREEN shares and discovers globally",
     "de", {"tlp": "GREEN"}, {"hold": ALL, "discover": ALL, "annex": {"de"}}),
    ("TLP AMBER shares in the region and discovers globally",
     "de", {"tlp": "AMBER"}, {"hold": EUR, "discover": ALL}),
    ("TLP AMBER_STRICT shares in the area and discovers in the region",
     "de", {"tlp": "AMBER_STRICT"}, {"hold": WE_AREA, "discover": EUR}),
    ("TLP AMBER+STRICT is read as AMBER_STRICT",
     "de", {"tlp": "AMBER+STRICT"}, {"hold": WE_AREA, "discover": EUR}),
    ("TLP RED shares with the named nodes and discovers nowhere else",
     "de", {"tlp": "RED", "share": {"nodes": ["kr"]}}, {"hold": {"de", "kr"}, "discover": {"de", "kr"}}),
    ("a named share scope beats the label",
     "de", {"tlp": "AMBER_STRICT", "share": {"scope": "GLOBAL"}}, {"hold": ALL, "discover": ALL}),
    ("a named discover scope beats the label",
     "de", {"tlp": "CLEAR", "discover": {"scope": "ORIGIN"}}, {"hold": ALL, "discover": ALL}),
    ("a part without a scope takes the default scope",
     "de", {"share": {"nodes": ["kr"]}}, {"hold": EUR | {"kr"}}),
    ("a part without a scope takes the label's scope",
     "de", {"tlp": "AMBER_STRICT", "discover": {"nodes": ["kr"]}}, {"discover": EUR | {"kr"}}),
    ("repeated node ids mean the same as one",
     "de", {"share": {"scope": "ORIGIN", "nodes": ["kr", "kr"], "exclude": ["fr", "fr"]}},
     {"hold": {"de", "kr"}}),
]


@pytest.mark.parametrize("rule, origin, data, expected", RULES, ids=[r[0] for r in RULES])
def test_each_rule_gives_its_sets(rule, origin, data, expected):
    policy = parse_policy(data, SMALL)
    sets = {"hold": hold_set, "discover": discover_set, "annex": annex_set}
    for name, want in expected.items():
        assert sets[name](policy, origin, SMALL) == want, name


@pytest.mark.parametrize("tlp, share, discover", [
    ("CLEAR", "GLOBAL", "GLOBAL"),
    ("GREEN", "GLOBAL", "GLOBAL"),
    ("AMBER", "REGION", "GLOBAL"),
    ("AMBER_STRICT", "AREA", "REGION"),
    ("AMBER+STRICT", "AREA", "REGION"),
])
def test_each_tlp_label_resolves_to_explicit_scopes_and_keeps_the_annex_default(tlp, share, discover):
    policy = parse_policy({"tlp": tlp}, SMALL)
    assert policy == Policy(spec(share), spec(discover), spec("ORIGIN"), tlp=tlp.replace("+", "_"))


def test_red_resolves_to_named_share_and_origin_discover():
    policy = parse_policy({"tlp": "RED", "share": {"nodes": ["kr"]}}, SMALL)
    assert policy == Policy(spec("NAMED", ["kr"]), spec("ORIGIN"), spec("ORIGIN"), tlp="RED")


def test_no_policy_and_an_empty_policy_give_the_defaults():
    expected = Policy(spec("REGION"), spec("GLOBAL"), spec("ORIGIN"), tlp=None, handling="H0")
    assert parse_policy(None, SMALL) == expected
    assert parse_policy({}, SMALL) == expected


def test_a_nodes_config_may_set_other_defaults():
    defaults = PolicyDefaults(share="AREA", discover="REGION", annex="AREA", handling="H2")
    policy = parse_policy({"tlp": "AMBER"}, SMALL, defaults)
    # The label picks share and discover; the annex and handling come from the node's defaults.
    assert policy == Policy(spec("REGION"), spec("GLOBAL"), spec("AREA"), tlp="AMBER", handling="H2")
    assert parse_policy({}, SMALL, defaults) == Policy(spec("AREA"), spec("REGION"), spec("AREA"), handling="H2")


@pytest.mark.parametrize("kwargs, field", [
    ({"share": "CONTINENT"}, "defaults.share"),
    ({"annex": "origin"}, "defaults.annex"),
    ({"handling": "H9"}, "defaults.handling"),
    ({"handling": "H3"}, "defaults.handling"),
])
def test_bad_defaults_are_refused(kwargs, field):
    with pytest.raises(PolicyError) as caught:
        PolicyDefaults(**kwargs)
    assert caught.value.field == field


def test_node_lists_are_kept_sorted_and_without_repeats():
    policy = parse_policy({"share": {"scope": "ORIGIN", "nodes": ["us", "kr", "us"], "exclude": ["fr", "de"]}}, SMALL)
    assert policy.share == spec("ORIGIN", ["kr", "us"], ["de", "fr"])


def test_handling_codes_and_the_note_are_kept():
    policy = parse_policy({"handling": "H3", "handling_note": "not before 1 May"}, SMALL)
    assert (policy.handling, policy.handling_note) == ("H3", "not before 1 May")
    for code in ("H0", "H1", "H2"):
        assert parse_policy({"handling": code}, SMALL).handling == code


def test_the_may_functions_agree_with_the_sets():
    data = {"share": {"scope": "AREA"}, "annex": {"scope": "AREA"}, "discover": {"scope": "REGION"}}
    policy = parse_policy(data, SMALL)
    assert may_hold(policy, "de", "fr", SMALL) and not may_hold(policy, "de", "pl", SMALL)
    assert may_discover(policy, "de", "pl", SMALL) and not may_discover(policy, "de", "kr", SMALL)
    assert may_hold_annex(policy, "de", "rilo-we", SMALL) and not may_hold_annex(policy, "de", "pl", SMALL)


def test_an_origin_outside_the_directory_is_refused_where_its_area_is_needed():
    policy = parse_policy({"share": {"scope": "AREA"}}, SMALL)
    with pytest.raises(PolicyError) as caught:
        hold_set(policy, "zz", SMALL)
    assert caught.value.field == "origin"


def test_an_unknown_scope_in_a_hand_built_spec_is_refused_not_widened():
    with pytest.raises(PolicyError):
        scope_set(ScopeSpec("EVERYWHERE"), "de", SMALL)


# --- refusals -----------------------------------------------------------------

REFUSALS = [
    ("not an object", ["GLOBAL"], "policy"),
    ("a string instead of a policy", "GLOBAL", "policy"),
    ("unknown top-level key", {"scope": "GLOBAL"}, "policy.scope"),
    ("unknown key in a part", {"share": {"scope": "AREA", "node": ["kr"]}}, "policy.share.node"),
    ("a part that is a string", {"share": "AREA"}, "policy.share"),
    ("a part that is null", {"discover": None}, "policy.discover"),
    ("a part that is a list", {"annex": ["ORIGIN"]}, "policy.annex"),
    ("unknown scope", {"share": {"scope": "CONTINENT"}}, "policy.share.scope"),
    ("scope in lower case", {"discover": {"scope": "global"}}, "policy.discover.scope"),
    ("scope that is not a string", {"annex": {"scope": 6}}, "policy.annex.scope"),
    ("scope that is null", {"share": {"scope": None}}, "policy.share.scope"),
    ("unknown TLP", {"tlp": "WHITE"}, "policy.tlp"),
    ("TLP in lower case", {"tlp": "amber"}, "policy.tlp"),
    ("TLP that is not a string", {"tlp": 3}, "policy.tlp"),
    ("unknown handling", {"handling": "H4"}, "policy.handling"),
    ("handling that is null", {"handling": None}, "policy.handling"),
    ("unknown node in nodes", {"share": {"nodes": ["kr", "xx"]}}, "policy.share.nodes[1]"),
    ("unknown node in exclude", {"annex": {"scope": "AREA", "exclude": ["rilo-zz"]}}, "policy.annex.exclude[0]"),
    ("a node of the wrong case", {"discover": {"nodes": ["KR"]}}, "policy.discover.nodes[0]"),
    ("nodes that is a string", {"share": {"nodes": "kr"}}, "policy.share.nodes"),
    ("exclude that is an object", {"share": {"exclude": {"kr": True}}}, "policy.share.exclude"),
    ("a node id that is not a string", {"share": {"nodes": ["kr", 7]}}, "policy.share.nodes[1]"),
    ("RED without share.nodes", {"tlp": "RED"}, "policy.share.nodes"),
    ("RED with an empty share.nodes", {"tlp": "RED", "share": {"nodes": []}}, "policy.share.nodes"),
    ("RED with share NAMED and no nodes", {"tlp": "RED", "share": {"scope": "NAMED"}}, "policy.share.nodes"),
    ("RED with a GLOBAL share (a contradictory label)", {"tlp": "RED", "share": {"scope": "GLOBAL"}},
     "policy.share.scope"),
    ("RED with a REGION share", {"tlp": "RED", "share": {"scope": "REGION", "nodes": ["kr"]}}, "policy.share.scope"),
    ("RED with a RILOS share", {"tlp": "RED", "share": {"scope": "RILOS"}}, "policy.share.scope"),
    ("H3 without a note", {"handling": "H3"}, "policy.handling_note"),
    ("H3 with a blank note", {"handling": "H3", "handling_note": "   "}, "policy.handling_note"),
    ("a note over 500 characters", {"handling": "H2", "handling_note": "x" * 501}, "policy.handling_note"),
    ("a note that is not a string", {"handling_note": ["x"]}, "policy.handling_note"),
]


@pytest.mark.parametrize("why, data, field", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_malformed_policy_is_refused_naming_its_field(why, data, field):
    with pytest.raises(PolicyError) as caught:
        parse_policy(data, SMALL)
    assert caught.value.field == field
    assert isinstance(caught.value, ValidationError) and caught.value.message


def test_a_note_of_exactly_500_characters_is_accepted():
    assert len(parse_policy({"handling": "H3", "handling_note": "x" * 500}, SMALL).handling_note) == 500


def test_a_named_scope_other_than_named_under_red_needs_no_nodes():
    assert parse_policy({"tlp": "RED", "share": {"scope": "AREA"}}, SMALL).share == spec("AREA")


# --- the explicit form and received policies ------------------------------------

def test_policy_to_dict_writes_every_part_and_leaves_out_what_is_empty():
    policy = parse_policy({"share": {"nodes": ["kr"]}}, SMALL)
    assert policy_to_dict(policy) == {
        "share": {"scope": "REGION", "nodes": ["kr"]},
        "discover": {"scope": "GLOBAL"},
        "annex": {"scope": "ORIGIN"},
        "handling": "H0",
    }
    red = parse_policy({"tlp": "AMBER+STRICT", "handling": "H3", "handling_note": "ask first"}, SMALL)
    assert policy_to_dict(red)["tlp"] == "AMBER_STRICT"
    assert policy_to_dict(red)["handling_note"] == "ask first"


@pytest.mark.parametrize("rule, origin, data, expected", RULES, ids=[r[0] for r in RULES])
def test_the_explicit_form_parses_back_to_the_same_policy(rule, origin, data, expected):
    policy = parse_policy(data, SMALL)
    assert parse_policy(policy_to_dict(policy), SMALL) == policy
    assert policy_from_dict_trusted(policy_to_dict(policy)) == policy


def test_a_received_policy_may_name_nodes_outside_a_partial_directory():
    received = {"share": {"scope": "NAMED", "nodes": ["zz", "rilo-xx"]}, "discover": {"scope": "ORIGIN"},
                "annex": {"scope": "ORIGIN"}, "handling": "H0"}
    policy = policy_from_dict_trusted(received)
    assert policy.share.nodes == ("rilo-xx", "zz")
    assert hold_set(policy, "de", SMALL) == {"de", "zz", "rilo-xx"}


TRUSTED_REFUSALS = [
    ("a missing part", {"share": {"scope": "AREA"}, "discover": {"scope": "GLOBAL"}, "handling": "H0"},
     "policy.annex"),
    ("a part without its scope", {"share": {"nodes": ["kr"]}, "discover": {"scope": "GLOBAL"},
                                  "annex": {"scope": "ORIGIN"}, "handling": "H0"}, "policy.share.scope"),
    ("a missing handling code", {"share": {"scope": "AREA"}, "discover": {"scope": "GLOBAL"},
                                 "annex": {"scope": "ORIGIN"}}, "policy.handling"),
    ("a malformed node id", {"share": {"scope": "AREA", "exclude": ["DEU"]}, "discover": {"scope": "GLOBAL"},
                             "annex": {"scope": "ORIGIN"}, "handling": "H0"}, "policy.share.exclude[0]"),
    ("an unknown scope", {"share": {"scope": "AREA"}, "discover": {"scope": "ALL"},
                          "annex": {"scope": "ORIGIN"}, "handling": "H0"}, "policy.discover.scope"),
    ("an unknown key", {"share": {"scope": "AREA"}, "discover": {"scope": "GLOBAL"},
                        "annex": {"scope": "ORIGIN"}, "handling": "H0", "widen": True}, "policy.widen"),
    ("nothing at all", None, "policy"),
]


@pytest.mark.parametrize("why, data, field", TRUSTED_REFUSALS, ids=[r[0] for r in TRUSTED_REFUSALS])
def test_a_malformed_received_policy_is_refused(why, data, field):
    with pytest.raises(PolicyError) as caught:
        policy_from_dict_trusted(data)
    assert caught.value.field == field


# --- properties over the real topology ----------------------------------------

REAL_IDS = REAL.ids()
node_ids = st.sampled_from(REAL_IDS)
id_lists = st.lists(node_ids, max_size=5).map(lambda ids: tuple(sorted(set(ids))))
specs = st.builds(ScopeSpec, st.sampled_from(SCOPES), id_lists, id_lists)


NOTES = ("", "not for court use", "release only after 1 May", "x" * 500, "dites-le à l'origine \"d'abord\"")


@st.composite
def policies(draw):
    """Valid resolved policies, as parse_policy returns them."""
    tlp = draw(st.none() | st.sampled_from(TLPS))
    handling = draw(st.sampled_from(HANDLING))
    notes = NOTES[1:] if handling == "H3" else NOTES
    note = draw(st.sampled_from(notes))
    share = draw(specs)
    if tlp == "RED" and share.scope == "NAMED" and not share.nodes:
        share = ScopeSpec("NAMED", (draw(node_ids),), share.exclude)
    return Policy(share, draw(specs), draw(specs), tlp=tlp, handling=handling, handling_note=note)


PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(policies(), node_ids)
def test_hold_is_inside_discover_and_annex_inside_hold_and_the_origin_is_in_all_three(policy, origin):
    held = hold_set(policy, origin, REAL)
    discoverable = discover_set(policy, origin, REAL)
    annex = annex_set(policy, origin, REAL)
    assert held <= discoverable
    assert annex <= held | {origin}
    assert origin in held and origin in discoverable and origin in annex


@PROPERTY
@given(specs, node_ids)
def test_exclude_never_removes_the_origin(scope_spec, origin):
    excluding = ScopeSpec(scope_spec.scope, scope_spec.nodes, tuple(sorted(set(scope_spec.exclude) | {origin})))
    got = scope_set(excluding, origin, REAL)
    assert origin in got
    assert not (got & (set(excluding.exclude) - {origin}))


@PROPERTY
@given(policies())
def test_the_explicit_form_of_any_policy_parses_back_to_it(policy):
    assert policy_from_dict_trusted(policy_to_dict(policy)) == policy
    if policy.share.scope in TLP_REFUSED_SHARE_SCOPES.get(policy.tlp, ()):
        # A contradictory label is refused when submitted (docs/protocol.md#contradictory-labels).
        with pytest.raises(PolicyError) as caught:
            parse_policy(policy_to_dict(policy), REAL)
        assert caught.value.field == "policy.share.scope"
    else:
        assert parse_policy(policy_to_dict(policy), REAL) == policy


JUNK_TOKENS = (list(SCOPES) + list(TLPS) + list(HANDLING)
               + ["AMBER+STRICT", "global", "WHITE", "H9", "", "kr", "de", "xx", "rilo-zz", "KR"])
json_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(JUNK_TOKENS)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(JUNK_TOKENS), inner, max_size=3),
    max_leaves=8,
)
mostly_scopes = st.sampled_from(SCOPES) | st.sampled_from(SCOPES) | st.sampled_from(SCOPES) | json_values
mostly_ids = st.lists(node_ids, max_size=3) | st.lists(node_ids, max_size=3) | json_values
near_specs = st.fixed_dictionaries({}, optional={"scope": mostly_scopes, "nodes": mostly_ids, "exclude": mostly_ids})
near_policies = st.fixed_dictionaries({}, optional={
    "share": near_specs, "discover": near_specs, "annex": near_specs,
    "tlp": st.sampled_from(TLPS + ("AMBER+STRICT",)) | json_values,
    "handling": st.sampled_from(HANDLING) | json_values,
    "handling_note": st.sampled_from(NOTES) | json_values,
})
# Mostly nearly valid policies with junk in places; sometimes junk keys; sometimes no object at all.
junk_policies = near_policies | near_policies | st.dictionaries(
    st.sampled_from(["share", "discover", "annex", "tlp", "handling", "scope", "extra"]),
    near_specs | json_values,
    max_size=4,
) | json_values


@PROPERTY
@given(junk_policies, node_ids)
def test_junk_is_refused_or_gives_sets_no_wider_than_its_explicit_parse(data, origin):
    try:
        policy = parse_policy(data, REAL)
    except PolicyError:
        return
    explicit = parse_policy(policy_to_dict(policy), REAL)
    assert explicit == policy
    assert hold_set(policy, origin, REAL) <= hold_set(explicit, origin, REAL)
    assert discover_set(policy, origin, REAL) <= discover_set(explicit, origin, REAL)
    assert annex_set(policy, origin, REAL) <= annex_set(explicit, origin, REAL)
    # A scope that was named is the scope used: nothing falls back to another, wider one.
    for part in ("share", "discover", "annex"):
        given_part = data.get(part) if isinstance(data, dict) else None
        if isinstance(given_part, dict) and "scope" in given_part:
            assert getattr(policy, part).scope == given_part["scope"]
        if isinstance(given_part, dict):
            assert set(getattr(policy, part).nodes) == set(given_part.get("nodes", []))


@settings(max_examples=50, deadline=None)
@given(policies(), node_ids)
def test_a_narrower_directory_never_widens_what_a_node_may_hold(policy, origin):
    # Dropping nodes from the directory can only drop them from the sets, never add others.
    members = [n for n in REAL_IDS if n.startswith("rilo-") or n in ("wco", origin)]
    partial = REAL.subset(members)
    assert hold_set(policy, origin, partial) <= hold_set(policy, origin, REAL)
