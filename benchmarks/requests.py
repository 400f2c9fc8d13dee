"""Requests between administrations on the default simulated network: how long until a request
reaches its addressee, and a whole round trip (request, the addressee's answer back at the requester).

Requests go from `de` (EUR) to members of other regions, routed through `rilo-we`: no chain of
entitled nodes joins them, so each record travels by the origin's direct delivery. The baseline in
the same run is one unary gRPC call (GetStatus) from the benchmark to the addressee, over TLS.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import save
from rilo_node.api.client import NodeClient, target_from_cluster
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2
from rilo_node.sim.cluster import Cluster

POLL_S = 0.002


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def wait(predicate, timeout: float = 30.0) -> float:
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("not reached in time")
        time.sleep(POLL_S)
    return time.monotonic()


def run(requests: int = 50) -> dict:
    with tempfile.TemporaryDirectory(prefix="rilo-bench-req-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            data = cluster.up(members_per_area=2, web="none")
            directory = cluster.directory()
            me = directory.get("de")
            targets = [n.id for n in directory if n.role == "member" and n.region != me.region]
            print(f"requests: {len(data['nodes'])} nodes up; {requests} requests from de to {len(targets)} members "
                  "of other regions, via rilo-we", flush=True)
            clients = {n: NodeClient(target_from_cluster(cluster.workdir, n)) for n in ["de", *targets]}
            try:
                baseline = []
                for i in range(requests):
                    c = clients[targets[i % len(targets)]]
                    t0 = time.monotonic()
                    c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10)
                    baseline.append((time.monotonic() - t0) * 1000)
                delivered, round_trip = [], []
                due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
                for i in range(requests):
                    to = targets[i % len(targets)]
                    msg = request_pb2.AssistanceRequest(
                        addressee=to, via_rilo="rilo-we", legal_basis="Nairobi Convention, Annex X",
                        assistance=request_pb2.ASSISTANCE_TYPE_INFORMATION, subject=f"benchmark request {i}",
                        urgency=request_pb2.URGENCY_ROUTINE, due_date=due)
                    t0 = time.monotonic()
                    key = clients["de"].requests.CreateRequest(request_pb2.CreateRequestRequest(request=msg),
                                                               timeout=10).key
                    ref = record_pb2.RecordKey(origin=key.origin, record_id=key.record_id)

                    def seen(node: str, status: int) -> bool:
                        try:
                            got = clients[node].requests.GetRequest(request_pb2.GetRequestRequest(request=ref),
                                                                    timeout=10)
                        except Exception:  # noqa: BLE001 - not there yet
                            return False
                        return got.summary.status == status

                    t1 = wait(lambda: seen(to, request_pb2.REQUEST_STATUS_SENT))
                    clients[to].requests.RespondToRequest(request_pb2.RespondToRequestRequest(
                        request=ref, status=request_pb2.RESPONSE_STATUS_ANSWERED, text="answer"), timeout=10)
                    t2 = wait(lambda: seen("de", request_pb2.REQUEST_STATUS_ANSWERED))
                    delivered.append((t1 - t0) * 1000)
                    round_trip.append((t2 - t0) * 1000)
            finally:
                for c in clients.values():
                    c.close()
        finally:
            if cluster.exists():
                cluster.down()
    out = {"requests": requests, "delivered_p50": statistics.median(delivered), "delivered_p99": pct(delivered, 0.99),
           "round_trip_p50": statistics.median(round_trip), "round_trip_p99": pct(round_trip, 0.99),
           "grpc_call_p50": statistics.median(baseline)}
    print(f"request at its addressee: p50 {out['delivered_p50']:.0f} ms, p99 {out['delivered_p99']:.0f} ms; "
          f"round trip (request, answer back): p50 {out['round_trip_p50']:.0f} ms, p99 {out['round_trip_p99']:.0f} ms; "
          f"one gRPC call {out['grpc_call_p50']:.1f} ms", flush=True)
    save("requests", "scripts/bench requests", [
        {"what": f"request from de reaches a member of another region (via rilo-we), p50 of {requests}",
         "value": round(out["delivered_p50"]), "unit": "ms",
         "baseline": {"what": "one GetStatus call to the addressee, p50", "value": round(out["grpc_call_p50"], 1),
                      "unit": "ms"}},
        {"what": "request reaches its addressee, p99", "value": round(out["delivered_p99"]), "unit": "ms"},
        {"what": "round trip: request, ANSWERED response back at de, p50", "value": round(out["round_trip_p50"]),
         "unit": "ms"},
        {"what": "round trip, p99", "value": round(out["round_trip_p99"]), "unit": "ms"},
    ], notes="Default network (39 nodes), each node its own process, mutual TLS, synchronous=FULL. The parties are "
             "in different regions, so every record goes by the origin's direct delivery. Times include the "
             f"benchmark's own polling every {POLL_S * 1000:.0f} ms.")
    return out
