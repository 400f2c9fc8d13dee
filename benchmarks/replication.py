"""Replication between node processes over mutual TLS, against baselines measured in the same run.

1. Throughput: a two-node network (de and its RILO rilo-we); rilo-we is stopped, de receives N
   signed seizures, rilo-we restarts and pulls the whole backlog. Baselines: the ceiling (the same
   signed records verified, judged and inserted by `Replicator.receive` in a loop, no gRPC) and raw
   gRPC streaming of the same serialized bytes between two processes (mutual TLS).
2. Catch-up: rilo-we stopped again, de gets 1,000 new records, rilo-we restarts: time until it holds
   them, from the start command and from `Cluster.start` returning. Baseline: a health-check round trip.
3. Propagation: in the Secretariat + 12 RILOs + 2 members per area network (39 nodes), one GLOBAL
   record at a time from a member: time until the last node holds it. Baseline: one GetStatus to
   every node in turn.

Nodes are forked by `Cluster` as in `rilo-node cluster up`. The forking happens in a controller
process that never makes a gRPC object itself (each cluster command runs in a fresh fork of it):
forking a process with live gRPC channels is unsafe, and this process polls the nodes over gRPC.

RILO_BENCH_PROFILE=FILE runs the ceiling under cProfile (calling thread only; the store's writer
thread is not in it) and prints the top functions.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.anchors import hypercore, pipeline_limits
from benchmarks.common import PY, REPO, percentile, save, wait_for_file

TWO = ("rilo-we", "de")
SENDER, RECEIVER = "de", "rilo-we"
CATCH_UP = 1_000
PER_MESSAGE, PER_CALL = 100, 10_000  # like benchmarks/ingest_client.py
FEED_BATCH = 500  # records per PullResponse, as a node pulls them (node/peers.py PULL_BATCH; run())
POLL = 0.05
AREA_POLICY = {"share": {"scope": "AREA"}}
GLOBAL_POLICY = {"tlp": "CLEAR"}
CONTROLLER_TIMEOUT = 400.0


def say(text: str) -> None:
    print(f"replication: {text}", flush=True)


# --- the cluster controller: a process that forks nodes and never touches gRPC itself --------------

class Controller:
    """`Cluster.up` / `Cluster.start` run in a separate, gRPC-free process (see the module doc)."""

    def __init__(self):
        self.proc = subprocess.Popen([PY, "-m", "benchmarks.replication", "controller"], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._buf = b""

    def call(self, timeout: float = CONTROLLER_TIMEOUT, **cmd) -> dict:
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"cluster controller: no answer to {cmd['op']} after {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise RuntimeError(f"cluster controller exited ({self.proc.poll()}) during {cmd['op']}")
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        answer = json.loads(line)
        if not answer.get("ok"):
            raise RuntimeError(f"cluster {cmd['op']} failed: {answer.get('error')}")
        return answer

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)


def _controller_op(cmd: dict) -> dict:
    from rilo_node.sim.cluster import Cluster

    cluster = Cluster(cmd["workdir"])
    if cmd["op"] == "up":
        data = cluster.up(topology=Path(cmd["topology"]) if cmd.get("topology") else None,
                          members_per_area=cmd.get("members_per_area"), web="none")
        return {"nodes": len(data["nodes"]), "healthy_after_s": data.get("healthy_after_s")}
    if cmd["op"] == "start":
        cluster.start(cmd["node"])
        return {"returned": time.monotonic()}  # CLOCK_MONOTONIC: the same clock in every process
    raise ValueError(f"unknown op {cmd['op']!r}")


def controller_main() -> None:
    """Read commands (JSON lines) on stdin; run each in a fresh fork; answer one JSON line each."""
    import rilo_node.api.server  # noqa: F401 - imported once, shared by every forked node

    for line in sys.stdin:
        cmd = json.loads(line)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: runs one cluster command, then exits
            os.close(r)
            try:
                answer = {"ok": True, **_controller_op(cmd)}
            except BaseException as exc:  # noqa: BLE001 - reported to the benchmark
                answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            # Nodes forked by the worker inherit `w`: the answer is one line, never read to EOF.
            os.write(w, (json.dumps(answer) + "\n").encode())
            os._exit(0)
        os.close(w)
        buf = b""
        with os.fdopen(r, "rb") as f:
            buf = f.readline()
        os.waitpid(pid, 0)
        if not buf:
            buf = json.dumps({"ok": False, "error": "cluster worker died"}).encode() + b"\n"
        sys.stdout.buffer.write(buf)
        sys.stdout.buffer.flush()


# --- small client helpers ---------------------------------------------------------------------

def node_client(workdir: Path, node_id: str):
    from rilo_node.api.client import NodeClient, target_from_cluster

    return NodeClient(target_from_cluster(workdir, node_id))


def status(client, timeout: float = 5.0):
    from rilo_node.pb.rilo.v1 import node_pb2

    return client.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=timeout)


def submit_all(client, subs: list, what: str) -> float:
    """SubmitSeizures in calls of PER_CALL, PER_MESSAGE per message; returns seconds."""
    from rilo_node.pb.rilo.v1 import node_pb2

    t0 = time.perf_counter()
    stored = 0
    for i in range(0, len(subs), PER_CALL):
        chunk = subs[i:i + PER_CALL]
        messages = [node_pb2.SubmitSeizuresRequest(submissions=chunk[j:j + PER_MESSAGE])
                    for j in range(0, len(chunk), PER_MESSAGE)]
        resp = client.records.SubmitSeizures(iter(messages), timeout=600)
        if resp.refused:
            bad = next(r for r in resp.results if r.code)
            raise RuntimeError(f"{what}: {resp.refused} refused: {bad.field} {bad.message}")
        stored += resp.stored
    if stored != len(subs):
        raise RuntimeError(f"{what}: stored {stored} of {len(subs)}")
    return time.perf_counter() - t0


def submissions(directory, node_id: str, n: int, policy: dict, seed: int = 1) -> list:
    from benchmarks.data import seizures_from
    from rilo_node.core.seizure import parse_submission

    out = []
    for s in seizures_from(directory, node_id, n, seed=seed):
        s["policy"] = dict(policy)
        out.append(parse_submission(s))
    return out


def health_rtt(client, rounds: int = 20) -> float:
    """p50 of one gRPC health check on an open channel, in ms."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(client.channel)
    stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


