"""Signed-record ingest through SubmitSeizures, client process → node process over TLS, against the
machine's limit measured in the same run: one core's pipeline (build + sign + serialize + insert) from
../shared/anchors/limits/bench_pipeline.py. Beside it, this node's own code in a loop without gRPC."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.anchors import pipeline_limits
from benchmarks.common import PY, REPO, rss_mib, save, wait_for_file
from benchmarks.data import seizures_from
from rilo_node.core.signing import SigningKey
from rilo_node.node.clock import SystemClock
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.pki import node_dns
from rilo_node.node.provision import init_node_dir
from rilo_node.node.records import RecordBook
from rilo_node.store.db import Store

NODE = "de"


def ceiling(directory, seizures: list[dict], workdir: Path) -> float:
    store = Store(workdir / "ceiling.db")
    book = RecordBook(store, SigningKey.generate(NODE), directory, SystemClock(), node_country="DE")
    t0 = time.perf_counter()
    futures = []
    for i in range(0, len(seizures), 100):
        futures.append(book.submit_batch([book.prepare(s) for s in seizures[i:i + 100]]))
    for f in futures:
        f.result()
    elapsed = time.perf_counter() - t0
    store.close()
    return len(seizures) / elapsed


def cli_import(data: Path, n: int, work: Path) -> dict:
    """`rilo-node seizure import` of the JSON lines into a fresh node process (same node id, its own folder):
    records/s from the command's start (interpreter start included) to its exit, and its summary."""
    folder = init_node_dir(work / "import-node", NODE, default_topology_path())
    node = subprocess.Popen([PY, "-m", "rilo_node.cli", "serve", "--config", str(folder.config)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    try:
        wait_for_file(folder.path / "serve.json", node)
        address = json.loads((folder.path / "serve.json").read_text())["address"]
        tls = folder.path / "tls"
        print(f"ingest: rilo-node seizure import of {n:,} lines into node process {node.pid}", flush=True)
        t0 = time.perf_counter()
        out = subprocess.run(
            [PY, "-m", "rilo_node.cli", "seizure", "import", str(data), "--json", "--quiet",
             "--target", address, "--ca", str(tls / "ca.pem"), "--cert", str(tls / "client.pem"),
             "--key", str(tls / "client.key"), "--server-name", node_dns(NODE)],
            capture_output=True, text=True, cwd=REPO)
        seconds = time.perf_counter() - t0
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"seizure import exited {out.returncode}: {out.stderr.strip()[-500:]}")
    summary = json.loads(out.stdout)
    if summary.get("created") != n:
        raise RuntimeError(f"seizure import created {summary.get('created')} of {n}: {summary}")
    return {"rate": n / seconds, "seconds": seconds}


def run(n: int = 100_000) -> list[dict]:
    directory = load_topology(default_topology_path())
    print(f"ingest: generating {n:,} seizures for {NODE}", flush=True)
    seizures = seizures_from(directory, NODE, n)
    with tempfile.TemporaryDirectory(prefix="rilo-bench-ingest-") as tmp:
        work = Path(tmp)
        data = work / "in.jsonl"
        data.write_text("".join(json.dumps(s) + "\n" for s in seizures))
        folder = init_node_dir(work / NODE, NODE, default_topology_path())
        node = subprocess.Popen([PY, "-m", "rilo_node.cli", "serve", "--config", str(folder.config)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        try:
            wait_for_file(folder.path / "serve.json", node)
            address = json.loads((folder.path / "serve.json").read_text())["address"]
            idle_rss = rss_mib(node.pid)
            print(f"ingest: streaming {n:,} seizures to node process {node.pid} over TLS", flush=True)
            out = subprocess.run(
                [PY, "-m", "benchmarks.ingest_client", "--address", address, "--tls-dir", str(folder.path / "tls"),
                 "--server-name", node_dns(NODE), "--input", str(data)],
                capture_output=True, text=True, cwd=REPO, check=True,
            )
            result = json.loads(out.stdout)
            peak = rss_mib(node.pid, "VmHWM")
        finally:
            node.send_signal(signal.SIGTERM)
            node.wait(timeout=60)
        assert result["stored"] == n, result
        rate = n / result["seconds"]
        print("ingest: this node's code in a loop (same seizures, prepare + store in one process, no gRPC)",
              flush=True)
        ceil = ceiling(directory, seizures, work)
        imported = cli_import(data, n, work)
    limits = pipeline_limits()
    figures = [
        {"what": "SubmitSeizures ingest, client process → node over TLS (synchronous=FULL)", "value": rate,
         "unit": "records/s", "goal": "≥ 10,000/s floor; ≥ 15,000/s and ≥ 0.7 of the one-core limit goal",
         "baseline": ({"what": "one core's pipeline limit (anchors/limits/bench_pipeline.py, PyNaCl)",
                       "value": limits["ingest"], "unit": "records/s"} if limits else
                      {"what": "one core's pipeline limit: not measured here", "value": 0, "unit": "records/s"})},
        {"what": "the node's own code in a loop: validate + sign + store, no gRPC", "value": ceil,
         "unit": "records/s",
         "baseline": {"what": "SubmitSeizures ingest over TLS (above)", "value": rate, "unit": "records/s"}},
        {"what": f"`rilo-node seizure import` of {n:,} JSON lines, from the command's start to its exit "
                 "(client interpreter start included)", "value": imported["rate"], "unit": "records/s",
         "goal": "≥ 8,000/s floor; ≥ 12,000/s goal",
         "baseline": {"what": "SubmitSeizures ingest over TLS (above)", "value": rate, "unit": "records/s"}},
        {"what": "node peak RSS during ingest", "value": peak, "unit": "MiB",
         "baseline": {"what": "node RSS idle before", "value": idle_rss, "unit": "MiB"}},
    ]
    for f in figures:
        print(f"  {f['what']}: {f['value']:,.1f} {f['unit']}  (baseline {f['baseline']['what']}: "
              f"{f['baseline']['value']:,.1f})")
    save("ingest", f"scripts/bench ingest  (N={n:,})", figures,
         notes="Seizures from `rilo_node.sim.synth` (ITR-shaped), 100 per stream message, 10,000 per call; "
               "the client builds its messages before the clock starts. Both processes share the 2 cores. The "
               "limit is the anchors' minimal pipeline on one core (a record of similar size, batches of 1,000, "
               "synchronous=NORMAL), run in the same session with this interpreter. Load average (1/5/15 min) "
               f"at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}.")
    return figures


if __name__ == "__main__":
    run(int(os.environ.get("RILO_BENCH_N", "100000")))
