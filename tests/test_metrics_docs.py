"""The metrics the node exposes, the operator guide's list of them (docs/operator-guide.md#metrics) and the
Grafana dashboard (docs/grafana-dashboard.json) name the same families."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from rilo_node.node.clock import FakeClock
from rilo_node.node.metrics import NodeMetrics
from rilo_node.pb.rilo.v1 import node_pb2
from rilo_node.store.db import Store

DOCS = Path(__file__).resolve().parent.parent / "docs"


class Link:
    last_contact = 999.0


class Network:
    """What the gauges read of a PeerNetwork: its clock, its peer states and links."""

    clock = FakeClock()

    def states(self):
        return [node_pb2.PeerState(peer="rilo-we", state="connected", behind=3, checkpoint=7)]

    def link(self, peer):
        return Link()


@pytest.fixture
def exposed(tmp_path, network_ca) -> dict[str, set[str]]:
    """{family: sample names} of a node's registry, with every counter and the histogram bumped once."""
    store = Store(tmp_path / "node.db", synchronous="OFF")
    metrics = NodeMetrics()
    metrics.watch(store=store, node_id="de", head=lambda: 0, network=Network(),
                  certificates={"node": network_ca.cert_pem, "ca": network_ca.cert_pem},
                  info={"node": "de", "role": "member", "version": "0"})
    metrics.received("rilo-we", "pull", ["stored", "older"])
    metrics.sent("rilo-we", "pull", 1)
    metrics.anti_entropy("rilo-we", repaired=1)
    metrics.query("search", "local", 0.01, complete=False)
    metrics.rpc("rilo.v1.RecordService/SubmitSeizure", "OK")
    try:
        text = generate_latest(metrics.registry).decode()
    finally:
        metrics.close()
        store.close()
    return {f.name: {s.name for s in f.samples} for f in text_string_to_metric_families(text) if f.samples}


def guide_section() -> str:
    text = (DOCS / "operator-guide.md").read_text(encoding="utf-8")
    return text.split("\n## Metrics\n", 1)[1].split("\n## ", 1)[0]


def test_every_family_the_node_exposes_is_in_the_operator_guides_table(exposed):
    section = guide_section()
    documented = set(re.findall(r"^\| `([a-z_]+)`", section, re.MULTILINE)) | set(re.findall(r"`(process_[a-z_]+)`", section))
    assert {"rilo_rpcs_total", "rilo_records_held", "rilo_query_seconds"} <= documented
    names = set()
    for family, samples in exposed.items():
        # the guide names a counter with its _total, a histogram by its family name
        names.add(family if family.startswith("rilo_query_seconds") or not any(
            s.endswith("_total") for s in samples) else f"{family}_total")
    assert not names - documented, f"exposed but not in docs/operator-guide.md#metrics: {sorted(names - documented)}"
    stale = {n for n in documented if n.startswith("rilo_")} - names
    assert not stale, f"in the guide but not exposed: {sorted(stale)}"


def test_the_dashboard_uses_only_names_the_node_exposes(exposed):
    dashboard = json.loads((DOCS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 15
    used = {n for e in exprs for n in re.findall(r"\b((?:rilo|process)_[a-z_]+)", e)}
    samples = set().union(*exposed.values())
    assert not used - samples, f"the dashboard queries names the node does not expose: {sorted(used - samples)}"
    families = {name for name in exposed if name.startswith("rilo_")}
    shown = {f for f in families if any(s in used for s in exposed[f])}
    assert families - shown <= {"rilo_records_last_seq"}, f"no panel for {sorted(families - shown)}"
