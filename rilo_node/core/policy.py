"""Sharing policy (docs/protocol.md#sharing-policy): parse it; who may hold, discover, hold the annex. Pure."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rilo_node.core.errors import PolicyError
from rilo_node.core.topology import Directory, is_node_id
from rilo_node.pb.rilo.v1 import policy_pb2

# The scopes a node's config may make a default; every scope but GROUP, which names an operation.
SCOPES = ("ORIGIN", "NAMED", "AREA", "REGION", "RILOS", "GLOBAL")
# Every scope a policy may name: GROUP is an operation's members (docs/protocol.md#operations).
ALL_SCOPES = (*SCOPES, "GROUP")
# Membership of the operations the evaluating node holds: operation id -> members(op), the owner
# included (after the close, the owner alone). See rilo_node/core/operations.py.
Groups = Mapping[str, frozenset]
NO_GROUPS: Groups = {}
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED")
HANDLING = ("H0", "H1", "H2", "H3")

# docs/protocol.md#policy-json: the TLP 2.0 spelling is accepted as input and
# stored under the enum name.
TLP_ALIASES = {"AMBER+STRICT": "AMBER_STRICT"}

# docs/protocol.md#defaults-and-tlp: `tlp` picks the scope of share and of discover
# where they name none (the annex keeps its default).
TLP_SCOPES = {
    "CLEAR": ("GLOBAL", "GLOBAL"),
    "GREEN": ("GLOBAL", "GLOBAL"),
    "AMBER": ("REGION", "GLOBAL"),
    "AMBER_STRICT": ("AREA", "REGION"),
    "RED": ("NAMED", "ORIGIN"),
}

# docs/protocol.md#contradictory-labels: share scopes a submitted policy may not name under a label.
# TLP:RED is for the named recipients only; a share scope that hands the record to every node of a
# region, to every RILO or to the whole network contradicts it.
TLP_REFUSED_SHARE_SCOPES = {"RED": ("REGION", "RILOS", "GLOBAL")}

MAX_HANDLING_NOTE = 500

_OPERATION_ID = re.compile(r"op-[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


def is_operation_id(value: object) -> bool:
    """An operation id: "op-" then lower-case letters, digits and inner dashes (at most 67 characters)."""
    return isinstance(value, str) and _OPERATION_ID.fullmatch(value) is not None


_PARTS = ("share", "discover", "annex")
_POLICY_KEYS = (*_PARTS, "tlp", "handling", "handling_note")
_SPEC_KEYS = ("scope", "nodes", "exclude", "group")


@dataclass(frozen=True)
class ScopeSpec:
    """One part of a policy: set = (base(scope) ∪ nodes) − (exclude − {origin})."""

    scope: str
    nodes: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    # With scope GROUP: the operation id; "" for every other scope.
    group: str = ""


@dataclass(frozen=True)
class Policy:
    """A resolved policy: every part explicit (the TLP label and the defaults already applied)."""

    share: ScopeSpec
    discover: ScopeSpec
    annex: ScopeSpec
    tlp: str | None = None
    handling: str = "H0"
    handling_note: str = ""


@dataclass(frozen=True)
class PolicyDefaults:
    """What a part takes when it is absent; a node's config may set other defaults."""

    # docs/protocol.md#defaults-and-tlp: defaults when a part is absent.
    share: str = "REGION"
    discover: str = "GLOBAL"
    annex: str = "ORIGIN"
    handling: str = "H0"

    def __post_init__(self) -> None:
        for part in _PARTS:
            if getattr(self, part) not in SCOPES:
                raise PolicyError(f"defaults.{part}", f"unknown scope {getattr(self, part)!r} ({_one_of(SCOPES)})")
        if self.handling not in HANDLING:
            raise PolicyError("defaults.handling", f"unknown handling code {self.handling!r} ({_one_of(HANDLING)})")
        if self.handling == "H3":
            raise PolicyError("defaults.handling", "H3 needs a handling_note, which a default cannot give")


def _one_of(values: tuple[str, ...]) -> str:
    return "one of " + ", ".join(values)


# --- parsing ------------------------------------------------------------------

