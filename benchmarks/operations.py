"""Operations (closed user groups) on the default simulated network with the partners: messages to a
12-member operation, `op messages --follow` (WatchMessages) latency, a member added to an operation
holding 10,000 records, and the close of that operation.

- message: posted by each member in turn; the time until every other member's WatchMessages stream
  has shown it (a stream is open at each member for the whole run);
- --follow: per message and follower, the time from its commit at the follower's node (`received_at`
  in the follower's store) to the stream showing it, on the same machine's clock;
- add: `de` shares 10,000 seizures to a second operation (owner `rilo-we`); a new member is added and
  the time taken until the new member's node counts all 10,000 records of the group;
- close: the time until the new member (whose copies are others' records) has withdrawn all of them;
  the withdrawals are applied in the transaction that stores the closed version, so the first moment
  the node answers NOT_FOUND for the operation is that moment.

The baseline in the same run is one unary gRPC call (GetStatus) to a member, over TLS.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import grpc

from benchmarks.common import save
from rilo_node.api.client import NodeClient, target_from_cluster
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2, operation_pb2
from rilo_node.sim.cluster import Cluster
from rilo_node.sim.synth import Origin, generate_seizures

POLL_S = 0.002
OWNER = "rilo-we"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def wait(predicate, timeout: float = 120.0) -> float:
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("not reached in time")
        time.sleep(POLL_S)
    return time.monotonic()


def _parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run(messages: int = 100, records: int = 10_000) -> dict:
    with tempfile.TemporaryDirectory(prefix="rilo-bench-ops-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            data = cluster.up(members_per_area=2, web="none")
            directory = cluster.directory()
            partners = sorted(n.id for n in directory if n.role == "partner")
            members = sorted(n.id for n in directory if n.role == "member" and n.id != "de")[:11 - len(partners) - 1]
            group = ["de", *members, *partners]  # 11 others; with the owner, 12 members
            print(f"operations: {len(data['nodes'])} nodes up; a 12-member operation (owner {OWNER}, "
                  f"{', '.join(group)})", flush=True)
            ids = [OWNER, *group]
            outsider = next(n.id for n in directory if n.role == "member" and n.id not in ids)
            clients = {n: NodeClient(target_from_cluster(cluster.workdir, n)) for n in [*ids, outsider]}
            try:
                out = _measure(cluster, clients, group, outsider, directory, messages, records)
            finally:
                for c in clients.values():
                    c.close()
        finally:
            if cluster.exists():
                cluster.down()
    print(f"message to all 11 other members: p50 {out['msg_p50']:.0f} ms, p99 {out['msg_p99']:.0f} ms; "
          f"--follow after stored: p50 {out['follow_p50']:.1f} ms, p99 {out['follow_p99']:.1f} ms; "
          f"member added holds {records:,} records after {out['add_s']:.2f} s; close applied after "
          f"{out['close_s']:.2f} s; one gRPC call {out['grpc_p50']:.1f} ms", flush=True)
    save("operations", "scripts/bench operations", [
        {"what": f"message from one member to all members of a 12-member operation, p50 of {messages}",
         "value": round(out["msg_p50"]), "unit": "ms", "goal": "≤ 50 ms",
         "baseline": {"what": "one GetStatus call to a member, p50", "value": round(out["grpc_p50"], 1),
                      "unit": "ms"}},
        {"what": "message to all members, p99", "value": round(out["msg_p99"]), "unit": "ms", "goal": "≤ 150 ms"},
        {"what": "`op messages --follow` (WatchMessages) shows a message after it is stored at the follower's "
                 "node, p99", "value": round(out["follow_p99"], 1), "unit": "ms", "goal": "≤ 100 ms"},
        {"what": f"a member added to an operation with {records:,} records holds all of them",
         "value": round(out["add_s"], 2), "unit": "s", "goal": "≤ 2 s"},
        {"what": "close of that operation: every withdrawal applied at the member", "value": round(out["close_s"], 2),
         "unit": "s", "goal": "≤ 2 s"},
    ], notes="Default network (2 members per area) plus the 3 partners, each node its own process, mutual TLS, "
             "synchronous=FULL. Messages are timed to their arrival on WatchMessages streams open at every member; "
             f"the other figures include the benchmark's own polling every {POLL_S * 1000:.0f} ms.")
    return out


def _measure(cluster, clients, group, outsider, directory, messages, records) -> dict:
    baseline = []
    for _ in range(50):
        t0 = time.monotonic()
        clients["de"].admin.GetStatus(node_pb2.GetStatusRequest(), timeout=10)
        baseline.append((time.monotonic() - t0) * 1000)

    ops = clients[OWNER].operations
    ops.CreateOperation(operation_pb2.CreateOperationRequest(operation_id="op-bench", name="bench", members=group),
                        timeout=30)
    everyone = [OWNER, *group]

    def member(n: str, op_id: str) -> bool:
        try:
            clients[n].operations.GetOperation(operation_pb2.GetOperationRequest(operation_id=op_id), timeout=10)
            return True
        except grpc.RpcError:
            return False

    wait(lambda: all(member(n, "op-bench") for n in everyone))

    # Streams at every member: (record_id, node) -> (monotonic, wall) when shown.
    shown: dict[tuple[str, str], tuple[float, float]] = {}
    lock = threading.Lock()
    streams = []

    def follow(node: str) -> None:
        stream = clients[node].operations.WatchMessages(operation_pb2.WatchMessagesRequest(operation_id="op-bench"))
        streams.append(stream)
        try:
            for item in stream:
                m = item.message
                with lock:
                    shown[(m.record_id, node)] = (time.monotonic(), time.time())
        except grpc.RpcError:
            pass

    threads = [threading.Thread(target=follow, args=(n,), daemon=True) for n in everyone]
    for t in threads:
        t.start()
    time.sleep(1.0)  # the streams are open (nothing is measured before the first post)

    to_all, follow_ms, posted = [], [], []
    for i in range(messages):
        poster = everyone[i % len(everyone)]
        t0 = time.monotonic()
        m = clients[poster].operations.PostMessage(operation_pb2.PostMessageRequest(
            operation_id="op-bench", text=f"benchmark message {i}"), timeout=10).message
        others = [n for n in everyone if n != poster]
        wait(lambda m=m, others=others: all((m.record_id, n) in shown for n in others), timeout=30)
        to_all.append((max(shown[(m.record_id, n)][0] for n in others) - t0) * 1000)
        posted.append((m.origin, m.record_id, others))
    for s in streams:
        s.cancel()
    # --follow: from the commit at the follower's node to the stream.
    for origin, record_id, others in posted:
        for n in others:
            db = Path(cluster.workdir) / "nodes" / n / "data" / "node.db"
            conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
            try:
                row = conn.execute("SELECT received_at FROM records WHERE origin = ? AND record_id = ?",
                                   (origin, record_id)).fetchone()
            finally:
                conn.close()
            follow_ms.append((shown[(record_id, n)][1] - _parse_time(row[0])) * 1000)

    # An operation with `records` seizures, shared by de; then a member added, then the close.
    ops.CreateOperation(operation_pb2.CreateOperationRequest(operation_id="op-big", name="big", members=["de"]),
                        timeout=30)
    wait(lambda: member("de", "op-big"))
    info = directory.get("de")
    today = dt.date.today()
    batch: list = []
    for _, s in generate_seizures(records, [Origin("de", "DE", info.region, info.area)], seed=14, today=today):
        s.pop("record_id", None)
        s["policy"] = {"share": {"scope": "GROUP", "group": "op-big"}}
        batch.append(parse_submission(s))
    reqs = [node_pb2.SubmitSeizuresRequest(submissions=batch[i:i + 500]) for i in range(0, len(batch), 500)]
    stored = clients["de"].records.SubmitSeizures(iter(reqs), timeout=600).stored

    def count(node: str) -> int:
        try:
            return clients[node].operations.GetOperation(
                operation_pb2.GetOperationRequest(operation_id="op-big"), timeout=10).operation.records
        except grpc.RpcError:
            return -1

    wait(lambda: count(OWNER) == stored, timeout=600)
    t0 = time.monotonic()
    ops.ChangeOperation(operation_pb2.ChangeOperationRequest(operation_id="op-big", add=[outsider]), timeout=30)
    add_s = wait(lambda: count(outsider) == stored, timeout=600) - t0
    t0 = time.monotonic()
    ops.CloseOperation(operation_pb2.CloseOperationRequest(operation_id="op-big"), timeout=30)
    close_s = wait(lambda: count(outsider) == -1, timeout=600) - t0
    return {"messages": messages, "records": stored, "msg_p50": statistics.median(to_all), "msg_p99": pct(to_all, 0.99),
            "follow_p50": statistics.median(follow_ms), "follow_p99": pct(follow_ms, 0.99), "add_s": add_s,
            "close_s": close_s, "grpc_p50": statistics.median(baseline)}
