"""Intelligence products, the pure part (docs/analyst-guide.md#exports-and-reports): which records may
leave the node in an export or a report (handling codes), and the flat rows of seizures, hits and
statistics that CSV and XLSX files are written from. No I/O: rilo_node.cli.formats writes the files."""

from __future__ import annotations

import json
from collections.abc import Iterable

# docs/analyst-guide.md#handling-codes-in-exports: H2 is "no onward dissemination without permission".
NO_DISSEMINATION = "H2"


def released_to(policy: dict, node: str) -> bool:
    """Whether the origin named `node` itself in the record's share (`share.nodes`): its explicit
    permission, as a release in answer to a request (policy.with_node) gives it."""
    return node in ((policy or {}).get("share") or {}).get("nodes", [])


def may_disseminate(origin: str, policy: dict, me: str) -> bool:
    """Whether node `me` may put a record of `origin` with this policy into an export (STIX, CSV, XLSX)
    or a report: always its own records; an H2 record of another origin only where that origin
    released it to `me` by name."""
    if origin == me:
        return True
    handling = (policy or {}).get("handling") or "H0"
    return handling != NO_DISSEMINATION or released_to(policy, me)


def hit_may_disseminate(hit: dict, me: str) -> bool:
    """may_disseminate for a search hit (its `handling`; the policy of a held hit's record)."""
    if hit.get("origin") == me or (hit.get("handling") or "H0") != NO_DISSEMINATION:
        return True
    return released_to(hit.get("policy") or {}, me)


# -- seizures as rows (one row per seized item) ---------------------------------------------------

SEIZURE_COLUMNS: tuple[str, ...] = (
    "origin", "record_id", "version", "created_at", "tlp", "handling", "handling_note",
    "case_ref", "seizure_date", "country", "customs_office", "location_type", "direction", "detection",
    "conveyance", "concealment", "departure_country", "transit_countries", "destination_country", "ecommerce",
    "item", "section", "category", "commodity", "hs_code", "quantity", "unit", "currency", "value_usd",
    "description", "evaluation_source", "evaluation_information",
)
ANNEX_COLUMN = "annex_json"

_CASE_FIELDS = ("case_ref", "seizure_date", "country", "customs_office", "location_type", "direction", "detection",
                "conveyance", "concealment", "departure_country", "destination_country", "description")
_ITEM_FIELDS = ("section", "category", "commodity", "hs_code", "quantity", "unit", "currency", "value_usd")


def seizure_columns(with_annex: bool) -> tuple[str, ...]:
    return (*SEIZURE_COLUMNS, ANNEX_COLUMN) if with_annex else SEIZURE_COLUMNS


def is_live_seizure(record: dict) -> bool:
    """A record of `records export` that is a seizure with a body (not withdrawn or retracted)."""
    return record.get("kind") == "SEIZURE" and not record.get("withdrawn") and bool(record.get("body"))


def seizure_rows(record: dict, *, with_annex: bool = False) -> list[dict]:
    """The rows of one seizure (a `records export` line): one per seized item, the case repeated.
    Lists are joined with ';' (as `seizure import` reads them); the annex only `with_annex`."""
    body = record["body"]
    policy = record.get("policy") or {}
    case = {
        "origin": record["origin"], "record_id": record["record_id"], "version": record["version"],
        "created_at": record.get("created_at", ""), "tlp": policy.get("tlp", ""),
        "handling": policy.get("handling", "H0"), "handling_note": policy.get("handling_note", ""),
        **{f: body.get(f, "") for f in _CASE_FIELDS},
        "transit_countries": ";".join(body.get("transit_countries", [])),
        "ecommerce": bool(body.get("ecommerce", False)),
        "evaluation_source": (body.get("evaluation") or {}).get("source", ""),
        "evaluation_information": (body.get("evaluation") or {}).get("information", ""),
    }
    if with_annex:
        annex = record.get("annex")
        case[ANNEX_COLUMN] = json.dumps(annex, sort_keys=True, ensure_ascii=False) if annex else ""
    rows = []
    for n, item in enumerate(body.get("items", []), 1):
        row = dict(case, item=n, **{f: item.get(f, "") for f in _ITEM_FIELDS})
        rows.append({c: row.get(c, "") for c in seizure_columns(with_annex)})
    return rows


# -- hits and statistics as rows ------------------------------------------------------------------

HIT_COLUMNS: tuple[str, ...] = ("origin", "record_id", "version", "kind", "held", "tlp", "handling",
                                "seizure_date", "country", "sections", "categories")


def hit_row(hit: dict) -> dict:
    summary = hit.get("summary") or {}
    return {"origin": hit["origin"], "record_id": hit["record_id"], "version": hit["version"],
            "kind": hit.get("kind", ""), "held": bool(hit.get("held")), "tlp": hit.get("tlp") or "",
            "handling": hit.get("handling") or "H0", "seizure_date": summary.get("seizure_date", ""),
            "country": summary.get("country", ""), "sections": ";".join(summary.get("sections", [])),
            "categories": ";".join(summary.get("categories", []))}


def stats_columns(group_by: Iterable[str]) -> tuple[str, ...]:
    return (*group_by, "cases", "items")


def cases_text(cases: int, below: int = 0) -> str:
    """A group's cases as shown: `<k` where a node hid its part for holding fewer than k cases and
    nothing else is shown, `N + <k` beside shown figures (docs/protocol.md#small-cell-protection)."""
    if not below:
        return str(cases)
    return f"<{below}" if not cases else f"{cases} + <{below}"


def items_text(items: int, cases: int, below: int = 0) -> str:
    """A group's items as shown: empty where only a hidden part is known, else the items shown."""
    return "" if below and not cases else str(items)


def stats_rows(stats: dict, group_by: list[str]) -> list[dict]:
    """One row per group of `stats --json`; a group hidden by small-cell protection shows `<k`."""
    rows = []
    for g in stats.get("groups", []):
        row = {f: g["key"].get(f, "") for f in group_by}
        if g.get("below"):
            row.update(cases=cases_text(g["cases"], g["below"]), items=items_text(g["items"], g["cases"], g["below"]))
        else:
            row.update(cases=g["cases"], items=g["items"])
        rows.append(row)
    return rows