def status_rtt(client, rounds: int = 10) -> float:
    """p50 of one GetStatus round trip, in ms."""
    status(client)
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        status(client)
        times.append((time.perf_counter() - t0) * 1000)
    return percentile(times, 50)


class Held:
    """How many records a node holds — GetStatus's records_held, COUNT(*) of its records table —
    read from its SQLite file (WAL: a reader never blocks the node's writer). GetStatus itself
    scans the whole table for its other counts, and polling it would take CPU from the node
    being timed (see the GetStatus figure); this probe reads a small index."""

    def __init__(self, cl: Path, node_id: str):
        import sqlite3

        self.conn = sqlite3.connect(cl / "nodes" / node_id / "data" / "node.db", timeout=30,
                                    check_same_thread=False)
        self.conn.execute("PRAGMA query_only=ON")
        self.lock = threading.Lock()

    def __call__(self) -> int:
        with self.lock:
            return self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def wait_held(held_now, target: int, timeout: float, poll: float = POLL) -> tuple[float, int]:
    """Poll until held_now() ≥ target; (monotonic time seen, held)."""
    deadline = time.monotonic() + timeout
    held = 0
    while True:
        held = held_now()
        now = time.monotonic()
        if held >= target:
            return now, held
        if now > deadline:
            raise TimeoutError(f"records_held {held:,} of {target:,} after {timeout:.0f} s")
        time.sleep(poll)


# --- 1. throughput and 2. catch-up on two nodes ------------------------------------------------

