"""The protocol under real distances: the default network (Secretariat, 12 RILOs, 2 members per area:
39 nodes) started with `rilo-node cluster up --latency wan`, every link delayed by the one-way time
of its two regions (config/latency.toml) through the delaying relay.

Each figure stands beside its physical floor: the longest path's summed one-way latency that the
operation must cross (rilo_node.sim.wan.path_delays_ms over the overlay links):
1. propagation of one GLOBAL record from a member to every node, p50 and p99; floor: the summed
   delays from the origin to the node farthest from it;
2. a global search and global statistics from a member, p50 and p99; floor: twice the longest path
   from the asker (the query goes out along the tree and the answers come back along it);
3. a request for assistance's round trip across regions (asker creates it, the addressee sees it
   and answers, the asker sees the answer); floor: there and back over the quicker of the direct
   link and the overlay path;
4. catch-up after a partition: de cut from its RILO, 10,000 records written at de, the cut healed:
   time until rilo-we, then every node the records are for, holds them all; floor: the summed delays
   to the farthest of those nodes.

The tools here talk to each node directly (a national system sits beside its node); only node-to-node
links cross the relay. Nodes are started by the CLI in a process of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import PY, percentile, save
from benchmarks.replication import DbPoller, Held, node_client, submissions, submit_all

PROPAGATION_RECORDS = 30
QUERIES = 30
REQUESTS = 5
CATCH_UP = 10_000
SEED_RECORDS = 2_000
REGION_POLICY = {"share": {"scope": "REGION"}}
GLOBAL_POLICY = {"tlp": "CLEAR"}


def say(text: str) -> None:
    print(text, flush=True)


def cli(*args: str, timeout: float = 600) -> str:
    proc = subprocess.run([PY, "-m", "rilo_node.cli", *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"rilo-node {' '.join(args)} exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def until(pred, timeout: float, every: float = 0.01, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {timeout:.0f} s")
        time.sleep(every)


def holders_of(directory, client, origin: str, record_id: str) -> set[str]:
    """The nodes a stored record is for (its entitlements: a GLOBAL record is for every customs node,
    not for the partners), from the origin's copy."""
    from rilo_node.core.replication import Entitlements
    from rilo_node.pb.rilo.v1 import node_pb2, record_pb2

    got = client.records.GetRecord(node_pb2.GetRecordRequest(origin=origin, record_id=record_id), timeout=30)
    return set(Entitlements(directory).of(record_pb2.RecordHeader.FromString(got.record.header)).hold)


# -- 1. propagation --------------------------------------------------------------------------------

def propagation(cl: Path, directory, table, clients, records: int) -> dict:
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.pb.rilo.v1 import node_pb2
    from rilo_node.sim.wan import longest_path_ms

    ids = list(directory.ids())
    members = [n.id for n in directory if n.role == "member"]
    full = load_topology(default_topology_path())
    holders: set[str] = set()
    lock = threading.Lock()
    arrivals: dict[tuple[str, str], dict[str, float]] = {}
    complete: dict[tuple[str, str], threading.Event] = {}
    wanted: dict[tuple[str, str], set[str]] = {}

    def on_record(node_id, key, at):
        with lock:
            seen = arrivals.setdefault(key, {})
            seen.setdefault(node_id, at)
            if key in wanted and wanted[key] <= set(seen):
                complete[key].set()

    poller = DbPoller(cl, ids, on_record)
    lat, excess, floors = [], [], []
    try:
        for k in range(-1, records):  # record -1 is a warm-up, not counted
            member = members[k % len(members)]
            (sub,) = submissions(full, member, 1, GLOBAL_POLICY, seed=1000 + k)
            rid = (member, sub.record_id)
            complete[rid] = threading.Event()
            poller.watch(rid)
            t = time.monotonic()
            clients[member].records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub), timeout=30)
            holders = holders_of(directory, clients[member], *rid)
            with lock:
                wanted[rid] = holders
                if holders <= set(arrivals.get(rid, {})):
                    complete[rid].set()
            if not complete[rid].wait(timeout=30):
                raise RuntimeError(f"record {rid} not on every node it is for after 30 s")
            with lock:
                ms = (max(arrivals[rid][h] for h in holders) - t) * 1000
            floor = longest_path_ms(directory, table, member)[1]
            if k < 0:
                say(f"  propagation warm-up from {member}: {ms:.0f} ms (not counted)")
                continue
            lat.append(ms)
            floors.append(floor)
            excess.append(ms - floor)
            say(f"  propagation {k + 1}/{records} from {member}: {ms:.0f} ms (floor {floor:.0f} ms)")
    finally:
        poller.close()
    return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "excess_p50": percentile(excess, 50),
            "excess_p99": percentile(excess, 99), "floor_max": max(floors), "floor_p50": percentile(floors, 50),
            "records": records, "nodes": len(ids), "holders": len(holders)}


