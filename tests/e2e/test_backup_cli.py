"""`rilo-node backup` and `rilo-node restore` against a real `rilo-node serve` process."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import time

import pytest

from rilo_node.api.services import stored_to_pb
from rilo_node.core.signing import Keyring, SigningKey, verify_record
from rilo_node.store.db import Store
from tests.conftest import seizure_example
from tests.e2e.conftest import RILO, run_cli

pytestmark = pytest.mark.slow


def rid(n: int) -> str:
    return f"01JQ6ZK00000000000000{n:05d}"


def count(db) -> int:
    """Records in a store file, read-only (a connection left open would keep `restore` out)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_importing_then_restore_refuses_while_serving_and_what_is_not_this_nodes_store(
        served_node, tmp_path):
    node = served_node("de")
    config = node.folder / "node.toml"
    first = tmp_path / "first.jsonl"
    first.write_text("".join(json.dumps(seizure_example(record_id=rid(i), case_ref=f"first-{i}")) + "\n"
                             for i in range(200)))
    node.cli("seizure", "import", first, "--quiet", check=True)
    more = tmp_path / "more.jsonl"
    more.write_text("".join(json.dumps(seizure_example(record_id=rid(1000 + i), case_ref=f"more-{i}")) + "\n"
                            for i in range(3000)))
    # An import of small batches runs while the backup is taken (once it has stored some).
    importer = subprocess.Popen([*RILO, "seizure", "import", more, "--batch", "20", "--quiet",
                                 "--node-dir", node.folder], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    db = node.folder / "data" / "node.db"
    try:
        deadline = time.monotonic() + 60
        while count(db) < 300 and importer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        backup = tmp_path / "b" / "de.db"
        backup.parent.mkdir()
        made = run_cli("backup", "--config", config, "--to", backup, "--json", check=True)
    finally:
        importer.wait(timeout=120)
    assert importer.returncode == 0, importer.stderr.read()
    info = json.loads(made.stdout)
    assert info["records"] == info["own_records"] >= 300 and info["last_seq"] >= 300
    assert info["bytes"] == backup.stat().st_size
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert sorted(p.name for p in backup.parent.iterdir()) == ["de.db"]  # no .tmp left, no -wal

    # The backup is a store a node opens: every record verifies, every search row has its record.
    copy = tmp_path / "opened.db"
    copy.write_bytes(backup.read_bytes())
    store = Store(copy)
    try:
        assert store.reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert store.integrity_problems() == []
        ring = Keyring()
        ring.add("de", SigningKey.from_pem("de", (node.folder / "keys" / "signing.key").read_bytes()).public_raw)
        held = 0
        for rec in store.iter_records():
            verify_record(stored_to_pb(rec), ring)
            held += 1
        assert held == info["records"]
        assert store.reader.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == held
    finally:
        store.close()

    # Stored after the backup, whenever the import ended.
    late = tmp_path / "late.json"
    late.write_text(json.dumps(seizure_example(record_id=rid(9000), case_ref="late")))
    node.cli("seizure", "add", "--file", late, check=True)

    # Not over an existing file without --force.
    again = run_cli("backup", "--config", config, "--to", backup)
    assert again.returncode == 2 and "--force" in again.stderr

    # A node that serves is not restored under its feet.
    refused = run_cli("restore", "--config", config, "--from", backup)
    assert refused.returncode == 1 and "is serving" in refused.stderr
    node.stop()
    records_before = count(db)
    assert records_before > info["records"]

    # Only a store of this node is put in place.
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("not a database\n")
    other_sqlite = tmp_path / "other.db"
    conn = sqlite3.connect(other_sqlite)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    for bad, says in ((not_sqlite, "not an SQLite database"), (other_sqlite, "not a RILO Net store"),
                      (tmp_path / "missing.db", "no such file")):
        out = run_cli("restore", "--config", config, "--from", bad)
        assert out.returncode == 2 and says in out.stderr, out.stderr
    kr = tmp_path / "kr"
    run_cli("init", "--id", "kr", "--dir", kr, check=True)
    kr_backup = tmp_path / "kr.db"
    store = Store(kr / "data" / "node.db")
    store.close()
    run_cli("backup", "--config", kr / "node.toml", "--to", kr_backup, check=True)
    conn = sqlite3.connect(kr_backup)
    conn.execute("INSERT INTO records (origin, record_id, version, kind, created_at, key_id, header, signature, "
                 "received_at) VALUES ('kr', 'X', 1, 1, 't', 'k', x'00', x'00', 't')")
    conn.commit()
    conn.close()
    out = run_cli("restore", "--config", config, "--from", kr_backup)
    assert out.returncode == 2 and "the store of node kr, not of de" in out.stderr
    assert count(db) == records_before

    restored = run_cli("restore", "--config", config, "--from", backup, "--json", check=True)
    done = json.loads(restored.stdout)
    assert done["records"] == info["records"] and done["set_aside"]
    assert count(done["set_aside"]) == records_before
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert done["seq_continues_after"] >= records_before

    node.start()
    status = json.loads(node.cli("status", "--json", check=True).stdout)
    assert status["records_held"] == info["records"]
    # Its peers are not running, so it cannot catch up: own writes wait (a version signed now could fork
    # one only a peer holds), said plainly; tests/cluster/test_backup_restore.py stores on after catch-up.
    one = tmp_path / "one.json"
    one.write_text(json.dumps(seizure_example(record_id=rid(0), case_ref="first-0")))
    waiting = node.cli("seizure", "add", "--file", one)
    assert waiting.returncode == 1 and "catching up" in waiting.stderr and "Traceback" not in waiting.stderr
