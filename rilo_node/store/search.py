"""The SQL of searches and statistics over the search projection (`seizures`, `seizure_tags`, FTS5).

Every query is answered from indexes (docs/design.md#the-read-path). The caller says which
(origin, policy) pairs (`policies.pid`) it may answer for; the filter narrows the rows. Which index
lists the candidate rows is chosen here, by counting (up to DRIVER_CAP) what each usable index holds
for the query: the smallest list is read and sorted, or, when every list is long, the rows are read
newest first along `seizures_order` until the page is full (each filter then a probe per row).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from rilo_node.core.federation import WORD

# A driver listing fewer rows than this is read whole and sorted; past it, the newest-first scan
# stops after about limit / selectivity rows, which is no more than a sort of DRIVER_CAP rows.
DRIVER_CAP = 5000
HIT_COLUMNS = ("r.origin, r.record_id, r.version, r.kind, r.header, r.body, r.annex, r.signature, r.key_id, "
               "s.seizure_date, s.country, s.sections, s.categories, s.pid")
ORDER = "s.seizure_date DESC, s.origin, s.record_id"
_TAGS = {"section": "s:", "category": "c:", "route_country": "r:"}
_COLUMNS = {"country": ("country", "seizures_country"),
            "departure_country": ("departure_country", "seizures_departure"),
            "destination_country": ("destination_country", "seizures_destination"),
            "origin": ("origin", "seizures_origin_date")}


def fts_query(text: str) -> str:
    """Every word must match (FTS5 implicit AND); each word quoted so no FTS syntax leaks through."""
    return " ".join('"' + w.replace('"', '') + '"' for w in WORD.findall(text))


def filter_sql(flt: dict) -> tuple[str, list]:
    """WHERE clause over `seizures s` for a validated filter: each filter a condition an index answers
    (a tag probe, an indexed column, the full-text index)."""
    where, args = ["1 = 1"], []
    for key, prefix in _TAGS.items():
        if key in flt:
            where.append("EXISTS (SELECT 1 FROM seizure_tags g WHERE g.tag = ? AND g.sid = s.id)")
            args.append(prefix + flt[key])
    for key, (column, _index) in _COLUMNS.items():
        if key in flt:
            where.append(f"s.{column} = ?")
            args.append(flt[key])
    if "date_from" in flt:
        where.append("s.seizure_date >= ?")
        args.append(flt["date_from"])
    if "date_to" in flt:
        where.append("s.seizure_date <= ?")
        args.append(flt["date_to"])
    if "text" in flt:
        where.append("s.id IN (SELECT rowid FROM seizures_fts WHERE seizures_fts MATCH ?)")
        args.append(fts_query(flt["text"]))
    # search --group (issue 14, node/operations.py): only seizures shared to the operation, by their
    # (origin, policy) pair; policy_groups is written with the pair (migration m0007_operations).
    if "group" in flt:
        where.append("s.pid IN (SELECT pid FROM policy_groups WHERE operation_id = ?)")
        args.append(flt["group"])
    return " AND ".join(where), args


def uses_fts(flt: dict) -> bool:
    """Whether the filter reads the full-text index."""
    return "text" in flt


@dataclass(frozen=True)
class Cursor:
    """A place in the order of hits: after it come older seizure dates, then greater (origin, record_id)."""

    seizure_date: str
    origin: str
    record_id: str


def _after_sql(after: Cursor | None) -> tuple[str, list]:
    if after is None:
        return "1 = 1", []
    return ("(s.seizure_date < ? OR (s.seizure_date = ? AND (s.origin > ? OR (s.origin = ? AND s.record_id > ?))))",
            [after.seizure_date, after.seizure_date, after.origin, after.origin, after.record_id])


def _pids_sql(pids) -> str:
    return "s.pid IN (" + ",".join(str(int(p)) for p in sorted(pids)) + ")"


def _count(conn: sqlite3.Connection, sql: str, args: list) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT {DRIVER_CAP})", args).fetchone()[0]


def choose_driver(conn: sqlite3.Connection, flt: dict, pids) -> tuple[str, list] | None:
    """The FROM clause (aliasing `seizures s`) of the shortest index list for this query, with its
    arguments; None when every list holds DRIVER_CAP rows or more (read newest first instead)."""
    pid_list = ",".join(str(int(p)) for p in sorted(pids))
    options = [(f"SELECT 1 FROM seizures INDEXED BY seizures_pid WHERE pid IN ({pid_list})", [],
                "seizures s INDEXED BY seizures_pid", [])]
    for key, prefix in _TAGS.items():
        if key in flt:
            options.append(("SELECT 1 FROM seizure_tags WHERE tag = ?", [prefix + flt[key]],
                            "seizure_tags t CROSS JOIN seizures s ON s.id = t.sid AND t.tag = ?",
                            [prefix + flt[key]]))
    for key, (column, index) in _COLUMNS.items():
        if key in flt:
            options.append((f"SELECT 1 FROM seizures INDEXED BY {index} WHERE {column} = ?", [flt[key]],
                            f"seizures s INDEXED BY {index}", []))
    if "text" in flt:
        q = fts_query(flt["text"])
        options.append(("SELECT 1 FROM seizures_fts WHERE seizures_fts MATCH ?", [q],
                        "seizures_fts f CROSS JOIN seizures s ON s.id = f.rowid AND seizures_fts MATCH ?", [q]))
    best = None
    for count_sql, count_args, from_sql, from_args in options:
        n = _count(conn, count_sql, count_args)
        if n < DRIVER_CAP and (best is None or n < best[0]):
            best = (n, from_sql, from_args)
        if n == 0:
            break
    return (best[1], best[2]) if best else None


def matching_seizures(conn: sqlite3.Connection, flt: dict, pids, limit: int, after: Cursor | None = None
                      ) -> list[tuple]:
    """The first `limit` matching, not withdrawn seizures of the given (origin, policy) pairs, after
    `after`, newest seizure first (then origin, record_id): rows of HIT_COLUMNS."""
    if not pids or limit <= 0:
        return []
    where, args = filter_sql(flt)
    after_sql, after_args = _after_sql(after)
    driver = choose_driver(conn, flt, pids)
    from_sql, from_args = driver if driver else ("seizures s INDEXED BY seizures_order", [])
    return conn.execute(
        f"SELECT {HIT_COLUMNS} FROM {from_sql} "
        "JOIN records r ON r.origin = s.origin AND r.record_id = s.record_id "
        f"WHERE {_pids_sql(pids)} AND {where} AND {after_sql} AND r.withdrawn = 0 ORDER BY {ORDER} LIMIT ?",
        [*from_args, *args, *after_args, limit],
    ).fetchall()


def counts(conn: sqlite3.Connection, flt: dict, group_by: list[str], pids) -> list[tuple]:
    """Counts over the seizures of the given (origin, policy) pairs, grouped by `group_by`: rows of
    (*group values, cases, items). `region` groups by origin (the caller maps it)."""
    if not pids:
        return []
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
        count_sql = "COUNT(DISTINCT s.id), COUNT(*)"
    else:
        count_sql = "COUNT(*), COALESCE(SUM(s.items), 0)"
    driver = choose_driver(conn, flt, pids)
    from_sql, from_args = driver if driver else ("seizures s INDEXED BY seizures_pid", [])
    sql = (f"SELECT {', '.join(cols)}, {count_sql} FROM {from_sql} {join} "
           f"WHERE {_pids_sql(pids)} AND {where} GROUP BY {', '.join(cols)}")
    return conn.execute(sql, [*from_args, *args]).fetchall()