def two_nodes(ctl: Controller, work: Path, n: int) -> dict:
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.sim.cluster import Cluster

    full = load_topology(default_topology_path())
    topo = work / "two-nodes.toml"
    topo.write_text(dump_topology(full.subset(TWO)))
    say(f"generating {n + CATCH_UP:,} seizures for {SENDER} (policy {json.dumps(AREA_POLICY)})")
    subs = submissions(full, SENDER, n + CATCH_UP, AREA_POLICY)
    backlog, late = subs[:n], subs[n:]
    cl = work / "pair"
    cluster = Cluster(cl)
    out: dict = {}
    try:
        say("two-node network up (de, rilo-we; forked node processes, mutual TLS, synchronous=FULL)")
        ctl.call(op="up", workdir=str(cl), topology=str(topo), members_per_area=None)
        cluster.stop(RECEIVER)
        with node_client(cl, SENDER) as de:
            say(f"{RECEIVER} stopped; loading {n:,} seizures into {SENDER}")
            secs = submit_all(de, backlog, "load")
            held_de = status(de).records_held
            say(f"  {SENDER} holds {held_de:,} records (ingest {n / secs:,.0f}/s)")

            say(f"starting {RECEIVER}; timing until it holds {n:,} (its records counted every {POLL * 1000:.0f} ms)")
            probe = Held(cl, RECEIVER)
            try:
                t_issue = time.monotonic()
                returned = ctl.call(op="start", workdir=str(cl), node=RECEIVER)["returned"]
                t_all, held = wait_held(probe, n, timeout=120 + n / 500)
            finally:
                probe.close()
            with node_client(cl, RECEIVER) as we:
                reported = status(we).records_held
                if reported != n:
                    raise RuntimeError(f"{RECEIVER} reports {reported:,} records held, expected {n:,}")
                out["rate"] = n / (t_all - t_issue)
                out["rate_from_return"] = n / (t_all - returned)
                out["start_s"] = returned - t_issue
                say(f"  {n:,} records in {t_all - t_issue:.2f} s: {out['rate']:,.0f} records/s "
                    f"(start returned after {out['start_s'] * 1000:.0f} ms)")
                out["annexes"] = annex_count(cl, RECEIVER)
                out["status_ms"] = status_rtt(we)
                out["health_ms"] = health_rtt(we)
                say(f"  GetStatus on {RECEIVER} holding {held:,}: {out['status_ms']:.1f} ms; "
                    f"health check: {out['health_ms']:.2f} ms")

            out.update(catch_up(ctl, cluster, cl, de, late, n))
        cluster.down()
        say("ceiling: the same signed records through Replicator.start_receive in a loop, pipelined, no gRPC")
        records = offered_records(cl, n)
        out["ceiling"] = ceiling(cl, records, work)
        say(f"  ceiling {out['ceiling']:,.0f} records/s")
        say("raw gRPC: the same serialized PullResponse bytes streamed from another process, mutual TLS")
        out["raw"] = raw_grpc(cl, records, work)
        say(f"  raw gRPC streaming {out['raw']:,.0f} records/s")
        out["bytes_per_record"] = sum(r.ByteSize() for _, r in records) / len(records)
    finally:
        if cluster.exists():
            cluster.down(delete=True)
    return out


def annex_count(cl: Path, node_id: str) -> int:
    import sqlite3

    db = cl / "nodes" / node_id / "data" / "node.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM records WHERE annex IS NOT NULL").fetchone()[0]


