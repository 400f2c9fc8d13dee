"""The simulated network through the CLI: real processes, faults on demand, convergence after them."""

from __future__ import annotations

import json
import subprocess
import time

import pytest

from rilo_node.sim.cluster import Cluster, pid_alive
from tests.e2e.conftest import (
    RILO,
    Feeder,
    cluster_up,
    count_lines,
    node_db,
    run_cli,
    stored_ids,
)

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


def wait_for(pred, timeout=90, what="condition", every=0.3):
    """Until pred() returns nothing (what is still missing otherwise); the timeout only ends a wait
    for something that is broken."""
    deadline = time.monotonic() + timeout
    while True:
        problem = pred()
        if not problem:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: {problem}")
        time.sleep(every)


def seizures(n, country, prefix, policy):
    from rilo_node.cli.inputs import stable_record_id

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
    lines = [json.dumps(r) + "\n" for r in rows]
    ids = {r["record_id"] for r in rows}
    withheld = {r["record_id"] for r in rows[2400:]}
    infile, acked, log = tmp_path / "in.jsonl", tmp_path / "acked.jsonl", tmp_path / "import.log"
    infile.write_text("".join(lines))
    # The import reads its standard input, which the test hands it in three parts: the last 100 lines
    # only after both kills. So neither kill can come after the import is done, however fast the
    # machine: each is triggered by what the test sees stored, and lands while the import still runs.
    with log.open("w") as out:
        importer = subprocess.Popen([*RILO, "seizure", "import", "-", "--batch", "100", "--acked", str(acked),
                                     "--quiet", "--cluster", str(workdir), "--node", "de"],
                                    stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT, text=True)
    feeder = Feeder(importer.stdin)

    def importing():
        assert importer.poll() is None, f"the import ended ({importer.returncode}): {log.read_text()}"

    try:
        feeder.feed(lines[:1000])
        # Mid replication: rilo-ece has stored the first of the import's records (its SQLite file says
        # so), the import goes on, and rilo-ece is killed while they keep coming.
        wait_for(lambda: None if stored_ids(node_db(workdir, "rilo-ece"), "de") & ids else "none yet",
                 every=0.05, what="the import's first records at rilo-ece")
        feeder.feed(lines[1000:2400])
        importing()
        run_cli("cluster", "stop", "rilo-ece", "--kill", "--workdir", workdir, check=True)
        at_ece = stored_ids(node_db(workdir, "rilo-ece"), "de") & ids
        assert 0 < len(at_ece) < len(ids), f"rilo-ece held {len(at_ece)} of the import's records when killed"
        # Mid import: de has acknowledged 1,500 records, more are on their way, and the import cannot
        # have finished: 100 lines of its input are still held back. What `cluster stop de --kill` runs
        # is called here, not through a new interpreter, so that the kill follows what was seen by
        # milliseconds and usually finds de storing the rest of the second part.
        wait_for(lambda: None if count_lines(acked) >= 1500 else count_lines(acked), every=0.05,
                 what="1,500 acknowledged")
        importing()
        Cluster(workdir).stop("de", kill=True)
        feeder.feed(lines[2400:])
        feeder.close()
        assert importer.wait(timeout=60) != 0, "the import succeeded although its node was killed"
    finally:
        if importer.poll() is None:
            importer.kill()
            importer.wait(timeout=30)
        feeder.close()
    acknowledged = {json.loads(x)["record_id"] for x in acked.read_text().splitlines()}
    assert len(acknowledged) >= 1500 and not acknowledged & withheld, "the kill did not land mid-import"
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

    def link_states():
        """rilo-we's link to rilo-ece and back, as each node reports it; None once both are cut."""
        seen = {}
        for a, b in (("rilo-we", "rilo-ece"), ("rilo-ece", "rilo-we")):
            status = json.loads(cli(workdir, "status", "--json", "--node", a, check=True).stdout)
            seen[a] = {p["peer"]: p["state"] for p in status["peers"]}.get(b)
        return None if set(seen.values()) == {"cut"} else seen

    # Both ends have applied the partition (each says its pull from the other is cut) before anything
    # is written: what follows is written while the link is down, not while it is going down.
    wait_for(link_states, what="the link cut at both ends")
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
    # Each side's records are at its RILO, and the link between the RILOs, cut at both ends before they
    # were written, still is: the only entitled path has carried nothing.
    still = link_states()
    assert still is None, f"the partition is no longer in force: {still}"
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