def parse_policy(data: dict | None, directory: Directory, defaults: PolicyDefaults = PolicyDefaults()) -> Policy:
    """The explicit Policy for policy JSON `data` as a submitter wrote it; `directory` is the whole network."""
    return _parse(
        {} if data is None else data,
        known=lambda node_id: node_id in directory,
        defaults=defaults,
    )


def policy_message(data: object) -> policy_pb2.SharingPolicy:
    """Policy JSON as the SharingPolicy message it travels in, absent parts left absent (the node fills
    them from its defaults). Checks what JSON can get wrong: keys, names and types, with parse_policy's
    messages; the node's parse_policy judges the rest (node ids, TLP RED, H3)."""
    if not isinstance(data, dict):
        raise PolicyError("policy", "must be an object with share, discover, annex, tlp, handling")
    for key in data:
        if key not in _POLICY_KEYS:
            raise PolicyError(f"policy.{key}", f"unknown key ({_one_of(_POLICY_KEYS)})")
    msg = policy_pb2.SharingPolicy()
    tlp = _parse_tlp(data)
    if tlp is not None:
        msg.tlp = policy_pb2.Tlp.Value("TLP_" + tlp)
    for part in _PARTS:
        if part in data:
            spec = _parse_spec(data, part, "", known=lambda node_id: True)
            out = getattr(msg, part)
            out.SetInParent()
            if spec.scope:
                out.scope = policy_pb2.Scope.Value("SCOPE_" + spec.scope)
            out.nodes.extend(spec.nodes)
            out.exclude.extend(spec.exclude)
            out.group = spec.group
    if "handling" in data:
        msg.handling = policy_pb2.Handling.Value("HANDLING_" + _parse_handling(data, None))
    note = data.get("handling_note")
    if note is not None:
        if not isinstance(note, str):
            raise PolicyError("policy.handling_note", "must be a string")
        msg.handling_note = note
    return msg


def policy_from_dict_trusted(data: dict) -> Policy:
    """A Policy from policy_to_dict output (a received record's): every part explicit, ids well formed.

    Node ids are not looked up, as the sender's may be outside a partial directory;
    the structure and every enum value are still checked.
    """
    return _parse(data, known=is_node_id, defaults=None)


def _parse(data: object, *, known: Callable[[str], bool], defaults: PolicyDefaults | None) -> Policy:
    # docs/protocol.md#refused-policies: a malformed policy is refused, never read as a wider one.
    if not isinstance(data, dict):
        raise PolicyError("policy", "must be an object with share, discover, annex, tlp, handling")
    # docs/protocol.md#refused-policies: unknown keys are a malformed policy.
    for key in data:
        if key not in _POLICY_KEYS:
            raise PolicyError(f"policy.{key}", f"unknown key ({_one_of(_POLICY_KEYS)})")

    tlp = _parse_tlp(data)
    if defaults is None:
        fallback = {part: None for part in _PARTS}
    elif tlp is not None:
        # docs/protocol.md#defaults-and-tlp: the label picks share and discover where they name none.
        share, discover = TLP_SCOPES[tlp]
        fallback = {"share": share, "discover": discover, "annex": defaults.annex}
    else:
        # docs/protocol.md#defaults-and-tlp: defaults when a part is absent.
        fallback = {"share": defaults.share, "discover": defaults.discover, "annex": defaults.annex}
    specs = {part: _parse_spec(data, part, fallback[part], known) for part in _PARTS}
    # docs/protocol.md#operations: where share is GROUP and discover names no scope, discover is the
    # same group: a group's records are not announced outside it.
    discover_given = isinstance(data.get("discover"), dict) and "scope" in data["discover"]
    if specs["share"].scope == "GROUP" and not discover_given:
        d = specs["discover"]
        specs["discover"] = ScopeSpec("GROUP", d.nodes, d.exclude, group=specs["share"].group)

    # docs/protocol.md#defaults-and-tlp: RED needs share.nodes (else only the origin could hold it).
    if tlp == "RED" and specs["share"].scope == "NAMED" and not specs["share"].nodes:
        raise PolicyError("policy.share.nodes", "TLP RED needs share.nodes: the named recipients")
    # docs/protocol.md#contradictory-labels: a submitted label and a named scope that contradict it are
    # refused, not resolved either way (received policies were judged by their origin).
    # (discover may stay wider: a notice tells only that a record exists, so that others can ask for it.)
    if defaults is not None and tlp is not None and specs["share"].scope in TLP_REFUSED_SHARE_SCOPES.get(tlp, ()):
        raise PolicyError("policy.share.scope",
                          f"{specs['share'].scope} contradicts TLP {tlp}, which is for named recipients only: "
                          f"name them in share.nodes (scope NAMED), or choose another label")

    handling = _parse_handling(data, defaults)
    note = data.get("handling_note")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise PolicyError("policy.handling_note", "must be a string")
    if len(note) > MAX_HANDLING_NOTE:
        raise PolicyError("policy.handling_note", f"longer than {MAX_HANDLING_NOTE} characters")
    # docs/protocol.md#handling-codes: H3 is other restrictions, stated in handling_note.
    if handling == "H3" and not note.strip():
        raise PolicyError("policy.handling_note", "handling H3 needs a handling_note stating the restrictions")

    return Policy(specs["share"], specs["discover"], specs["annex"], tlp=tlp, handling=handling, handling_note=note)