# -- 2. search and statistics ------------------------------------------------------------------------

def queries(directory, table, clients, asker: str, n: int) -> dict:
    from rilo_node.pb.rilo.v1 import node_pb2
    from rilo_node.sim.wan import longest_path_ms

    far, one_way = longest_path_ms(directory, table, asker)
    c = clients[asker]
    out = {"asker": asker, "far": far, "floor": 2 * one_way}
    for kind in ("search", "stats"):
        times, incomplete = [], 0
        for i in range(n + 2):  # the first two open the channels along the tree: not counted
            t = time.monotonic()
            if kind == "search":
                resp = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100,
                                                              deadline_ms=5000), timeout=30)
                ok = sum(a.status == node_pb2.NODE_ANSWER_STATUS_OK for a in resp.nodes) == len(directory)
            else:
                resp = c.search.Stats(node_pb2.StatsRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, group_by=["section"],
                                                            deadline_ms=5000), timeout=30)
                ok = resp.complete
            ms = (time.monotonic() - t) * 1000
            if i >= 2:
                times.append(ms)
                incomplete += not ok
        out[kind] = {"p50": percentile(times, 50), "p99": percentile(times, 99), "incomplete": incomplete, "n": n}
        say(f"  global {kind} from {asker}: p50 {out[kind]['p50']:.0f} ms, p99 {out[kind]['p99']:.0f} ms "
            f"(floor {out['floor']:.0f} ms, to {far} and back; {incomplete} incomplete)")
    return out


# -- 3. a request's round trip -------------------------------------------------------------------------

def request_round_trips(directory, table, clients, asker: str, n: int) -> dict:
    from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2
    from rilo_node.sim.wan import path_delays_ms

    c = clients[asker]
    hits = c.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=10000, deadline_ms=10000),
                           timeout=60).hits
    my_region = table.region(directory, asker)
    far = [h for h in hits if not h.held and directory.get(h.origin).role == "member"
           and table.region(directory, h.origin) != my_region]
    if not far:
        raise RuntimeError(f"no notice from another region among {asker}'s hits")
    origin_delay = path_delays_ms(directory, table, asker)
    far.sort(key=lambda h: (-min(table.node_delay_ms(directory, asker, h.origin), origin_delay[h.origin]), h.origin))
    area = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).area
    times, floors, pairs = [], [], []
    for i in range(n):
        hit = far[i % len(far)]
        addressee = hit.origin
        floor = 2 * min(table.node_delay_ms(directory, asker, addressee), origin_delay[addressee])
        req = request_pb2.AssistanceRequest(
            addressee=addressee, via_rilo=area, legal_basis="Nairobi Convention, Annex X",
            assistance=request_pb2.ASSISTANCE_TYPE_INFORMATION, urgency=request_pb2.URGENCY_URGENT,
            due_date=(dt.date.today() + dt.timedelta(days=14)).isoformat(),
            subject=f"Details of seizure {hit.origin}/{hit.record_id} (wan benchmark {i})",
            records=[record_pb2.RecordKey(origin=hit.origin, record_id=hit.record_id)])
        t = time.monotonic()
        key = c.requests.CreateRequest(request_pb2.CreateRequestRequest(request=req), timeout=30).key
        ref = record_pb2.RecordKey(origin=key.origin, record_id=key.record_id)

        def seen_by_addressee():
            try:
                clients[addressee].requests.GetRequest(request_pb2.GetRequestRequest(request=ref), timeout=5)
                return True
            except Exception:  # noqa: BLE001 - not there yet (NOT_FOUND)
                return False

        until(seen_by_addressee, 30, what=f"the request at {addressee}")
        t_there = time.monotonic()
        clients[addressee].requests.RespondToRequest(request_pb2.RespondToRequestRequest(
            request=ref, status=request_pb2.RESPONSE_STATUS_ANSWERED, text="Answered (benchmark)."), timeout=30)

        def answered():
            got = c.requests.GetRequest(request_pb2.GetRequestRequest(request=ref), timeout=5)
            return got.summary.status == request_pb2.REQUEST_STATUS_ANSWERED

        until(answered, 30, what=f"the answer at {asker}")
        ms = (time.monotonic() - t) * 1000
        times.append(ms)
        floors.append(floor)
        pairs.append(addressee)
        say(f"  request {asker} → {addressee} and its answer back: {ms:.0f} ms (there {1000 * (t_there - t):.0f} ms; "
            f"floor {floor:.0f} ms)")
    return {"p50": percentile(times, 50), "max": max(times), "floor": max(floors), "floor_min": min(floors),
            "addressees": sorted(set(pairs)), "n": n}


