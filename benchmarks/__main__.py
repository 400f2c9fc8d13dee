"""`python -m benchmarks [NAME ...]` (scripts/bench): run the named benchmarks, or all of them.

Each benchmark is a module `benchmarks/NAME.py` with a `run()` that measures, prints and saves its
figures (docs/benchmarks.json and docs/benchmarks.md) and ends by itself. BENCHMARKS lists them in
the order they run with the arguments of a quick check: RILO_BENCH_QUICK=1 runs each at that small
size (arguments its run() does not take are left out), and then writes its figures to a scratch
file instead of docs/, so a quick check never replaces the real figures. A listed benchmark whose
module does not exist yet is skipped with a message.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

QUICK_N = 5_000

# name → run() arguments for RILO_BENCH_QUICK=1 (full runs use run()'s defaults)
BENCHMARKS: dict[str, dict] = {
    "ingest": {"n": QUICK_N},
    "replication": {"n": QUICK_N, "records": 10},
    "search": {"n": QUICK_N, "queries": 5, "small": QUICK_N, "idle_seconds": 3.0},
    "network": {},  # its run() has no size to shrink yet
    "requests": {"requests": 5},
    "abuse": {"records": 300, "searches_per_phase": 10, "window": 3.0},
    "wan": {"records": 5, "queries_n": 5, "requests": 2, "catch_up_n": 500, "seed_records": 300},
    "scale": {"sizes": (1,), "records": 3, "queries": 2},
    "hitcheck": {"per_node": 200, "big": 20_000, "checks": 20, "false_values": 2_000, "members_per_area": 1,
                 "all_nodes": False, "evaluations": 2_000},
    "web": {"messages": 20, "members_per_area": 1, "streams": 200, "logins": 50, "searches": 20},
}


def quick() -> bool:
    return os.environ.get("RILO_BENCH_QUICK", "") not in ("", "0")


def exists(name: str) -> bool:
    return importlib.util.find_spec(f"benchmarks.{name}") is not None


def arguments(fn, wanted: dict) -> dict:
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return dict(wanted)
    return {k: v for k, v in wanted.items() if k in params}


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__.strip())
        print("\nknown: " + ", ".join(BENCHMARKS))
        return 0
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS and not exists(n)]
    if unknown:
        print(f"benchmarks: unknown {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})", file=sys.stderr)
        return 2
    if quick():
        import benchmarks.common as common

        scratch = Path(tempfile.gettempdir()) / "rilo-bench-quick"
        scratch.mkdir(exist_ok=True)
        common.RESULTS, common.DOC = scratch / "benchmarks.json", scratch / "benchmarks.md"
        print(f"benchmarks: RILO_BENCH_QUICK=1: small sizes; figures go to {common.DOC}, not docs/", flush=True)
    failed = []
    for name in names:
        if not exists(name):
            print(f"== {name}: skipped (no module benchmarks/{name}.py yet)", flush=True)
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        kwargs = arguments(module.run, BENCHMARKS.get(name, {})) if quick() else {}
        shown = ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}" for k, v in kwargs.items())
        print(f"== {name}{f' ({shown})' if shown else ''}", flush=True)
        t0 = time.monotonic()
        try:
            module.run(**kwargs)
        except Exception:  # noqa: BLE001 - report, go on with the next benchmark, fail at the end
            traceback.print_exc()
            failed.append(name)
            print(f"== {name}: FAILED after {time.monotonic() - t0:.0f} s", flush=True)
            continue
        print(f"== {name}: done in {time.monotonic() - t0:.0f} s", flush=True)
    if failed:
        print(f"benchmarks: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