def catch_up(ctl: Controller, cluster, cl: Path, de, late: list, held_before: int) -> dict:
    """rilo-we stopped, de gets len(late) records, rilo-we restarts: when does it hold them?

    From the moment the start command is issued a thread, every 10 ms, counts rilo-we's records
    and (until it first answers) tries a health check on a fresh channel (no reconnect backoff)."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    k = len(late)
    target = held_before + k
    cluster.stop(RECEIVER)
    say(f"catch-up: {RECEIVER} stopped; {k:,} new records into {SENDER}")
    submit_all(de, late, "catch-up")
    seen: dict = {}
    probe = Held(cl, RECEIVER)
    if probe() != held_before:
        raise RuntimeError(f"{RECEIVER} holds {probe():,} records before the catch-up, expected {held_before:,}")

    def answers() -> bool:
        c = node_client(cl, RECEIVER)
        try:
            resp = health_pb2_grpc.HealthStub(c.channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
            return resp.status == health_pb2.HealthCheckResponse.SERVING
        except Exception:  # noqa: BLE001 - not listening yet
            return False
        finally:
            c.close()

    def poller(t_issue: float) -> None:
        deadline = t_issue + 60
        try:
            while time.monotonic() < deadline:
                if "first_answer" not in seen and answers():
                    seen["first_answer"] = time.monotonic()
                if "all_held" not in seen and probe() >= target:
                    seen["all_held"] = time.monotonic()
                if "first_answer" in seen and "all_held" in seen:
                    return
                time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 - reported below
            seen["error"] = f"{type(exc).__name__}: {exc}"

    try:
        t_issue = time.monotonic()
        thread = threading.Thread(target=poller, args=(t_issue,), daemon=True)
        thread.start()
        returned = ctl.call(op="start", workdir=str(cl), node=RECEIVER)["returned"]
        at_return = probe()  # what the node holds the moment Cluster.start has returned
        thread.join(timeout=70)
    finally:
        probe.close()
    if "error" in seen:
        raise RuntimeError(f"catch-up poller: {seen['error']}")
    if "all_held" not in seen or "first_answer" not in seen:
        raise TimeoutError(f"catch-up: {RECEIVER} did not answer and hold {target:,} within 60 s")
    with node_client(cl, RECEIVER) as we:
        reported = status(we).records_held
        health = health_rtt(we)
    if reported != target:
        raise RuntimeError(f"{RECEIVER} reports {reported:,} records held, expected {target:,}")
    out = {
        "catchup_from_issue_ms": (seen["all_held"] - t_issue) * 1000,
        "catchup_from_return_ms": max(0.0, seen["all_held"] - returned) * 1000,
        "catchup_held_at_return": at_return >= target,
        "catchup_first_answer_ms": (seen["first_answer"] - t_issue) * 1000,
        "catchup_start_returned_ms": (returned - t_issue) * 1000,
        "catchup_health_ms": health,
    }
    after = ("all already held then" if out["catchup_held_at_return"]
             else f"all held {out['catchup_from_return_ms']:.0f} ms later")
    say(f"  all {k:,} held {out['catchup_from_issue_ms']:.0f} ms after the start command "
        f"(node first answered a health check after {out['catchup_first_answer_ms']:.0f} ms; Cluster.start "
        f"returned after {out['catchup_start_returned_ms']:.0f} ms, {after})")
    return out


def offered_records(cl: Path, n: int) -> list:
    """(seq, SignedRecord) of de's first n records exactly as its feed offers them to rilo-we
    (an annex rilo-we may not hold is left out, as on the wire)."""
    from rilo_node.core.signing import Keyring
    from rilo_node.node.clock import SystemClock
    from rilo_node.node.directory import load_topology
    from rilo_node.node.peers import Replicator
    from rilo_node.store.db import Store

    directory = load_topology(cl / "topology.toml")
    store = Store(cl / "nodes" / SENDER / "data" / "node.db")
    try:
        r = Replicator(store, SENDER, directory, Keyring(), SystemClock())
        out = []
        for rec in store.iter_records(batch=2000):
            signed = r.offered(rec, RECEIVER)
            if signed is not None:
                out.append((rec.seq, signed))
            if len(out) == n:
                break
    finally:
        store.close()
    if len(out) != n:
        raise RuntimeError(f"{SENDER} offers {len(out)} records to {RECEIVER}, expected {n}")
    return out


def receiver_replicator(cl: Path, db: Path):
    from rilo_node.core.signing import Keyring
    from rilo_node.node.clock import SystemClock
    from rilo_node.node.directory import load_topology
    from rilo_node.node.peers import Replicator
    from rilo_node.store.db import Store

    directory = load_topology(cl / "topology.toml")
    keyring = Keyring()
    keyring.add_b64(SENDER, directory.get(SENDER).signing_key)
    store = Store(db)  # synchronous=FULL, like the nodes
    return store, Replicator(store, RECEIVER, directory, keyring, SystemClock())


def ceiling(cl: Path, records: list, work: Path) -> float:
    """Replicator.start_receive of the same signed records, FEED_BATCH at a time, on a fresh store,
    pipelined as a node's pull is (node/peers.py PeerNetwork._pull)."""
    store, r = receiver_replicator(cl, work / "ceiling.db")
    profile = os.environ.get("RILO_BENCH_PROFILE")
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
    try:
        t0 = time.perf_counter()
        if prof:
            prof.enable()
        outcomes = []
        pending = None  # as a node's pull does: the next batch verified while the writer stores this one
        for i in range(0, len(records), FEED_BATCH):
            batch = records[i:i + FEED_BATCH]
            receipt = r.start_receive([rec for _, rec in batch], peer=SENDER, via="pull", checkpoint=batch[-1][0])
            if pending is not None:
                outcomes += pending.outcomes.result()
            pending = receipt
            if receipt.barrier:
                outcomes += pending.outcomes.result()
                pending = None
        if pending is not None:
            outcomes += pending.outcomes.result()
        if prof:
            prof.disable()
        elapsed = time.perf_counter() - t0
    finally:
        store.close()
    if prof:
        import pstats

        prof.dump_stats(profile)
        say(f"  ceiling profile written to {profile}")
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
    bad = [o for o in outcomes if o != "stored"]
    if bad:
        raise RuntimeError(f"ceiling: {len(bad)} records not stored, e.g. {bad[0]!r}")
    return len(records) / elapsed


# --- raw gRPC streaming baseline ---------------------------------------------------------------

RAW_METHOD = "/rilo.bench.Raw/Stream"