def _parse_tlp(data: dict) -> str | None:
    tlp = data.get("tlp")
    if tlp is None:
        return None
    tlp = TLP_ALIASES.get(tlp, tlp) if isinstance(tlp, str) else tlp
    # docs/protocol.md#refused-policies: an unknown enum value is refused.
    if tlp not in TLPS:
        raise PolicyError("policy.tlp", f"unknown TLP label {data['tlp']!r} ({_one_of(TLPS)})")
    return tlp


def _parse_handling(data: dict, defaults: PolicyDefaults | None) -> str:
    if "handling" not in data:
        if defaults is None:
            raise PolicyError("policy.handling", "missing: a received policy names its handling code")
        return defaults.handling
    handling = data["handling"]
    # docs/protocol.md#refused-policies: an unknown enum value is refused.
    if not isinstance(handling, str) or handling not in HANDLING:
        raise PolicyError("policy.handling", f"unknown handling code {handling!r} ({_one_of(HANDLING)})")
    return handling


def _parse_spec(data: dict, part: str, fallback: str | None, known: Callable[[str], bool]) -> ScopeSpec:
    field = f"policy.{part}"
    spec = data.get(part, {})
    if part not in data and fallback is None:
        raise PolicyError(field, "missing: a received policy has every part explicit")
    if not isinstance(spec, dict):
        raise PolicyError(field, "must be an object with scope, nodes, exclude")
    for key in spec:
        if key not in _SPEC_KEYS:
            raise PolicyError(f"{field}.{key}", f"unknown key ({_one_of(_SPEC_KEYS)})")
    if "scope" in spec:
        # docs/protocol.md#defaults-and-tlp: a scope that is named always wins over the label.
        scope = spec["scope"]
        # docs/protocol.md#refused-policies: an unknown scope is refused, never widened.
        if not isinstance(scope, str) or scope not in ALL_SCOPES:
            raise PolicyError(f"{field}.scope", f"unknown scope {scope!r} ({_one_of(ALL_SCOPES)})")
    elif fallback is None:
        raise PolicyError(f"{field}.scope", "missing: a received policy has every scope explicit")
    else:
        scope = fallback
    group = spec.get("group", "")
    if scope == "GROUP":
        if not isinstance(group, str) or not is_operation_id(group):
            raise PolicyError(f"{field}.group", f"scope GROUP needs the operation id (op-…), not {group!r}")
    elif group not in ("", None):
        raise PolicyError(f"{field}.group", f"only scope GROUP names a group (the scope is {scope})")
    return ScopeSpec(
        scope,
        _parse_ids(spec, "nodes", field, known),
        _parse_ids(spec, "exclude", field, known),
        group=group if scope == "GROUP" else "",
    )


def _parse_ids(spec: dict, key: str, field: str, known: Callable[[str], bool]) -> tuple[str, ...]:
    ids = spec.get(key, [])
    if not isinstance(ids, (list, tuple)):
        raise PolicyError(f"{field}.{key}", "must be a list of node ids")
    for i, node_id in enumerate(ids):
        if not isinstance(node_id, str):
            raise PolicyError(f"{field}.{key}[{i}]", "must be a node id string")
        # docs/protocol.md#refused-policies: an unknown node id is refused.
        if not known(node_id):
            raise PolicyError(f"{field}.{key}[{i}]", f"unknown node {node_id!r}")
    # Repeats mean nothing more; sorted so that equal sets give equal policies.
    return tuple(sorted(set(ids)))


