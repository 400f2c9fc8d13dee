"""The SQL of searches and statistics (store/search.py) against a brute-force answer over the same rows,
whichever index drives the query; and the plans it asks SQLite for."""

from __future__ import annotations

import datetime
import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from rilo_node.core.federation import WORD, validate_filter
from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import FakeClock
from rilo_node.node.records import RecordBook
from rilo_node.sim.synth import Origin, generate_seizures
from rilo_node.store import search as search_sql
from rilo_node.store.db import Store

N = 400
CATEGORIES = ["COCAINE", "CANNABIS", "TOBACCO_PRODUCTS", "IPR_PRODUCTS", "CASH_SMUGGLING", "FAUNA"]
COUNTRIES = ["EC", "CO", "AE", "CN", "TR", "NL", "BR", "DE", "FR", "ES"]
WORDS = ["cocaine", "cigarettes", "suitcase", "parcel", "cannabis", "watches", "cash", "truck"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, directory):
    """One store holding N seizures of `de` under a dozen policies; the rows as Python sees them."""
    store = Store(tmp_path_factory.mktemp("sql") / "node.db", synchronous="OFF")
    book = RecordBook(store, SigningKey("de", bytes(range(32))), directory, FakeClock(), node_country="DE")
    rng = random.Random(3)
    policies = [None, {"share": {"scope": "AREA"}}, {"share": {"scope": "GLOBAL"}}, {"tlp": "AMBER"},
                {"share": {"scope": "RILOS"}}, {"share": {"scope": "NAMED", "nodes": ["fr"]}}]
    origin = Origin("de", "DE", "EUR", "rilo-we")
    for _, seizure in generate_seizures(N, [origin], seed=5, today=datetime.date(2026, 11, 1)):
        seizure.pop("policy", None)
        policy = rng.choice(policies)
        if policy:
            seizure["policy"] = policy
        book.submit_seizure(seizure)
    rows = store.reader.execute(
        "SELECT s.id, s.pid, s.seizure_date, s.origin, s.record_id, s.country, s.departure_country, "
        "s.destination_country, s.route_countries, s.sections, s.categories, s.description, s.commodities, "
        "s.items FROM seizures s").fetchall()
    items = Counter()
    for origin_, record_id, section, category in store.reader.execute(
            "SELECT origin, record_id, section, category FROM seizure_items"):
        items[(origin_, record_id, section, category)] += 1
    yield store, rows, items
    store.close()


def matches(row, flt) -> bool:
    (_id, _pid, date, origin, _rid, country, dep, dest, route, sections, categories, description,
     commodities, _n) = row
    words = {w.lower() for w in WORD.findall(f"{description} {commodities}")}
    return all([
        "section" not in flt or flt["section"] in sections.split(),
        "category" not in flt or flt["category"] in categories.split(),
        "route_country" not in flt or flt["route_country"] in route.split(),
        "country" not in flt or flt["country"] == country,
        "departure_country" not in flt or flt["departure_country"] == dep,
        "destination_country" not in flt or flt["destination_country"] == dest,
        "origin" not in flt or flt["origin"] == origin,
        "date_from" not in flt or date >= flt["date_from"],
        "date_to" not in flt or date <= flt["date_to"],
        "text" not in flt or all(w.lower() in words for w in WORD.findall(flt["text"])),
    ])


def order(rows):
    rows = sorted(rows, key=lambda r: (r[3], r[4]))
    return sorted(rows, key=lambda r: r[2], reverse=True)


filters = hs.fixed_dictionaries({}, optional={
    "category": hs.sampled_from(CATEGORIES), "departure_country": hs.sampled_from(COUNTRIES),
    "route_country": hs.sampled_from(COUNTRIES), "text": hs.sampled_from(WORDS),
    "date_from": hs.sampled_from(["2025-06-01", "2026-01-01", "2026-09-01"]),
    "country": hs.sampled_from(["DE", "FR"]), "origin": hs.just("de"), "section": hs.just("DRUGS"),
})