def raw_server_main(args: list[str]) -> None:
    """Serve RAW_METHOD: stream the pre-serialized messages of a file, bytes in, bytes out."""
    from concurrent import futures

    import grpc

    data, port_file, tls = Path(args[0]), Path(args[1]), Path(args[2])
    blob = data.read_bytes()
    messages, i = [], 0
    while i < len(blob):
        (size,) = struct.unpack_from(">I", blob, i)
        messages.append(blob[i + 4:i + 4 + size])
        i += 4 + size

    def stream(request, context):
        yield from messages

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                         options=[("grpc.max_send_message_length", 64 * 1024 * 1024)])
    handler = grpc.method_handlers_generic_handler("rilo.bench.Raw", {
        "Stream": grpc.unary_stream_rpc_method_handler(stream, request_deserializer=None, response_serializer=None),
    })
    server.add_generic_rpc_handlers((handler,))
    creds = grpc.ssl_server_credentials([((tls / "node.key").read_bytes(), (tls / "node.pem").read_bytes())],
                                        root_certificates=(tls / "ca.pem").read_bytes(), require_client_auth=True)
    port = server.add_secure_port("127.0.0.1:0", creds)
    server.start()
    tmp = port_file.with_suffix(".tmp")
    tmp.write_text(str(port))
    tmp.replace(port_file)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    server.wait_for_termination(timeout=600)


