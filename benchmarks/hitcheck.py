"""Hit/no-hit on identifiers (docs/design.md#hitno-hit-on-identifiers), with its baselines in the same run.

- one check across the network, p50 / p99: `HitService.Check` of one identifier at one node, which asks
  every node directly and at once; on the default network, then (full run) on all 193 nodes, each
  node holding `per_node` identifiers (annexes of seizures shared ORIGIN, 100 identifiers each).
  Baseline: a raw gRPC round trip (health Check over mutual TLS) to every node at once, from one
  process, until the last answers;
- seeding and filter distribution: each node's seizures in one `SubmitSeizures` stream (SEEDING_AT_ONCE
  nodes at a time), until the asker holds every node's complete filter (progress printed meanwhile);
- evaluations per second at one node, one core: RFC 9497 BlindEvaluate (element checked, then one
  scalar multiplication) in one thread, and through the Evaluate RPC of a running node in batches
  of 1,000. Baseline: libsodium's ristretto255 scalar multiplications per second, same thread;
- filter build for `big` identifiers: the node's own path (oprf.evaluate of each identifier, the
  chunks of core/hitfilter.py), its time and the bytes of the chunk records it publishes;
- false hits: `false_values` random valid identifiers that nobody holds, looked up in that filter
  (and every check of the network run is of a value nobody holds: any hit is a false one).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import rbcl
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchmarks.common import percentile, save
from benchmarks.search import cpu_seconds
from rilo_node.api.client import NodeClient, target_from_cluster
from rilo_node.core import hitfilter, identifiers, oprf
from rilo_node.core.identity import node_dns
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import (
    hit_pb2,
    hit_pb2_grpc,
    node_pb2,
    record_pb2,
    seizure_pb2,
)
from rilo_node.sim.cluster import Cluster

ASKER = "de"
SEEDING_AT_ONCE = 4  # nodes seeded at a time: on 2 cores, more only queue behind each other
CONTAINER = seizure_pb2.IDENTIFIER_TYPE_CONTAINER
HIT_FILTER = record_pb2.RECORD_KIND_HIT_FILTER
_ALPHABET = "0123456789A BCDEFGHIJK LMNOPQRSTU VWXYZ"


def random_container(rng: random.Random) -> str:
    """A valid ISO 6346 container number (check digit computed as the standard says)."""
    body = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U" + f"{rng.randrange(10**6):06d}"
    check = sum(_ALPHABET.index(c) * 2 ** i for i, c in enumerate(body)) % 11 % 10
    return body + str(check)


def run(per_node: int = 10_000, big: int = 1_000_000, checks: int = 200, false_values: int = 100_000,
        members_per_area: int = 2, all_nodes: bool = True, evaluations: int = 20_000, networks: bool = True) -> dict:
    figures: list[dict] = []
    out: dict = {}
    rng = random.Random(21)

    # -- one core: evaluations vs scalar multiplications --------------------------------------------
    point = oprf.hash_to_group(b"bench")
    key = oprf.generate_key()
    t0 = time.perf_counter()
    for _ in range(evaluations):
        rbcl.crypto_scalarmult_ristretto255(key, point)
    mults = evaluations / (time.perf_counter() - t0)
    blinded = [oprf.blind(identifiers.oprf_input("CONTAINER", random_container(rng))).element for _ in range(1000)]
    t0 = time.perf_counter()
    for i in range(evaluations):
        oprf.blind_evaluate(key, blinded[i % len(blinded)])
    evals = evaluations / (time.perf_counter() - t0)
    print(f"hitcheck: one core: {evals:,.0f} BlindEvaluate/s; {mults:,.0f} scalar multiplications/s "
          f"({evals / mults:.2f}×)", flush=True)
    figures.append({"what": "evaluations per second, one core (BlindEvaluate: element checked, key × element)",
                    "value": round(evals), "unit": "/s", "goal": "≥ 0.8 × (floor 0.5 ×)",
                    "baseline": {"what": "ristretto255 scalar multiplications per second, same thread",
                                 "value": round(mults), "unit": "/s"}})

    # -- the filter of `big` identifiers: build time and bytes, and false hits ------------------------
    values = {random_container(rng) for _ in range(big)}
    t0 = time.perf_counter()
    entries = [hitfilter.entry_of(oprf.evaluate(key, identifiers.oprf_input("CONTAINER", v))) for v in values]
    bits = hitfilter.bits_for(len(entries))
    chunks = hitfilter.chunks(entries, bits)
    records = [hit_pb2.HitFilterChunk(key_epoch="0123456789abcdef", bits=bits, index=i,
                                      entry_bytes=hitfilter.ENTRY_BYTES, entries=c).SerializeToString()
               for i, c in chunks.items()]
    build_s = time.perf_counter() - t0
    size = sum(len(r) for r in records)
    print(f"hitcheck: filter of {len(values):,} identifiers built in {build_s:.1f} s: {size / 1e6:.2f} MB in "
          f"{len(records)} chunks (largest {max(len(r) for r in records) / 1024:.0f} KiB)", flush=True)
    figures.append({"what": f"filter build for {len(values):,} identifiers (one core)", "value": round(build_s, 1),
                    "unit": "s", "goal": "≤ 3 min (floor ≤ 10 min)"})
    figures.append({"what": f"filter size for {len(values):,} identifiers ({len(records)} chunk records)",
                    "value": round(size / 1e6, 2), "unit": "MB", "goal": "≤ 4 MB (floor ≤ 8 MB)"})
    false_hits = 0
    tried = 0
    while tried < false_values:
        v = random_container(rng)
        if v in values:
            continue
        tried += 1
        e = hitfilter.entry_of(oprf.evaluate(key, identifiers.oprf_input("CONTAINER", v)))
        false_hits += hitfilter.contains(chunks[hitfilter.index_of(e, bits)], e)
    print(f"hitcheck: {false_hits} false hits among {false_values:,} random values", flush=True)
    figures.append({"what": f"false hits over {false_values:,} random values nobody holds, against the "
                            f"{len(values):,}-identifier filter", "value": false_hits, "unit": "", "goal": "0"})
    del values, entries, chunks, records

    # -- the network ------------------------------------------------------------------------------------
    sizes = [("default network", members_per_area)] + ([("all 193 members", None)] if all_nodes else [])
    sizes = sizes if networks else []  # networks=False: the one-core figures alone
    for label, mpa in sizes:
        net = _network(label, mpa, per_node, checks, rng)
        figures += net["figures"]
        out[label] = net
    notes = (f"Each node holds {per_node:,} identifiers (annexes of seizures shared ORIGIN, 100 identifiers "
             f"each); every check asks one CONTAINER nobody holds, from `{ASKER}`, quota raised for the run. The "
             "filter build is the node's own code path (oprf.evaluate, hitfilter.chunks) in one thread, measured "
             "outside a node; its size counts the serialized chunk records. The checks are measured once every node "
             "holds every node's newest filter and the nodes' CPU has fallen below "
             f"{QUIET_CPU:.0%} of a core (the network's steady state), with the load average printed.")
    save("hitcheck", "scripts/bench hitcheck", figures, notes=notes)
    return out


def _network(label: str, members_per_area, per_node: int, checks: int, rng: random.Random) -> dict:
    with tempfile.TemporaryDirectory(prefix="rilo-bench-hit-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            data = cluster.up(members_per_area=members_per_area, hitcheck_quota=10_000_000, web="none")
            ids = [n["id"] for n in data["nodes"]]
            print(f"hitcheck: {label}: {len(ids)} nodes up; seeding {per_node:,} identifiers at each", flush=True)
            clients = {n: NodeClient(target_from_cluster(cluster.workdir, n)) for n in ids}
            try:
                directory = cluster.directory()
                t0 = time.monotonic()
                with ThreadPoolExecutor(max_workers=SEEDING_AT_ONCE) as pool:
                    seeding = {n: pool.submit(_seed, clients[n], n, directory, per_node, random.Random(n))
                               for n in ids}
                    versions = _wait_filters(cluster, ids, seeding, label, t0)
                seeded_s = time.monotonic() - t0
                print(f"hitcheck: {label}: seeded, filters everywhere after {seeded_s:.0f} s ({versions:,} chunk "
                      f"versions published in all, each replicated to every node)", flush=True)
                settled_s = _wait_settled(cluster, ids, label)
                out = _measure(cluster, clients, ids, label, checks, rng)
                out["seeded_s"] = seeded_s
                out["figures"].insert(0, {
                    "what": f"then until every node holds every node's newest filter and the {len(ids)} nodes use "
                            f"less than {QUIET_CPU:.0%} of a core over {QUIET_WINDOW:.0f} s (the checks are measured "
                            "after this, in the network's steady state)", "value": round(settled_s), "unit": "s"})
                out["figures"].insert(0, {
                    "what": f"seeding {per_node:,} identifiers at each node ({label}, {len(ids)} nodes; one "
                            f"SubmitSeizures stream each, {SEEDING_AT_ONCE} at a time) until {ASKER} holds every "
                            "node's complete filter", "value": round(seeded_s), "unit": "s"})
                return out
            finally:
                for c in clients.values():
                    c.close()
        finally:
            if cluster.exists():
                cluster.down()


def _seed(client: NodeClient, node: str, directory, n: int, rng: random.Random) -> int:
    """`n` identifiers at `node`, 100 to a seizure, all in one SubmitSeizures stream (20 seizures a message).
    Returns the distinct identifiers seeded: what the node's filter is to hold."""
    info = directory.get(node)
    country = info.country if info.role == "member" and info.country else "BE"
    values = [random_container(rng) for _ in range(n)]
    subs = [parse_submission({"seizure_date": "2026-03-14", "country": country,
                              "items": [{"section": "DRUGS", "category": "COCAINE"}],
                              "policy": {"share": {"scope": "ORIGIN"}, "discover": {"scope": "ORIGIN"}},
                              "annex": {"identifiers": [{"type": "CONTAINER", "value": v}
                                                        for v in values[start:start + 100]]}})
            for start in range(0, n, 100)]
    messages = [node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + 20]) for i in range(0, len(subs), 20)]
    resp = client.records.SubmitSeizures(iter(messages), timeout=600)
    if resp.refused or resp.stored != len(subs):
        bad = next((r for r in resp.results if r.code), None)
        raise RuntimeError(f"{node} stored {resp.stored} of {len(subs)} seizures"
                           + (f": {bad.field} {bad.message}" if bad else ""))
    return len(set(values))


