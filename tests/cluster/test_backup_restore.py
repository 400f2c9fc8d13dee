"""Backup and restore over real nodes (docs/operator-guide.md#backing-up-and-restoring): a backup taken
while the node stores is one consistent snapshot; a restored node fetches back from its peers what it
lost, its own records included, and a seizure sent again after the restore finds its key."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time

import grpc
import pytest

from rilo_node.api.services import stored_to_pb
from rilo_node.cli.main import main
from rilo_node.core.seizure import parse_submission
from rilo_node.core.signing import Keyring, verify_record
from rilo_node.pb.rilo.v1 import node_pb2
from rilo_node.store import backup as bk
from rilo_node.store.db import Store
from tests.cluster.harness import member_seizure
from tests.conftest import seizure_example


def rid(n: int) -> str:
    return f"01JQ6ZK00000000000000{n:05d}"


def rows(db, upto: int | None = None) -> set[tuple]:
    """(seq, origin, record_id, version, signature) of a store's records, read-only."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {r for r in conn.execute("SELECT seq, origin, record_id, version, signature FROM records")
                if upto is None or r[0] <= upto}
    finally:
        conn.close()


def verify_store(path, keyring: Keyring) -> Store:
    """Open a store file as a node would and check it: SQLite's integrity check, every search row
    matches a live record and back, every record's signature verifies."""
    store = Store(path)
    assert store.reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.integrity_problems() == []
    for rec in store.iter_records():
        verify_record(stored_to_pb(rec), keyring)
    return store


def keyring_of(cluster) -> Keyring:
    ring = Keyring()
    for node_id, folder in cluster.folders.items():
        ring.add(node_id, folder.signing_key.public_raw)
    return ring


def submit(client, seizure: dict) -> node_pb2.SubmitSeizureResponse:
    return client.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=parse_submission(seizure)),
                                        timeout=30)