def policy_to_dict(policy: Policy) -> dict:
    """The explicit JSON form (docs/protocol.md#policies-in-signed-headers).

    Empty lists, no tlp and no note are left out.
    """
    out: dict = {}
    for part in _PARTS:
        spec: ScopeSpec = getattr(policy, part)
        entry: dict = {"scope": spec.scope}
        if spec.nodes:
            entry["nodes"] = list(spec.nodes)
        if spec.exclude:
            entry["exclude"] = list(spec.exclude)
        if spec.group:
            entry["group"] = spec.group
        out[part] = entry
    if policy.tlp is not None:
        out["tlp"] = policy.tlp
    out["handling"] = policy.handling
    if policy.handling_note:
        out["handling_note"] = policy.handling_note
    return out


# --- entitlement --------------------------------------------------------------

def _origin_field(directory: Directory, origin: str, field: str) -> str | None:
    node = directory.get(origin)
    if node is None:
        # The origin's area or region cannot be guessed; guessing could only be wrong.
        raise PolicyError("origin", f"unknown origin node {origin!r}: its {field} is not in the directory")
    return getattr(node, field)


def _base(scope: str, origin: str, directory: Directory, group: str = "", groups: Groups = NO_GROUPS) -> set[str]:
    # docs/protocol.md#the-policy-rule: base(ORIGIN) = base(NAMED) = {o}.
    if scope in ("ORIGIN", "NAMED"):
        return {origin}
    # docs/protocol.md#the-policy-rule: base(AREA) = {o} ∪ {n : n has an area and area(n) == area(o)}.
    if scope == "AREA":
        area = _origin_field(directory, origin, "area")
        return {origin} | directory.ids_where("area", area)
    # docs/protocol.md#the-policy-rule: base(REGION) = {o} ∪ {n : n has a region and region(n) == region(o)}.
    if scope == "REGION":
        region = _origin_field(directory, origin, "region")
        return {origin} | directory.ids_where("region", region)
    # docs/protocol.md#the-policy-rule: base(RILOS) = {o} ∪ {n : role(n) == rilo}.
    if scope == "RILOS":
        return {origin} | directory.ids_where("role", "rilo")
    # docs/protocol.md#the-policy-rule: base(GLOBAL) = every node in the directory (the origin is one),
    # but partners, which are in no base set but GROUP.
    if scope == "GLOBAL":
        return {origin} | (directory.id_set() - directory.ids_where("role", "partner"))
    # docs/protocol.md#operations: base(GROUP) = {o} ∪ members(op), from the newest version of the
    # operation record the evaluating node holds (`groups`); an operation it does not hold: {o}.
    if scope == "GROUP":
        return {origin} | set(groups.get(group, ()))
    # docs/protocol.md#refused-policies: an unknown scope never falls back to a wider one.
    raise PolicyError("scope", f"unknown scope {scope!r} ({_one_of(ALL_SCOPES)})")


def scope_set(spec: ScopeSpec, origin: str, directory: Directory, groups: Groups = NO_GROUPS) -> frozenset[str]:
    """set(s) = (base(s.scope) ∪ s.nodes) − (s.exclude − {o}). `groups`: the membership of the
    operations the evaluating node holds (only scope GROUP reads it)."""
    # docs/protocol.md#exclude-and-named: exclude never removes the origin.
    base = _base(spec.scope, origin, directory, spec.group, groups)
    return frozenset((base | set(spec.nodes)) - (set(spec.exclude) - {origin}))


def hold_set(policy: Policy, origin: str, directory: Directory, groups: Groups = NO_GROUPS) -> frozenset[str]:
    """H = set(share): who may hold the record."""
    return scope_set(policy.share, origin, directory, groups)


def discover_set(policy: Policy, origin: str, directory: Directory, groups: Groups = NO_GROUPS) -> frozenset[str]:
    """D = H ∪ set(discover): who may learn that the record exists."""
    return hold_set(policy, origin, directory, groups) | scope_set(policy.discover, origin, directory, groups)


