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
from tests.e2e.conftest import RILO, Feeder, count_lines

pytestmark = pytest.mark.slow

N = 12_000
BATCH = 200


def write_input(path) -> list[str]:
    lines = [json.dumps(seizure_example(case_ref=f"CRASH-{i}", description=f"case {i} cocaine")) + "\n"
             for i in range(N)]
    path.write_text("".join(lines))
    return lines


def wait_for_lines(path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if count_lines(path) >= n:  # complete lines: acknowledged records
            return
        if proc.poll() is not None:
            raise AssertionError(f"import ended early ({proc.returncode}): {proc.log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError("import too slow")
        time.sleep(0.02)


def acked_keys(path) -> set[tuple[str, str, int]]:
    """The keys in an --acked file; a last line the importer was killed while writing is not one."""
    keys = set()
    for line in path.read_text().splitlines(keepends=True):
        if not line.endswith("\n"):
            continue
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


def start_import(node, lines, acked) -> tuple[subprocess.Popen, Feeder]:
    """An import reading its standard input, handed every line but the last batch's: it cannot finish
    until the test gives it those, so a kill the test makes before that lands mid-import, on any
    machine. Its stderr goes to a file (nothing can fill a pipe and block it)."""
    log = acked.with_name("import.log")
    with log.open("w") as err:
        proc = subprocess.Popen(
            [*RILO, "seizure", "import", "-", "--batch", str(BATCH), "--acked", str(acked), "--quiet",
             "--node-dir", str(node.folder)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, text=True,
        )
    proc.log = log
    feeder = Feeder(proc.stdin)
    feeder.feed(lines[:-BATCH])
    return proc, feeder


def stop_import(proc: subprocess.Popen, feeder: Feeder) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    feeder.close()


def test_killing_the_node_mid_import_loses_no_acknowledged_record(served_node, tmp_path):
    node = served_node("de")
    infile, acked = tmp_path / "in.jsonl", tmp_path / "acked.jsonl"
    lines = write_input(infile)
    importer, feeder = start_import(node, lines, acked)
    try:
        wait_for_lines(acked, 1000, importer)
        # The import is still running (wait_for_lines saw it so) and cannot have finished: its last
        # batch is still held back. The node dies with the rest of what it was handed on its way.
        node.kill()
        feeder.feed(lines[-BATCH:])
        feeder.close()
        assert importer.wait(timeout=60) == 1
    finally:
        stop_import(importer, feeder)
    before = acked_keys(acked)
    assert 1000 <= len(before) <= N - BATCH

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
    lines = write_input(infile)
    importer, feeder = start_import(node, lines, acked)
    try:
        wait_for_lines(acked, 600, importer)
        # Still running, its last batch held back: the kill cannot come after the import is done.
        os.kill(importer.pid, signal.SIGKILL)
        assert importer.wait(timeout=30) == -signal.SIGKILL, "the import ended before it was killed"
    finally:
        stop_import(importer, feeder)
    before = acked_keys(acked)
    assert 600 <= len(before) <= N - BATCH
    node.stop()
    held = check_store(node.folder)
    assert all(held.get((o, r)) == v for o, r, v in before)
    # Every record the node stored has its search row: no half-written seizure.
    conn = sqlite3.connect(node.folder / "data" / "node.db")
    assert conn.execute("SELECT COUNT(*) FROM seizures").fetchone()[0] == len(held)
    conn.close()
