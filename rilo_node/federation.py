"""Queries: filter validation, the local plan, and the merge of answers (pure)."""

from __future__ import annotations

import datetime
import re

from rilo_node import vocab
from rilo_node.errors import ValidationError

FILTER_FIELDS = (
    "section", "category", "country", "departure_country", "destination_country",
    "route_country", "date_from", "date_to", "text", "origin",
)
MAX_TEXT = 200
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
_NODE_ID = re.compile(r"wco|rilo-[a-z]+|[a-z]{2}")
_WORD = re.compile(r"\w+", re.UNICODE)


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
            if not _WORD.search(value):
                raise ValidationError(key, "needs at least one word")
        elif key == "origin":
            if not _NODE_ID.fullmatch(value):
                raise ValidationError(key, f"{value!r} is not a node id")
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


def fts_query(text: str) -> str:
    """Every word must match (FTS5 implicit AND); each word quoted so no FTS syntax leaks through."""
    return " ".join('"' + w.replace('"', '') + '"' for w in _WORD.findall(text))


def filter_sql(flt: dict) -> tuple[str, list]:
    """WHERE clause over `seizures s` for a validated filter."""
    where, args = ["1 = 1"], []
    if "section" in flt:
        where.append("s.sections LIKE ?")
        args.append(f"% {flt['section']} %")
    if "category" in flt:
        where.append("s.categories LIKE ?")
        args.append(f"% {flt['category']} %")
    for key in ("country", "departure_country", "destination_country", "origin"):
        if key in flt:
            where.append(f"s.{key} = ?")
            args.append(flt[key])
    if "route_country" in flt:
        where.append("s.route_countries LIKE ?")
        args.append(f"% {flt['route_country']} %")
    if "date_from" in flt:
        where.append("s.seizure_date >= ?")
        args.append(flt["date_from"])
    if "date_to" in flt:
        where.append("s.seizure_date <= ?")
        args.append(flt["date_to"])
    if "text" in flt:
        where.append("s.id IN (SELECT rowid FROM seizures_fts WHERE seizures_fts MATCH ?)")
        args.append(fts_query(flt["text"]))
    return " AND ".join(where), args


def matches(flt: dict, body: dict, origin: str) -> bool:
    """The same filter evaluated on a seizure body in memory (reference for tests and hit checks)."""
    items = body.get("items", [])
    if "section" in flt and not any(i.get("section") == flt["section"] for i in items):
        return False
    if "category" in flt and not any(i.get("category") == flt["category"] for i in items):
        return False
    for key in ("country", "departure_country", "destination_country"):
        if key in flt and body.get(key) != flt[key]:
            return False
    if "origin" in flt and origin != flt["origin"]:
        return False
    if "route_country" in flt:
        route = {body.get("departure_country"), body.get("destination_country"), *body.get("transit_countries", [])}
        if flt["route_country"] not in route:
            return False
    date = body.get("seizure_date", "")
    if "date_from" in flt and date < flt["date_from"]:
        return False
    if "date_to" in flt and date > flt["date_to"]:
        return False
    if "text" in flt:
        haystack = " ".join([body.get("description", "")] + [i.get("commodity", "") for i in items]).lower()
        words = set(_WORD.findall(haystack))
        if not all(w.lower() in words for w in _WORD.findall(flt["text"])):
            return False
    return True
