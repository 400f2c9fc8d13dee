"""Messages per record and per query as the network grows, from the nodes' own counters (their
Prometheus endpoints): networks of about 39, 100 and 193 nodes (`cluster up --members-per-area`
2, 7 and all), each: R GLOBAL records submitted one at a time at members until every node holds
each, then Q global searches from a member.

- per record: rilo_records_sent (every way: pull feeds, direct deliveries, anti-entropy answers)
  summed over all nodes, and rilo_records_received split into stored and duplicate, divided by R;
- per query: rilo_rpcs{method="rilo.v1.PeerService/Query"} summed over all nodes (each call is one
  request and one answer), divided by Q.
docs/design.md#past-this-machine extrapolates them to 1,000 nodes.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from benchmarks.common import save
from benchmarks.replication import DbPoller, node_client, submissions
from benchmarks.wan import GLOBAL_POLICY, cli, holders_of, say

SIZES = (2, 7, None)  # members per area: 39, ~100 and 193 nodes
RECORDS = 20
QUERIES = 10


def scrape(address: str) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as resp:  # noqa: S310 - 127.0.0.1
        text = resp.read().decode()
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name in ("rilo_records_sent_total", "rilo_records_received_total", "rilo_rpcs_total"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def totals(data: dict) -> dict[str, float]:
    sums = {"sent": 0.0, "stored": 0.0, "duplicate": 0.0, "refused": 0.0, "query_calls": 0.0, "deliver_calls": 0.0,
            "sent_pull": 0.0, "sent_deliver": 0.0, "sent_anti-entropy": 0.0}
    for n in data["nodes"]:
        for (name, labels), v in scrape(n["metrics"]).items():
            lab = dict(labels)
            if name == "rilo_records_sent_total":
                sums["sent"] += v
                sums[f"sent_{lab['via']}"] = sums.get(f"sent_{lab['via']}", 0.0) + v
            elif name == "rilo_records_received_total":
                sums[lab["outcome"]] = sums.get(lab["outcome"], 0.0) + v
            elif name == "rilo_rpcs_total" and lab["method"] == "rilo.v1.PeerService/Query":
                sums["query_calls"] += v
            elif name == "rilo_rpcs_total" and lab["method"] == "rilo.v1.PeerService/Deliver":
                sums["deliver_calls"] += v
    return sums


def measure(members_per_area: int | None, records: int, queries: int) -> dict:
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.pb.rilo.v1 import node_pb2
    from rilo_node.sim.cluster import Cluster

    label = "all" if members_per_area is None else str(members_per_area)
    with tempfile.TemporaryDirectory(prefix=f"rilo-bench-scale-{label}-") as tmp:
        cl = Path(tmp) / "net"
        clients: dict = {}
        try:
            cli("cluster", "up", "--workdir", str(cl), "--members-per-area", label, "--web", "none", "--detach",
                timeout=900)
            data = json.loads((cl / "cluster.json").read_text())
            directory = Cluster(cl).directory()
            ids = list(directory.ids())
            members = [n.id for n in directory if n.role == "member"]
            say(f"scale[{label}]: {len(ids)} nodes up")
            clients = {m: node_client(cl, m) for m in members}
            full = load_topology(default_topology_path())
            lock = threading.Lock()
            arrivals: dict = {}
            complete: dict = {}

            wanted: dict = {}

            def on_record(node_id, key, at):
                with lock:
                    arrivals.setdefault(key, set()).add(node_id)
                    if key in wanted and wanted[key] <= arrivals[key]:
                        complete[key].set()

            # one record first, not counted: every pull stream is open and has sent its first answer
            plan = [members[k % len(members)] for k in range(records + 1)]
            poller = DbPoller(cl, ids, on_record, every=0.01)
            try:
                before = None
                for k, member in enumerate(plan):
                    if k == 1:
                        time.sleep(2)  # the warm-up's stragglers (anti-entropy answers) land before counting
                        before = totals(data)
                    (sub,) = submissions(full, member, 1, GLOBAL_POLICY, seed=5000 + k)
                    rid = (member, sub.record_id)
                    complete[rid] = threading.Event()
                    poller.watch(rid)
                    clients[member].records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub), timeout=60)
                    holders = holders_of(directory, clients[member], *rid)
                    with lock:
                        wanted[rid] = holders
                        if holders <= arrivals.get(rid, set()):
                            complete[rid].set()
                    if not complete[rid].wait(timeout=120):
                        raise RuntimeError(f"scale[{label}]: {rid} not on every node it is for after 120 s")
            finally:
                poller.close()
            time.sleep(2)
            after_records = totals(data)
            asker = "de"
            answering = 0
            for _ in range(queries):
                resp = clients[asker].search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=10,
                                                                           deadline_ms=20000), timeout=60)
                answering = len(resp.nodes)  # the nodes in the query's scope, the asker among them
            time.sleep(1)
            after_queries = totals(data)
        finally:
            for c in clients.values():
                c.close()
            if (cl / "cluster.json").exists():
                cli("cluster", "down", "--workdir", str(cl), "--delete", timeout=300)
    per_record = {k: (after_records[k] - before.get(k, 0.0)) / records for k in after_records}
    per_query = (after_queries["query_calls"] - after_records["query_calls"]) / queries
    rilos = sum(1 for n in directory if n.role == "rilo")
    out = {"nodes": len(ids), "rilos": rilos, "members": len(members), "holders": len(holders), "answering": answering, "records": records,
           "queries": queries,
           "per_record": per_record, "per_query": per_query}
    say(f"  {len(ids)} nodes: per GLOBAL record {per_record['sent']:.1f} copies sent "
        f"(pull {per_record.get('sent_pull', 0):.1f}, deliver {per_record.get('sent_deliver', 0):.1f}, "
        f"anti-entropy {per_record.get('sent_anti-entropy', 0):.1f}), {per_record.get('stored', 0):.1f} stored, "
        f"{per_record.get('duplicate', 0):.1f} duplicates; per global query {per_query:.1f} Query calls")
    return out


def run(sizes: tuple = SIZES, records: int = RECORDS, queries: int = QUERIES) -> list[dict]:
    results = [measure(s, records, queries) for s in sizes]
    figures = []
    for r in results:
        pr = r["per_record"]
        figures += [
            {"what": f"{r['nodes']} nodes ({r['rilos']} RILOs, {r['members']} members; {r['holders']} hold a GLOBAL "
                     "record): record copies sent per GLOBAL "
                     f"record (pull {pr.get('sent_pull', 0):.1f}, deliver {pr.get('sent_deliver', 0):.1f}, anti-entropy "
                     f"{pr.get('sent_anti-entropy', 0):.1f}; stored {pr.get('stored', 0):.1f}, duplicates "
                     f"{pr.get('duplicate', 0):.1f})", "value": pr["sent"], "unit": "messages",
             "baseline": {"what": "holders other than the origin", "value": r["holders"] - 1, "unit": ""}},
            {"what": f"{r['nodes']} nodes: PeerService/Query calls per global search", "value": r["per_query"],
             "unit": "calls",
             "baseline": {"what": "nodes in a global query's scope other than the asker", "value": r["answering"] - 1,
                          "unit": ""}},
        ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f}")
    save("scale", "scripts/bench scale", figures,
         notes="Counted by the nodes themselves: the sum over every node of rilo_records_sent and rilo_records_received "
               "(outcome stored / duplicate) per GLOBAL record, and of rilo_rpcs for PeerService/Query per global "
               "search, read from each node's Prometheus endpoint before and after. docs/design.md#past-this-machine "
               "extrapolates them to 1,000 nodes.")
    return figures


if __name__ == "__main__":
    run()