QUIET_CPU = 0.6  # of one core, all the nodes together: about twice what 196 idle nodes use
QUIET_WINDOW = 5.0


def _wait_settled(cluster: Cluster, ids: list[str], label: str, timeout: float = 900) -> float:
    """After the asker holds every filter: until every node holds the newest version of every node's filter
    chunks (the filters are still spreading to the others then), and the nodes' CPU over QUIET_WINDOW s
    falls below QUIET_CPU of a core. Returns the seconds it took; prints the progress."""
    t0 = time.monotonic()
    deadline = t0 + timeout
    dbs = {n: cluster.workdir / "nodes" / n / "data" / "node.db" for n in ids}
    newest = {(o, r): v for o, r, v in _read(dbs[ASKER], "SELECT origin, record_id, version FROM records "
                                                         "WHERE kind = ?", (HIT_FILTER,))}
    behind = list(ids)  # the partners too: the filters name them
    while behind:
        behind = [n for n in behind
                  if {(o, r): v for o, r, v in _read(dbs[n], "SELECT origin, record_id, version FROM records "
                                                             "WHERE kind = ?", (HIT_FILTER,))} != newest]
        if behind:
            print(f"hitcheck: {label}: {len(ids) - len(behind)}/{len(ids)} nodes hold every filter after "
                  f"{time.monotonic() - t0:.0f} s (not yet: {', '.join(behind[:5])}"
                  f"{', …' if len(behind) > 5 else ''})", flush=True)
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(behind)} nodes never held every filter")
            time.sleep(5)
    pids = [n["pid"] for n in cluster.load()["nodes"] if isinstance(n.get("pid"), int)]
    while pids:
        before, started = cpu_seconds(pids), time.monotonic()
        time.sleep(QUIET_WINDOW)
        used = (cpu_seconds(pids) - before) / (time.monotonic() - started)
        print(f"hitcheck: {label}: the nodes use {used:.0%} of a core (load average "
              f"{os.getloadavg()[0]:.0f})", flush=True)
        if used < QUIET_CPU or time.monotonic() > deadline:
            break
    return time.monotonic() - t0


