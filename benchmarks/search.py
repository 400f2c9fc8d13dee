"""Federated search and statistics on the default network (Secretariat + 12 RILOs + 2 members per
area, one process per node) holding N records placed as their policies say; against the raw cost
of one gRPC round trip to every node in scope, measured in the same run."""

from __future__ import annotations

import datetime
import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks.common import percentile, save
from rilo_node.core.replication import Entitlements
from rilo_node.core.signing import SigningKey, strip_annex
from rilo_node.node.clock import SystemClock, rfc3339
from rilo_node.node.records import RecordBook, record_row
from rilo_node.pb.rilo.v1 import record_pb2
from rilo_node.sim.cluster import Cluster
from rilo_node.sim.synth import Origin, generate_seizures
from rilo_node.store import db as st
from rilo_node.store import projections

ASKER = "de"


def bulk_load(cluster: Cluster, n: int, seed: int = 5) -> dict[str, int]:
    """Write each node's SQLite file directly (nodes stopped): every record signed by its origin and
    placed exactly where its policy entitles, as if replication had run. Returns copies per node."""
    directory = cluster.directory()
    data = cluster.load()
    folders = {e["id"]: Path(e["data_dir"]) for e in data["nodes"]}
    clock = SystemClock()
    books = {}
    members = [m for m in directory if m.role == "member"]
    for m in members:
        key = SigningKey.from_pem(m.id, (folders[m.id] / "keys" / "signing.key").read_bytes())
        books[m.id] = RecordBook(None, key, directory, clock, node_country=m.country)  # prepare() only
    origins = [Origin(m.id, m.country, m.region, m.area) for m in members]
    ent = Entitlements(directory)
    prepared = []
    t0 = time.monotonic()
    for origin, seizure in generate_seizures(n, origins, seed=seed, today=datetime.date.today()):
        prep = books[origin].prepare(seizure)
        header = record_pb2.RecordHeader.FromString(prep.record.header)
        e = ent.of(header)
        policy = header.policy.SerializeToString(deterministic=True)
        row, items = projections.seizure_rows(origin, prep.record_id, 1, prep.case, policy)
        prepared.append((origin, prep, e, row, items))
        if len(prepared) % 20_000 == 0:
            print(f"  prepared {len(prepared):,}/{n:,} ({time.monotonic() - t0:.0f} s)", flush=True)
    copies: dict[str, int] = {}
    now = rfc3339(clock.now())
    for node in directory.ids():
        store = st.Store(folders[node] / "data" / "node.db", synchronous="OFF")
        mine = [p for p in prepared if node in p[2].hold]

        def txn(conn, mine=mine, node=node):
            for origin, prep, e, row, items in mine:
                rec = prep.record if node in e.annex else strip_annex(prep.record)
                st.upsert_record_txn(conn, record_row(rec, origin=origin, record_id=prep.record_id, version=1,
                                                      kind=record_pb2.RECORD_KIND_SEIZURE,
                                                      created_at=prep.created_at), None, now, new=True)
                st.put_projection_txn(conn, row, items, new=True)
                if origin == node:
                    st.add_submission_txn(conn, prep.record_id, 1, prep.submit_hash)
            st.catch_up_fts_txn(conn)

        store.write(txn)
        store.close()
        copies[node] = len(mine)
    # Every node is in sync with every peer: checkpoints at the peer's last sequence number.
    for node in directory.ids():
        store = st.Store(folders[node] / "data" / "node.db", synchronous="OFF")
        store.write(lambda conn, node=node: [st.set_checkpoint_txn(conn, peer, copies[peer], now)
                                             for peer in directory.peers(node)])
        store.close()
    return copies


def random_filters(rng: random.Random) -> list[dict]:
    cats = ["COCAINE", "CANNABIS", "TOBACCO_PRODUCTS", "IPR_PRODUCTS", "CASH_SMUGGLING", "FAUNA",
            "PSYCHOTROPIC_SUBSTANCES", "WEAPONS_AMMUNITION", "MEDICAL_PRODUCTS", "ALCOHOL_PRODUCTS"]
    countries = ["EC", "CO", "AE", "CN", "TR", "NL", "BR", "MA", "IN", "US", "DE", "FR"]
    words = ["cocaine", "cigarettes", "suitcase", "parcel", "cannabis", "watches", "ivory", "cash", "truck"]
    out = []
    for _ in range(200):
        f: dict = {}
        kind = rng.randrange(6)
        if kind == 0:
            f["category"] = rng.choice(cats)
        elif kind == 1:
            f["departure_country"] = rng.choice(countries)
        elif kind == 2:
            f["text"] = rng.choice(words)
        elif kind == 3:
            f["category"] = rng.choice(cats)
            f["date_from"] = f"2026-{rng.randint(1, 9):02d}-01"
        elif kind == 4:
            f["route_country"] = rng.choice(countries)
        else:
            f["category"] = rng.choice(cats)
            f["departure_country"] = rng.choice(countries)
        out.append(f)
    return out


