"""Shared fixtures: the real topology, node folders, in-process nodes over real TLS."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from rilo_node.api.client import NodeClient, Target
from rilo_node.api.server import Node
from rilo_node.node.clock import FakeClock
from rilo_node.node.config import load_config
from rilo_node.node.directory import default_topology_path, load_topology
from rilo_node.node.pki import CertificateAuthority, node_dns
from rilo_node.node.provision import NodeFolder, init_node_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def topology_path() -> Path:
    return default_topology_path()


@pytest.fixture(scope="session")
def directory(topology_path):
    return load_topology(topology_path)


@pytest.fixture(scope="session")
def network_ca() -> CertificateAuthority:
    return CertificateAuthority.create("RILO Net test CA")


def seizure_example(**overrides) -> dict:
    """The example seizure of the shared design, for node `de` (fields: docs/protocol.md#seizure-fields)."""
    data = {
        "case_ref": "HH-2026-0042",
        "seizure_date": "2026-03-14",
        "country": "DE",
        "customs_office": "Hamburg port",
        "location_type": "SEAPORT",
        "direction": "IMPORT",
        "detection": "RISK_PROFILING",
        "conveyance": "VESSEL",
        "concealment": "IN_FREIGHT",
        "departure_country": "EC",
        "transit_countries": ["PA"],
        "destination_country": "DE",
        "ecommerce": False,
        "items": [{"section": "DRUGS", "category": "COCAINE", "commodity": "cocaine hydrochloride",
                   "hs_code": "293979", "quantity": 120.5, "unit": "KG", "value_usd": 0}],
        "description": "cocaine hidden in banana boxes",
        "evaluation": {"source": "B", "information": "2"},
        "policy": {"share": {"scope": "REGION"}},
        "annex": {"offenders": [{"nationality": "NL", "gender": "M", "birth_year": 1985, "role": "courier"}]},
    }
    data.update(overrides)
    return data


@pytest.fixture
def example():
    return seizure_example


class RunningNode:
    def __init__(self, folder: NodeFolder, node: Node):
        self.folder = folder
        self.node = node

    @property
    def target(self) -> Target:
        return Target(self.node.address, self.folder.ca, self.folder.client_cert, self.folder.client_key,
                      node_dns(self.folder.node_id))

    def client(self) -> NodeClient:
        return NodeClient(self.target)


@pytest.fixture
def start_node(tmp_path, topology_path, network_ca):
    """start_node("de") -> a RunningNode over mutual TLS on 127.0.0.1:0 with its own SQLite file."""
    started: list[Node] = []

    def start(node_id: str = "de", *, clock=None, synchronous: str | None = None) -> RunningNode:
        folder_path = tmp_path / node_id
        if (folder_path / "node.toml").exists():
            folder = NodeFolder(node_id, folder_path, None)  # type: ignore[arg-type]
        else:
            folder = init_node_dir(folder_path, node_id, topology_path, ca=network_ca)
        config = load_config(folder.config)
        if synchronous:
            import dataclasses

            config = dataclasses.replace(config, synchronous=synchronous)
        node = Node(config, clock=clock or FakeClock())
        node.start()
        started.append(node)
        return RunningNode(folder, node)

    yield start
    for node in started:
        with contextlib.suppress(Exception):
            node.stop(grace=0)