def _read(db: Path, sql: str, args: tuple = ()) -> list:
    import sqlite3

    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def _wait_filters(cluster: Cluster, ids: list[str], seeding: dict, label: str, t0: float,
                  timeout: float = 1200) -> int:
    """Until every node is seeded and the asker holds the newest version of each chunk of every node's
    filter, that filter holding all of the node's identifiers. Prints the progress meanwhile. Returns the
    chunk versions the nodes published in all (the sum of the newest versions)."""
    deadline = time.monotonic() + timeout
    dbs = {n: cluster.workdir / "nodes" / n / "data" / "node.db" for n in ids}
    entries: dict[tuple[str, str, int], int] = {}  # (origin, chunk, version) -> entries in it
    shown, shown_at = None, 0.0
    while True:
        expected = {n: f.result() for n, f in seeding.items() if f.done()}  # a failed seeding raises here
        held = {(o, r): v for o, r, v in _read(dbs[ASKER], "SELECT origin, record_id, version FROM records "
                                                           "WHERE kind = ?", (HIT_FILTER,))}
        complete = 0
        for n, distinct in expected.items():
            own = _read(dbs[n], "SELECT record_id, version FROM records WHERE origin = ? AND kind = ?",
                        (n, HIT_FILTER))
            for r, v in own:
                if (n, r, v) not in entries:
                    body = _read(dbs[n], "SELECT body FROM records WHERE origin = ? AND record_id = ? "
                                         "AND version = ?", (n, r, v))
                    chunk = hit_pb2.HitFilterChunk.FromString(body[0][0]) if body and body[0][0] else None
                    entries[(n, r, v)] = len(chunk.entries) // chunk.entry_bytes if chunk else -1
            if (own and sum(entries.get((n, r, v), 0) for r, v in own) == distinct
                    and all(held.get((n, r)) == v for r, v in own)):
                complete += 1
        if len(expected) == len(ids) and complete == len(ids):
            return sum(held.values())
        now = time.monotonic()
        if (len(expected), complete) != shown or now - shown_at >= 10:
            print(f"hitcheck: {label}: {len(expected)}/{len(ids)} nodes seeded, {complete}/{len(ids)} complete "
                  f"filters at {ASKER} after {now - t0:.0f} s", flush=True)
            shown, shown_at = (len(expected), complete), now
        if now > deadline:
            raise TimeoutError("the filters did not reach the asker")
        time.sleep(0.5)