def annex_set(policy: Policy, origin: str, directory: Directory, groups: Groups = NO_GROUPS) -> frozenset[str]:
    """A = (H ∩ set(annex)) ∪ {o}: who may hold the annex."""
    return (hold_set(policy, origin, directory, groups) & scope_set(policy.annex, origin, directory, groups)) | {origin}


def groups_named(policy: Policy) -> frozenset[str]:
    """The operation ids a policy's parts name (scope GROUP)."""
    return frozenset(spec.group for spec in (policy.share, policy.discover, policy.annex) if spec.scope == "GROUP")


def may_hold(policy: Policy, origin: str, node: str, directory: Directory) -> bool:
    return node in hold_set(policy, origin, directory)


def may_discover(policy: Policy, origin: str, node: str, directory: Directory) -> bool:
    return node in discover_set(policy, origin, directory)


def may_hold_annex(policy: Policy, origin: str, node: str, directory: Directory) -> bool:
    return node in annex_set(policy, origin, directory)


# --- derived policies -----------------------------------------------------------

def with_node(policy: Policy, node: str, *, annex: bool = False, origin: str | None = None,
              directory: Directory | None = None) -> Policy:
    """The policy widened to let `node` hold the record (and, with `annex`, its annex): a release.

    H' = H ∪ {node}; with `annex`, A' = A ∪ {node}, else A' = A; D and everything else unchanged.
    `node` joins share.nodes (and annex.nodes) and leaves their exclude lists. Without `annex` it
    joins annex.exclude instead, since A = (H ∩ set(annex)) ∪ {o} would otherwise hand it the annex
    wherever the annex scope covers it. With `origin` and `directory`, a node that holds the record
    (or its annex) already is left as it is; without them the caller ensures node ∉ H.
    """

    def add(spec: ScopeSpec) -> ScopeSpec:
        return ScopeSpec(spec.scope, tuple(sorted({*spec.nodes, node})), tuple(x for x in spec.exclude if x != node),
                         group=spec.group)

    def keep_out(spec: ScopeSpec) -> ScopeSpec:
        return ScopeSpec(spec.scope, tuple(x for x in spec.nodes if x != node), tuple(sorted({*spec.exclude, node})),
                         group=spec.group)

    known = origin is not None and directory is not None
    holds = known and node in hold_set(policy, origin, directory)
    has_annex = known and node in annex_set(policy, origin, directory)
    share = policy.share if holds else add(policy.share)
    if annex:
        annex_spec = policy.annex if has_annex else add(policy.annex)
    else:
        annex_spec = policy.annex if (holds or has_annex) else keep_out(policy.annex)
    return Policy(share, policy.discover, annex_spec,
                  tlp=policy.tlp, handling=policy.handling, handling_note=policy.handling_note)


def within_region(policy: Policy, origin: str, directory: Directory, *, keep: tuple[str, ...] = ()) -> Policy:
    """The policy cut down to the origin's region: every set becomes set ∩ ({o} ∪ region(o)).

    What a member publishes while its home RILO has not yet validated a record (validation.required).
    GLOBAL becomes REGION, RILOS becomes the region's RILOs by name, named nodes outside the region
    are dropped; AREA and REGION are inside the region already. Nodes in `keep` (the home RILO,
    which must see the record to validate it) are then added to share.nodes wherever they are.
    """
    region = _origin_field(directory, origin, "region")
    inside = directory.ids_where("region", region) | {origin}
    rilos_inside = sorted(directory.ids_where("role", "rilo") & inside)

    def cut(spec: ScopeSpec) -> ScopeSpec:
        nodes = {n for n in spec.nodes if n in inside}
        scope = spec.scope
        if scope == "GLOBAL":
            scope = "REGION"
        elif scope == "RILOS":
            scope, nodes = "NAMED", nodes | set(rilos_inside)
        return ScopeSpec(scope, tuple(sorted(nodes)), spec.exclude, group=spec.group)

    cut_policy = Policy(cut(policy.share), cut(policy.discover), cut(policy.annex), tlp=policy.tlp,
                        handling=policy.handling, handling_note=policy.handling_note)
    for node in keep:
        cut_policy = with_node(cut_policy, node, origin=origin, directory=directory)
    return cut_policy