def run(n: int = 200_000, queries: int = 200) -> list[dict]:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.core.convert import dict_to_pb
    from rilo_node.pb.rilo.v1 import node_pb2

    with tempfile.TemporaryDirectory(prefix="rilo-bench-search-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            print("search: starting the default network", flush=True)
            cluster.up(members_per_area=2)
            cluster.down()
            print(f"search: placing {n:,} records on every node their policies entitle", flush=True)
            t0 = time.monotonic()
            copies = bulk_load(cluster, n)
            load_s = time.monotonic() - t0
            print(f"search: {sum(copies.values()):,} copies on {len(copies)} nodes in {load_s:.0f} s; restarting",
                  flush=True)
            cluster.start_all()
            time.sleep(3)
            rng = random.Random(42)
            filters = random_filters(rng)[:queries]
            lat_search, lat_stats, lat_raw, incomplete = [], [], [], 0
            data = cluster.load()
            channels = {e["id"]: target_from_cluster(cluster.workdir, e["id"]).channel() for e in data["nodes"]}
            health = {k: health_pb2_grpc.HealthStub(c) for k, c in channels.items()}
            with NodeClient(target_from_cluster(cluster.workdir, ASKER)) as c:
                for _ in range(5):  # warm connections and caches
                    c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100), timeout=30)
                for i, flt in enumerate(filters):
                    started = time.perf_counter()
                    resp = c.search.Search(node_pb2.SearchRequest(filter=dict_to_pb(flt, node_pb2.SearchFilter()),
                                                                  scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100),
                                           timeout=30)
                    lat_search.append((time.perf_counter() - started) * 1000)
                    incomplete += not resp.complete
                    # Baseline: one round trip to every node in scope, all at once, nothing else.
                    started = time.perf_counter()
                    futs = [h.Check.future(health_pb2.HealthCheckRequest(), timeout=10) for h in health.values()]
                    for f in futs:
                        f.result()
                    lat_raw.append((time.perf_counter() - started) * 1000)
                    if i % 50 == 49:
                        print(f"  {i + 1} searches, p50 {percentile(lat_search, 50):.0f} ms", flush=True)
                for i in range(min(queries, 100)):
                    flt = filters[i] if i % 2 else {}
                    started = time.perf_counter()
                    resp = c.search.Stats(node_pb2.StatsRequest(filter=dict_to_pb(flt, node_pb2.SearchFilter()),
                                                                scope=node_pb2.QUERY_SCOPE_GLOBAL,
                                                                group_by=["section", "departure_country"]),
                                          timeout=30)
                    lat_stats.append((time.perf_counter() - started) * 1000)
                    incomplete += not resp.complete
            for ch in channels.values():
                ch.close()
        finally:
            if cluster.exists():
                cluster.down()
    raw50 = percentile(lat_raw, 50)
    figures = [
        {"what": f"global search from {ASKER}, p50 ({len(lat_search)} varied queries)",
         "value": percentile(lat_search, 50), "unit": "ms", "goal": "≤ 60 ms",
         "baseline": {"what": "one gRPC round trip to all 39 nodes at once, p50", "value": raw50, "unit": "ms"}},
        {"what": "global search, p99", "value": percentile(lat_search, 99), "unit": "ms", "goal": "≤ 150 ms",
         "baseline": {"what": "round trip to all nodes, p99", "value": percentile(lat_raw, 99), "unit": "ms"}},
        {"what": f"statistics by section × departure country, p50 ({len(lat_stats)} queries)",
         "value": percentile(lat_stats, 50), "unit": "ms", "goal": "≤ 150 ms",
         "baseline": {"what": "round trip to all nodes, p50", "value": raw50, "unit": "ms"}},
        {"what": "statistics, p99", "value": percentile(lat_stats, 99), "unit": "ms",
         "baseline": {"what": "round trip to all nodes, p99", "value": percentile(lat_raw, 99), "unit": "ms"}},
        {"what": "answers not complete (any node missing)", "value": incomplete, "unit": "queries"},
        {"what": "record copies placed (bulk load, nodes stopped)", "value": sum(copies.values()), "unit": "copies",
         "baseline": {"what": "distinct records", "value": n, "unit": "records"}},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f} {f['unit']}")
    command = ("scripts/bench search" if n == 200_000 else f"RILO_BENCH_N={n} python -m benchmarks.search")
    save("search", f"{command}  (N={n:,} records, {queries} queries)", figures,
         notes="Records from `rilo_node.sim.synth` (ITR-shaped policies: most GREEN/REGION, some AREA, RILOS, RED), "
               "each signed by its origin and written into the SQLite file of every node its policy entitles "
               "(nodes stopped), so the benchmark measures queries, not replication. Queries: 200 filters mixing "
               "category, departure, route country, text and dates, limit 100, scope global, from member `de`; "
               "each answer is signed, sealed for the asker, verified and merged. The baseline is 39 concurrent "
               "health checks from the same client.")
    return figures


if __name__ == "__main__":
    run(int(os.environ.get("RILO_BENCH_N", "200000")))
