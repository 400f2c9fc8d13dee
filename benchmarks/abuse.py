"""Abuse resistance (issue 18) on a 26-node network (Secretariat, 12 RILOs, one member per area, and the
topology's partners where it has them; one process per node, mutual TLS): what one hostile or careless
client of `de`, with a certificate of its own, can do to everyone else, each figure against a baseline
measured in the same run.

1. 200 SubmitSeizures streams opened and never sent, then 40 ExportRecords opened and never read (the
   store holds ~20 MB): health-check latency on `de` meanwhile, and whether another client's global
   search completes.
2. A storm of 100 concurrent global searches from that client, each thread asking again as soon as it
   has an answer or a refusal: another client's global search p99 on `de`, and `pl`'s own client's, against
   the same searches with no storm; answers of theirs made incomplete.
3. `rilo-ece` stopped (SIGSTOP, then SIGCONT) during global searches from `de`: are its members there?
4. Malformed bytes (unterminated tags, invalid UTF-8, truncated fields, random bytes) to every method of
   every service `de` serves: how many answers are INTERNAL.

The hostile client runs in its own process (`python -m benchmarks.abuse hostile MODE SPEC`), so that its
threads do not share an interpreter lock with the measuring client. Every loop is bounded in count and
time; the hostile process stops when its stdin closes or its time runs out.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import PY, REPO, percentile, rss_mib, save

ASKER = "de"
STALLED = "rilo-ece"
OTHER_NODE = "pl"  # another node's own users (behind rilo-ece, so also the member that must stay present)
MEMBERS_PER_AREA = 1  # 26 nodes (29 with the partners of the topology)
HEALTH_FLOOR_MS = 1000.0
HOSTILE_MAX_S = 900.0  # a hostile process ends by itself after this, whatever happens
PROBE_EVERY_S = 0.05
# Every search here asks for the cases of the last few years: the members' own seizures (seed()), not the
# ~20 MB of old bulk records on the asker that the exports read (load()).
RECENT = "2020-01-01"
BULK_DATE = "2015-03-01"


# -- the hostile client (its own process) ------------------------------------------------------------


def _target(spec: dict):
    from rilo_node.api.client import Target

    return Target(spec["address"], Path(spec["ca"]), Path(spec["cert"]), Path(spec["key"]), spec["server_name"])


def _say(word: str, data: dict) -> None:
    print(word + " " + json.dumps(data), flush=True)


def hostile(mode: str, spec: dict) -> None:
    import grpc

    from rilo_node.pb.rilo.v1 import node_pb2, node_pb2_grpc

    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    threading.Timer(min(spec.get("max_seconds", HOSTILE_MAX_S), HOSTILE_MAX_S), stop.set).start()
    target = _target(spec)
    channels = [target.channel() for _ in range(spec.get("channels", 1))]
    stubs = [node_pb2_grpc.RecordServiceStub(c) for c in channels]
    searches = [node_pb2_grpc.SearchServiceStub(c) for c in channels]
    codes: dict[str, int] = {}

    def count(code: str) -> None:
        codes[code] = codes.get(code, 0) + 1

    try:
        if mode == "idle-streams":
            def silent():
                stop.wait()
                return
                yield  # a request stream that sends nothing

            futs = [stubs[i % len(stubs)].SubmitSeizures.future(silent(), timeout=HOSTILE_MAX_S)
                    for i in range(spec["n"])]
            # Refusals come back at once; what is still open after the count settled is held by the node.
            settled, last, deadline = time.monotonic(), -1, time.monotonic() + 30
            while time.monotonic() < deadline and time.monotonic() - settled < 2.0:
                done = sum(f.done() for f in futs)
                if done != last:
                    settled, last = time.monotonic(), done
                time.sleep(0.05)
            for f in futs:
                if f.done():
                    try:
                        f.result()
                        count("OK")
                    except grpc.RpcError as exc:
                        count(exc.code().name)
            _say("ready", {"opened": len(futs), "open": sum(not f.done() for f in futs), "codes": codes})
            stop.wait()
            for f in futs:
                f.cancel()
            _say("done", {})
        elif mode == "unread-exports":
            calls = []
            for i in range(spec["n"]):
                call = stubs[i % len(stubs)].ExportRecords(node_pb2.ExportRecordsRequest(), timeout=HOSTILE_MAX_S)
                try:
                    next(call)  # the node has started sending; nothing more is read
                    calls.append(call)
                except grpc.RpcError as exc:
                    count(exc.code().name)
            _say("ready", {"opened": spec["n"], "open": len(calls), "codes": codes})
            stop.wait()
            for call in calls:
                call.cancel()
            _say("done", {})
        elif mode == "search-storm":
            lock = threading.Lock()
            stats = {"calls": 0, "incomplete": 0}

            def storm(i: int) -> None:
                stub = searches[i % len(searches)]
                for _ in range(spec["per_thread"]):
                    if stop.is_set():
                        return
                    try:
                        resp = stub.Search(node_pb2.SearchRequest(
                            scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100,
                            filter=node_pb2.SearchFilter(date_from=RECENT)), timeout=30)
                        code, incomplete = "OK", not resp.complete
                    except grpc.RpcError as exc:
                        code, incomplete = exc.code().name, False
                    with lock:
                        stats["calls"] += 1
                        stats["incomplete"] += incomplete
                        count(code)

            threads = [threading.Thread(target=storm, args=(i,), daemon=True) for i in range(spec["n"])]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            _say("ready", {"threads": len(threads)})
            stop.wait()
            for t in threads:
                t.join(timeout=35)
            with lock:
                _say("done", {**stats, "codes": codes, "seconds": time.monotonic() - t0})
        else:
            raise SystemExit(f"unknown mode {mode}")
    finally:
        for c in channels:
            c.close()
    os._exit(0)  # do not wait on grpc's threads of calls that were cancelled


class Hostile:
    """The hostile client's process for one abuse: `ready` once the abuse is in place, `done` at the end."""

    def __init__(self, mode: str, spec: dict):
        self.proc = subprocess.Popen([PY, "-m", "benchmarks.abuse", "hostile", mode, json.dumps(spec)],
                                     cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.ready = self._line("ready", timeout=120)
        self.done: dict = {}

    def _line(self, word: str, timeout: float) -> dict:
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not got or not got[0].startswith(word + " "):
            self.proc.kill()
            raise RuntimeError(f"the hostile client did not say {word!r} (got {got[:1]!r})")
        return json.loads(got[0][len(word) + 1:])

    def end(self) -> dict:
        if self.proc.poll() is None and not self.done:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            try:
                self.done = self._line("done", timeout=60)
            finally:
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        return self.done


# -- the measuring side --------------------------------------------------------------------------------


def client_target(cluster, node_id: str, name: str, ca) -> object:
    """A client certificate of its own (`name`) for calling `node_id`."""
    from rilo_node.api.client import Target
    from rilo_node.node.pki import node_dns, write_pem

    entry = cluster.node(cluster.load(), node_id)
    folder = cluster.workdir / "clients" / f"{node_id}-{name}"
    cert, key = ca.issue_client(node_id, name)
    write_pem(folder / "client.pem", cert)
    write_pem(folder / "client.key", key, private=True)
    return Target(entry["address"], Path(entry["ca"]), folder / "client.pem", folder / "client.key", node_dns(node_id))


def spec_of(target, **more) -> dict:
    return {"address": target.address, "ca": str(target.ca), "cert": str(target.cert), "key": str(target.key),
            "server_name": target.server_name, **more}


def probe_health(channel, seconds: float) -> dict:
    """Health checks one after another for `seconds`: latencies (ms) and failures (timeout 5 s)."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    stub = health_pb2_grpc.HealthStub(channel)
    lat, failed = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            ok = stub.Check(health_pb2.HealthCheckRequest(), timeout=5).status == health_pb2.HealthCheckResponse.SERVING
        except grpc.RpcError:
            ok = False
        lat.append((time.perf_counter() - t0) * 1000)
        failed += not ok
        time.sleep(PROBE_EVERY_S)
    return {"lat": lat, "failed": failed, "p50": percentile(lat, 50), "p99": percentile(lat, 99), "max": max(lat)}


def global_search(client, **kwargs):
    import grpc

    from rilo_node.pb.rilo.v1 import node_pb2

    t0 = time.perf_counter()
    try:
        resp = client.search.Search(node_pb2.SearchRequest(scope=node_pb2.QUERY_SCOPE_GLOBAL, limit=100,
                                                           filter=node_pb2.SearchFilter(date_from=RECENT), **kwargs),
                                    timeout=30)
    except grpc.RpcError as exc:
        return (time.perf_counter() - t0) * 1000, None, exc.code().name
    return (time.perf_counter() - t0) * 1000, resp, "OK"


def searches(client, n: int, stop: threading.Event | None = None) -> dict:
    """n global searches one after another (fewer if `stop` is set): latency, incomplete, failed."""
    lat, incomplete, failed, missing, codes = [], 0, 0, {}, {}
    for _ in range(n):
        if stop is not None and stop.is_set():
            break
        ms, resp, code = global_search(client)
        lat.append(ms)
        if resp is None:
            failed += 1
            codes[code] = codes.get(code, 0) + 1
            continue
        if not resp.complete:
            incomplete += 1
            for a in resp.nodes:
                if a.status != 1:  # NODE_ANSWER_STATUS_OK
                    missing[a.node] = missing.get(a.node, 0) + 1
    return {"lat": lat, "n": len(lat), "incomplete": incomplete, "failed": failed, "missing": missing, "codes": codes,
            "p50": percentile(lat, 50), "p99": percentile(lat, 99)}


def under_abuse(health_channel, victim, seconds: float, victim_searches: int) -> tuple[dict, dict]:
    """Health probes for `seconds` while the victim client searches beside them."""
    out: dict = {}
    t = threading.Thread(target=lambda: out.update(searches(victim, victim_searches)))
    t.start()
    health = probe_health(health_channel, seconds)
    t.join(timeout=300)
    return health, out


def malformed_inputs(channel, seed: int = 18) -> dict:
    """Every method of every service the node serves, and health: bytes that are not its request type."""
    import grpc
    from google.protobuf import descriptor_pool

    from rilo_node.api.server import SERVICE_NAMES

    rng = random.Random(seed)
    payloads = [
        b"\xff" * 11,  # a tag whose varint never ends
        b"\x0a\x05\xff\xfe\xc3\x28\x80",  # field 1, length 5: not UTF-8 (a string) nor a message
        b"\x0a\x64ab",  # field 1 says 100 bytes, 2 follow
        b"\x0b",  # a group that never ends
        b"\x12\x03\x0a\x01\xff",  # field 2 holding a message whose field 1 is cut
    ] + [rng.randbytes(rng.randint(1, 64)) for _ in range(5)]
    pool = descriptor_pool.Default()
    methods = [(f"/{s}/{m.name}", m.client_streaming, m.server_streaming)
               for s in SERVICE_NAMES for m in pool.FindServiceByName(s).methods]
    methods.append(("/grpc.health.v1.Health/Check", False, False))
    codes: dict[str, int] = {}
    internal: list[str] = []
    for path, streamed_in, streamed_out in methods:
        kind = {(False, False): "unary_unary", (False, True): "unary_stream", (True, False): "stream_unary",
                (True, True): "stream_stream"}[(streamed_in, streamed_out)]
        call = getattr(channel, kind)(path, request_serializer=None, response_deserializer=None)
        for payload in payloads:
            request = iter([payload]) if streamed_in else payload
            try:
                if streamed_out:
                    responses = call(request, timeout=5)
                    for i, _ in enumerate(responses):
                        if i >= 2:
                            responses.cancel()
                            break
                else:
                    call(request, timeout=5)
                code = "OK"
            except grpc.RpcError as exc:
                code = exc.code().name
            codes[code] = codes.get(code, 0) + 1
            if code in ("INTERNAL", "UNKNOWN"):
                internal.append(f"{path} {payload!r}: {code}")
    return {"methods": len(methods), "sent": len(methods) * len(payloads), "codes": codes, "internal": internal}


def run(records: int = 2_200, searches_per_phase: int = 100, window: float = 10.0, idle_streams: int = 200,
        exports: int = 40, storm: int = 100, per_member: int = 50) -> list[dict]:
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.node.pki import CertificateAuthority
    from rilo_node.sim.cluster import Cluster

    with tempfile.TemporaryDirectory(prefix="rilo-bench-abuse-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        stopped_pid = None
        clients: list = []
        try:
            data = cluster.up(members_per_area=MEMBERS_PER_AREA, web="none")
            directory = cluster.directory()
            pids = {e["id"]: e["pid"] for e in data["nodes"]}
            nodes = len(pids)
            print(f"abuse: {len(data['nodes'])} nodes healthy after {data['healthy_after_s']:.0f} s", flush=True)
            ca = CertificateAuthority.load(cluster.workdir / "ca" / "ca.pem", cluster.workdir / "ca" / "ca.key")
            abuser = client_target(cluster, ASKER, "abuser", ca)
            own = NodeClient(target_from_cluster(cluster.workdir, ASKER))
            victim = NodeClient(client_target(cluster, ASKER, "other-system", ca))
            elsewhere = NodeClient(target_from_cluster(cluster.workdir, OTHER_NODE))
            clients += [own, victim, elsewhere]

            seeded = seed(cluster, directory, per_member)
            loaded = load(own, directory, records)
            print(f"abuse: {loaded['stored']:,} seizures ({loaded['mb']:.1f} MB of descriptions) stored on {ASKER} "
                  f"in {loaded['seconds']:.0f} s", flush=True)
            for c in (victim, elsewhere):  # warm connections and caches
                searches(c, 5)
            rss_idle = rss_mib(pids[ASKER])

            # 1. Idle streams and unread exports.
            base_health, base_victim = under_abuse(own.channel, victim, window, 10)
            print(f"abuse: health with no abuse: p50 {base_health['p50']:.1f} ms, max {base_health['max']:.1f} ms",
                  flush=True)
            h = Hostile("idle-streams", spec_of(abuser, n=idle_streams, channels=4))
            try:
                idle_health, idle_victim = under_abuse(own.channel, victim, window, 10)
            finally:
                h.end()
            idle_ready = h.ready
            print(f"abuse: {idle_streams} idle streams ({h.ready}): health p50 {idle_health['p50']:.1f} ms, "
                  f"max {idle_health['max']:.1f} ms, {idle_health['failed']} failed; other client's searches "
                  f"{idle_victim['n'] - idle_victim['failed'] - idle_victim['incomplete']}/{idle_victim['n']} complete",
                  flush=True)
            h = Hostile("unread-exports", spec_of(abuser, n=exports, channels=4))
            try:
                export_health, export_victim = under_abuse(own.channel, victim, window, 10)
            finally:
                h.end()
            export_ready = h.ready
            print(f"abuse: {exports} unread exports ({h.ready}): health p50 {export_health['p50']:.1f} ms, "
                  f"max {export_health['max']:.1f} ms, {export_health['failed']} failed; other client's searches "
                  f"{export_victim['n'] - export_victim['failed'] - export_victim['incomplete']}/{export_victim['n']}"
                  " complete", flush=True)
            rss_after_streams = rss_mib(pids[ASKER])

            # 2. The search storm.
            calm = {}
            t = threading.Thread(target=lambda: calm.update(searches(elsewhere, searches_per_phase)))
            t.start()
            calm_de = searches(victim, searches_per_phase)
            t.join(timeout=600)
            print(f"abuse: no storm: other client on {ASKER} p50 {calm_de['p50']:.0f} ms p99 {calm_de['p99']:.0f} ms; "
                  f"{OTHER_NODE}'s client p99 {calm['p99']:.0f} ms", flush=True)
            load_before = os.getloadavg()[0]
            h = Hostile("search-storm", spec_of(abuser, n=storm, channels=4, per_thread=1_000))
            try:
                time.sleep(1.0)  # every storm thread has its first search in flight
                stormy = {}
                t = threading.Thread(target=lambda: stormy.update(searches(elsewhere, searches_per_phase)))
                t.start()
                stormy_de = searches(victim, searches_per_phase)
                t.join(timeout=600)
            finally:
                storm_done = h.end()
            load_after = os.getloadavg()[0]
            print(f"abuse: storm ({storm_done}): other client on {ASKER} p50 {stormy_de['p50']:.0f} ms "
                  f"p99 {stormy_de['p99']:.0f} ms, incomplete {stormy_de['incomplete']} {stormy_de['missing']}, failed "
                  f"{stormy_de['failed']} {stormy_de['codes']}; {OTHER_NODE}'s client p99 {stormy['p99']:.0f} ms, "
                  f"incomplete {stormy['incomplete']} {stormy['missing']}, failed {stormy['failed']} {stormy['codes']}", flush=True)
            # The relays' quotas free up as the storm's last searches end.
            time.sleep(2.0)

            # 3. A RILO stopped.
            behind = sorted(m for m in directory.members_of(STALLED) if m in pids)
            present_before = presence(victim, behind, 5)
            stopped_pid = pids[STALLED]
            os.kill(stopped_pid, signal.SIGSTOP)
            try:
                present_stopped = presence(victim, behind, 10)
            finally:
                os.kill(stopped_pid, signal.SIGCONT)
                stopped_pid = None
            print(f"abuse: {STALLED} stopped: searches with all of {behind} answering: "
                  f"{present_stopped['all_present']}/{present_stopped['n']} (running: "
                  f"{present_before['all_present']}/{present_before['n']}); p50 {present_stopped['p50']:.0f} ms, "
                  f"{STALLED} said {present_stopped['stalled_status']}", flush=True)

            # 4. Malformed input.
            bad = malformed_inputs(own.channel)
            print(f"abuse: malformed: {bad['sent']} requests to {bad['methods']} methods: {bad['codes']}", flush=True)
            for line in bad["internal"]:
                print(f"  {line}")
            rss_end = rss_mib(pids[ASKER])
        finally:
            if stopped_pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(stopped_pid, signal.SIGCONT)
            for c in clients:
                c.close()
            if cluster.exists():
                cluster.down()

    def health_row(label: str, m: dict, goal: str) -> dict:
        return {"what": f"health check on {ASKER} during {label}, worst of {len(m['lat'])} "
                        f"(p50 {m['p50']:.1f} ms; {m['failed']} failed)",
                "value": round(m["max"], 1), "unit": "ms", "goal": goal,
                "baseline": {"what": f"worst with no abuse (p50 {base_health['p50']:.1f} ms)",
                             "value": round(base_health["max"], 1), "unit": "ms"}}

    def done(v: dict) -> int:
        return v["n"] - v["failed"] - v["incomplete"]

    figures = [
        health_row(f"{idle_streams} idle SubmitSeizures streams from one client ({idle_ready['open']} held open "
                   "by the node, the rest refused)", idle_health, "≤ 1 s (floor), ≤ 50 ms"),
        health_row(f"{exports} unread ExportRecords from one client ({export_ready['open']} held open)",
                   export_health, "≤ 1 s (floor), ≤ 50 ms"),
        {"what": "another client's global searches complete during the idle streams and the unread exports",
         "value": done(idle_victim) + done(export_victim), "unit": "searches",
         "baseline": {"what": f"of {idle_victim['n'] + export_victim['n']} made; complete with no abuse",
                      "value": done(base_victim), "unit": f"of {base_victim['n']}"},
         "ratio": (done(idle_victim) + done(export_victim)) / max(1, idle_victim["n"] + export_victim["n"]),
         "goal": "all"},
        {"what": f"another client's global search on {ASKER}, p99 during a {storm}-concurrent storm from one client "
                 f"(p50 {stormy_de['p50']:.0f} ms)",
         "value": round(stormy_de["p99"]), "unit": "ms", "goal": "≤ 3× (floor), ≤ 1.5×",
         "baseline": {"what": f"p99 with no storm (p50 {calm_de['p50']:.0f} ms)", "value": round(calm_de["p99"]),
                      "unit": "ms"}},
        {"what": f"{OTHER_NODE}'s own client's global search, p99 during the storm at {ASKER}",
         "value": round(stormy["p99"]), "unit": "ms",
         "baseline": {"what": "p99 with no storm", "value": round(calm["p99"]), "unit": "ms"}},
        {"what": "answers made incomplete (or failed) by the storm, other client and "
                 f"{OTHER_NODE}'s client", "value": stormy_de["incomplete"] + stormy_de["failed"]
                                                     + stormy["incomplete"] + stormy["failed"],
         "unit": "answers", "goal": "0",
         "baseline": {"what": "with no storm", "value": calm_de["incomplete"] + calm_de["failed"]
                      + calm["incomplete"] + calm["failed"], "unit": "answers"}},
        {"what": f"global searches from {ASKER} while {STALLED} is stopped (SIGSTOP) with every member behind it "
                 f"({', '.join(behind)}) answering (p50 {present_stopped['p50']:.0f} ms)",
         "value": present_stopped["all_present"], "unit": f"of {present_stopped['n']}", "goal": "all",
         "ratio": present_stopped["all_present"] / present_stopped["n"],
         "baseline": {"what": f"{STALLED} running", "value": present_before["all_present"],
                      "unit": f"of {present_before['n']}"}},
        {"what": f"INTERNAL or UNKNOWN answers to malformed bytes ({bad['methods']} methods × "
                 f"{bad['sent'] // bad['methods']} payloads)",
         "value": len(bad["internal"]), "unit": "answers", "goal": "0",
         "baseline": {"what": "malformed requests sent", "value": bad["sent"], "unit": ""}},
        {"what": f"RSS of {ASKER} after the idle streams and unread exports", "value": round(rss_after_streams, 1),
         "unit": "MiB", "baseline": {"what": "before them", "value": round(rss_idle, 1), "unit": "MiB"}},
        {"what": f"RSS of {ASKER} at the end", "value": round(rss_end, 1), "unit": "MiB",
         "baseline": {"what": "before the abuse", "value": round(rss_idle, 1), "unit": "MiB"}},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']} {f['unit']} (baseline {f['baseline']['value']})")
    save("abuse", "scripts/bench abuse", figures, notes=(
        f"{nodes}-node network (`cluster up --members-per-area 1`); {seeded:,} recent seizures of the members' own "
        f"({per_member} each, the generator's policies), and {loaded['stored']:,} old ones on {ASKER} (~{loaded['mb']:.0f} MB "
        f"of descriptions, held by {ASKER} only, dated {BULK_DATE}) for the exports to read. Every search asks "
        f"for seizures since {RECENT}, scope global, limit 100. The hostile client has a certificate of "
        f"its own for {ASKER} and runs in its own process; the other client ({ASKER}'s `other-system`) and "
        f"{OTHER_NODE}'s client search from the benchmark process. Idle streams: the hostile client's "
        f"refusals {idle_ready['codes']}; unread exports: {export_ready['codes']}. Storm: {storm} threads, "
        f"each searching again as soon as it has an answer: {storm_done.get('calls', 0):,} calls in "
        f"{storm_done.get('seconds', 0):.0f} s, codes {storm_done.get('codes', {})}; the machine's load average "
        f"{load_before:.0f} before the storm and {load_after:.0f} after it (other work on it included). Health probes every "
        f"{PROBE_EVERY_S * 1000:.0f} ms for {window:.0f} s per phase. Malformed answers: {bad['codes']}."))
    return figures


def presence(client, behind: list[str], n: int) -> dict:
    """n global searches: how many have every node of `behind` answering OK, and what the stalled RILO said."""
    from rilo_node.pb.rilo.v1 import node_pb2

    lat, all_present, said = [], 0, {}
    for _ in range(n):
        ms, resp, _code = global_search(client)
        lat.append(ms)
        if resp is None:
            continue
        status = {a.node: a.status for a in resp.nodes}
        all_present += all(status.get(m) == node_pb2.NODE_ANSWER_STATUS_OK for m in behind)
        name = node_pb2.NodeAnswerStatus.Name(status.get(STALLED, 0))
        said[name] = said.get(name, 0) + 1
    return {"n": n, "all_present": all_present, "p50": percentile(lat, 50), "stalled_status": said}


def seed(cluster, directory, n: int) -> int:
    """n recent seizures of each member's own, with the policies the generator gives them."""
    from benchmarks.data import seizures_from
    from rilo_node.api.client import NodeClient, target_from_cluster
    from rilo_node.core.seizure import parse_submission
    from rilo_node.pb.rilo.v1 import node_pb2

    stored = 0
    for m in [n.id for n in directory if n.role == "member"]:
        subs = [parse_submission(s) for s in seizures_from(directory, m, n, seed=7)]
        with NodeClient(target_from_cluster(cluster.workdir, m)) as c:
            stored += c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs)]),
                                               timeout=120).stored
    return stored


