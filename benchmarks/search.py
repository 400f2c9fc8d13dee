"""Federated search and statistics on the default network (Secretariat + 12 RILOs + 2 members per
area, one process per node) holding N records placed as their policies say; against the raw cost
of one gRPC round trip to every node in scope, measured in the same run."""

from __future__ import annotations

import datetime
import multiprocessing
import os
import random
import subprocess
import sys
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


def bulk_load(cluster: Cluster, n: int, seed: int = 5, processes: int = 2) -> dict[str, int]:
    """Write each node's SQLite file (nodes stopped) through the store's bulk path
    (`store.db.insert_new_records_txn`, the path replication uses for a batch of new records, with the
    indexes made at the end: `store.db.deferred_indexes`): every record signed by its origin and placed
    exactly where its policy entitles, as if replication had run. Records are signed, and nodes written,
    by `processes` worker processes. Returns copies per node."""
    global _PLACED, _SIGNING
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
    t0 = time.monotonic()
    # The workers inherit the books and the seizures (fork) and send back each record's placement.
    _SIGNING = (books, Entitlements(directory),
                list(generate_seizures(n, origins, seed=seed, today=datetime.date.today())))
    _PLACED = []
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for part in pool.imap(_sign, range(0, n, SIGN_CHUNK)):
            _PLACED += part
            if len(_PLACED) % 50_000 < SIGN_CHUNK:
                print(f"  signed {len(_PLACED):,}/{n:,} ({time.monotonic() - t0:.0f} s)", flush=True)
    _SIGNING = None
    jobs = [(node, str(folders[node] / "data" / "node.db"), list(directory.peers(node))) for node in directory.ids()]
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        copies = dict(pool.imap_unordered(_load_node, jobs))
    # Every node is in sync with every peer: checkpoints at the peer's last sequence number.
    now = rfc3339(clock.now())
    for node, path, peers in jobs:
        store = st.Store(path, synchronous="OFF")
        store.write(lambda conn, peers=peers: [st.set_checkpoint_txn(conn, peer, copies[peer], now) for peer in peers])
        store.close()
    _PLACED = []
    return copies


STEADY_AFTER_S = 90.0  # the second idle window starts this long after the restart
_PLACED: list = []
_SIGNING: tuple | None = None
SIGN_CHUNK = 2000
BULK_BATCH = 20_000


def _sign(start: int) -> list[tuple]:
    """Records start .. start + SIGN_CHUNK, each signed by its origin: (origin, record_id, submit hash, nodes
    that hold it, nodes that hold its annex, its rows (store.db.NewRows), the rows of its copy without the
    annex)."""
    books, ent, seizures = _SIGNING
    out = []
    for origin, seizure in seizures[start:start + SIGN_CHUNK]:
        prep = books[origin].prepare(seizure)  # signed, with its rows for the store (store.db.NewRows)
        e = ent.of(record_pb2.RecordHeader.FromString(prep.record.header))
        stripped = prep.rows
        if prep.record.annex:  # the rows of the copy that nodes not entitled to the annex hold
            stripped = st.new_rows({**record_row(strip_annex(prep.record), origin=origin, record_id=prep.record_id,
                                                 version=1, kind=record_pb2.RECORD_KIND_SEIZURE,
                                                 created_at=prep.created_at), "policy": prep.signed_policy},
                                   projections.seizure_rows(origin, prep.record_id, 1, prep.case, prep.signed_policy))
        out.append((origin, prep.record_id, prep.submit_hash, e.hold, e.annex, prep.rows, stripped))
    return out


def _load_node(job) -> tuple[str, int]:
    """One node's copies, in batches of BULK_BATCH records, one transaction each, its indexes made at the end."""
    node, path, _peers = job
    now = rfc3339(SystemClock().now())
    store = st.Store(path, synchronous="OFF")
    mine = [p for p in _PLACED if node in p[3]]
    with st.deferred_indexes(store):
        for i in range(0, len(mine), BULK_BATCH):
            batch = mine[i:i + BULK_BATCH]

            def txn(conn, batch=batch):
                st.insert_new_records_txn(conn, [p[5] if node in p[4] else p[6] for p in batch], None, now)
                conn.executemany("INSERT INTO submissions (record_id, version, submit_hash) VALUES (?, 1, ?)",
                                 [(p[1], p[2]) for p in batch if p[0] == node])

            store.write(txn)
    store.close()
    return node, len(mine)


