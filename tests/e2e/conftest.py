"""Real processes: `rilo-node serve` started through the CLI, talked to through the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rilo_node.node.provision import init_node_dir

RILO = [sys.executable, "-m", "rilo_node.cli"]


def run_cli(*args, input: str | None = None, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess:
    proc = subprocess.run([*RILO, *map(str, args)], input=input, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"rilo-node {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def cluster_up(tmp_path: Path, ids: list[str]):
    """A simulated network of the nodes `ids` of the real topology, every member of each area, each
    node its own process (`rilo-node cluster up --detach`); yields its workdir, then takes it down."""
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.directory import default_topology_path, load_topology

    topo = tmp_path / "topology.toml"
    topo.write_text(dump_topology(load_topology(default_topology_path()).subset(ids)))
    workdir = tmp_path / "net"
    up = run_cli("cluster", "up", "--topology", topo, "--workdir", workdir, "--members-per-area", "all",
                 "--detach", timeout=180)
    assert up.returncode == 0, up.stderr
    try:
        yield workdir
    finally:
        run_cli("cluster", "down", "--workdir", workdir, timeout=120)


class ServedNode:
    def __init__(self, folder: Path):
        self.folder = folder
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "ServedNode":
        runtime = self.folder / "serve.json"
        if runtime.exists():
            runtime.unlink()
        self.log = open(self.folder / "serve.log", "a")  # noqa: SIM115
        self.proc = subprocess.Popen([*RILO, "serve", "--config", self.folder / "node.toml"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not runtime.exists():
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {(self.folder / 'serve.log').read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError("serve did not start")
            time.sleep(0.05)
        self.address = json.loads(runtime.read_text())["address"]
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()

    def cli(self, *args, **kw) -> subprocess.CompletedProcess:
        return run_cli(*args, "--node-dir", self.folder, **kw)


@pytest.fixture
def served_node(tmp_path, topology_path):
    nodes: list[ServedNode] = []

    def make(node_id: str = "de") -> ServedNode:
        folder = tmp_path / f"node-{node_id}"
        init_node_dir(folder, node_id, topology_path)
        node = ServedNode(folder)
        nodes.append(node)
        return node.start()

    yield make
    for node in nodes:
        node.stop()
