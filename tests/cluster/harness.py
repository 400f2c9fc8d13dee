"""In-process networks for tests: real gRPC servers over mutual TLS on 127.0.0.1:0, one SQLite file each."""

from __future__ import annotations

import dataclasses
import json
import time
import tomllib
from pathlib import Path

from rilo_node.api.client import NodeClient, Target
from rilo_node.api.server import Node
from rilo_node.core.seizure import parse_submission
from rilo_node.core.topology import Directory
from rilo_node.node.config import load_config
from rilo_node.node.peers import Links
from rilo_node.node.pki import CertificateAuthority, node_dns
from rilo_node.node.provision import NodeFolder, init_node_dir
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2


def set_config(path: Path, settings: dict[str, dict]) -> None:
    """Change some keys of a node.toml: {table: {key: value}}."""
    data = tomllib.loads(path.read_text())
    for table, values in settings.items():
        data.setdefault(table, {}).update(values)
    lines = []
    for table, values in data.items():
        lines.append(f"[{table}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
        lines.append("")
    path.write_text("\n".join(lines))


class Cluster:
    def __init__(self, workdir: Path, full: Directory, ids: list[str], ca: CertificateAuthority, topology: Path,
                 *, clock=None, settings: dict[str, dict[str, dict]] | None = None):
        self.workdir = workdir
        self.clock = clock
        self.settings = settings or {}
        self.ca = ca
        self.links = Links()
        self.folders: dict[str, NodeFolder] = {}
        self.nodes: dict[str, Node] = {}
        self.ports: dict[str, int] = {}
        directory = full.subset(ids)
        for node_id in ids:
            folder = init_node_dir(workdir / node_id, node_id, topology, ca=ca)
            if node_id in self.settings:
                set_config(folder.config, self.settings[node_id])
            self.folders[node_id] = folder
            directory = directory.with_node_fields(node_id, signing_key=folder.signing_key.public_b64)
        self.directory = directory
        for node_id in ids:
            self._start(node_id)
        self._publish()
        for node in self.nodes.values():
            node.start_replication()

    @property
    def ids(self) -> list[str]:
        return list(self.folders)

    def _start(self, node_id: str) -> Node:
        config = load_config(self.folders[node_id].config)
        if node_id in self.ports:
            config = dataclasses.replace(config, listen=f"127.0.0.1:{self.ports[node_id]}")
        node = Node(config, directory=self.directory, links=self.links, clock=self.clock)
        self.ports[node_id] = node.start(replication=False)
        self.nodes[node_id] = node
        return node

    def _publish(self) -> None:
        directory = self.directory
        for node_id, port in self.ports.items():
            directory = directory.with_node_fields(node_id, address=f"127.0.0.1:{port}")
        self.directory = directory
        for node in self.nodes.values():
            node.set_directory(directory)

    # -- faults ------------------------------------------------------------------------

    def stop(self, node_id: str) -> None:
        self.nodes.pop(node_id).stop(grace=0)

    def restart(self, node_id: str) -> Node:
        node = self._start(node_id)
        node.set_directory(self.directory)
        node.start_replication()
        return node

    def cut(self, a: str, b: str) -> None:
        self.links.cut(a, b)
        for n in (a, b):
            if n in self.nodes:
                self.nodes[n].network.supervise()

    def heal(self) -> None:
        self.links.heal()
        for node in self.nodes.values():
            node.network.supervise()

    def close(self) -> None:
        for node in list(self.nodes.values()):
            node.stop(grace=0)
        self.nodes.clear()

    # -- clients -----------------------------------------------------------------------

    def client(self, node_id: str) -> NodeClient:
        f = self.folders[node_id]
        return NodeClient(Target(f"127.0.0.1:{self.ports[node_id]}", f.ca, f.client_cert, f.client_key,
                                 node_dns(node_id)))

    def submit(self, node_id: str, seizure: dict) -> record_pb2.RecordKey:
        with self.client(node_id) as c:
            return c.records.SubmitSeizure(
                node_pb2.SubmitSeizureRequest(submission=parse_submission(seizure))).key

    def holdings(self, node_id: str) -> dict[tuple[str, str], dict]:
        """What a node holds: (origin, record_id) -> version, annex?, withdrawn?, retracted?, kind."""
        out = {}
        for rec in self.nodes[node_id].store.iter_records():
            out[(rec.origin, rec.record_id)] = {
                "version": rec.version, "annex": bool(rec.annex), "withdrawn": rec.withdrawn,
                "retracted": rec.retracted, "kind": rec.kind, "body": bool(rec.body),
            }
        return out

    def security_events(self, node_id: str) -> list[dict]:
        return self.nodes[node_id].store.security_events(limit=10_000)

    def wait_for(self, predicate, timeout: float = 30.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while True:
            problem = predicate()
            if not problem:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} not reached in {timeout} s: {problem}")
            time.sleep(0.05)


def member_seizure(node_id: str, directory: Directory, **overrides) -> dict:
    """A valid seizure for member `node_id` (its own country)."""
    country = directory.get(node_id).country if directory.get(node_id).role == "member" else "BE"
    data = {
        "seizure_date": "2026-03-14",
        "country": country,
        "location_type": "AIRPORT",
        "items": [{"section": "DRUGS", "category": "COCAINE", "quantity": 2.5, "unit": "KG"}],
        "description": f"cocaine in luggage reported by {node_id}",
    }
    data.update(overrides)
    return data