# -- 4. catch-up after a partition ----------------------------------------------------------------------

def catch_up(cl: Path, directory, table, clients, n: int) -> dict:
    from rilo_node.core.replication import Entitlements
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.pb.rilo.v1 import node_pb2, record_pb2
    from rilo_node.sim.cluster import Cluster
    from rilo_node.sim.wan import path_delays_ms

    origin, rilo = "de", "rilo-we"
    cluster = Cluster(cl)
    cluster.partition(origin, rilo)

    def cut():
        for a, b in ((origin, rilo), (rilo, origin)):
            peers = clients[a].admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10).peers
            if {p.peer: p.state for p in peers}.get(b) != "cut":
                return False
        return True

    until(cut, 60, every=0.2, what="the partition at both ends")

    class OwnHeld(Held):
        """How many of the origin's records a node holds, from its SQLite file."""

        def __call__(self) -> int:
            with self.lock:
                return self.conn.execute("SELECT COUNT(*) FROM records WHERE origin = ?", (origin,)).fetchone()[0]

    probes = {h: OwnHeld(cl, h) for h in directory.ids() if h != origin}
    try:
        before = {h: p() for h, p in probes.items()}
        subs = submissions(load_topology(default_topology_path()), origin, n, REGION_POLICY, seed=77)
        submit_all(clients[origin], subs, "catch-up records")
        # Who the records are for: their entitlements, from one of them as stored at the origin.
        first = next(iter(clients[origin].records.ExportRecords(
            node_pb2.ExportRecordsRequest(origin=origin), timeout=60)))
        holders = sorted(set(Entitlements(directory).of(
            record_pb2.RecordHeader.FromString(first.record.header)).hold) - {origin})
        t = time.monotonic()
        cluster.heal(origin, rilo)
        done: dict[str, float] = {}
        deadline = time.monotonic() + 600
        while len(done) < len(holders):
            for h in holders:
                if h not in done and probes[h]() >= before[h] + n:
                    done[h] = (time.monotonic() - t) * 1000
            if time.monotonic() > deadline:
                raise TimeoutError(f"catch-up: {sorted(set(holders) - set(done))} incomplete after 600 s")
            time.sleep(0.02)
    finally:
        for p in probes.values():
            p.close()
    delays = path_delays_ms(directory, table, origin)
    far = max(holders, key=lambda h: delays[h])
    say(f"  catch-up of {n:,} records after the partition {origin}|{rilo} healed: {rilo} complete after "
        f"{done[rilo]:.0f} ms, all {len(holders)} holders after {max(done.values()):.0f} ms (floor {delays[rilo]:.0f} / "
        f"{delays[far]:.0f} ms)")
    return {"rilo_ms": done[rilo], "all_ms": max(done.values()), "holders": len(holders), "floor_rilo": delays[rilo],
            "floor_all": delays[far], "far": far, "n": n}


# -- the benchmark ----------------------------------------------------------------------------------------

