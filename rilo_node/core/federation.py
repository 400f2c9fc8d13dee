"""Queries: filter validation, the local plan, and the merge of answers (pure)."""

from __future__ import annotations

import datetime
import re

from rilo_node.core import vocab
from rilo_node.core.errors import ValidationError
from rilo_node.core.policy import is_operation_id
from rilo_node.core.topology import is_node_id

FILTER_FIELDS = (
    "section", "category", "country", "departure_country", "destination_country",
    "route_country", "date_from", "date_to", "text", "origin", "group",
)
MAX_TEXT = 200
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
_NODE_ID = re.compile(r"wco|rilo-[a-z]+|[a-z]{2}")
WORD = re.compile(r"\w+", re.UNICODE)


def validate_filter(data: dict) -> dict:
    """A normalised search filter (absent or empty fields dropped); ValidationError names the field."""
    if not isinstance(data, dict):
        raise ValidationError("filter", "must be an object")
    out: dict = {}
    for key, value in data.items():
        if key not in FILTER_FIELDS:
            raise ValidationError(key, f"unknown filter (expected one of {', '.join(FILTER_FIELDS)})")
        if value in (None, ""):
            continue
        if not isinstance(value, str):
            raise ValidationError(key, "must be a string")
        if key == "section":
            if value not in vocab.SECTIONS:
                raise ValidationError(key, f"{value!r} is not one of {', '.join(vocab.SECTIONS)}")
        elif key == "category":
            if value not in vocab.CATEGORY_SECTION:
                raise ValidationError(key, f"{value!r} is not a category")
        elif key in ("country", "departure_country", "destination_country", "route_country"):
            value = value.upper()
            if value not in vocab.COUNTRIES:
                raise ValidationError(key, f"{value!r} is not an ISO 3166 alpha-2 country code")
        elif key in ("date_from", "date_to"):
            try:
                datetime.date.fromisoformat(value)
            except ValueError:
                raise ValidationError(key, f"{value!r} is not a date (YYYY-MM-DD)") from None
            if len(value) != 10:
                raise ValidationError(key, f"{value!r} is not a date (YYYY-MM-DD)")
        elif key == "text":
            if len(value) > MAX_TEXT:
                raise ValidationError(key, f"at most {MAX_TEXT} characters")
            if not WORD.search(value):
                raise ValidationError(key, "needs at least one word")
        elif key == "origin":
            if not is_node_id(value):
                raise ValidationError(key, f"{value!r} is not a node id")
        elif key == "group":
            if not is_operation_id(value):
                raise ValidationError(key, f"{value!r} is not an operation id (op-…)")
        out[key] = value
    if "date_from" in out and "date_to" in out and out["date_from"] > out["date_to"]:
        raise ValidationError("date_to", "is before date_from")
    if "section" in out and "category" in out and vocab.CATEGORY_SECTION[out["category"]] != out["section"]:
        raise ValidationError("category", f"{out['category']!r} is not a category of section {out['section']!r}")
    return out


