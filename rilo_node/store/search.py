"""The SQL of searches and statistics over the search projection (`seizures`, `seizure_tags`, FTS5).

Every query is answered from indexes (docs/design.md#the-read-path). The caller says which
(origin, policy) pairs (`policies.pid`) it may answer for; the filter narrows the rows. Which index
lists the candidate rows is chosen here (choose_driver), by counting what each usable index holds for
the query: the shortest list is read and its keys sorted, or the rows are read newest first (along a
filtered column's index, else `seizures_order`) until the page is full, each filter then a probe per
row. Statistics by section or category read `seizure_facts`.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from dataclasses import dataclass

from rilo_node.core.federation import WORD

# Lists are counted up to at least DRIVER_CAP entries (a search: up to 4 x sqrt(limit x rows held)); a
# list counted to its cap is never read whole. A list of LIST_ALWAYS rows or fewer is read whole whatever
# reading newest first is estimated to cost (choose_driver).
DRIVER_CAP = 5000
LIST_ALWAYS = 10_000
# Where a node answers for all it holds: a list that accounts for every filter of the query (its share of the
# rows is then exact, not an estimate from independent filters) is read whole only up to LIST_EXACT rows when
# reading newest first costs less.
LIST_EXACT = 1000
# What a row of a list costs against a row read newest first: the list's rows are looked up in the table
# one by one (a page each, in no order); reading newest first reads `seizures_order`, which holds the
# date, the key and the pair (m0017), and probes the other filters' indexes. At 1,000,000 rows: 4.2 against
# 1.5 microseconds (a route country's 8,593 rows: 36 ms read as a list, 17.5 ms newest first).
LIST_COST = 3
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
    # "+": a text match is a probe of each row, never a key of the index read (with the pid list, SQLite
    # would look up every pair of a listed pid and a matching rowid).
    _shared_terms(flt, "s", "+s.id", where, args)
    return " AND ".join(where), args


def _shared_terms(flt: dict, alias: str, id_column: str, where: list, args: list) -> None:
    """The conditions of the dates, the text and the group, over `alias` (seizures or seizure_facts)."""
    if "date_from" in flt:
        where.append(f"{alias}.seizure_date >= ?")
        args.append(flt["date_from"])
    if "date_to" in flt:
        where.append(f"{alias}.seizure_date <= ?")
        args.append(flt["date_to"])
    if "text" in flt:
        where.append(f"{id_column} IN (SELECT rowid FROM seizures_fts WHERE seizures_fts MATCH ?)")
        args.append(fts_query(flt["text"]))
    # search --group (issue 14, node/operations.py): only seizures shared to the operation, by their
    # (origin, policy) pair; policy_groups is written with the pair (migration m0007_operations).
    if "group" in flt:
        where.append(f"{alias}.pid IN (SELECT pid FROM policy_groups WHERE operation_id = ?)")
        args.append(flt["group"])


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
    # The first term repeats what the second says, as a range of the dates that an index read in date order
    # can start or stop at (SQLite uses no OR for that).
    return ("s.seizure_date <= ? AND (s.seizure_date < ? OR (s.seizure_date = ? AND (s.origin > ? OR "
            "(s.origin = ? AND s.record_id > ?))))",
            [after.seizure_date, after.seizure_date, after.seizure_date, after.origin, after.origin, after.record_id])


def _before_sql(before: Cursor | None) -> tuple[str, list]:
    """Rows that come before `before` in the order of hits (newer dates, then smaller (origin, record_id))."""
    if before is None:
        return "1 = 1", []
    return ("s.seizure_date >= ? AND (s.seizure_date > ? OR (s.seizure_date = ? AND (s.origin < ? OR "
            "(s.origin = ? AND s.record_id < ?))))",
            [before.seizure_date, before.seizure_date, before.seizure_date, before.origin, before.origin,
             before.record_id])


def _pids_sql(pids, alias: str = "s") -> str:
    return f"{alias}.pid IN (" + ",".join(str(int(p)) for p in sorted(pids)) + ")"


def _count(conn: sqlite3.Connection, sql: str, args: list, cap: int, known: ListCounts | None = None) -> int:
    if known is not None:
        return known.count(conn, sql, args, cap)
    return conn.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT {int(cap)})", args).fetchone()[0]


class ListCounts:
    """The lengths of index lists (choose_driver's counts), kept for the queries that follow: they only choose
    how a query reads its rows, never which rows it returns, so a count may be a little old. One is counted
    again once the store holds RECOUNT_SHARE more rows than when it was counted (or RECOUNT_ROWS more, for
    a small store). At 1,000,000 rows counting a category's list to the cap took 4 to 7 ms of a 10 ms search.
    Thread-safe."""

    RECOUNT_SHARE = 0.05
    RECOUNT_ROWS = 1000
    MAX_ENTRIES = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple, tuple[int, int]] = {}  # (sql, args, cap) -> (count, rows held then)

    def count(self, conn: sqlite3.Connection, sql: str, args: list, cap: int) -> int:
        held = _held(conn)
        key = (sql, tuple(args), int(cap))
        with self._lock:
            got = self._counts.get(key)
        if got is not None and held - got[1] <= max(self.RECOUNT_ROWS, self.RECOUNT_SHARE * got[1]) and held >= got[1]:
            return got[0]
        n = conn.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT {int(cap)})", args).fetchone()[0]
        with self._lock:
            if len(self._counts) >= self.MAX_ENTRIES:
                self._counts.clear()
            self._counts[key] = (n, held)
        return n


def _held(conn: sqlite3.Connection) -> int:
    """How many search rows the store holds, about (the last id given: no count of the table)."""
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'seizures'").fetchone()
    return row[0] if row else 0


def _ordered(flt: dict) -> str:
    """The index read newest first when every list is long: a filtered column's (column, seizure_date), which
    holds only the rows of that value, else every row's `seizures_order`."""
    for key, (_column, index) in _COLUMNS.items():
        if key in flt:
            return f"seizures s INDEXED BY {index}"
    return "seizures s INDEXED BY seizures_order"


def choose_driver(conn: sqlite3.Connection, flt: dict, pids, cap: int | None = None, *, limit: int = 0,
                  held: int = 0, newer_than: str = "", known: ListCounts | None = None) -> tuple[str, list] | None:
    """The FROM clause (aliasing `seizures s`) of the index list to read whole for this query, with its
    arguments; None to read the rows newest first instead (`_ordered`). Each list is counted up to `cap`
    (DRIVER_CAP). Without `limit` and `held` the shortest list under the cap is read. With them (a search:
    `held` rows, a page of `limit`), a list costs its length, and reading newest first about limit / the
    share of rows that match, the filters taken as independent (each list's share of `held`): the (pid
    IN ...) of a node answering for few pairs and a common word together are rare, and read from the list.
    `newer_than` (a search bounded by `before`): reading newest first stops at that date, so it reads no
    more rows than are that new; fewer than the shortest list, and no list is read. `known`: counts kept from
    earlier queries (ListCounts)."""
    cap = DRIVER_CAP if cap is None else cap
    pid_list = ",".join(str(int(p)) for p in sorted(pids))
    # The asker's own search at its own node answers for every pair: then no list of pairs narrows anything.
    every_pair = len(pids) >= conn.execute("SELECT COALESCE(MAX(pid), 0) FROM policies").fetchone()[0]
    # Each option: how to count its list, how to read it, the index read newest first it stands for (a
    # column's), and the filters it lists (the shares of two lists of one filter are not multiplied).
    options = [] if every_pair else [(f"SELECT 1 FROM seizures INDEXED BY seizures_pid WHERE pid IN ({pid_list})",
                                      [], "seizures s INDEXED BY seizures_pid", [], None, {"pid"})]
    for key, prefix in _TAGS.items():
        if key in flt:
            options.append(("SELECT 1 FROM seizure_tags WHERE tag = ?", [prefix + flt[key]],
                            "seizure_tags t CROSS JOIN seizures s ON s.id = t.sid AND t.tag = ?",
                            [prefix + flt[key]], None, {key}))
    for key, (column, index) in _COLUMNS.items():
        if key in flt:
            options.append((f"SELECT 1 FROM seizures INDEXED BY {index} WHERE {column} = ?", [flt[key]],
                            f"seizures s INDEXED BY {index}", [], key, {key}))
    if "category" in flt or "departure_country" in flt:
        # The facts' covering index lists the seizures of a category (and departure country) of the pairs
        # answered for: two filters that each match many rows, together often few.
        if "category" in flt:
            index, conds, facts_args = "seizure_facts_category", ["category = ?"], [flt["category"]]
            if "departure_country" in flt:
                conds.append("departure_country = ?")
                facts_args.append(flt["departure_country"])
        else:
            index, conds, facts_args = "seizure_facts_departure", ["departure_country = ?"], [flt["departure_country"]]
        if not every_pair:
            conds.append(f"pid IN ({pid_list})")
        facts = f"FROM seizure_facts INDEXED BY {index} WHERE {' AND '.join(conds)}"
        options.append((f"SELECT 1 {facts}", facts_args, f"(SELECT DISTINCT sid {facts}) t CROSS JOIN seizures s "
                        "ON s.id = t.sid", facts_args, None,
                        {"category", "departure_country", "pid"} & {*flt, *(() if every_pair else ("pid",))}))
    if "text" in flt:
        q = fts_query(flt["text"])
        options.append(("SELECT 1 FROM seizures_fts WHERE seizures_fts MATCH ?", [q],
                        "seizures_fts f CROSS JOIN seizures s ON s.id = f.rowid AND seizures_fts MATCH ?", [q],
                        None, {"text"}))
    counted = []
    for count_sql, count_args, from_sql, from_args, column, lists in options:
        n = _count(conn, count_sql, count_args, cap, known)
        counted.append((n, from_sql, from_args, column, lists))
        if n == 0:
            break
    lists = [c for c in counted if c[0] < cap]
    if not lists:
        return None
    best = min(lists, key=lambda c: c[0])
    if newer_than and _count(conn, "SELECT 1 FROM seizures INDEXED BY seizures_order WHERE seizure_date >= ?",
                             [newer_than], best[0]) < best[0]:
        return None
    if limit and held:
        share, covered = 1.0, set()
        for n, _f, _a, _c, lists in sorted(counted, key=lambda c: -len(c[4])):  # the facts' list first
            if n < cap and not lists & covered:  # a list counted to the cap may hold any share: taken as all
                share *= min(1.0, max(n, 1) / held)
                covered |= lists
        ordered = _ordered(flt)
        along = next((n for n, _f, _a, column, _l in counted if column and ordered.endswith(_COLUMNS[column][1])),
                     held)
        # Reading newest first (along that index) when it costs less; a list of LIST_ALWAYS rows or fewer is
        # read whatever the estimate says: rows that match one filter may match another far less often than
        # their shares say, and a scan newest first could then read every row.
        if every_pair:
            # The node answers for all it holds (an asker's own part): a list that accounts for every filter
            # knows its share, and only LIST_EXACT rows or fewer are read regardless; a list row costs LIST_COST.
            always = LIST_EXACT if not set(flt) - best[4] else LIST_ALWAYS
            newest_first = LIST_COST * best[0] >= limit * (along / held) / share
        else:
            # A node answering for some of its pairs, whose share is an estimate whatever the list: the rule
            # measured on the 42-node network at 200,000 records (before LIST_COST) is kept until measured again.
            always, newest_first = LIST_ALWAYS, best[0] >= 2 * limit * (along / held) / share
        if best[0] > always and newest_first:
            return None
    return best[1], best[2]


def matching_seizures(conn: sqlite3.Connection, flt: dict, pids, limit: int, after: Cursor | None = None,
                      before: Cursor | None = None, known: ListCounts | None = None) -> list[tuple]:
    """The first `limit` matching, not withdrawn seizures of the given (origin, policy) pairs, after
    `after` and before `before`, newest seizure first (then origin, record_id): rows of HIT_COLUMNS."""
    if not pids or limit <= 0:
        return []
    where, args = filter_sql(flt)
    after_sql, after_args = _after_sql(after)
    before_sql, before_args = _before_sql(before)
    after_sql, after_args = f"{after_sql} AND {before_sql}", [*after_args, *before_args]
    held = _held(conn)
    # Counted far enough to tell a list from reading newest first, where the two cost about the same.
    driver = choose_driver(conn, flt, pids, cap=max(DRIVER_CAP, 4 * math.isqrt(limit * held)), limit=limit,
                           held=held, newer_than=before.seizure_date if before else "", known=known)
    from_sql, from_args = driver if driver else (_ordered(flt), [])
    # The page is chosen over the narrow search rows; only its own records are read (their signed bytes
    # would otherwise go through the sort with every candidate). A withdrawn record has no search row
    # (store.db apply_withdrawal_txn; `rilo-node check` looks for one); the join checks it once more.
    return conn.execute(
        f"SELECT {HIT_COLUMNS} FROM (SELECT s.id FROM {from_sql} "
        f"WHERE {_pids_sql(pids)} AND {where} AND {after_sql} ORDER BY {ORDER} LIMIT ?) k "
        "CROSS JOIN seizures s ON s.id = k.id JOIN records r ON r.origin = s.origin AND r.record_id = s.record_id "
        f"WHERE r.withdrawn = 0 ORDER BY {ORDER}",
        [*from_args, *args, *after_args, limit],
    ).fetchall()


def counts(conn: sqlite3.Connection, flt: dict, group_by: list[str], pids, known: ListCounts | None = None
           ) -> list[tuple]:
    """Counts over the seizures of the given (origin, policy) pairs, grouped by `group_by`: rows of
    (*group values, cases, items). `region` groups by origin (the caller maps it)."""
    if not pids:
        return []
    item_level = any(f in ("section", "category") for f in group_by)
    if item_level and all(f in _FACT_GROUPS for f in group_by):
        return _fact_counts(conn, flt, group_by, pids)
    where, args = filter_sql(flt)
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
    driver = choose_driver(conn, flt, pids, known=known)
    from_sql, from_args = driver if driver else ("seizures s INDEXED BY seizures_pid", [])
    sql = (f"SELECT {', '.join(cols)}, {count_sql} FROM {from_sql} {join} "
           f"WHERE {_pids_sql(pids)} AND {where} GROUP BY {', '.join(cols)}")
    return conn.execute(sql, [*from_args, *args]).fetchall()


# Statistics by section or category read `seizure_facts` (migration m0013): a row per seizure and
# (section, category) of its items. The group columns it holds; `region` groups by origin (a join of the
# small `policies` table).
_FACT_GROUPS = {"section": "f.section", "category": "f.category", "country": "f.country",
                "departure_country": "f.departure_country", "destination_country": "f.destination_country",
                "month": "substr(f.seizure_date, 1, 7)", "region": "p.origin"}
_FACT_COLUMNS = ("section", "category", "country", "departure_country", "destination_country")


def _fact_counts(conn: sqlite3.Connection, flt: dict, group_by: list[str], pids) -> list[tuple]:
    """counts() grouped by section or category, from `seizure_facts` through a covering index: the
    category's or the departure country's when the filter names one, else the seizures that the route,
    text or group filter lists, else the category index read whole."""
    where, args = [_pids_sql(pids, "f")], []
    for key in _FACT_COLUMNS:
        if key in flt:
            where.append(f"f.{key} = ?")
            args.append(flt[key])
    if "route_country" in flt:
        where.append("f.sid IN (SELECT sid FROM seizure_tags WHERE tag = ?)")
        args.append("r:" + flt["route_country"])
    if "origin" in flt:
        where.append("f.pid IN (SELECT pid FROM policies WHERE origin = ?)")
        args.append(flt["origin"])
    _shared_terms(flt, "f", "f.sid", where, args)
    if "category" in flt:
        index = "INDEXED BY seizure_facts_category"
    elif "departure_country" in flt:
        index = "INDEXED BY seizure_facts_departure"
    elif any(k in flt for k in ("route_country", "text", "group")):
        index = ""  # the listed seizures, each looked up by its key
    else:
        index = "INDEXED BY seizure_facts_category"
    # A row per (seizure, section, category): grouped by category (or filtered to one), each seizure is
    # in a group once; grouped by section alone, one with items of two categories there would count twice.
    cases = "COUNT(*)" if "category" in group_by or "category" in flt else "COUNT(DISTINCT f.sid)"
    cols = [_FACT_GROUPS[f] for f in group_by]
    join = "JOIN policies p ON p.pid = f.pid" if "region" in group_by else ""
    sql = (f"SELECT {', '.join(cols)}, {cases}, SUM(f.items) FROM seizure_facts f {index} {join} "
           f"WHERE {' AND '.join(where)} GROUP BY {', '.join(cols)}")
    return conn.execute(sql, args).fetchall()
