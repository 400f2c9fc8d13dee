"""Handling codes are enforced in exports: a node holding another origin's H2 record leaves it out of
its CSV, XLSX and STIX exports and search exports, unless the origin released it to that node."""

from __future__ import annotations

import csv
import io
import json

from rilo_node.cli.main import main
from rilo_node.node.pki import node_dns
from tests.cluster.harness import member_seizure


def cli(cluster, node_id, capsys, *args) -> tuple[int, str, str]:
    f = cluster.folders[node_id]
    code = main([*args, "--target", f"127.0.0.1:{cluster.ports[node_id]}", "--ca", str(f.ca), "--cert",
                 str(f.client_cert), "--key", str(f.client_key), "--server-name", node_dns(node_id)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_h2_records_of_other_origins_stay_out_of_exports_unless_released(make_cluster, capsys):
    cluster = make_cluster(["rilo-we", "de", "fr"])
    d = cluster.directory
    ids = {
        "withheld": "01JQ6ZK0000000000000000A01",
        "released": "01JQ6ZK0000000000000000A02",
        "h0": "01JQ6ZK0000000000000000A03",
    }
    cluster.submit("de", member_seizure("de", d, record_id=ids["withheld"],
                                        policy={"share": {"scope": "REGION"}, "handling": "H2"}))
    cluster.submit("de", member_seizure("de", d, record_id=ids["released"],
                                        policy={"share": {"scope": "REGION", "nodes": ["fr"]}, "handling": "H2"}))
    cluster.submit("de", member_seizure("de", d, record_id=ids["h0"], policy={"share": {"scope": "REGION"}}))

    def fr_holds_all():
        held = {rid for (origin, rid), h in cluster.holdings("fr").items() if origin == "de" and h["body"]}
        missing = set(ids.values()) - held
        return f"fr lacks {sorted(missing)}" if missing else None

    cluster.wait_for(fr_holds_all, timeout=60, what="replication of de's records to fr")

    # The jsonl export is the node's own copy of what it holds: everything.
    code, out, _ = cli(cluster, "fr", capsys, "records", "export", "--origin", "de")
    assert code == 0 and {json.loads(x)["record_id"] for x in out.splitlines()} >= set(ids.values())

    code, out, err = cli(cluster, "fr", capsys, "records", "export", "--format", "csv", "--origin", "de")
    assert code == 0
    assert {r["record_id"] for r in csv.DictReader(io.StringIO(out))} == {ids["released"], ids["h0"]}
    assert "1 H2 record(s) of other origins left out" in err

    code, out, _ = cli(cluster, "fr", capsys, "records", "export", "--format", "stix", "--origin", "de")
    seizures = [o for o in json.loads(out)["objects"] if o["type"] == "x-rilo-seizure"]
    assert code == 0 and {o["record_id"] for o in seizures} == {ids["released"], ids["h0"]}

    code, out, _ = cli(cluster, "fr", capsys, "search", "--origin", "de", "--format", "csv")
    assert code == 0 and {r["record_id"] for r in csv.DictReader(io.StringIO(out))} == {ids["released"], ids["h0"]}

    # At the origin, its own H2 records go out.
    code, out, _ = cli(cluster, "de", capsys, "records", "export", "--format", "csv")
    assert code == 0 and {r["record_id"] for r in csv.DictReader(io.StringIO(out))} == set(ids.values())
