"""Real processes: `rilo-node serve` started through the CLI, talked to through the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
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


class Feeder:
    """Writes lines to a process's standard input from a thread of its own, only as many as the test
    has released with feed(): the process cannot finish its input before the test gives it the last
    line. A kill can then land "mid-import" on any machine, however fast, instead of by luck."""

    def __init__(self, stream):
        self._stream = stream
        self._parts: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="feeder", daemon=True)
        self._thread.start()

    def feed(self, lines: list[str]) -> None:
        self._parts.put("".join(lines))

    def close(self, timeout: float = 120) -> None:
        """End the input (the process sees end of file once it has read what was fed)."""
        self._parts.put(None)
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the process did not read its input"

    def _run(self) -> None:
        try:
            while (part := self._parts.get()) is not None:
                self._stream.write(part)
                self._stream.flush()
        except OSError:  # BrokenPipeError: the process is gone (killed, or failed) before reading it all
            pass
        finally:
            with contextlib.suppress(OSError):
                self._stream.close()


def node_db(workdir: Path, node_id: str) -> Path:
    """The SQLite file of a node of a `cluster up` network."""
    return Path(workdir) / "nodes" / node_id / "data" / "node.db"


def stored_ids(db: Path, origin: str) -> set[str]:
    """Record ids of `origin` a node has committed, read from its SQLite file read-only (the node may
    be running, or have been killed: what is there is what it stored durably)."""
    if not Path(db).exists():
        return set()
    conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return {rid for (rid,) in conn.execute("SELECT record_id FROM records WHERE origin = ?", (origin,))}
    finally:
        conn.close()


def count_lines(path: Path) -> int:
    """Complete (newline-ended) lines of a file another process appends to; 0 before it exists."""
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


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