def test_a_backup_taken_while_the_node_stores_is_one_consistent_snapshot_that_verifies(make_cluster, directory,
                                                                                         tmp_path):
    c = make_cluster(["de", "rilo-we"])
    de = c.nodes["de"]
    assert de.jobs.scheduler.get_job("catch-up") is None  # a store never restored
    with c.client("de") as client:
        for i in range(150):  # a store of some pages, so that the copy takes many steps
            submit(client, seizure_example(record_id=rid(i), case_ref=f"before-{i}", description="x" * 500))
    stop = threading.Event()
    submitted: list[str] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            with c.client("de") as client:
                i = 1000
                while not stop.is_set():
                    submit(client, seizure_example(record_id=rid(i), case_ref=f"during-{i}"))
                    submitted.append(rid(i))
                    i += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    steps: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        # Between two steps of the copy, wait for the node to commit something new: the copy is
        # certainly taken while the node writes, on any machine.
        steps.append((done, total))
        seen = de.store.last_seq()
        deadline = time.monotonic() + 5
        while de.store.last_seq() == seen and time.monotonic() < deadline:
            time.sleep(0.002)

    thread = threading.Thread(target=ingest, daemon=True)
    thread.start()
    try:
        c.wait_for(lambda: len(submitted) < 3 and "ingest not started", what="ingest")
        target = tmp_path / "backups" / "de.db"
        target.parent.mkdir()
        seq_before = de.store.last_seq()
        summary = bk.backup(de.config.db_path, target, "de", progress=progress, step_pages=4)
        seq_after = de.store.last_seq()
    finally:
        stop.set()
        thread.join(30)
    assert not errors, errors
    assert len(steps) > 10 and steps[-1][0] == steps[-1][1]
    # The node kept storing while the copy went on, and the copy is the snapshot of when it began.
    assert seq_after - seq_before >= len(steps) // 2
    assert seq_before <= summary.last_seq < seq_after
    # Written to FILE.tmp and renamed: no temporary left, the file private, one self-contained file.
    assert sorted(p.name for p in target.parent.iterdir()) == ["de.db"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert summary.records == summary.own and summary.last_seq >= 150

    # One snapshot: exactly the records the node held up to the backup's last seq (a torn copy would
    # miss some, or hold rows from later commits), no more.
    assert rows(target) == rows(de.config.db_path, upto=summary.last_seq)
    copy = tmp_path / "opened.db"
    copy.write_bytes(target.read_bytes())
    store = verify_store(copy, keyring_of(c))
    try:
        assert store.counts("de")["records"] == summary.records
        # Every submission its record, and the reverse: nothing half-written.
        assert store.reader.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == summary.records
    finally:
        store.close()


def test_a_restored_node_catches_up_from_its_peer_and_a_seizure_sent_again_finds_its_key(make_cluster, directory,
                                                                                         tmp_path, capsys):
    c = make_cluster(["de", "rilo-we"])
    de_db = c.nodes["de"].config.db_path
    with c.client("de") as client:
        for i in range(5):
            submit(client, seizure_example(record_id=rid(i), case_ref=f"before-{i}"))
    backup_file = tmp_path / "de-backup.db"
    assert main(["backup", "--config", str(c.folders["de"].config), "--to", str(backup_file)]) == 0
    assert "records held: 5 (own 5), last seq 5" in capsys.readouterr().out

    # After the backup: new own seizures (with and without an annex), a correction of an older one,
    # and records of the peer.
    after = {rid(10 + i): seizure_example(record_id=rid(10 + i), case_ref=f"after-{i}") for i in range(4)}
    after |= {rid(20 + i): member_seizure("de", directory, record_id=rid(20 + i), case_ref=f"plain-{i}")
              for i in range(4)}
    with c.client("de") as client:
        for s in after.values():
            assert submit(client, s).created
        corrected = client.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(
            record_id=rid(0), submission=parse_submission(seizure_example(record_id=rid(0), case_ref="fixed"))))
    assert corrected.key.version == 2
    theirs = [c.submit("rilo-we", member_seizure("rilo-we", directory, case_ref=f"we-{i}")) for i in range(3)]
    lost = {("de", r) for r in after} | {("rilo-we", k.record_id) for k in theirs}
    c.wait_for(lambda: [k for k in lost if k[0] == "de" and k not in c.holdings("rilo-we")], what="replicated")
    c.wait_for(lambda: [k for k in lost if k not in c.holdings("de")], what="replicated")
    highest = c.nodes["de"].store.last_seq()
    checkpoint_before = c.nodes["de"].network.link("rilo-we").checkpoint

    c.stop("de")
    assert main(["restore", "--config", str(c.folders["de"].config), "--from", str(backup_file)]) == 0
    out = capsys.readouterr().out
    assert "records held: 5 (own 5), last seq 5" in out and f"numbered after {highest}" in out
    # The replaced store is kept aside (with its -wal and -shm, if the stop left them, under the same name).
    aside = [p for p in de_db.parent.iterdir() if p.name.startswith("node.db.before-restore-")
             and not p.name.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and max(r[0] for r in rows(aside[0])) == highest
    assert sorted(p.name for p in de_db.parent.iterdir() if p.name.startswith("node.db")
                  and not p.name.startswith("node.db.before-restore-")) == ["node.db"]
    assert stat.S_IMODE(de_db.stat().st_mode) == 0o600
    assert {k for k in c.holdings("rilo-we")} >= lost  # what the restore lost is still at the peer

    conn = sqlite3.connect(de_db)
    # No row: the backup was made before any message of the peer's feed came (its feed sends nothing for
    # records that came from here); the pull then starts from 0, as store.db.checkpoint_of reads it.
    row = conn.execute("SELECT seq FROM checkpoints WHERE peer = 'rilo-we'").fetchone()
    restored_checkpoint = row[0] if row else 0
    conn.close()
    assert restored_checkpoint < checkpoint_before  # so the peer's feed sends again what came since

    started = time.monotonic()
    de = c.restart("de")
    assert de.jobs.scheduler.get_job("catch-up") is not None  # only after a restore
    # The peer's feed, from the older checkpoint, brings its own newer records again; the catch-up
    # after the restore (anti-entropy at once) brings this node's own records signed after the backup.
    c.wait_for(lambda: [k for k in lost if k not in c.holdings("de")], timeout=30, what="caught up")
    c.wait_for(lambda: c.holdings("de")[("de", rid(0))]["version"] != 2 and "correction not back",
               timeout=30, what="correction back")
    caught_up = time.monotonic() - started
    assert caught_up < 30
    c.wait_for(lambda: bk.restored_at(de.store.reader) is not None and "restore not yet forgotten", timeout=30,
               what="catch-up done")
    c.wait_for(lambda: de.network.link("rilo-we").checkpoint < checkpoint_before and "feed behind", timeout=30,
               what="feed caught up")
    got = {rec.record_id: rec for rec in de.store.iter_records(origin="rilo-we")}
    assert {k.record_id for k in theirs} <= set(got)
    assert all(got[k.record_id].received_from == "rilo-we" for k in theirs)
    # The peer kept no annex of de's seizures (annex scope ORIGIN): they came back without it.
    assert not c.holdings("de")[("de", rid(10))]["annex"]

    with c.client("de") as client:
        # The same content again: the key it has, created false, and the annex is back in place.
        again = submit(client, after[rid(10)])
        assert (again.key.record_id, again.key.version, again.created) == (rid(10), 1, False)
        assert c.holdings("de")[("de", rid(10))]["annex"]
        again = submit(client, after[rid(20)])
        assert (again.key.version, again.created) == (1, False)
        # The correction made after the backup is the version held: its content finds version 2.
        again = submit(client, seizure_example(record_id=rid(0), case_ref="fixed"))
        assert (again.key.version, again.created) == (2, False)
        # Other content under a known id: ALREADY_EXISTS, nothing stored.
        for s in (dict(after[rid(11)], case_ref="other"), dict(after[rid(21)], description="other")):
            with pytest.raises(grpc.RpcError) as err:
                submit(client, s)
            assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
        # The same through SubmitSeizures.
        resp = client.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=[
            parse_submission(after[rid(11)]), parse_submission(dict(after[rid(12)], case_ref="other"))])]),
            timeout=30)
        assert (resp.results[0].key.version, resp.results[0].created, resp.results[0].code) == (1, False, 0)
        assert resp.results[1].code == grpc.StatusCode.ALREADY_EXISTS.value[0]
        # A correction of a record that came back is the next version.
        fixed = client.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(
            record_id=rid(21), submission=parse_submission(dict(after[rid(21)], description="fixed"))))
        assert fixed.key.version == 2
        # A new record after the restore is numbered above every number the peer has seen, so the
        # peer's feed takes it at once.
        new = submit(client, seizure_example(record_id=rid(40), case_ref="new"))
    assert de.store.get_record("de", rid(40)).seq > highest
    c.wait_for(lambda: ("de", rid(40)) not in c.holdings("rilo-we") and "not at the peer", timeout=10,
               what="new record at the peer")
    assert new.created
    assert c.holdings("rilo-we")[("de", rid(21))]["version"] == 2
    assert de.store.integrity_problems() == []
    for rec in de.store.iter_records():
        verify_record(stored_to_pb(rec), keyring_of(c))
    assert not [e for e in c.security_events("de") if e["kind"] == "bad_record"]
