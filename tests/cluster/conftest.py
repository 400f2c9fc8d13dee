"""Fixtures for in-process networks."""

from __future__ import annotations

import pytest

from tests.cluster.harness import Cluster


@pytest.fixture
def make_cluster(tmp_path, directory, network_ca, topology_path):
    made: list[Cluster] = []

    def make(ids: list[str], **kwargs) -> Cluster:
        cluster = Cluster(tmp_path / f"net{len(made)}", directory, ids, network_ca, topology_path, **kwargs)
        made.append(cluster)
        return cluster

    yield make
    for c in made:
        c.close()