class StaleCounts(search_sql.ListCounts):
    """Counts kept from earlier queries (ListCounts) that are as wrong as can be: they choose a plan, never rows."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng

    def count(self, conn, sql, args, cap):
        return self.rng.choice([0, 1, cap - 1, cap, 10**9])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters, limit=hs.integers(1, 60), cap=hs.sampled_from([0, 30, 10**9]), seed=hs.integers(0, 10**6),
       paged=hs.booleans(), bounded=hs.booleans(), stale=hs.booleans())
def test_hits_are_exactly_the_first_matches_whichever_index_drives(loaded, monkeypatch, flt, limit, cap, seed,
                                                                    paged, bounded, stale):
    store, rows, _ = loaded
    if flt.get("section") and flt.get("category") and flt["category"] not in ("COCAINE", "CANNABIS"):
        flt.pop("section")
    flt = validate_filter(flt)
    monkeypatch.setattr(search_sql, "DRIVER_CAP", cap)
    monkeypatch.setattr(search_sql, "_held", lambda conn: 0)  # the cap alone decides
    rng = random.Random(seed)
    all_pids = sorted({r[1] for r in rows})
    pids = set(rng.sample(all_pids, rng.randint(1, len(all_pids))))
    expected = order([r for r in rows if r[1] in pids and matches(r, flt)])
    after = None
    if paged and expected:
        cut = expected[rng.randrange(len(expected))]
        after = search_sql.Cursor(cut[2], cut[3], cut[4])
        expected = expected[expected.index(cut) + 1:]
    before = None
    if bounded and expected:  # the asker's own last hit (QueryEngine._round): only what comes before it
        cut = expected[rng.randrange(len(expected))]
        before = search_sql.Cursor(cut[2], cut[3], cut[4])
        expected = expected[:expected.index(cut)]
    known = StaleCounts(rng) if stale else None
    got = search_sql.matching_seizures(store.reader, flt, pids, limit, after, before, known)
    assert [(g[0], g[1]) for g in got] == [(r[3], r[4]) for r in expected[:limit]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flt=filters, group=hs.sampled_from([["category"], ["departure_country"], ["section", "country"], ["month"],
                                           ["section"], ["category", "month"], ["section", "destination_country"]]),
       cap=hs.sampled_from([0, 10**9]), seed=hs.integers(0, 10**6), stale=hs.booleans())
def test_counts_equal_the_brute_force_counts(loaded, monkeypatch, flt, group, cap, seed, stale):
    store, rows, items = loaded
    if flt.get("section") and flt.get("category") and flt["category"] not in ("COCAINE", "CANNABIS"):
        flt.pop("section")
    flt = validate_filter(flt)
    monkeypatch.setattr(search_sql, "DRIVER_CAP", cap)
    monkeypatch.setattr(search_sql, "_held", lambda conn: 0)  # the cap alone decides
    rng = random.Random(seed)
    all_pids = sorted({r[1] for r in rows})
    pids = set(rng.sample(all_pids, rng.randint(1, len(all_pids))))
    known = StaleCounts(rng) if stale else None
    got = {tuple(r[:-2]): (r[-2], r[-1]) for r in search_sql.counts(store.reader, flt, group, pids, known)}
    want: dict = {}
    months = {r[0]: r[2][:7] for r in rows}
    for r in rows:
        if r[1] not in pids or not matches(r, flt):
            continue
        if "category" in group or "section" in group:
            for (o, rid, section, category), n in items.items():
                if (o, rid) != (r[3], r[4]) or flt.get("section", section) != section \
                        or flt.get("category", category) != category:
                    continue
                key = tuple(section if f == "section" else category if f == "category" else r[5] if f == "country"
                            else r[7] if f == "destination_country" else months[r[0]] for f in group)
                cases, count = want.get(key, (set(), 0))
                want[key] = (cases | {r[0]}, count + n)
        else:
            key = tuple(r[6] if f == "departure_country" else months[r[0]] for f in group)
            cases, count = want.get(key, (set(), 0))
            want[key] = (cases | {r[0]}, count + r[13])
    assert got == {k: (len(c), n) for k, (c, n) in want.items()}


@pytest.mark.parametrize("flt", [{}, {"category": "COCAINE"}, {"departure_country": "EC"}, {"route_country": "NL"},
                                 {"text": "parcel"}, {"country": "DE", "date_from": "2026-01-01"},
                                 {"section": "DRUGS", "text": "cash"}])
@pytest.mark.parametrize("cap", [0, 10**9])
def test_every_plan_reads_an_index_never_the_whole_table(loaded, monkeypatch, flt, cap):
    """EXPLAIN QUERY PLAN of the search and the statistics: every table is reached through an index
    (or the full-text index), never by a plain scan of a table, and no LIKE is left."""
    store, rows, _ = loaded
    monkeypatch.setattr(search_sql, "DRIVER_CAP", cap)
    monkeypatch.setattr(search_sql, "_held", lambda conn: 0)  # the cap alone decides
    flt = validate_filter(flt)
    pids = {r[1] for r in rows}
    plans = []

    def explain(sql, args=()):
        plans.append((sql, [row[3] for row in store.reader.execute("EXPLAIN QUERY PLAN " + sql, args)]))
        return store.reader.execute(sql, args)

    class Spy:
        def execute(self, sql, args=()):
            if sql.lstrip().upper().startswith("SELECT") and "COUNT(*) FROM (SELECT 1" not in sql \
                    and "FROM policies" not in sql:
                return explain(sql, args)
            return store.reader.execute(sql, args)

    search_sql.matching_seizures(Spy(), flt, pids, 50)
    search_sql.counts(Spy(), flt, ["section", "departure_country"], pids)
    search_sql.counts(Spy(), flt, ["country"], pids)
    assert len(plans) == 3
    for sql, steps in plans:
        assert "LIKE" not in sql
        for step in steps:
            if step.startswith("SCAN") and step != "SCAN k":  # k: the page's ids, at most `limit` of them
                assert "USING" in step or "VIRTUAL TABLE" in step, (sql, steps)


def test_a_kept_list_count_is_counted_again_once_the_store_has_grown(tmp_path, monkeypatch):
    from rilo_node.store import db as st

    store = st.Store(tmp_path / "node.db")
    try:
        store.write(lambda conn: conn.execute("CREATE TABLE t (x)"))
        known = search_sql.ListCounts()
        held = [100]
        monkeypatch.setattr(search_sql, "_held", lambda conn: held[0])
        assert known.count(store.reader, "SELECT 1 FROM t", [], 50) == 0
        store.write(lambda conn: conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(10)]))
        held[0] += known.RECOUNT_ROWS  # not yet grown enough: the kept count
        assert known.count(store.reader, "SELECT 1 FROM t", [], 50) == 0
        held[0] += 1
        assert known.count(store.reader, "SELECT 1 FROM t", [], 50) == 10
        assert known.count(store.reader, "SELECT 1 FROM t", [], 5) == 5  # another cap: another count
    finally:
        store.close()