def validate_limit(limit: int | None) -> int:
    if not limit:
        return DEFAULT_LIMIT
    if limit < 0 or limit > MAX_LIMIT:
        raise ValidationError("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


# -- federated queries (docs/protocol.md#federated-queries) ------------------------------------

MAX_HOPS = 3          # member → RILO → RILO (or wco) → member: every node of the real topology;
                      # past it the rest is asked directly
MAX_TARGETS = 500
MAX_NODE_LIMIT = 1000  # hits one node returns at most
GROUP_FIELDS = ("section", "category", "country", "departure_country", "destination_country", "conveyance",
                "concealment", "detection", "location_type", "month", "region")
SCOPE_NAMES = ("local", "area", "region", "global", "nodes")


def scope_targets(scope: str, nodes: list[str], me: str, directory) -> list[str]:
    """The nodes a query in `scope` asks, by the asker's place in the directory."""
    info = directory.get(me)
    if scope == "local":
        return [me]
    if scope == "area":
        if info.area is None:
            return [me]
        return [n.id for n in directory if n.id == me or (n.area is not None and n.area == info.area)]
    if scope == "region":
        if info.region is None:
            return [me]
        return [n.id for n in directory if n.id == me or (n.region is not None and n.region == info.region)]
    if scope == "global":
        return [n.id for n in directory]
    if scope == "nodes":
        if not nodes:
            raise ValidationError("nodes", "name at least one node")
        if len(nodes) > MAX_TARGETS:
            raise ValidationError("nodes", f"at most {MAX_TARGETS}")
        for i, n in enumerate(nodes):
            if n not in directory:
                raise ValidationError(f"nodes[{i}]", f"{n!r} is not a node of this network")
        return list(dict.fromkeys(nodes))
    raise ValidationError("scope", f"{scope!r} is not one of {', '.join(SCOPE_NAMES)}")


def plan_routes(me: str, reach, peers_of, avoid=frozenset()) -> dict[str, list[str]]:
    """Split the nodes `me` is to reach among its next hops (docs/protocol.md#routing): each node goes to
    the first hop of a shortest overlay path from `me`, found breadth-first in id order so that every
    node plans alike. Paths run through any node, in scope or not, except those in `avoid` (hops that
    failed). A node no such path leads to is its own hop: asked directly, at its directory address.
    Each hop is then to reach exactly the nodes it is given, so the query travels a tree."""
    first: dict[str, str] = {}
    frontier = []
    for p in sorted(peers_of(me)):
        if p != me and p not in avoid:
            first[p] = p
            frontier.append(p)
    while frontier:
        nxt = []
        for node in frontier:
            for q in sorted(peers_of(node)):
                if q != me and q not in first and q not in avoid:
                    first[q] = first[node]
                    nxt.append(q)
        frontier = nxt
    routes: dict[str, list[str]] = {}
    for target in sorted(set(reach) - {me}):
        routes.setdefault(first.get(target, target), []).append(target)
    return routes


def responsible(hold, origin: str, targets, asker: str | None = None) -> str | None:
    """The one node in scope that answers for a record: the asker itself when it is in scope and may
    hold the record (it reads its own copy), else its origin if in scope, else the first of its holders
    in scope. Every node computes the same, so each record crosses the network at most once per query
    instead of once per copy (docs/protocol.md#federated-queries)."""
    if asker is not None and asker in targets and asker in hold:
        return asker
    if origin in targets:
        return origin
    holders = sorted(n for n in hold if n in targets)
    return holders[0] if holders else None


def validate_group_by(fields) -> list[str]:
    if not fields:
        raise ValidationError("group_by", f"name at least one of {', '.join(GROUP_FIELDS)}")
    out = []
    for i, f in enumerate(fields):
        if f not in GROUP_FIELDS:
            raise ValidationError(f"group_by[{i}]", f"{f!r} is not one of {', '.join(GROUP_FIELDS)}")
        if f not in out:
            out.append(f)
    if "section" in out and "category" in out:
        pass  # fine: each item has both
    return out


def merge_groups(parts) -> dict[tuple, list[int]]:
    """Sum (key, cases, items) triples from every node: each record counts once, at its origin."""
    acc: dict[tuple, list[int]] = {}
    for key, cases, items in parts:
        entry = acc.setdefault(tuple(key), [0, 0])
        entry[0] += cases
        entry[1] += items
    return acc


def merge_below(parts) -> dict[tuple, int]:
    """Sum (key, k) pairs: groups that nodes named as holding fewer than their k cases, with no figure
    (docs/protocol.md#small-cell-protection). The merged group holds fewer than the sum more cases than
    its figures say."""
    acc: dict[tuple, int] = {}
    for key, below in parts:
        acc[tuple(key)] = acc.get(tuple(key), 0) + below
    return acc
