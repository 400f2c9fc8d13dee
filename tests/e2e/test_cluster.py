"""The simulated network through the CLI: real processes, faults on demand, convergence after them."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from rilo_node.sim.cluster import pid_alive
from tests.e2e.conftest import RILO, cluster_up, run_cli

pytestmark = pytest.mark.slow

SMALL = ["wco", "rilo-we", "rilo-ece", "de", "fr", "pl"]


@pytest.fixture
def small_cluster(tmp_path):
    yield from cluster_up(tmp_path, SMALL)


def cli(workdir, *args, check=True, **kw):
    return run_cli(*args, "--cluster", workdir, **kw, check=check) if args[0] not in ("cluster",) else \
        run_cli(*args, "--workdir", workdir, check=check, **kw)


def export(workdir, node) -> dict:
    out = run_cli("records", "export", "--cluster", workdir, "--node", node, check=True, timeout=120).stdout
    return {(r["origin"], r["record_id"]): r for r in map(json.loads, out.splitlines())}


def wait_for(pred, timeout=90, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        problem = pred()
        if not problem:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {problem}")
        time.sleep(0.3)


def seizures(n, country, prefix, policy):
    from rilo_node.cli.main import stable_record_id

    out = []
    for i in range(n):
        d = {"seizure_date": "2026-02-03", "country": country, "case_ref": f"{prefix}-{i}",
             "items": [{"section": "DRUGS", "category": "CANNABIS", "quantity": 1 + i % 50, "unit": "KG"}],
             "description": f"{prefix} case {i} herbal cannabis in a parcel", "policy": policy}
        d["record_id"] = stable_record_id(d)
        out.append(d)
    return out


def test_cluster_json_describes_every_node_and_a_second_up_is_refused(small_cluster):
    data = json.loads((small_cluster / "cluster.json").read_text())
    assert sorted(n["id"] for n in data["nodes"]) == sorted(SMALL)
    for n in data["nodes"]:
        assert {"id", "role", "region", "area", "address", "data_dir", "pid", "ca", "client_cert",
                "client_key"} <= set(n)
        assert pid_alive(n["pid"]) and n["address"].startswith("127.0.0.1:")
    again = run_cli("cluster", "up", "--workdir", small_cluster, "--detach")
    assert again.returncode != 0 and "already running" in again.stderr
    status = json.loads(run_cli("cluster", "status", "--workdir", small_cluster, "--json", check=True).stdout)
    assert {r["id"]: r["state"] for r in status["nodes"]} == {n: "running" for n in SMALL}


def test_sigkill_mid_import_and_mid_replication_loses_no_acknowledged_record(small_cluster, tmp_path):
    workdir = small_cluster
    rows = seizures(2500, "DE", "K", {"share": {"scope": "REGION"}})
    infile, acked = tmp_path / "in.jsonl", tmp_path / "acked.jsonl"
    infile.write_text("".join(json.dumps(r) + "\n" for r in rows))
    importer = subprocess.Popen([*RILO, "seizure", "import", str(infile), "--batch", "100", "--acked", str(acked),
                                 "--quiet", "--cluster", str(workdir), "--node", "de"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def acked_lines():
        return sum(1 for _ in acked.open()) if acked.exists() else 0

    wait_for(lambda: None if acked_lines() >= 500 else acked_lines(), what="first acks")
    run_cli("cluster", "stop", "rilo-ece", "--kill", "--workdir", workdir, check=True)   # mid replication
    wait_for(lambda: None if acked_lines() >= 1000 else acked_lines(), what="more acks")
    run_cli("cluster", "stop", "de", "--kill", "--workdir", workdir, check=True)         # mid import
    assert importer.wait(timeout=60) != 0
    acknowledged = {json.loads(x)["record_id"] for x in acked.read_text().splitlines()}
    data = json.loads((workdir / "cluster.json").read_text())
    assert {n["id"]: n["state"] for n in data["nodes"]}["de"] == "killed"

    run_cli("cluster", "start", "de", "--workdir", workdir, check=True, timeout=120)
    run_cli("cluster", "start", "rilo-ece", "--workdir", workdir, check=True, timeout=120)
    held_by_de = export(workdir, "de")
    assert acknowledged <= {rid for _, rid in held_by_de}, "an acknowledged record was lost at its origin"
    # Everything acknowledged reaches every node the policy entitles (EUR), and nothing else.
    for node in ("rilo-we", "rilo-ece", "fr", "pl"):
        wait_for(lambda node=node: None if acknowledged <= {rid for _, rid in export(workdir, node)} else node,
                 what=f"acknowledged records at {node}")
    assert not export(workdir, "wco")
    # Finishing the import afterwards stores the rest once.
    again = run_cli("seizure", "import", infile, "--json", "--quiet", "--cluster", workdir, "--node", "de",
                    timeout=300)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["stored"] == 2500
    wait_for(lambda: None if len(export(workdir, "pl")) == 2500 else len(export(workdir, "pl")), what="pl complete")


def test_a_partition_between_two_rilos_heals_and_the_network_converges(small_cluster):
    workdir = small_cluster
    run_cli("cluster", "partition", "rilo-we", "rilo-ece", "--workdir", workdir, check=True)
    west = seizures(20, "DE", "W", {"share": {"scope": "AREA", "nodes": ["rilo-ece"]}})
    east = seizures(20, "PL", "E", {"share": {"scope": "AREA", "nodes": ["rilo-we"]}})
    for node, rows in (("de", west), ("pl", east)):
        f = workdir / f"{node}.jsonl"
        f.write_text("".join(json.dumps(r) + "\n" for r in rows))
        run_cli("seizure", "import", f, "--quiet", "--cluster", workdir, "--node", node, check=True)
    west_ids = {r["record_id"] for r in west}
    east_ids = {r["record_id"] for r in east}
    wait_for(lambda: None if west_ids <= {rid for _, rid in export(workdir, "rilo-we")} else "we", what="west")
    wait_for(lambda: None if east_ids <= {rid for _, rid in export(workdir, "rilo-ece")} else "ece", what="east")
    time.sleep(2)
    assert not west_ids & {rid for _, rid in export(workdir, "rilo-ece")}, "the partition leaked"
    assert not east_ids & {rid for _, rid in export(workdir, "rilo-we")}, "the partition leaked"
    run_cli("cluster", "heal", "--workdir", workdir, check=True)
    wait_for(lambda: None if west_ids <= {rid for _, rid in export(workdir, "rilo-ece")} else "ece", what="healed")
    wait_for(lambda: None if east_ids <= {rid for _, rid in export(workdir, "rilo-we")} else "we", what="healed")


def test_down_stops_every_node_and_keeps_the_data(small_cluster):
    data = json.loads((small_cluster / "cluster.json").read_text())
    pids = [n["pid"] for n in data["nodes"]]
    out = run_cli("cluster", "down", "--workdir", small_cluster, check=True)
    assert "stopped 6 nodes" in out.stdout
    assert not any(pid_alive(p) for p in pids)
    assert all((small_cluster / "nodes" / n / "data" / "node.db").exists() for n in SMALL)
    after = json.loads((small_cluster / "cluster.json").read_text())
    assert {n["state"] for n in after["nodes"]} == {"stopped"}
