"""SIGKILL in the middle of an import: nothing acknowledged is lost, nothing partial is left."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from rilo_node.core.signing import Keyring, SigningKey, verify_record
from rilo_node.store.db import Store
from tests.conftest import seizure_example
from tests.e2e.conftest import RILO

pytestmark = pytest.mark.slow

N = 12_000


def write_input(path) -> None:
    with path.open("w") as f:
        for i in range(N):
            f.write(json.dumps(seizure_example(case_ref=f"CRASH-{i}", description=f"case {i} cocaine")) + "\n")


def wait_for_lines(path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if path.exists() and sum(1 for _ in path.open()) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"import ended early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError("import too slow")
        time.sleep(0.02)


def acked_keys(path) -> set[tuple[str, str, int]]:
    keys = set()
    for line in path.read_text().splitlines():
        k = json.loads(line)
        keys.add((k["origin"], k["record_id"], k["version"]))
    return keys


def check_store(folder) -> dict[tuple[str, str], int]:
    """Every record verifies and has its search projection; returns key -> version."""
    store = Store(folder / "data" / "node.db")
    try:
        assert store.integrity_problems() == []
        ring = Keyring()
        key = SigningKey.from_pem("de", (folder / "keys" / "signing.key").read_bytes())
        ring.add("de", key.public_raw)
        held = {}
        from rilo_node.api.services import stored_to_pb

        for rec in store.iter_records():
            verify_record(stored_to_pb(rec), ring)
            held[(rec.origin, rec.record_id)] = rec.version
        return held
    finally:
        store.close()


def start_import(node, infile, acked):
    return subprocess.Popen(
        [*RILO, "seizure", "import", str(infile), "--batch", "200", "--acked", str(acked), "--quiet",
         "--node-dir", str(node.folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def test_killing_the_node_mid_import_loses_no_acknowledged_record(served_node, tmp_path):
    node = served_node("de")
    infile, acked = tmp_path / "in.jsonl", tmp_path / "acked.jsonl"
    write_input(infile)
    importer = start_import(node, infile, acked)
    wait_for_lines(acked, 1000, importer)
    node.kill()
    assert importer.wait(timeout=60) == 1
    before = acked_keys(acked)
    assert 1000 <= len(before) < N

    held = check_store(node.folder)
    for origin, record_id, version in before:
        assert held.get((origin, record_id)) == version, "an acknowledged record was lost"

    # Running the same import again completes it without storing anything twice.
    node.start()
    again = subprocess.run(
        [*RILO, "seizure", "import", str(infile), "--json", "--quiet", "--node-dir", str(node.folder)],
        capture_output=True, text=True, timeout=300,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["stored"] == N and summary["already_present"] >= len(before)
    node.stop()
    assert len(check_store(node.folder)) == N


def test_killing_the_importer_mid_import_leaves_no_partial_record(served_node, tmp_path):
    node = served_node("de")
    infile, acked = tmp_path / "in.jsonl", tmp_path / "acked.jsonl"
    write_input(infile)
    importer = start_import(node, infile, acked)
    wait_for_lines(acked, 600, importer)
    os.kill(importer.pid, signal.SIGKILL)
    importer.wait(timeout=30)
    before = acked_keys(acked)
    node.stop()
    held = check_store(node.folder)
    assert all(held.get((o, r)) == v for o, r, v in before)
    # Every record the node stored has its search row: no half-written seizure.
    conn = sqlite3.connect(node.folder / "data" / "node.db")
    assert conn.execute("SELECT COUNT(*) FROM seizures").fetchone()[0] == len(held)
    conn.close()
