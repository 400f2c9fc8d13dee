"""The SQL of searches and statistics over the search projection (`seizures`, `seizure_items`, FTS5)."""

from __future__ import annotations

import sqlite3

from rilo_node.core.federation import WORD


def fts_query(text: str) -> str:
    """Every word must match (FTS5 implicit AND); each word quoted so no FTS syntax leaks through."""
    return " ".join('"' + w.replace('"', '') + '"' for w in WORD.findall(text))


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


def uses_fts(flt: dict) -> bool:
    """Whether the filter reads the full-text index (which must be caught up first)."""
    return "text" in flt


def matching_seizures(conn: sqlite3.Connection, flt: dict, fetch: int) -> list[tuple]:
    """Up to `fetch` matching, not withdrawn records, newest seizure first: (origin, record_id, version,
    kind, header, body, annex, signature, key_id, seizure_date, country, sections, categories, policy)."""
    where, args = filter_sql(flt)
    return conn.execute(
        "SELECT r.origin, r.record_id, r.version, r.kind, r.header, r.body, r.annex, r.signature, r.key_id, "
        "s.seizure_date, s.country, s.sections, s.categories, s.policy "
        "FROM seizures s JOIN records r ON r.origin = s.origin AND r.record_id = s.record_id "
        f"WHERE {where} AND r.withdrawn = 0 ORDER BY s.seizure_date DESC, s.origin, s.record_id LIMIT ?",
        [*args, fetch],
    ).fetchall()


def own_counts(conn: sqlite3.Connection, flt: dict, group_by: list[str], origin: str) -> list[tuple]:
    """Counts over the records of `origin`, grouped by `group_by` and by policy: rows of
    (*group values, policy, cases, items). `region` groups by origin (the caller maps it)."""
    where, args = filter_sql(flt)
    item_level = any(f in ("section", "category") for f in group_by)
    cols = []
    for f in group_by:
        if f in ("section", "category"):
            cols.append(f"i.{f}")
        elif f == "region":
            cols.append("s.origin")
        else:
            cols.append(f"s.{f}")
    join = ""
    if item_level:
        join = "JOIN seizure_items i ON i.origin = s.origin AND i.record_id = s.record_id"
        for f in ("section", "category"):
            if f in flt:
                where += f" AND i.{f} = ?"
                args = [*args, flt[f]]
        counts = "COUNT(DISTINCT s.id), COUNT(*)"
    else:
        counts = "COUNT(*), COALESCE(SUM(s.items), 0)"
    sql = (f"SELECT {', '.join(cols)}, s.policy, {counts} FROM seizures s {join} "
           f"WHERE {where} AND s.origin = ? GROUP BY {', '.join(cols)}, s.policy")
    return conn.execute(sql, [*args, origin]).fetchall()
