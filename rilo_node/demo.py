"""The single-node demo: start a node, submit realistic seizures, search them, stop."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rilo_node.client import target_from_node_dir
from rilo_node.provision import init_node_dir
from rilo_node.synth import Origin, generate_seizures
from rilo_node.topology import default_topology_path, load_topology

NODE = "de"


def run(count: int = 300, seed: int = 7) -> int:
    console = Console()
    directory = load_topology(default_topology_path())
    info = directory.get(NODE)
    with tempfile.TemporaryDirectory(prefix="rilo-demo-") as tmp:
        work = Path(tmp)
        console.rule("[bold]RILO Net demo: one node")
        folder = init_node_dir(work / NODE, NODE, default_topology_path())
        console.print(f"initialised node [bold]{NODE}[/] ({info.name or 'Germany'}): dev CA, TLS certificate, "
                      f"signing key {folder.signing_key.key_id}")
        node = subprocess.Popen([sys.executable, "-m", "rilo_node.cli", "serve", "--config", str(folder.config)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + 30
            while not (folder.path / "serve.json").exists():
                if node.poll() is not None or time.monotonic() > deadline:
                    console.print(f"[red]the node did not start[/]: {node.stdout.read() if node.stdout else ''}")
                    return 1
                time.sleep(0.05)
            target = target_from_node_dir(folder.path)
            console.print(f"node serving on {target.address} over mutual TLS")
            origin = Origin(NODE, "DE", info.region, info.area)
            seizures = [s for _, s in generate_seizures(count, [origin], seed=seed, today=datetime.date.today())]
            data = work / "seizures.jsonl"
            data.write_text("".join(json.dumps(s) + "\n" for s in seizures))
            base = [sys.executable, "-m", "rilo_node.cli"]
            conn = ["--node-dir", str(folder.path)]
            started = time.monotonic()
            imp = subprocess.run([*base, "seizure", "import", str(data), "--json", "--quiet", *conn],
                                 capture_output=True, text=True)
            summary = json.loads(imp.stdout)
            console.print(f"imported {summary['stored']} seizures in {time.monotonic() - started:.1f} s "
                          f"({summary['refused']} refused)")
            if imp.returncode != 0:
                console.print(f"[red]import failed[/]: {imp.stderr}")
                return 1
            for title, flags in (
                ("cocaine, any route", ["--category", "COCAINE"]),
                ("anything that came from AE", ["--departure", "AE"]),
                ("'cigarettes' in the text", ["--text", "cigarettes"]),
            ):
                out = subprocess.run([*base, "search", *flags, "--limit", "8", "--json", *conn],
                                     capture_output=True, text=True, check=True)
                show(console, title, json.loads(out.stdout))
            status = json.loads(subprocess.run([*base, "status", "--json", *conn], capture_output=True, text=True,
                                               check=True).stdout)
            console.print(f"node {status['node_id']}: {status['records_held']} records held, "
                          f"{status['security_events']} security events")
        finally:
            node.terminate()
            node.wait(timeout=30)
        console.print("[green]demo finished[/]: node stopped, its folder removed")
    return 0


def show(console: Console, title: str, result: dict) -> None:
    table = Table(title=f"search: {title} ({len(result['hits'])} shown)")
    for col in ("date", "categories", "route", "quantity", "description"):
        table.add_column(col, overflow="fold")
    for hit in result["hits"]:
        body = hit.get("body") or {}
        route = "→".join(c for c in [body.get("departure_country"), *body.get("transit_countries", []),
                                     body.get("destination_country")] if c)
        item = (body.get("items") or [{}])[0]
        qty = f"{item.get('quantity', '')} {item.get('unit', '')}".strip()
        table.add_row(hit["summary"]["seizure_date"], ",".join(hit["summary"]["categories"]), route, qty,
                      (body.get("description") or "")[:60])
    console.print(table)
