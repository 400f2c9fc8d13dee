"""The simulated network: time until every node is healthy, and memory per idle node, for the
default network and for every member of the topology (`--members-per-area all`)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import rss_mib, save
from rilo_node.sim.cluster import Cluster


def pss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(members_per_area: int | None, idle_s: float = 10.0) -> dict:
    label = "all" if members_per_area is None else str(members_per_area)
    with tempfile.TemporaryDirectory(prefix=f"rilo-bench-net-{label}-") as tmp:
        cluster = Cluster(Path(tmp) / "net")
        try:
            t0 = time.monotonic()
            data = cluster.up(members_per_area=members_per_area, web="none")
            healthy = time.monotonic() - t0
            print(f"network[{label}]: {len(data['nodes'])} nodes healthy after {healthy:.1f} s; idling {idle_s:.0f} s",
                  flush=True)
            time.sleep(idle_s)
            pids = [n["pid"] for n in data["nodes"]]
            rss = [rss_mib(p) for p in pids]
            pss = [pss_mib(p) for p in pids]
            # A baseline in the same run: a bare Python interpreter that has imported the node's code.
            import subprocess
            import sys

            probe = subprocess.Popen([sys.executable, "-c", "import rilo_node.api.server, time; time.sleep(5)"])
            time.sleep(3)
            bare = rss_mib(probe.pid)
            probe.kill()
            probe.wait()
            return {"nodes": len(pids), "healthy_s": healthy, "rss_avg": sum(rss) / len(rss), "rss_max": max(rss),
                    "pss_avg": sum(pss) / len(pss), "bare_rss": bare}
        finally:
            if cluster.exists():
                cluster.down()


def run() -> list[dict]:
    default = measure(2)
    full = measure(None)
    figures = []
    for name, m, goal in (("default network", default, ""), ("every member (--members-per-area all)", full,
                                                                "healthy ≤ 60 s")):
        figures += [
            {"what": f"{name}: {m['nodes']} nodes healthy after", "value": m["healthy_s"], "unit": "s", "goal": goal,
             "baseline": {"what": "nodes", "value": m["nodes"], "unit": ""}, "ratio": m["healthy_s"] / m["nodes"]},
            {"what": f"{name}: RSS per idle node (average; max {m['rss_max']:.0f} MiB)", "value": m["rss_avg"],
             "unit": "MiB", "goal": "≤ 40 MiB",
             "baseline": {"what": "an interpreter that only imported the node's code", "value": m["bare_rss"],
                          "unit": "MiB"}},
            {"what": f"{name}: PSS per idle node (shared pages split among the processes)", "value": m["pss_avg"],
             "unit": "MiB", "baseline": {"what": "RSS per idle node", "value": m["rss_avg"], "unit": "MiB"}},
        ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f} {f['unit']}")
    save("network", "scripts/bench network", figures,
         notes="Each node is its own process, forked from `rilo-node cluster up` after it imported the node's code "
               "(RILO_CLUSTER_SPAWN=exec starts fresh interpreters instead). RSS counts pages shared with the other "
               "nodes; PSS divides them among the processes that share them, so the PSS sum is the real memory "
               "the network uses. The ratio column of the healthy rows is seconds per node.")
    return figures


if __name__ == "__main__":
    run()