def raw_grpc(cl: Path, records: list, work: Path, runs: int = 2) -> float:
    """Records/s of a client (this process) that only parses PullResponse messages of FEED_BATCH
    records streamed by a server process, over mutual TLS with the network's node certificates
    (server: de's, client: rilo-we's). Best of `runs` after a warm-up of the connection."""
    import grpc

    from rilo_node.core.identity import node_dns
    from rilo_node.pb.rilo.v1 import peer_pb2

    data = work / "raw.bin"
    with open(data, "wb") as f:
        for i in range(0, len(records), FEED_BATCH):
            batch = records[i:i + FEED_BATCH]
            msg = peer_pb2.PullResponse(items=[peer_pb2.FeedItem(record=r, seq=s) for s, r in batch],
                                        scanned_seq=batch[-1][0], head_seq=records[-1][0]).SerializeToString()
            f.write(struct.pack(">I", len(msg)) + msg)
    port_file = work / "raw.port"
    server = subprocess.Popen([PY, "-m", "benchmarks.replication", "raw-server", str(data), str(port_file),
                               str(cl / "nodes" / SENDER / "tls")], cwd=REPO)
    try:
        wait_for_file(port_file, server)
        tls = cl / "nodes" / RECEIVER / "tls"
        creds = grpc.ssl_channel_credentials(root_certificates=(tls / "ca.pem").read_bytes(),
                                             private_key=(tls / "node.key").read_bytes(),
                                             certificate_chain=(tls / "node.pem").read_bytes())
        channel = grpc.secure_channel(f"127.0.0.1:{port_file.read_text()}", creds,
                                      options=[("grpc.ssl_target_name_override", node_dns(SENDER)),
                                               ("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        try:
            grpc.channel_ready_future(channel).result(timeout=30)
            call = channel.unary_stream(RAW_METHOD, request_serializer=None,
                                        response_deserializer=peer_pb2.PullResponse.FromString)
            best = 0.0
            for _ in range(runs):
                t0 = time.perf_counter()
                got = sum(len(m.items) for m in call(b"", timeout=300))
                elapsed = time.perf_counter() - t0
                if got != len(records):
                    raise RuntimeError(f"raw gRPC: got {got} of {len(records)} records")
                best = max(best, got / elapsed)
        finally:
            channel.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    return best


# --- 3. propagation over the 39-node network ----------------------------------------------------

class DbPoller:
    """Sees each record arrive by reading every node's SQLite file (read-only, WAL readers never block
    the node) every few milliseconds for the records still on their way. A feed would not do: split
    horizon keeps a node from offering a record to its source's peers, whose place a watcher takes."""

    def __init__(self, cl: Path, ids: list[str], on_record, every: float = 0.003):
        import sqlite3

        self.conns = {i: sqlite3.connect(f"file:{cl / 'nodes' / i / 'data' / 'node.db'}?mode=ro", uri=True,
                                         check_same_thread=False) for i in ids}
        self.on_record = on_record
        self.every = every
        self.pending: dict[tuple[str, str], set[str]] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error = ""
        self.node_id = "poller"
        self.thread = threading.Thread(target=self._run, daemon=True, name="db-poller")
        self.thread.start()

    def watch(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.pending[key] = set(self.conns)

    def _run(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                work = [(k, set(v)) for k, v in self.pending.items()]
            for key, nodes in work:
                for node in nodes:
                    try:
                        found = self.conns[node].execute(
                            "SELECT 1 FROM records WHERE origin = ? AND record_id = ?", key).fetchone()
                    except Exception as exc:  # noqa: BLE001 - a file being created; tried again next round
                        self.error = str(exc)
                        continue
                    if found:
                        self.on_record(node, key, time.monotonic())
                        with self.lock:
                            self.pending.get(key, set()).discard(node)
                with self.lock:
                    if key in self.pending and not self.pending[key]:
                        del self.pending[key]
            time.sleep(self.every)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for c in self.conns.values():
            c.close()


def nodes_cpu(pids: list[int]) -> float:
    """utime + stime of the node processes, in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def propagation(ctl: Controller, work: Path, records: int) -> dict:
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.pb.rilo.v1 import node_pb2
    from rilo_node.sim.cluster import Cluster

    cl = work / "network"
    cluster = Cluster(cl)
    watchers: list[DbPoller] = []
    clients: dict = {}
    try:
        say("propagation: network up (Secretariat, 12 RILOs, 2 members per area)")
        t0 = time.monotonic()
        up = ctl.call(op="up", workdir=str(cl), members_per_area=2)
        say(f"  {up['nodes']} nodes healthy after {time.monotonic() - t0:.1f} s")
        directory = cluster.directory()
        ids = list(directory.ids())
        # Partner agencies hold records of their operations only (docs/protocol.md#operations), never a
        # GLOBAL record: a record has propagated once every other node holds it.
        holders = {n.id for n in directory if n.role != "partner"}
        members = [n.id for n in directory if n.role == "member"]
        clients = {i: node_client(cl, i) for i in ids}
        rounds = []
        for _ in range(20):
            t = time.perf_counter()
            for i in ids:
                status(clients[i])
            rounds.append((time.perf_counter() - t) * 1000)
        baseline = percentile(rounds, 50)
        say(f"  baseline: GetStatus to each of the {len(ids)} nodes in turn, p50 {baseline:.1f} ms")

        full = load_topology(default_topology_path())
        per_member = math.ceil(records / len(members))
        # A seed per member: the generator's record ids follow its seed.
        queue = {m: submissions(full, m, per_member, GLOBAL_POLICY, seed=7 + i) for i, m in enumerate(members)}
        plan = [(members[i % len(members)], queue[members[i % len(members)]][i // len(members)])
                for i in range(records)]

        lock = threading.Lock()
        arrivals: dict[tuple[str, str], dict[str, float]] = {}  # (origin, record_id) → node → when
        complete: dict[tuple[str, str], threading.Event] = {}

        def on_record(node_id: str, key: tuple[str, str], at: float) -> None:
            with lock:
                seen = arrivals.setdefault(key, {})
                seen.setdefault(node_id, at)
                if holders <= set(seen) and key in complete:
                    complete[key].set()

        poller = DbPoller(cl, ids, on_record)
        watchers.append(poller)
        pids = [n["pid"] for n in json.loads((cl / "cluster.json").read_text())["nodes"]]
        cpu0, t_idle = nodes_cpu(pids), time.monotonic()
        time.sleep(3)
        idle_rate = (nodes_cpu(pids) - cpu0) / (time.monotonic() - t_idle)  # CPU-seconds per second
        say(f"  {records} GLOBAL records, one at a time, rotating over {len(members)} members")
        lat, submit_ms, missing = [], [], []
        hops: dict[str, list[float]] = {"home": [], "rilos": [], "members": []}  # arrival after the submit, ms
        cpu0, t_run = nodes_cpu(pids), time.monotonic()
        for k, (member, sub) in enumerate(plan):
            rid = (member, sub.record_id)
            with lock:
                if rid in arrivals or rid in complete:
                    raise RuntimeError(f"record {rid} submitted twice")
                complete[rid] = threading.Event()
            poller.watch(rid)
            t_sub = time.monotonic()
            resp = clients[member].records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub), timeout=30)
            submit_ms.append((time.monotonic() - t_sub) * 1000)
            if (resp.key.origin, resp.key.record_id) != rid:
                raise RuntimeError(f"submitted {rid}, node stored {resp.key.origin}/{resp.key.record_id}")
            if not complete[rid].wait(timeout=10):
                with lock:
                    have = set(arrivals.get(rid, {}))
                missing.append((rid, sorted(holders - have)))
                say(f"  record {k + 1} from {member}: not on {sorted(holders - have)} after 10 s")
                continue
            with lock:
                last = max(arrivals[rid].values())
                seen = dict(arrivals[rid])
            lat.append((last - t_sub) * 1000)
            home = directory.get(member).area
            for node_id, at in seen.items():
                if node_id != member:
                    kind = "home" if node_id == home else ("members" if node_id in members else "rilos")
                    hops[kind].append((at - t_sub) * 1000)
            if (k + 1) % 10 == 0:
                say(f"  {k + 1}/{records}: last node after {lat[-1]:.0f} ms (p50 so far {percentile(lat, 50):.0f} ms)")
        cpu_per_record = (nodes_cpu(pids) - cpu0 - idle_rate * (time.monotonic() - t_run)) / records * 1000
        if missing:
            raise RuntimeError(f"{len(missing)} of {records} records did not reach every node in 10 s: {missing[:3]}")
        say(f"  arrival p50: the origin's RILO {percentile(hops['home'], 50):.0f} ms, the other RILOs and the "
            f"Secretariat {percentile(hops['rilos'], 50):.0f} ms, the members {percentile(hops['members'], 50):.0f} ms; "
            f"CPU of all nodes per record {cpu_per_record:.0f} ms (idle rate subtracted)")
        return {"p50": percentile(lat, 50), "p99": percentile(lat, 99), "max": max(lat),
                "hop_p50": {k: percentile(v, 50) for k, v in hops.items()}, "cpu_ms": cpu_per_record,
                "submit_p50": percentile(submit_ms, 50), "status_all_p50": baseline, "nodes": len(ids),
                "holders": len(holders),
                "records": records}
    finally:
        for w in watchers:
            w.close()
        for c in clients.values():
            c.close()
        if cluster.exists():
            cluster.down(delete=True)


# --- the benchmark ----------------------------------------------------------------------------

class Contention:
    """How busy the (shared) machine was during the run: load average and CPU pressure (PSI)."""

    def __init__(self):
        self.load0, self.stall0, self.t0 = self._load(), self._stall(), time.monotonic()

    @staticmethod
    def _load() -> float:
        try:
            return float(Path("/proc/loadavg").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return float("nan")

    @staticmethod
    def _stall() -> int | None:
        try:
            some = Path("/proc/pressure/cpu").read_text().splitlines()[0]
            return int(some.rsplit("total=", 1)[1])
        except (OSError, ValueError, IndexError):
            return None

    def describe(self) -> str:
        load1, stall1 = self._load(), self._stall()
        text = f"load average {self.load0:.1f} at the start, {load1:.1f} at the end"
        if self.stall0 is not None and stall1 is not None:
            share = (stall1 - self.stall0) / 1e6 / (time.monotonic() - self.t0)
            text += f"; some runnable task waited for a CPU {share:.0%} of the time (PSI)"
        return text


def run(n: int = 100_000, records: int = 50) -> list[dict]:
    from rilo_node.node import peers

    if peers.PULL_BATCH != FEED_BATCH:
        raise RuntimeError(f"FEED_BATCH {FEED_BATCH} here, {peers.PULL_BATCH} in node/peers.py: the baselines "
                           "would not cut the records as the node's feed does")
    busy = Contention()
    with tempfile.TemporaryDirectory(prefix="rilo-bench-replication-") as tmp:
        work = Path(tmp)
        ctl = Controller()
        try:
            two = two_nodes(ctl, work, n)
            prop = propagation(ctl, work, records)
        finally:
            ctl.close()
    limits = pipeline_limits()
    hc = hypercore(n)
    absent = {"value": 0, "unit": "records/s"}
    figures = [
        {"what": f"replication {SENDER} → {RECEIVER}: {n:,}-record backlog pulled after restart, separate "
                 "processes, mutual TLS, synchronous=FULL (from the start command)",
         "value": two["rate"], "unit": "records/s", "goal": "≥ Hypercore floor, ≥ 2× Hypercore goal",
         "baseline": ({"what": f"Hypercore, {n:,} verified ~1 KB blocks A → B over TCP (anchors/peers)",
                       "value": hc["replicate"], "unit": "blocks/s"} if hc else
                      {"what": "Hypercore: not run here (no node/npm or no anchors)", **absent})},
        {"what": "the same replication run", "value": two["rate"], "unit": "records/s",
         "baseline": ({"what": "one core's receive pipeline limit: parse + verify + insert "
                               "(anchors/limits/bench_pipeline.py, PyNaCl)", "value": limits["receive"],
                       "unit": "records/s"} if limits else {"what": "the receive limit: not measured here", **absent})},
        {"what": "the same replication run", "value": two["rate"], "unit": "records/s",
         "baseline": {"what": "the node's own code: the same signed records through Replicator.start_receive in a "
                              f"loop, pipelined as a pull is ({FEED_BATCH} per batch: verify + judge + insert, no gRPC)",
                      "value": two["ceiling"], "unit": "records/s"}},
        {"what": "the same replication run", "value": two["rate"], "unit": "records/s",
         "baseline": {"what": f"raw gRPC streaming of the same bytes ({FEED_BATCH} records per PullResponse, "
                              "mutual TLS, client only parses)", "value": two["raw"], "unit": "records/s"}},
        {"what": f"catch-up of {CATCH_UP:,} new records, from Cluster.start returning (node answers health "
                 "checks)" + (" — all already held when it returned" if two["catchup_held_at_return"] else ""),
         "value": two["catchup_from_return_ms"], "unit": "ms",
         "baseline": {"what": "one health-check round trip", "value": two["catchup_health_ms"], "unit": "ms"}},
        {"what": f"catch-up of {CATCH_UP:,} new records, from the start command (process start included; "
                 f"restarted node first answered after {two['catchup_first_answer_ms']:.0f} ms, "
                 f"Cluster.start returned after {two['catchup_start_returned_ms']:.0f} ms)",
         "value": two["catchup_from_issue_ms"], "unit": "ms", "goal": "≤ 150 ms floor, ≤ 100 ms goal",
         "baseline": ({"what": "Hypercore: catch-up of 1,000 blocks after B reopens from disk", "value": hc["catchup_ms"],
                       "unit": "ms"} if hc else
                      {"what": "one health-check round trip", "value": two["catchup_health_ms"], "unit": "ms"})},
        {"what": f"propagation of one GLOBAL record from a member to all {prop['holders']} nodes that may hold it "
                 f"(of {prop['nodes']}: partners hold none), p50 of {prop['records']}", "value": prop["p50"], "unit": "ms", "goal": "≤ 60 ms floor, ≤ 40 ms goal",
         "baseline": {"what": f"one GetStatus to each of the {prop['nodes']} nodes in turn, p50",
                      "value": prop["status_all_p50"], "unit": "ms"}},
        {"what": f"propagation to all {prop['holders']} nodes, p99 of {prop['records']}", "value": prop["p99"],
         "unit": "ms", "goal": "≤ 150 ms floor, ≤ 100 ms goal",
         "baseline": {"what": f"one GetStatus to each of the {prop['nodes']} nodes in turn, p50",
                      "value": prop["status_all_p50"], "unit": "ms"}},
        {"what": f"GetStatus on {RECEIVER} holding {n:,} records (counters kept by the write transaction)",
         "value": two["status_ms"], "unit": "ms",
         "baseline": {"what": "one health-check round trip", "value": two["health_ms"], "unit": "ms"}},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f} {f['unit']}  (baseline {f['baseline']['what']}: "
              f"{f['baseline']['value']:,.1f} {f['baseline']['unit']})", flush=True)
    notes = (
        f"Seizures from `rilo_node.sim.synth` for {SENDER}, policy {json.dumps(AREA_POLICY)} "
        f"({two['bytes_per_record']:,.0f} bytes per signed record as sent, {two['annexes']:,} of {n:,} with "
        f"an annex), loaded with SubmitSeizures while {RECEIVER} was stopped; the rate counts from the start "
        f"command until {RECEIVER} holds all {n:,} (COUNT(*) of its records table, read from its SQLite file "
        f"every {POLL * 1000:.0f} ms: what GetStatus reports as records_held, confirmed by GetStatus at the "
        "end, without a call taking CPU from the node being timed), so it includes the "
        f"process start ({two['start_s'] * 1000:.0f} ms until Cluster.start returned; "
        f"{two['rate_from_return']:,.0f}/s counted from then). Nodes are forked (`Cluster`, from a process "
        "that makes no gRPC object); all processes share the machine's cores. Catch-up: from the start "
        "command a thread counts the records every 10 ms and health-checks the node (fresh channel) until "
        "it answers. "
        f"Propagation: policy {json.dumps(GLOBAL_POLICY)}, one SubmitSeizure at a time rotating over the "
        "members; arrival is seen by reading every node's SQLite file read-only every 3 ms, timed from the "
        f"SubmitSeizure call to the last node's arrival (SubmitSeizure itself: p50 {prop['submit_p50']:.0f} ms; worst propagation "
        f"{prop['max']:.0f} ms). Arrival p50 by hop: the origin's RILO {prop['hop_p50']['home']:.0f} ms, the other "
        f"RILOs and the Secretariat {prop['hop_p50']['rilos']:.0f} ms, the members {prop['hop_p50']['members']:.0f} ms. "
        f"CPU of all node processes per propagated record: {prop['cpu_ms']:.0f} ms (utime + stime, the idle "
        f"rate measured just before subtracted): on 2 cores no propagation is faster than half of it. "
        f"Machine during the run: {busy.describe()}."
    )
    save("replication", f"scripts/bench replication  (N={n:,}, {records} propagated records)", figures, notes=notes)
    return figures


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "controller":
        controller_main()
    elif len(sys.argv) > 1 and sys.argv[1] == "raw-server":
        raw_server_main(sys.argv[2:])
    else:
        run(int(os.environ.get("RILO_BENCH_N", "100000")))
