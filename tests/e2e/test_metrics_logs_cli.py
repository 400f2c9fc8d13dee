"""`rilo-node serve --log-format json` and the metrics port of each node of `cluster up` (real processes)."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.request

import pytest

from rilo_node.api.client import target_from_node_dir
from rilo_node.node.provision import init_node_dir
from rilo_node.pb.rilo.v1 import node_pb2
from rilo_node.sim.cluster import Cluster
from tests.e2e.conftest import RILO

pytestmark = pytest.mark.slow


def metrics_text(address: str) -> str:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as resp:
        return resp.read().decode()


def test_serve_logs_json_lines_with_an_access_line_per_rpc(tmp_path, topology_path, network_ca):
    folder = init_node_dir(tmp_path / "de", "de", topology_path, ca=network_ca)
    log = tmp_path / "serve.err"
    with open(log, "w") as err, open(tmp_path / "serve.out", "w") as out:
        proc = subprocess.Popen([*RILO, "serve", "--config", folder.config, "--log-format", "json"],
                                stdout=out, stderr=err)
    try:
        runtime = folder.path / "serve.json"
        deadline = time.monotonic() + 60
        while not runtime.exists():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        served = json.loads(runtime.read_text())
        assert served["metrics"].startswith("127.0.0.1:")
        with target_from_node_dir(folder.path).channel() as channel:
            from rilo_node.pb.rilo.v1 import node_pb2_grpc

            node_pb2_grpc.NodeAdminServiceStub(channel).GetStatus(node_pb2.GetStatusRequest(), timeout=10)
        assert "rilo_rpcs_total" in metrics_text(served["metrics"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0
    assert f"metrics on http://{served['metrics']}/metrics" in (tmp_path / "serve.out").read_text()
    lines = [json.loads(line) for line in log.read_text().splitlines()]  # every line is JSON
    access = [line for line in lines if line["logger"] == "rilo_node.access"]
    assert [(a["method"], a["code"], a["caller"], a["node"]) for a in access] == [
        ("rilo.v1.NodeAdminService/GetStatus", "OK", "client:de:national-system", "de")]


def test_cluster_json_gives_every_node_a_metrics_port_of_its_own(tmp_path, monkeypatch):
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology

    monkeypatch.setenv("RILO_CLUSTER_SPAWN", "exec")  # no fork of a test process that made gRPC objects
    ids = ["wco", "rilo-we", "de"]
    topo = tmp_path / "topology.toml"
    topo.write_text(dump_topology(load_topology(default_topology_path()).subset(ids)))
    cluster = Cluster(tmp_path / "net")
    try:
        data = cluster.up(topology=topo, members_per_area=None)
        saved = json.loads((tmp_path / "net" / "cluster.json").read_text())
        assert saved["nodes"] == data["nodes"]
        addresses = {n["id"]: n["metrics"] for n in saved["nodes"]}
        assert sorted(addresses) == sorted(ids)
        assert len(set(addresses.values()) | {n["address"] for n in saved["nodes"]}) == 2 * len(ids)
        for node_id, address in addresses.items():
            assert address.startswith("127.0.0.1:")
            assert f'rilo_node_info{{node="{node_id}"' in metrics_text(address)
    finally:
        cluster.down(delete=False)
