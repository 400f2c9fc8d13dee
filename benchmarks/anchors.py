"""The anchors of ../shared/anchors, run beside a benchmark in the same run: the per-record pipeline
limit of one core (limits/bench_pipeline.py) and, where Node.js and npm are installed, Hypercore
(peers/hypercore-bench.js, installed into a temporary folder). Each returns None, with the reason
printed, where it cannot run here; a benchmark then prints its figure without that ratio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import REPO

ANCHORS = Path(os.environ.get("RILO_ANCHORS", REPO.parent / "shared" / "anchors"))


def pipeline_limits(repeats: int = 3) -> dict[str, float] | None:
    """{"ingest": rec/s, "receive": rec/s} of one core with PyNaCl (build + sign + serialize + insert;
    parse + verify + insert), measured now by limits/bench_pipeline.py with this interpreter."""
    folder = ANCHORS / "limits"
    if not (folder / "bench_pipeline.py").exists():
        print(f"anchors: {folder}/bench_pipeline.py not found (set RILO_ANCHORS): no pipeline limit", flush=True)
        return None
    with tempfile.TemporaryDirectory(prefix="rilo-anchor-") as tmp:
        results = Path(tmp) / "limits.jsonl"
        env = {**os.environ, "LIMITS_RESULTS": str(results), "LIMITS_REPEATS": str(repeats)}
        print("anchors: one core's pipeline limit (limits/bench_pipeline.py)", flush=True)
        proc = subprocess.run([sys.executable, "bench_pipeline.py"], cwd=folder, env=env, capture_output=True,
                              text=True, timeout=900)
        if proc.returncode != 0 or not results.exists():
            print(f"anchors: bench_pipeline.py failed: {proc.stderr.strip()[-500:]}", flush=True)
            return None
        out = {}
        for line in results.read_text().splitlines():
            row = json.loads(line)
            if "pynacl" in row["name"]:
                out["ingest" if row["name"].startswith("ingest") else "receive"] = row["median"]
        print(f"  ingest {out.get('ingest', 0):,.0f} rec/s, receive {out.get('receive', 0):,.0f} rec/s", flush=True)
        return out


def hypercore(n: int, catchup: int = 1000) -> dict[str, float] | None:
    """{"replicate": blocks/s, "catchup_ms": ms} of Hypercore replicating n ~1 KB signed blocks A → B
    over TCP, then a catch-up of `catchup`, measured now; None where node or npm is missing."""
    folder = ANCHORS / "peers"
    if not (folder / "hypercore-bench.js").exists():
        print(f"anchors: {folder}/hypercore-bench.js not found (set RILO_ANCHORS): no Hypercore figure", flush=True)
        return None
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print("anchors: Node.js and npm are not installed here: the Hypercore anchor is left out", flush=True)
        return None
    with tempfile.TemporaryDirectory(prefix="rilo-hypercore-") as tmp:
        for f in folder.iterdir():
            if f.is_file():
                shutil.copy(f, tmp)
        print("anchors: installing Hypercore into a temporary folder (npm install)", flush=True)
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=tmp,
                              capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            print(f"anchors: npm install failed, no Hypercore figure: {proc.stderr.strip()[-500:]}", flush=True)
            return None
        print(f"anchors: Hypercore, {n:,} blocks A → B", flush=True)
        proc = subprocess.run([node, "hypercore-bench.js", "--n", str(n), "--runs", "1", "--retries", "0",
                               "--catchup", str(catchup), "--quiet-wait", "20", "--out", "hc"],
                              cwd=tmp, capture_output=True, text=True, timeout=1200)
        files = sorted((Path(tmp) / "results").glob("hc-*.json"))
        if proc.returncode != 0 or not files:
            print(f"anchors: hypercore-bench.js failed: {(proc.stderr or proc.stdout).strip()[-500:]}", flush=True)
            return None
        summary = json.loads(files[-1].read_text())["summary"][0]
        out = {"replicate": summary["fullBlocksPerS"]["median"], "catchup_ms": summary["catchupMs"]["median"]}
        print(f"  {out['replicate']:,.0f} blocks/s, catch-up of {catchup:,} in {out['catchup_ms']:,.0f} ms", flush=True)
        return out