def _measure(cluster: Cluster, clients, ids: list[str], label: str, checks: int, rng: random.Random) -> dict:
    folder = cluster.workdir / "nodes" / ASKER / "tls"
    ca, cert, key = ((folder / f).read_bytes() for f in ("ca.pem", "client.pem", "client.key"))
    creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
    addresses = {n["id"]: n["address"] for n in cluster.load()["nodes"]}
    channels = {n: grpc.secure_channel(addresses[n], creds, options=[("grpc.ssl_target_name_override", node_dns(n))])
                for n in ids}
    stubs = {n: health_pb2_grpc.HealthStub(ch) for n, ch in channels.items()}
    pool = ThreadPoolExecutor(max_workers=64)
    try:
        def all_at_once() -> float:
            t0 = time.monotonic()
            futures = [pool.submit(s.Check, health_pb2.HealthCheckRequest(), timeout=10) for s in stubs.values()]
            for f in futures:
                f.result()
            return (time.monotonic() - t0) * 1000

        for _ in range(5):
            all_at_once()  # connections up
        raw = [all_at_once() for _ in range(checks)]
        hits_client = clients[ASKER].hits
        latencies, false_hits, incomplete = [], 0, 0
        for _ in range(checks):
            req = hit_pb2.CheckRequest(identifiers=[seizure_pb2.Identifier(type=CONTAINER,
                                                                          value=random_container(rng))],
                                       case_ref="BENCH-1", deadline_ms=10_000)
            t0 = time.monotonic()
            r = hits_client.Check(req, timeout=30).results[0]
            latencies.append((time.monotonic() - t0) * 1000)
            false_hits += len(r.hits)
            incomplete += not r.complete
        # One node's Evaluate RPC, batches of 1,000, from another node's certificate.
        target = next(n for n in ids if n != ASKER)
        ncert, nkey = ((folder / f).read_bytes() for f in ("node.pem", "node.key"))
        ncreds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=nkey, certificate_chain=ncert)
        with grpc.secure_channel(addresses[target], ncreds,
                                 options=[("grpc.ssl_target_name_override", node_dns(target))]) as ch:
            stub = hit_pb2_grpc.HitEvaluationServiceStub(ch)
            batch = [oprf.blind(str(i).encode()).element for i in range(1000)]
            req = hit_pb2.EvaluateRequest(blinded_elements=batch, case_ref="BENCH-1", types=[CONTAINER] * 1000)
            stub.Evaluate(req, timeout=60)
            t0 = time.monotonic()
            for _ in range(5):
                stub.Evaluate(req, timeout=60)
            rpc_rate = 5000 / (time.monotonic() - t0)
    finally:
        pool.shutdown()
        for ch in channels.values():
            ch.close()
    load = os.getloadavg()[0]  # the last minute: the checks
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    r50, r99 = percentile(raw, 50), percentile(raw, 99)
    print(f"hitcheck: {label} ({len(ids)} nodes): one check p50 {p50:.0f} ms, p99 {p99:.0f} ms; raw round trip to "
          f"every node p50 {r50:.0f} ms, p99 {r99:.0f} ms; {false_hits} false hits, {incomplete} incomplete in "
          f"{checks}; Evaluate RPC at {target}: {rpc_rate:,.0f} evaluations/s", flush=True)
    return {"p50": p50, "p99": p99, "raw_p50": r50, "raw_p99": r99, "false_hits": false_hits, "figures": [
        {"what": f"one check across the network ({label}, {len(ids)} nodes), p50 of {checks} (load average "
                 f"{load:.0f})",
         "value": round(p50), "unit": "ms", "goal": "≤ 150 ms (floor ≤ 300 ms on 193 nodes)",
         "baseline": {"what": "a raw gRPC round trip (health Check) to every node at once, p50", "value": round(r50),
                      "unit": "ms"}},
        {"what": f"one check across the network ({label}), p99", "value": round(p99), "unit": "ms",
         "goal": "≤ 500 ms (floor ≤ 1,000 ms on 193 nodes)",
         "baseline": {"what": "raw round trip to every node at once, p99", "value": round(r99), "unit": "ms"}},
        {"what": f"false hits in those {checks} checks (values nobody holds); incomplete checks: {incomplete}",
         "value": false_hits, "unit": "", "goal": "0"},
        {"what": f"evaluations per second through one node's Evaluate RPC ({label}), batches of 1,000",
         "value": round(rpc_rate), "unit": "/s"},
    ]}
