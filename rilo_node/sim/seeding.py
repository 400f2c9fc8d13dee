"""Seed a running simulated network with realistic seizures, each submitted to its own member node."""

from __future__ import annotations

import datetime
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor

from rilo_node.api.client import NodeClient, target_from_cluster
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2
from rilo_node.sim.cluster import Cluster, ClusterError, Progress
from rilo_node.sim.synth import Origin, generate_seizures

CHUNK = 500


def seed_records(cluster: Cluster, n: int, *, seed: int = 1, progress: Progress = Progress(),
                 policy_mix: str = "realistic") -> dict[str, int]:
    """Spread n seizures over the members, weighted like the ITR reporting; returns stored per node."""
    directory = cluster.directory()
    origins = [Origin(m.id, m.country or m.id.upper(), m.region, m.area) for m in directory if m.role == "member"]
    if not origins:
        raise ClusterError("this network has no member nodes to report seizures")
    by_origin: dict[str, list] = defaultdict(list)
    for origin, data in generate_seizures(n, origins, seed=seed, today=datetime.date.today(), policy_mix=policy_mix):
        by_origin[origin].append(parse_submission(data))
    progress.start(f"seeding {n:,} seizures over {len(by_origin)} members", n)
    stored: dict[str, int] = {}

    def submit(origin: str) -> None:
        subs = by_origin[origin]
        with NodeClient(target_from_cluster(cluster.workdir, origin)) as c:
            for i in range(0, len(subs), CHUNK):
                chunk = subs[i:i + CHUNK]
                messages = [node_pb2.SubmitSeizuresRequest(submissions=chunk[j:j + 100])
                            for j in range(0, len(chunk), 100)]
                resp = c.records.SubmitSeizures(iter(messages), timeout=300)
                if resp.refused:
                    bad = next(r for r in resp.results if r.code)
                    raise ClusterError(f"{origin} refused {resp.refused} seeded seizures: {bad.field} {bad.message}")
                stored[origin] = stored.get(origin, 0) + resp.stored
                progress.advance(len(chunk))

    with ThreadPoolExecutor(max_workers=4) as pool:
        for f in [pool.submit(submit, o) for o in by_origin]:
            f.result()
    progress.done()
    return stored