def load(client, directory, n: int) -> dict:
    """n seizures of ~9 KB each on the asker, held by it alone (share ORIGIN)."""
    from benchmarks.data import seizures_from
    from rilo_node.core.seizure import parse_submission
    from rilo_node.pb.rilo.v1 import node_pb2

    rng = random.Random(18)
    words = ["container", "cocaine", "concealed", "pallets", "declared", "bananas", "manifest", "scanner",
             "consignee", "transit", "falsified", "invoice", "courier", "compartment", "x-ray", "profiling"]
    subs, mb = [], 0.0
    for i, s in enumerate(seizures_from(directory, ASKER, n, seed=18)):
        text = s.get("description", "")
        while len(text) < 9_000:
            text += " " + rng.choice(words)
        s["description"] = text[:9_000]
        s["case_ref"] = f"ABUSE-{i:05d}"
        s["seizure_date"] = BULK_DATE
        s["policy"] = {"share": {"scope": "ORIGIN"}}
        s.pop("annex", None)
        mb += len(s["description"]) / 1e6
        subs.append(parse_submission(s))
    t0 = time.monotonic()
    stored = 0
    for i in range(0, len(subs), 1_000):
        batch = subs[i:i + 1_000]
        resp = client.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=batch[j:j + 250])
                                                   for j in range(0, len(batch), 250)]), timeout=600)
        stored += resp.stored
    return {"stored": stored, "mb": mb, "seconds": time.monotonic() - t0}


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "hostile":
        hostile(sys.argv[2], json.loads(sys.argv[3]))
    else:
        run()