def written_out() -> float:
    """Wait until the kernel has written out what the load left in its page cache (the stores are written
    with synchronous=OFF), so that the queries after the restart do not share the disk with it. Returns the
    seconds it took (1 s after the 200,000-record load on 2026-12-07: the kernel had written most of it
    during the load)."""
    t0 = time.monotonic()
    os.sync()
    return time.monotonic() - t0


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


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_seconds(pids) -> float:
    """utime + stime of the processes (and their dead children's), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])
    return total / tick


def idle_cpu(pids, seconds: float) -> float:
    """The share of one core the processes used over `seconds` of doing nothing asked of them (%)."""
    before = cpu_seconds(pids)
    time.sleep(seconds)
    return (cpu_seconds(pids) - before) / seconds * 100


BARE_SERVER = """
import sys, time, grpc
from concurrent import futures
from grpc_health.v1 import health, health_pb2_grpc
server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
server.add_insecure_port("127.0.0.1:0")
server.start()
print("up", flush=True)
time.sleep(600)
"""


def bare_servers_idle_cpu(count: int, seconds: float) -> float:
    """Baseline: `count` idle processes, each a gRPC server with only the health service."""
    procs = [subprocess.Popen([sys.executable, "-c", BARE_SERVER], stdout=subprocess.PIPE) for _ in range(count)]
    try:
        for p in procs:
            p.stdout.readline()
        time.sleep(1)
        return idle_cpu([p.pid for p in procs], seconds)
    finally:
        for p in procs:
            p.kill()
            p.wait()


def health_round_trip(health) -> float:
    from grpc_health.v1 import health_pb2

    started = time.perf_counter()
    futs = [h.Check.future(health_pb2.HealthCheckRequest(), timeout=10) for h in health.values()]
    for f in futs:
        f.result()
    return (time.perf_counter() - started) * 1000


def query_round(c, health, filters, scope, *, stats_every: int = 1) -> dict:
    """Each filter as a search and as a statistic (section × departure country), timed; beside each
    search, one round trip to every node (the baseline)."""
    from rilo_node.core.convert import dict_to_pb
    from rilo_node.pb.rilo.v1 import node_pb2

    out = {"search": [], "stats": [], "raw": [], "incomplete": 0, "late": 0}
    for flt in filters:
        pb = dict_to_pb(flt, node_pb2.SearchFilter())
        started = time.perf_counter()
        resp = c.search.Search(node_pb2.SearchRequest(filter=pb, scope=scope, limit=100), timeout=30)
        ms = (time.perf_counter() - started) * 1000
        out["search"].append(ms)
        out["incomplete"] += not resp.complete
        out["late"] += ms > 1500 + 100  # the default deadline and the client's own share
        started = time.perf_counter()
        resp = c.search.Stats(node_pb2.StatsRequest(filter=pb, scope=scope,
                                                    group_by=["section", "departure_country"]), timeout=30)
        ms = (time.perf_counter() - started) * 1000
        out["stats"].append(ms)
        out["incomplete"] += not resp.complete
        out["late"] += ms > 1500 + 100
        if health is not None:
            out["raw"].append(health_round_trip(health))
    return out


class Ingest:
    """SubmitSeizures at `rate` records/s to one node, in messages of 100, until stopped."""

    def __init__(self, cluster: Cluster, node: str, rate: int):
        import threading

        from rilo_node.api.client import NodeClient, target_from_cluster

        self.client = NodeClient(target_from_cluster(cluster.workdir, node))
        info = cluster.directory().get(node)
        self.seizures = [s for _, s in generate_seizures(
            rate * 120, [Origin(node, info.country, info.region, info.area)], seed=99, today=datetime.date.today())]
        self.rate, self.sent, self._stop = rate, 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from rilo_node.core.seizure import parse_submission
        from rilo_node.pb.rilo.v1 import node_pb2

        started = time.monotonic()
        while not self._stop.is_set() and self.sent + 100 <= len(self.seizures):
            batch = [parse_submission(s) for s in self.seizures[self.sent:self.sent + 100]]
            self.client.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=batch)]), timeout=30)
            self.sent += len(batch)
            wait = started + self.sent / self.rate - time.monotonic()
            if wait > 0:
                self._stop.wait(wait)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join(timeout=60)
        self.client.close()


def network_phase(n: int, queries: int, idle_seconds: float) -> dict:
    """The default network holding n records: load, restart, idle cost, queries idle and under ingest."""
    from grpc_health.v1 import health_pb2_grpc

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.pb.rilo.v1 import node_pb2

    out: dict = {"n": n}
    with tempfile.TemporaryDirectory(prefix="rilo-bench-search-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            print(f"search: {n:,} records: starting the default network", flush=True)
            cluster.up(members_per_area=2, web="none")
            cluster.down()
            t0 = time.monotonic()
            copies = bulk_load(cluster, n)
            out["load_s"] = time.monotonic() - t0
            out["copies"] = sum(copies.values())
            out["nodes"] = len(copies)
            out["sync_s"] = written_out()
            print(f"search: {out['copies']:,} copies on {len(copies)} nodes in {out['load_s']:.0f} s "
                  f"(load average {load_average()}), on disk {out['sync_s']:.0f} s later; restarting every node",
                  flush=True)
            t0 = time.monotonic()
            cluster.start_all()
            out["healthy_s"] = time.monotonic() - t0
            data = cluster.load()
            channels = {e["id"]: target_from_cluster(cluster.workdir, e["id"]).channel() for e in data["nodes"]}
            health = {k: health_pb2_grpc.HealthStub(ch) for k, ch in channels.items()}
            with NodeClient(target_from_cluster(cluster.workdir, ASKER)) as c:
                while True:  # until a global search is answered by every node
                    resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100),
                                           timeout=30)
                    if resp.complete or time.monotonic() - t0 > 300:
                        break
                out["answering_s"] = time.monotonic() - t0
                out["load_after_restart"] = load_average()
                print(f"  healthy after {out['healthy_s']:.1f} s, a complete global search after "
                      f"{out['answering_s']:.1f} s (load average {out['load_after_restart']})", flush=True)
                time.sleep(5)
                pids = [e["pid"] for e in cluster.load()["nodes"]]
                out["idle_cpu"] = idle_cpu(pids, idle_seconds)
                out["load_idle"] = load_average()
                print(f"  idle: {out['idle_cpu']:.1f}% of one core (load average {out['load_idle']})", flush=True)
                filters = random_filters(random.Random(42))[:queries]
                for _ in range(3):  # warm connections and caches
                    query_round(c, None, filters[:3], node_pb2.QUERY_SCOPE_GLOBAL)
                out["idle"] = query_round(c, health, filters, node_pb2.QUERY_SCOPE_GLOBAL)
                out["load_queries"] = load_average()
                print(f"  search p50 {percentile(out['idle']['search'], 50):.0f} ms, p99 "
                      f"{percentile(out['idle']['search'], 99):.0f} ms; stats p50 "
                      f"{percentile(out['idle']['stats'], 50):.0f} ms (load average {out['load_queries']})", flush=True)
                # The idle network again once the restart's work is done (each node's first anti-entropy pass
                # with every peer comes within a minute of its start, at a random moment: protocol.md).
                time.sleep(max(0.0, STEADY_AFTER_S - (time.monotonic() - t0)))
                out["steady_at"] = time.monotonic() - t0
                out["idle_cpu_steady"] = idle_cpu(pids, idle_seconds)
                print(f"  idle {out['steady_at']:.0f} s after the restart: {out['idle_cpu_steady']:.1f}% of one core "
                      f"(load average {load_average()})", flush=True)
                source = next(e["id"] for e in cluster.load()["nodes"] if e["role"] == "member" and e["id"] != ASKER)
                with Ingest(cluster, source, 1000) as ingest:
                    time.sleep(2)
                    out["ingest"] = query_round(c, health, filters, node_pb2.QUERY_SCOPE_GLOBAL)
                    out["ingested"] = ingest.sent
                out["load_ingest"] = load_average()
                print(f"  during ingest: search p99 {percentile(out['ingest']['search'], 99):.0f} ms "
                      f"({out['ingested']:,} records ingested; load average {out['load_ingest']})", flush=True)
            for ch in channels.values():
                ch.close()
            # What the asker itself logged as answered late (node/query.py LATE_AFTER), idle and during ingest.
            log = Path(cluster.node(cluster.load(), ASKER)["data_dir"]) / "serve.log"
            out["node_late"] = sum("after its deadline" in line for line in log.read_text().splitlines())
        finally:
            if cluster.exists():
                cluster.down()
    return out


def single_node_phase(n: int, queries: int) -> dict:
    """One node (de) holding n records of its own, alone: local search and statistics over gRPC."""
    from grpc_health.v1 import health_pb2_grpc

    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.pb.rilo.v1 import node_pb2

    out: dict = {"n": n}
    with tempfile.TemporaryDirectory(prefix="rilo-bench-search1-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            cluster.up(members_per_area=2, web="none")
            cluster.down()
            directory = cluster.directory()
            entry = cluster.node(cluster.load(), ASKER)
            folder = Path(entry["data_dir"])
            info = directory.get(ASKER)
            key = SigningKey.from_pem(ASKER, (folder / "keys" / "signing.key").read_bytes())
            book = RecordBook(None, key, directory, SystemClock(), node_country=info.country)
            store = st.Store(folder / "data" / "node.db", synchronous="OFF")
            now = rfc3339(SystemClock().now())
            t0 = time.monotonic()
            batch = []

            def flush():
                rows = [p.rows for p in batch]
                store.write(lambda conn: st.insert_new_records_txn(conn, rows, None, now))
                batch.clear()

            origin = Origin(ASKER, info.country, info.region, info.area)
            for i, (_, seizure) in enumerate(generate_seizures(n, [origin], seed=11, today=datetime.date.today())):
                batch.append(book.prepare(seizure))  # signed, with its rows for the store (store.db.NewRows)
                if len(batch) >= BULK_BATCH:
                    flush()
                if (i + 1) % 100_000 == 0:
                    print(f"  {i + 1:,}/{n:,} records on {ASKER} ({time.monotonic() - t0:.0f} s)", flush=True)
            if batch:
                flush()
            store.close()
            out["load_s"] = time.monotonic() - t0
            written_out()
            cluster.start(ASKER)
            target = target_from_cluster(cluster.workdir, ASKER)
            channel = target.channel()
            health = {ASKER: health_pb2_grpc.HealthStub(channel)}
            filters = random_filters(random.Random(43))[:queries]
            with NodeClient(target) as c:
                # A node in service, not one answering its first query: a round of other filters first (another
                # seed; the same vocabulary, so the lists' counts they leave are those a node keeps, search.ListCounts).
                query_round(c, None, random_filters(random.Random(7))[:queries], node_pb2.QUERY_SCOPE_LOCAL)
                out["local"] = query_round(c, health, filters, node_pb2.QUERY_SCOPE_LOCAL)
            out["load"] = load_average()
            channel.close()
            print(f"  one node, {n:,} records: local search p50 {percentile(out['local']['search'], 50):.1f} ms, "
                  f"stats p50 {percentile(out['local']['stats'], 50):.1f} ms (load average {out['load']})",
                  flush=True)
        finally:
            if cluster.exists():
                cluster.down()
    return out


def run(n: int = 200_000, queries: int = 20, small: int = 20_000, single: int = 1_000_000,
        idle_seconds: float = 20.0) -> list[dict]:
    phases = [network_phase(size, queries, idle_seconds) for size in sorted({min(small, n), n})]
    bare = bare_servers_idle_cpu(phases[-1]["nodes"], idle_seconds)
    one = single_node_phase(single if n >= 200_000 else n, queries)
    figures = []
    for ph in phases:
        size, idle, ing = f"{ph['n']:,} records", ph["idle"], ph["ingest"]
        raw50, raw99 = percentile(idle["raw"], 50), percentile(idle["raw"], 99)
        rt50 = {"what": f"one gRPC round trip to all {ph['nodes']} nodes at once, p50", "value": raw50, "unit": "ms"}
        rt99 = {"what": "the same round trip, p99", "value": raw99, "unit": "ms"}
        big = ph["n"] >= 200_000
        figures += [
            {"what": f"{size}: global search from {ASKER}, p50 ({len(idle['search'])} varied queries)",
             "value": percentile(idle["search"], 50), "unit": "ms", "baseline": rt50,
             "goal": "≤ 150 ms floor, ≤ 60 ms goal" if big else ""},
            {"what": f"{size}: global search, p99", "value": percentile(idle["search"], 99), "unit": "ms",
             "baseline": rt99, "goal": "≤ 400 ms floor, ≤ 150 ms goal" if big else ""},
            {"what": f"{size}: statistics (section × departure country), p50", "value": percentile(idle["stats"], 50),
             "unit": "ms", "baseline": rt50, "goal": "≤ 150 ms floor, ≤ 80 ms goal" if big else ""},
            {"what": f"{size}: statistics, p99", "value": percentile(idle["stats"], 99), "unit": "ms",
             "baseline": rt99, "goal": "≤ 400 ms floor, ≤ 200 ms goal" if big else ""},
            {"what": f"{size}: global search p99 while {ph['ingested']:,} records came in at 1,000/s",
             "value": percentile(ing["search"], 99), "unit": "ms",
             "baseline": {"what": "global search p99 with no ingest", "value": percentile(idle["search"], 99),
                          "unit": "ms"}, "goal": "≤ 2× floor, ≤ 1.2× goal" if big else ""},
            {"what": f"{size}: statistics p99 during that ingest", "value": percentile(ing["stats"], 99),
             "unit": "ms", "baseline": {"what": "statistics p99 with no ingest",
                                        "value": percentile(idle["stats"], 99), "unit": "ms"}},
            {"what": f"{size}: answers incomplete / later than the deadline (idle and during ingest; de logged "
                     f"{ph['node_late']} answered more than 50 ms after its own deadline)",
             "value": idle["incomplete"] + ing["incomplete"], "unit": "incomplete",
             "baseline": {"what": "answers later than deadline + 100 ms", "value": idle["late"] + ing["late"],
                          "unit": "late"}, "goal": "0 late, always"},
            {"what": f"{size}: {ph['copies']:,} copies placed through the store's bulk path (then written out of the "
                     f"page cache in {ph['sync_s']:.0f} s more, before the restart)", "value": ph["load_s"],
             "unit": "s", "goal": "≤ 120 s" if big else ""},
            {"what": f"{size}: after restarting all {ph['nodes']} nodes, a complete global search",
             "value": ph["answering_s"], "unit": "s",
             "baseline": {"what": "all nodes answering health checks", "value": ph["healthy_s"], "unit": "s"},
             "goal": "≤ 30 s" if big else ""},
            {"what": f"{size}: the idle network's CPU ({ph['nodes']} nodes, {idle_seconds:.0f} s from 5 s after the "
                     "first complete search: the restart's first minute)",
             "value": ph["idle_cpu"], "unit": "% of one core",
             "baseline": {"what": f"{phases[-1]['nodes']} idle bare gRPC servers", "value": bare,
                          "unit": "% of one core"}, "goal": "≤ 5%" if big else ""},
            {"what": f"{size}: the idle network's CPU ({ph['nodes']} nodes, {idle_seconds:.0f} s from "
                     f"{ph['steady_at']:.0f} s after the restart: steady state)",
             "value": ph["idle_cpu_steady"], "unit": "% of one core",
             "baseline": {"what": f"{phases[-1]['nodes']} idle bare gRPC servers", "value": bare,
                          "unit": "% of one core"}, "goal": "≤ 5%" if big else ""},
        ]
    rt = {"what": "one health-check round trip to that node, p50", "value": percentile(one["local"]["raw"], 50),
          "unit": "ms"}
    figures += [
        {"what": f"one node holding {one['n']:,} records: local search, p50", "value": percentile(one["local"]["search"], 50),
         "unit": "ms", "baseline": rt, "goal": "≤ 20 ms floor, ≤ 5 ms goal"},
        {"what": "that node: local search, p99", "value": percentile(one["local"]["search"], 99), "unit": "ms",
         "baseline": rt},
        {"what": "that node: statistics (section × departure country), p50",
         "value": percentile(one["local"]["stats"], 50), "unit": "ms", "baseline": rt,
         "goal": "≤ 100 ms floor, ≤ 30 ms goal"},
        {"what": "that node: statistics, p99", "value": percentile(one["local"]["stats"], 99), "unit": "ms",
         "baseline": rt},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f} {f['unit']}")
    loads = "; ".join(f"{ph['n']:,}: after restart {ph['load_after_restart']}, idle {ph['load_idle']}, "
                      f"queries {ph['load_queries']}, ingest {ph['load_ingest']}" for ph in phases)
    save("search", f"scripts/bench search  (N={n:,} and {small:,} records, {queries} queries; one node with "
                   f"{one['n']:,})", figures,
         notes="Records from `rilo_node.sim.synth` (ITR-shaped policies), each signed by its origin and written "
               "into the SQLite file of every node its policy entitles (nodes stopped) through the store's bulk path "
               "(`insert_new_records_txn`, the indexes made at the end: `deferred_indexes`; two worker processes "
               "sign and two write), so the benchmark measures queries, not "
               "replication. Queries: filters mixing category, departure, route country, text and dates, limit 100, "
               "scope global, from member `de`; each answer is signed, sealed, verified and merged; each statistic "
               "groups by section × departure country with the same filter; the node with 1,000,000 first answers "
               "a round of other filters (another seed), as a node in service. The round-trip baseline is one health "
               "check to every node at once from the same client, beside each query. Ingest: SubmitSeizures of 100 "
               "records every 0.1 s to another member. Idle CPU: utime + stime of every node process over the window, against "
               f"the same number of bare gRPC servers (health service only). Load average (1/5/15 min): {loads}; "
               f"one node phase: {one['load']}.")
    return figures


if __name__ == "__main__":
    run(int(os.environ.get("RILO_BENCH_N", "200000")))
