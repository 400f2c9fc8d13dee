"""Shared benchmark plumbing: machine facts, RSS, results file and the docs/benchmarks.md table."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "docs" / "benchmarks.json"
DOC = REPO / "docs" / "benchmarks.md"
PY = sys.executable


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu or platform.machine()}), {mem}, Python {platform.python_version()}, {platform.system()}"


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def save(name: str, command: str, figures: list[dict], notes: str = "") -> None:
    """Record one benchmark's figures (each: what, value, unit, baseline?, goal?) and redraw the doc."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[name] = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "command": command,
        "figures": figures,
        "notes": notes,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    render(data)


def render(data: dict) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Made by `scripts/bench` (all) or `scripts/bench NAME`; each section says the command, the machine and",
        "the date of its run. Machines here are shared and noisy, so every figure is shown next to a baseline",
        "measured in the same run. Figures are rewritten by the benchmark itself; do not edit them by hand.",
        "What the profiler showed behind them is in [profiles.md](profiles.md).",
        "",
    ]
    for name in sorted(data):
        entry = data[name]
        lines += [f"## {name}", "", f"- command: `{entry['command']}`", f"- machine: {entry['machine']}",
                  f"- date: {entry['date']}", ""]
        lines += ["| figure | value | baseline (same run) | ratio | goal |", "|---|---|---|---|---|"]
        for f in entry["figures"]:
            base = f.get("baseline")
            ratio = f.get("ratio")
            if ratio is None and base and isinstance(base.get("value"), (int, float)) and base["value"]:
                ratio = f["value"] / base["value"]
            lines.append(
                f"| {f['what']} | {fmt(f['value'])} {f.get('unit', '')} | "
                f"{(base['what'] + ': ' + fmt(base['value']) + ' ' + base.get('unit', '')) if base else ''} | "
                f"{'' if ratio is None else f'{ratio:.2f}'} | {f.get('goal', '')} |"
            )
        if entry.get("notes"):
            lines += ["", entry["notes"]]
        lines.append("")
    DOC.write_text("\n".join(lines))


def fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"process exited {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear")
        time.sleep(0.02)


def percentile(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)