def run(records: int = PROPAGATION_RECORDS, queries_n: int = QUERIES, requests: int = REQUESTS,
        catch_up_n: int = CATCH_UP, seed_records: int = SEED_RECORDS) -> list[dict]:
    from rilo_node.sim.cluster import Cluster
    from rilo_node.sim.wan import load_table

    from benchmarks.replication import Contention

    table = load_table()
    busy = Contention()
    with tempfile.TemporaryDirectory(prefix="rilo-bench-wan-") as tmp:
        cl = Path(tmp) / "net"
        clients: dict = {}
        try:
            say("wan: default network, every link delayed as config/latency.toml says")
            t = time.monotonic()
            cli("cluster", "up", "--workdir", str(cl), "--web", "none", "--latency", "wan", "--seed-records", str(seed_records),
                "--detach")
            data = json.loads((cl / "cluster.json").read_text())
            say(f"  {len(data['nodes'])} nodes up and {seed_records:,} records seeded in {time.monotonic() - t:.0f} s")
            directory = Cluster(cl).directory()
            clients = {i: node_client(cl, i) for i in directory.ids()}
            members = [n.id for n in directory if n.role == "member"]
            from rilo_node.sim.wan import longest_path_ms

            farthest = max(members, key=lambda m: (longest_path_ms(directory, table, m)[1], m))
            prop = propagation(cl, directory, table, clients, records)
            q_de = queries(directory, table, clients, "de", queries_n)
            q_far = queries(directory, table, clients, farthest, queries_n)
            req = request_round_trips(directory, table, clients, "de", requests)
            cu = catch_up(cl, directory, table, clients, catch_up_n)
        finally:
            for c in clients.values():
                c.close()
            if (cl / "cluster.json").exists():
                cli("cluster", "down", "--workdir", str(cl), "--delete")
    nodes = prop["nodes"]
    figures = [
        {"what": f"WAN: propagation of one GLOBAL record from a member to all {prop['holders']} nodes it is for "
                 f"({nodes} in the network), p50 of {prop['records']} "
                 f"(its excess over its own origin's floor: p50 {prop['excess_p50']:.0f} ms)",
         "value": prop["p50"], "unit": "ms",
         "baseline": {"what": "floor: the origins' longest path, summed one-way latency (p50 over the records)",
                      "value": prop["floor_p50"], "unit": "ms"}},
        {"what": f"WAN: propagation to all {prop['holders']} nodes, p99 of {prop['records']} (excess over the origin's floor: "
                 f"p99 {prop['excess_p99']:.0f} ms)", "value": prop["p99"], "unit": "ms",
         "goal": "≤ floor + 100 ms",
         "baseline": {"what": "floor: the longest path from any origin used", "value": prop["floor_max"], "unit": "ms"}},
    ]
    for q in (q_de, q_far):
        for kind, goal in (("search", "p50 ≤ floor + 60 ms"), ("stats", "")):
            figures.append({
                "what": f"WAN: global {'search' if kind == 'search' else 'statistics'} from {q['asker']}, p50 of "
                        f"{q[kind]['n']} (p99 {q[kind]['p99']:.0f} ms; {q[kind]['incomplete']} incomplete)",
                "value": q[kind]["p50"], "unit": "ms", "goal": goal,
                "baseline": {"what": f"floor: {q['asker']} to {q['far']} and back, summed one-way latency",
                             "value": q["floor"], "unit": "ms"}})
    figures += [
        {"what": f"WAN: a request's round trip across regions (de asks {', '.join(req['addressees'])}, the answer comes "
                 f"back), p50 of {req['n']} (max {req['max']:.0f} ms)", "value": req["p50"], "unit": "ms",
         "baseline": {"what": "floor: there and back over the quickest path", "value": req["floor"], "unit": "ms"}},
        {"what": f"WAN: catch-up of {cu['n']:,} records written at de while cut from rilo-we, from the heal until "
                 "rilo-we holds them all", "value": cu["rilo_ms"], "unit": "ms",
         "baseline": {"what": "floor: de to rilo-we, one way", "value": cu["floor_rilo"], "unit": "ms"}},
        {"what": f"WAN: the same catch-up, until all {cu['holders']} nodes the records are for hold them",
         "value": cu["all_ms"], "unit": "ms",
         "baseline": {"what": f"floor: de to {cu['far']}, summed one-way latency", "value": cu["floor_all"],
                      "unit": "ms"}},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.0f} {f['unit']} (floor {f['baseline']['value']:,.0f} ms)")
    save("wan", "scripts/bench wan", figures,
         notes="Every node-to-node link goes through the delaying relay of `cluster up --latency wan` (one-way delays "
               "by region pair from config/latency.toml; no loss, no bandwidth cap). The floor beside each figure is "
               "the longest path's summed one-way latency over the overlay (member - its RILO - RILO mesh - "
               "Secretariat) that the operation must cross; a new TCP connection also pays one round trip, and "
               f"the first two queries of each series, which open the channels, are not counted. All {nodes} nodes "
               "and the relay share this machine's cores, so the excess over the floor includes CPU contention: "
               f"{busy.describe()}.")
    return figures


if __name__ == "__main__":
    run()
