"""The network directory: nodes, their roles, regions and areas, parsed from topology TOML."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import tomli_w

from rilo_node.core.errors import TopologyError

REGIONS = ("AMS", "EUR", "AP", "MENA", "ESA", "WCA")
# A partner is an organisation that is not a customs administration (interpol, unodc, europol):
# no region, no area, peer of wco; in no base set but GROUP (docs/protocol.md#operations).
ROLES = ("secretariat", "rilo", "member", "partner")

# Official names (shared/domain/README.md §1.1); dump_topology writes them.
REGION_NAMES = {
    "AMS": "South America, North America, Central America and the Caribbean",
    "EUR": "Europe",
    "AP": "Far East, South and South East Asia, Australasia and the Pacific Islands",
    "MENA": "North of Africa, Near and Middle East",
    "ESA": "East and Southern Africa",
    "WCA": "West and Central Africa",
}

SECRETARIAT_ID = "wco"
_RILO_ID = re.compile(r"rilo-[a-z]+")
_MEMBER_ID = re.compile(r"[a-z]{2}")
_PARTNER_ID = re.compile(r"[a-z]{3,20}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_ADDRESS = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})")


@dataclass(frozen=True)
class NodeInfo:
    """One node of the directory."""

    id: str
    role: str  # secretariat | rilo | member | partner
    region: str | None  # None only for wco
    area: str | None  # rilo id; a RILO's area is itself; None for wco and for members without a RILO
    name: str = ""
    country: str | None = None  # ISO2 upper: host country for offices, own country for members
    city: str | None = None
    address: str | None = None  # "host:port" where known
    signing_key: str | None = None  # base64 raw 32-byte Ed25519 public key where known


_NODE_FIELDS = tuple(f.name for f in dataclasses.fields(NodeInfo))


def is_node_id(value: object) -> bool:
    """True for a well-formed node id: `wco`, `rilo-<letters>`, two lower-case letters, or a partner's
    3 to 20 lower-case letters."""
    return isinstance(value, str) and (
        value == SECRETARIAT_ID or bool(_RILO_ID.fullmatch(value)) or bool(_MEMBER_ID.fullmatch(value))
        or bool(_PARTNER_ID.fullmatch(value))
    )


def _bad_id_reason(node_id: object, role: str | None = None) -> str | None:
    """Why `node_id` cannot be the id of a node of `role` (any role if None), or None."""
    if not isinstance(node_id, str):
        return f"bad node id {node_id!r}: must be a string"
    if role == "secretariat" and node_id != SECRETARIAT_ID:
        return f"bad node id {node_id!r}: the Secretariat's id is 'wco'"
    if role == "rilo" and not _RILO_ID.fullmatch(node_id):
        return f"bad node id {node_id!r}: a RILO id is 'rilo-' and lower-case letters"
    if role == "member" and not _MEMBER_ID.fullmatch(node_id):
        return f"bad node id {node_id!r}: a member id is its ISO 3166 alpha-2 code in lower case"
    if role == "partner" and (node_id == SECRETARIAT_ID or not _PARTNER_ID.fullmatch(node_id)):
        return f"bad node id {node_id!r}: a partner id is 3 to 20 lower-case letters (not 'wco')"
    if not is_node_id(node_id):
        return f"bad node id {node_id!r}: ids are 'wco', 'rilo-<letters>', two lower-case letters, " \
               "or a partner's 3 to 20 lower-case letters"
    return None


def _address_reason(node_id: str, address: object) -> str | None:
    if address is None:
        return None
    match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if match is None or not 0 < int(match.group(1)) < 65536:
        return f"address of {node_id!r} must be 'host:port', not {address!r}"
    return None


def _signing_key_reason(node_id: str, key: object) -> str | None:
    if key is None:
        return None
    try:
        raw = base64.b64decode(key, validate=True) if isinstance(key, str) else b""
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        return f"signing_key of {node_id!r} must be the base64 of a raw 32-byte Ed25519 public key"
    return None


def _country_reason(node_id: str, country: object) -> str | None:
    if country is not None and not (isinstance(country, str) and _COUNTRY.fullmatch(country)):
        return f"country of {node_id!r} must be an ISO 3166 alpha-2 code in upper case, not {country!r}"
    return None


def _node_problem(node: NodeInfo) -> str | None:
    """Why `node` cannot be in a directory, or None. Checks the node alone."""
    if node.role not in ROLES:
        return f"node {node.id!r} has unknown role {node.role!r} (one of {', '.join(ROLES)})"
    reason = _bad_id_reason(node.id, node.role)
    if reason:
        return reason
    if node.role == "secretariat":
        if node.region is not None or node.area is not None:
            return "the Secretariat 'wco' has no region and no area"
    elif node.role == "partner":
        if node.region is not None or node.area is not None:
            return f"partner {node.id!r} has no region and no area"
    elif node.region not in REGIONS:
        return f"node {node.id!r} has unknown region {node.region!r} (one of {', '.join(REGIONS)})"
    if node.role == "rilo" and node.area != node.id:
        return f"RILO {node.id!r} must have itself as area, not {node.area!r}"
    if node.role == "member":
        if node.area is not None and not (isinstance(node.area, str) and _RILO_ID.fullmatch(node.area)):
            return f"member {node.id!r} has area {node.area!r}, which is not a RILO id"
        if node.country != node.id.upper():
            own = node.id.upper()
            return f"member {node.id!r} has country {node.country!r}; a member's country is its own, {own!r}"
    if not isinstance(node.name, str):
        return f"name of {node.id!r} must be a string"
    if node.city is not None and not isinstance(node.city, str):
        return f"city of {node.id!r} must be a string"
    return (
        _country_reason(node.id, node.country)
        or _address_reason(node.id, node.address)
        or _signing_key_reason(node.id, node.signing_key)
    )


def _canonical(node: NodeInfo) -> NodeInfo:
    # A member's country is always its own; filling it in keeps parse and from_dicts equal.
    if node.role == "member" and node.country is None and isinstance(node.id, str):
        return dataclasses.replace(node, country=node.id.upper())
    return node


def _order(node: NodeInfo) -> tuple[int, str]:
    return (ROLES.index(node.role) if node.role in ROLES else len(ROLES), str(node.id))


@dataclass(frozen=True)
class Directory:
    """The nodes a node knows, in canonical order: the Secretariat, the RILOs, the members, each by id.

    Two directories with the same nodes are equal whatever order they were given in.
    """

    nodes: tuple[NodeInfo, ...]

    def __post_init__(self) -> None:
        nodes = tuple(self.nodes)
        for node in nodes:
            if not isinstance(node, NodeInfo):
                raise TypeError(f"Directory nodes must be NodeInfo, not {type(node).__name__}")
        nodes = tuple(sorted((_canonical(n) for n in nodes), key=_order))
        by_id: dict[str, NodeInfo] = {}
        for node in nodes:
            reason = _node_problem(node)
            if reason:
                raise TopologyError(reason)
            if node.id in by_id:
                raise TopologyError(f"duplicate node id {node.id!r}")
            by_id[node.id] = node
        for node in nodes:
            rilo = by_id.get(node.area) if node.role == "member" and node.area else None
            if rilo is not None and rilo.region != node.region:
                raise TopologyError(
                    f"member {node.id!r} is in region {node.region!r} but its RILO {rilo.id!r} is in {rilo.region!r}"
                )
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "_by_id", by_id)
        groups: dict[tuple[str, str], set[str]] = {}
        for node in nodes:
            for key in (("role", node.role), ("area", node.area), ("region", node.region)):
                if key[1] is not None:
                    groups.setdefault(key, set()).add(node.id)
        object.__setattr__(self, "_groups", {k: frozenset(v) for k, v in groups.items()})
        object.__setattr__(self, "_all", frozenset(by_id))

    def get(self, node_id: str) -> NodeInfo | None:
        return self._by_id.get(node_id) if isinstance(node_id, str) else None

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and node_id in self._by_id

    def __iter__(self) -> Iterator[NodeInfo]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def ids_where(self, field: str, value: str | None) -> frozenset[str]:
        """The ids of the nodes whose `field` (role, area or region) is `value`; none for None."""
        if field not in ("role", "area", "region"):
            raise ValueError(f"ids_where: no index on {field!r}")
        return self._groups.get((field, value), frozenset()) if value is not None else frozenset()

    def id_set(self) -> frozenset[str]:
        """Every id, as a set."""
        return self._all

    def rilos(self) -> tuple[str, ...]:
        """The ids of the RILO offices in this directory."""
        return tuple(n.id for n in self.nodes if n.role == "rilo")

    def _require(self, node_id: str) -> NodeInfo:
        node = self.get(node_id)
        if node is None:
            raise TopologyError(f"unknown node {node_id!r}")
        return node

    def peers(self, node_id: str) -> tuple[str, ...]:
        """The overlay links of `node_id` (docs/protocol.md#overlay-links), present nodes only."""
        me = self._require(node_id)
        return tuple(n.id for n in self.nodes if n.id != me.id and _linked(me, n))

    def subset(self, ids: Iterable[str]) -> Directory:
        """Only the nodes `ids` (in this directory's order); an unknown id is an error."""
        wanted = set()
        for node_id in ids:
            self._require(node_id)
            wanted.add(node_id)
        return Directory(tuple(n for n in self.nodes if n.id in wanted))

    def members_of(self, rilo_id: str) -> tuple[str, ...]:
        """The members that report to `rilo_id` (whether or not the RILO itself is present)."""
        return tuple(n.id for n in self.nodes if n.role == "member" and n.area == rilo_id)

    def with_node_fields(self, node_id: str, **changes: object) -> Directory:
        """A copy with some fields of one node changed, e.g. `address=` or `signing_key=`."""
        node = self._require(node_id)
        unknown = sorted(set(changes) - set(_NODE_FIELDS))
        if unknown:
            raise TopologyError(f"NodeInfo has no field {unknown[0]!r}")
        if "id" in changes and changes["id"] != node_id:
            raise TopologyError("a node's id cannot be changed; build a new directory instead")
        changed = dataclasses.replace(node, **changes)
        return Directory(tuple(changed if n.id == node_id else n for n in self.nodes))

    @classmethod
    def from_dicts(cls, rows: Iterable[dict]) -> Directory:
        """From rows like policy-vectors.json "directory": id, role, region, area and the optional fields."""
        nodes = []
        for i, row in enumerate(rows):
            where = f"directory[{i}]"
            if not isinstance(row, dict):
                raise TopologyError(f"{where}: must be an object")
            unknown = [k for k in row if k not in _NODE_FIELDS]
            if unknown:
                raise TopologyError(f"{where}: unknown key {unknown[0]!r}")
            for key in ("id", "role"):
                if key not in row:
                    raise TopologyError(f"{where}: missing {key!r}")
            fields = dict(row)
            if fields.get("name") is None:
                fields["name"] = ""
            node = _canonical(NodeInfo(**{"region": None, "area": None, **fields}))
            reason = _node_problem(node)
            if reason:
                raise TopologyError(f"{where}: {reason}")
            nodes.append(node)
        try:
            return cls(tuple(nodes))
        except TopologyError as exc:
            raise TopologyError(f"directory: {exc}") from None


def _linked(a: NodeInfo, b: NodeInfo) -> bool:
    """The overlay: member-its RILO, RILO-RILO, wco-RILO, wco-member without a RILO."""
    return _link_from(a, b) or _link_from(b, a)


def _link_from(a: NodeInfo, b: NodeInfo) -> bool:
    if a.role == "member":
        return (b.role == "rilo" and a.area == b.id) or (b.role == "secretariat" and a.area is None)
    if a.role == "rilo":
        return b.role in ("rilo", "secretariat")
    if a.role == "partner":
        return b.role == "secretariat"
    return False


# --- reading the TOML ---------------------------------------------------------

_TOP_KEYS = ("regions", "secretariat", "rilos", "members", "unaffiliated", "partners", "nodes")
_PARTNER_KEYS = ("name", "city", "country")
_REGION_KEYS = ("name",)
_SECRETARIAT_KEYS = ("id", "name", "city", "country")
_RILO_KEYS = ("name", "city", "country", "region")
_NODE_KEYS = {"secretariat": ("address", "signing_key"), "rilo": ("address", "signing_key"),
              "member": ("name", "city", "address", "signing_key"), "partner": ("address", "signing_key")}

class _Reader:
    """One parse: raises TopologyError naming the source, the table and key, and the reason."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, reason: str, path: tuple[str, ...] = ()) -> TopologyError:
        where = _dotted(path)
        if where and where not in reason:
            return TopologyError(f"{self.source}: {where}: {reason}")
        return TopologyError(f"{self.source}: {reason}")

    def table(self, data: dict, key: str, path: tuple[str, ...]) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{_dotted(path + (key,))} must be a table", path + (key,))
        return value

    def only_keys(self, table: dict, allowed: Iterable[str], path: tuple[str, ...], why: str = "") -> None:
        allowed = tuple(allowed)
        for key in table:
            if key not in allowed:
                hint = why or f"expected one of {', '.join(allowed)}"
                raise self.fail(f"unknown key {_dotted(path + (key,))!r} ({hint})", path + (key,))

    def string(self, table: dict, key: str, path: tuple[str, ...], required: bool = False) -> str | None:
        if key not in table:
            if required:
                raise self.fail(f"missing {_dotted(path + (key,))!r}", path)
            return None
        value = table[key]
        if not isinstance(value, str):
            raise self.fail(f"{_dotted(path + (key,))} must be a string", path + (key,))
        return value

    def id_list(self, table: dict, key: str, path: tuple[str, ...]) -> list[str]:
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(f"{_dotted(path + (key,))} must be a list of member ids", path + (key,))
        return value

    def check(self, reason: str | None, path: tuple[str, ...]) -> None:
        if reason:
            raise self.fail(reason, path)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def parse_topology(text: str, source: str = "<topology>") -> Directory:
    """The directory described by topology TOML `text`; `source` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TopologyError(f"{source}: {exc}") from None
    r = _Reader(source)
    r.only_keys(data, _TOP_KEYS, ())

    regions = r.table(data, "regions", ())
    for code, region in regions.items():
        path = ("regions", code)
        if code not in REGIONS:
            raise r.fail(f"unknown region {code!r} (one of {', '.join(REGIONS)})", path)
        if not isinstance(region, dict):
            raise r.fail(f"regions.{code} must be a table", path)
        r.only_keys(region, _REGION_KEYS, path)
        r.string(region, "name", path)

    def region_reason(code: object) -> str | None:
        if code not in REGIONS:
            return f"unknown region {code!r} (one of {', '.join(REGIONS)})"
        if code not in regions:
            return f"region {code!r} is not declared in [regions]"
        return None

    nodes: list[NodeInfo] = []

    if "secretariat" in data:
        sec = r.table(data, "secretariat", ())
        path = ("secretariat",)
        r.only_keys(sec, _SECRETARIAT_KEYS, path)
        node_id = r.string(sec, "id", path, required=True)
        r.check(_bad_id_reason(node_id, "secretariat"), path + ("id",))
        node = NodeInfo(node_id, "secretariat", None, None, name=r.string(sec, "name", path) or "",
                        country=r.string(sec, "country", path), city=r.string(sec, "city", path))
        r.check(_country_reason(node_id, node.country), path + ("country",))
        nodes.append(node)

    rilos = r.table(data, "rilos", ())
    for rilo_id, office in rilos.items():
        path = ("rilos", rilo_id)
        r.check(_bad_id_reason(rilo_id, "rilo"), path)
        if not isinstance(office, dict):
            raise r.fail(f"rilos.{rilo_id} must be a table", path)
        r.only_keys(office, _RILO_KEYS, path)
        region = r.string(office, "region", path, required=True)
        r.check(region_reason(region), path + ("region",))
        node = NodeInfo(rilo_id, "rilo", region, rilo_id, name=r.string(office, "name", path) or "",
                        country=r.string(office, "country", path), city=r.string(office, "city", path))
        r.check(_country_reason(rilo_id, node.country), path + ("country",))
        nodes.append(node)

    seen: dict[str, int] = {}

    def add_member(member_id: str, region: str, area: str | None, path: tuple[str, ...]) -> None:
        nth = seen.get(member_id, 0)
        seen[member_id] = nth + 1
        if nth:
            raise r.fail(f"duplicate node id {member_id!r}", path)
        r.check(_bad_id_reason(member_id, "member"), path)
        nodes.append(NodeInfo(member_id, "member", region, area, country=member_id.upper()))

    members = r.table(data, "members", ())
    for rilo_id in members:
        path = ("members", rilo_id)
        ids = r.id_list(members, rilo_id, ("members",))
        if rilo_id not in rilos:
            reason = (f"member {ids[0]!r} reports to unknown RILO {rilo_id!r}" if ids
                      else f"unknown RILO {rilo_id!r} in [members]")
            raise r.fail(reason, path)
        for member_id in ids:
            add_member(member_id, rilos[rilo_id]["region"], rilo_id, path)

    unaffiliated = r.table(data, "unaffiliated", ())
    for code in unaffiliated:
        path = ("unaffiliated", code)
        ids = r.id_list(unaffiliated, code, ("unaffiliated",))
        r.check(region_reason(code), path)
        for member_id in ids:
            add_member(member_id, code, None, path)

    partners = r.table(data, "partners", ())
    for partner_id, org in partners.items():
        path = ("partners", partner_id)
        r.check(_bad_id_reason(partner_id, "partner"), path)
        if not isinstance(org, dict):
            raise r.fail(f"partners.{partner_id} must be a table", path)
        r.only_keys(org, _PARTNER_KEYS, path)
        node = NodeInfo(partner_id, "partner", None, None, name=r.string(org, "name", path) or "",
                        country=r.string(org, "country", path), city=r.string(org, "city", path))
        r.check(_country_reason(partner_id, node.country), path + ("country",))
        if partner_id in seen:
            raise r.fail(f"duplicate node id {partner_id!r}", path)
        nodes.append(node)

    overlays = r.table(data, "nodes", ())
    by_id = {n.id: i for i, n in enumerate(nodes)}
    for node_id, extra in overlays.items():
        path = ("nodes", node_id)
        if node_id not in by_id:
            raise r.fail(f"[nodes.{node_id}] describes unknown node {node_id!r}", path)
        if not isinstance(extra, dict):
            raise r.fail(f"nodes.{node_id} must be a table", path)
        node = nodes[by_id[node_id]]
        allowed = _NODE_KEYS[node.role]
        r.only_keys(extra, allowed, path,
                    why="" if node.role == "member" else "an office's name, city and country are set in its own table")
        changes = {key: r.string(extra, key, path) for key in extra}
        if "name" in changes:
            changes["name"] = changes["name"] or ""
        r.check(_address_reason(node_id, changes.get("address")), path + ("address",))
        r.check(_signing_key_reason(node_id, changes.get("signing_key")), path + ("signing_key",))
        nodes[by_id[node_id]] = dataclasses.replace(node, **changes)

    try:
        return Directory(tuple(nodes))
    except TopologyError as exc:
        # Every check above runs first; this catches only what the Directory alone can see.
        raise TopologyError(f"{source}: {exc}") from None


def dump_topology(directory: Directory) -> str:
    """TOML that parse_topology reads back to a directory equal to `directory`.

    Refuses (TopologyError) a member whose RILO is not in the directory: the file
    form gives a member's region through its RILO.
    """
    data: dict = {"regions": {code: {"name": REGION_NAMES[code]} for code in REGIONS}}

    def described(node: NodeInfo, keys: tuple[str, ...]) -> dict:
        out = {"name": node.name} if node.name else {}
        out.update({key: getattr(node, key) for key in keys if getattr(node, key) is not None})
        return out

    sec = directory.get(SECRETARIAT_ID)
    if sec is not None:
        data["secretariat"] = {"id": sec.id, **described(sec, ("city", "country"))}
    rilos = {n.id: {**described(n, ("city", "country")), "region": n.region} for n in directory if n.role == "rilo"}
    if rilos:
        data["rilos"] = rilos

    members = [n for n in directory if n.role == "member"]
    for node in members:
        if node.area is not None and node.area not in directory:
            raise TopologyError(
                f"cannot write member {node.id!r}: its RILO {node.area!r} is not in the directory"
            )
    areas = {rilo: list(directory.members_of(rilo)) for rilo in directory.rilos() if directory.members_of(rilo)}
    if areas:
        data["members"] = areas
    unaffiliated = {code: [n.id for n in members if n.area is None and n.region == code] for code in REGIONS}
    if any(unaffiliated.values()):
        data["unaffiliated"] = {code: ids for code, ids in unaffiliated.items() if ids}

    partners = {n.id: described(n, ("city", "country")) for n in directory if n.role == "partner"}
    if partners:
        data["partners"] = partners

    overlays = {}
    for node in directory:
        extra = {"name": node.name} if node.role == "member" and node.name else {}
        keys = ("city", "address", "signing_key") if node.role == "member" else ("address", "signing_key")
        extra.update({key: getattr(node, key) for key in keys if getattr(node, key) is not None})
        if extra:
            overlays[node.id] = extra
    if overlays:
        data["nodes"] = overlays
    return "# RILO Net network directory, written by rilo_node.core.topology.dump_topology.\n\n" + tomli_w.dumps(data)
