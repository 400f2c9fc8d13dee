"""The built wheel is the whole program: installed into a fresh virtualenv outside the repository, it
runs the simulated network demo with the topology and data files it carries."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    (path,) = out.glob("rilo_node-*.whl")
    return path


def test_the_wheel_carries_the_default_topology_and_the_synthetic_data_tables(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "rilo_node/data/topology.toml" in names
    assert any(n.startswith("rilo_node/sim/data/") and n.endswith(".json") for n in names)
    assert "rilo_node/pb/rilo/v1/node_pb2.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "config/")) for n in names)


def test_the_installed_wheel_runs_the_cluster_demo_from_outside_the_repository(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    str(wheel)], check=True, capture_output=True, text=True, timeout=600)
    # The dependencies (grpcio, cryptography, ...) come from the test environment's site-packages, as a
    # plain path: its .pth files, among them the editable install of this repository, are not read.
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RILO_NODE_DIR")}
    where = subprocess.run([str(python), "-c", "import rilo_node; print(rilo_node.__file__)"], cwd=tmp_path,
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(venv), where

    demo = subprocess.run([str(venv / "bin" / "rilo-node"), "cluster", "demo", "--records", "200"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "every signature verified" in demo.stdout and "demo finished" in demo.stdout
