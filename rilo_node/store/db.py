"""The node's SQLite store: one writer thread with group commit, readers on their own connections.

Functions named *_txn take a connection inside an open transaction and never commit;
`Store.write` runs them on the writer thread and returns once the batch is durable.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rilo_node.core.replication import bucket_of, key_hash
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2
from rilo_node.store import migrations
from rilo_node.store.audit_journal import AuditJournal
from rilo_node.store.priority import lower_this_thread

logger = logging.getLogger(__name__)

SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
WRITER_CACHE_KIB = 32 * 1024
# The checkpointer (Store._checkpoint_loop) copies the WAL into the database file after a commit, then
# waits this long before the next: pages written again within it are copied once.
CHECKPOINT_GAP = 0.5
WAL_PAGES = 10_000  # 40 MiB of 4 KiB pages
_STOP = object()
_LATER = object()  # a background task waits in Store._later


@dataclass(frozen=True)
class StoredRecord:
    seq: int
    origin: str
    record_id: str
    version: int
    kind: int
    created_at: str
    key_id: str
    header: bytes
    body: bytes | None
    annex: bytes | None
    signature: bytes
    withdrawn: bool
    retracted: bool
    received_from: str | None = None


RECORD_COLUMNS = _RECORD_COLUMNS = ("seq, origin, record_id, version, kind, created_at, key_id, header, body, annex, signature, "
                   "withdrawn, retracted, received_from")


def row_to_record(row) -> StoredRecord:
    return StoredRecord(
        seq=row[0], origin=row[1], record_id=row[2], version=row[3], kind=row[4], created_at=row[5],
        key_id=row[6], header=row[7], body=row[8], annex=row[9], signature=row[10],
        withdrawn=bool(row[11]), retracted=bool(row[12]), received_from=row[13],
    )


def connect(path: str | Path, synchronous: str = "FULL") -> sqlite3.Connection:
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS)}")
    if str(path) != ":memory:" and not os.path.exists(path):
        # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the same rights. Only
        # when the file does not exist yet: closing any descriptor of an open database file drops the
        # POSIX locks that this process's SQLite connections hold on it.
        try:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # another process made it a moment ago
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class Store:
    """One SQLite file (WAL). All writes go through one writer thread that commits in batches."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", batch_max: int = 512):
        self.path = Path(path)
        self.synchronous = synchronous
        self._batch_max = batch_max
        self._wconn = connect(self.path, synchronous)
        # The writer's page cache: a batch that changes more pages than it holds spills them to the WAL
        # before its commit and reads them back (SQLite's default is 2 MiB; readers keep it).
        self._wconn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KIB}")
        # Checkpoints: a thread of their own copies the WAL into the database file after commits
        # (_checkpoint_loop). The writer's own checkpoint, which lets the WAL start over, comes only every
        # WAL_PAGES pages (SQLite's default: 1,000) and finds most of them copied already.
        self._wconn.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
        if str(path) != ":memory:":
            os.chmod(self.path, 0o600)  # a store made by an older version may be readable by others
        self.applied_migrations = migrations.migrate(self._wconn)
        remake_deferred_indexes(self._wconn)  # a bulk load that did not finish (deferred_indexes)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._later: collections.deque = collections.deque()  # background tasks (submit(background=True))
        # A task that is not background and not quiet was queued since the writer last emptied its queue: a
        # batch of background tasks ends after the task it is running (_commit), and the waiting one goes next.
        self._urgent_waiting = False
        self._listeners: list[Callable[[int], None]] = []
        self._audit_sources: list[Callable[[], Any]] = []  # before_audit_read()
        self._last_notified = -1
        self._closed = False
        # Hints for the periodic jobs, so that an idle node does no work: set when a write left something
        # for them (deliveries owed: a new outbox row); each job clears its own.
        self.outbox_pending = True
        self._outbox_seq: int | None = None  # the outbox's last id seen by the writer (_commit)
        # An endorsement of an own seizure arrived (publish what it validates); a member's seizure
        # arrived at its RILO (its endorsement may have to follow a new policy).
        self.validation_pending = True
        self.endorsements_pending = True
        # Counts committed write batches: what readers derive from the store (digests) is reused while
        # it stays the same.
        self.commits = 0
        self._writer = threading.Thread(target=self._write_loop, name=f"store-writer:{self.path.name}", daemon=True)
        self._writer.start()
        self._checkpoint_due = threading.Event()
        self._stop_checkpoints = threading.Event()
        self._checkpointed = threading.Condition()
        self.checkpoints = 0  # checkpoints the checkpointer ran (wait_checkpoint)
        self._checkpointer: threading.Thread | None = None
        if str(path) != ":memory:":
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, daemon=True,
                                                  name=f"store-checkpoint:{self.path.name}")
            self._checkpointer.start()
        # Audit lines that must be durable before a reply (audit_durably): synced to a journal of their own.
        self._journal = AuditJournal(self) if str(path) != ":memory:" else None

    # -- writing -----------------------------------------------------------------

    def submit(self, fn: Callable[[sqlite3.Connection], Any], *, quiet: bool = False,
               background: bool = False) -> Future:
        """Queue fn(conn) for the writer; the future resolves once its batch has committed.

        `quiet`: fn writes only audit lines and counters, nothing derived from the records. A batch of
        quiet tasks alone leaves the hints, the commit count and the commit listeners alone (no job wakes
        for it), and commits without an fsync (synchronous=NORMAL for that commit, in WAL mode): it is in
        the WAL when the future resolves, so it survives a crash of the node, but not an OS crash or a
        power loss before the next synchronous commit or checkpoint. A batch with any other task is
        committed as every write is (synchronous, FULL by default), quiet tasks in it too.

        `background`: fn stores what replication brought (a pulled batch, a delivery, a fetch). The writer commits
        every other task queued before it takes a background one: a submission, a search's audit line
        or an operation's message does not wait behind a backlog of copies; background tasks are
        committed in batches of their own, in the order they came."""
        if self._closed:
            raise RuntimeError("store is closed")
        fut: Future = Future()
        if background:
            self._later.append((fn, fut, quiet))
            self._queue.put(_LATER)  # wakes the writer
        else:
            self._queue.put((fn, fut, quiet))
            if not quiet:
                # Set after the put: a writer that clears it and then empties the queue takes this task.
                self._urgent_waiting = True
        return fut

    def write(self, fn: Callable[[sqlite3.Connection], Any], *, quiet: bool = False,
              background: bool = False) -> Any:
        return self.submit(fn, quiet=quiet, background=background).result()

    def audit_durably(self, *, at: str, actor: Any, action: str, query_id: str = "", detail: dict | None = None,
                      keys: list | None = None, user: str = "") -> None:
        """An audit line that is durable when this returns (what a national system is about to be shown),
        without waiting for the writer: store/audit_journal.py."""
        entry = {"at": at, "actor": str(actor), "action": action, "query_id": query_id, "detail": detail or {},
                 "keys": keys or [], "user": user or getattr(actor, "user", "")}
        if self._journal is None:
            self.write(lambda conn: audit_txn(conn, **entry))
        else:
            self._journal.append(entry)

    def before_audit_read(self, flush: Callable[[], Any]) -> None:
        """Call flush() before each read of the audit: audit lines kept elsewhere for a moment (the hit
        check's answers, node/answer_journal.py) are in the table when it is read."""
        self._audit_sources.append(flush)

    def on_commit(self, listener: Callable[[int], None]) -> None:
        """Call listener(last_seq) after each commit (wakes live replication feeds)."""
        self._listeners.append(listener)

    def _write_loop(self) -> None:
        lower_this_thread()  # store/priority.py: calls being answered get the CPU first
        stopping = False
        while True:
            # Every task queued now first (a background task's wake-up token is dropped: it waits in
            # _later); the writer blocks only when no background task waits either.
            urgent = []
            self._urgent_waiting = False  # cleared before the queue is emptied (submit sets it after its put)
            try:
                item = self._queue.get(block=not self._later and not stopping)
            except queue.Empty:
                item = None
            while item is not None:
                if item is _STOP:
                    stopping = True  # what was queued before it is still committed
                elif item is not _LATER:
                    urgent.append(item)
                if len(urgent) >= self._batch_max:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    item = None
            if urgent:
                self._commit(urgent)
                continue
            later = []
            while self._later and len(later) < self._batch_max:
                later.append(self._later.popleft())
            if later:
                self._commit(later, background=True)
            elif stopping:
                return

    def _commit(self, batch: list[tuple[Callable[[sqlite3.Connection], Any], Future, bool]], *,
                background: bool = False) -> None:
        """Run one batch in one transaction and resolve its futures (the writer thread). A batch of background
        tasks ends early when a task that someone waits for is queued meanwhile (submit): what it ran is
        committed, the rest goes back to the front of the background queue, and the waiting task is next. A
        submission or a search's audit line so waits for at most one background task (a pulled message of
        up to PULL_BATCH records), not for a merged batch of hundreds."""
        conn = self._wconn
        results: list[tuple[Future, bool, Any]] = []
        quiet = all(q for _fn, _fut, q in batch)
        relaxed = quiet and self.synchronous in ("FULL", "EXTRA")
        if relaxed:
            conn.execute("PRAGMA synchronous=NORMAL")  # this commit only: no fsync (submit())
        try:
            conn.execute("BEGIN IMMEDIATE")
            for done, (fn, fut, _q) in enumerate(batch):
                if background and done and self._urgent_waiting:
                    rest, batch = batch[done:], batch[:done]
                    self._later.extendleft(reversed(rest))  # first again, in their order
                    break
                # A savepoint per task: one bad task never takes its neighbours down.
                conn.execute("SAVEPOINT task")
                try:
                    value = fn(conn)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    conn.execute("ROLLBACK TO task")
                    conn.execute("RELEASE task")
                    results.append((fut, False, exc))
                else:
                    conn.execute("RELEASE task")
                    results.append((fut, True, value))
            conn.execute("COMMIT")
            self._checkpoint_due.set()
            if not quiet:
                self.commits += 1
                # Deliveries owed: the outbox's AUTOINCREMENT counter moved (ids are never reused; an INSERT
                # OR IGNORE of a row owed already moves it too, a harmless extra look), so a commit that owes
                # nobody anything wakes no deliverer (PeerNetwork.start_delivery).
                owed = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
                if owed is not None and owed[0] != self._outbox_seq:
                    self._outbox_seq = owed[0]
                    self.outbox_pending = True
        except BaseException as exc:  # noqa: BLE001
            logger.exception("[store=%s] batch of %d failed", self.path.name, len(batch))
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            for _fn, fut, _q in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        finally:
            if relaxed:
                conn.execute(f"PRAGMA synchronous={self.synchronous}")
        if self._listeners and not quiet:
            last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
            # Only a new record wakes the feeds (not an audit entry or a checkpoint).
            if last != self._last_notified:
                self._last_notified = last
                for listener in self._listeners:
                    try:
                        listener(last)
                    except Exception:  # noqa: BLE001
                        logger.exception("commit listener failed")
        for fut, ok, value in results:
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def _checkpoint_loop(self) -> None:
        """Copy committed WAL pages into the database file (a PASSIVE checkpoint: it never waits for the
        writer or a reader, and they never wait for it), once after each burst of commits. The writer
        goes on committing meanwhile; the WAL starts over at the first write after a checkpoint that
        copied everything."""
        lower_this_thread()
        conn = connect(self.path, self.synchronous)
        try:
            while True:
                self._checkpoint_due.wait()
                if self._closed:
                    return
                self._checkpoint_due.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the next commit asks again
                    logger.warning("[store=%s] checkpoint failed: %s", self.path.name, exc)
                with self._checkpointed:
                    self.checkpoints += 1
                    self._checkpointed.notify_all()
                if self._stop_checkpoints.wait(CHECKPOINT_GAP):
                    return
        finally:
            conn.close()

    def wait_checkpoint(self, count: int, timeout: float | None = None) -> bool:
        """Wait until the checkpointer has run `count` checkpoints; False when `timeout` passed first."""
        with self._checkpointed:
            return self._checkpointed.wait_for(lambda: self.checkpoints >= count, timeout)

    def close(self, *, close_readers: bool = True) -> None:
        """Stop the writer and close the connections. Closing a reader that another thread is still
        using can crash the process (sqlite3 connections are shared across threads here), so a caller
        that could not stop its readers' threads passes close_readers=False and leaves them to the
        garbage collector."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._writer.join(timeout=30)
        if self._journal is not None:
            self._journal.close()
        if self._checkpointer is not None:
            self._stop_checkpoints.set()
            self._checkpoint_due.set()
            self._checkpointer.join(timeout=30)
        self._wconn.close()  # the last connection to close copies what is left and removes the WAL
        if not close_readers:
            return
        with self._readers_lock:
            for c in self._readers:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._readers.clear()

    # -- reading -----------------------------------------------------------------

    @property
    def reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, self.synchronous)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    @property
    def db(self):
        """A read-only sqlite_utils.Database over this thread's reader."""
        return migrations.sqlite_utils_module().Database(self.reader)

    def get_record(self, origin: str, record_id: str) -> StoredRecord | None:
        row = self.reader.execute(
            f"SELECT {_RECORD_COLUMNS} FROM records WHERE origin = ? AND record_id = ?", (origin, record_id)
        ).fetchone()
        return row_to_record(row) if row else None

    def iter_records(self, after_seq: int = 0, origin: str | None = None, batch: int = 500) -> Iterator[StoredRecord]:
        """Records in local sequence order after `after_seq`, read in pages (no long read transaction)."""
        seq = after_seq
        while True:
            if origin:
                rows = self.reader.execute(
                    f"SELECT {_RECORD_COLUMNS} FROM records WHERE origin = ? AND seq > ? ORDER BY seq LIMIT ?",
                    (origin, seq, batch),
                ).fetchall()
            else:
                rows = self.reader.execute(
                    f"SELECT {_RECORD_COLUMNS} FROM records WHERE seq > ? ORDER BY seq LIMIT ?", (seq, batch)
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield row_to_record(row)
            seq = rows[-1][0]

    def last_seq(self) -> int:
        return self.reader.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]

    def counts(self, own_origin: str) -> dict[str, int]:
        """Records held, own, withdrawn, and security events: counters the write transaction keeps (m0006)."""
        r = self.reader.execute(
            "SELECT COALESCE(SUM(records), 0), COALESCE(SUM(CASE WHEN origin = ? THEN records END), 0), "
            "COALESCE(SUM(withdrawn), 0) FROM origin_counts", (own_origin,)
        ).fetchone()
        events = self.reader.execute("SELECT n FROM counters WHERE name = 'security_events'").fetchone()
        return {"records": r[0], "own": r[1], "withdrawn": r[2], "security_events": events[0] if events else 0}

    def submission_versions(self, record_id: str) -> list[tuple[int, bytes]]:
        return self.reader.execute(
            "SELECT version, submit_hash FROM submissions WHERE record_id = ? ORDER BY version", (record_id,)
        ).fetchall()

    def audit_entries(self, after_id: int = 0, limit: int = 100) -> list[dict]:
        for flush in self._audit_sources:
            flush()
        # What was queued before now is in the table: the journal's lines (store/audit_journal.py), the
        # `disclose` lines submitted without waiting.
        self.write(lambda conn: None, quiet=True)
        rows = self.reader.execute(
            'SELECT id, at, actor, action, query_id, detail, keys, "user" FROM audit WHERE id > ? ORDER BY id LIMIT ?',
            (after_id, limit),
        ).fetchall()
        return [
            {"id": r[0], "at": r[1], "actor": r[2], "action": r[3], "query_id": r[4] or "",
             "detail": json.loads(r[5] or "{}"), "keys": json.loads(r[6] or "[]"), "user": r[7] or ""}
            for r in rows
        ]

    def security_events(self, limit: int = 100) -> list[dict]:
        """The newest events; those queued for the writer before this call (Store.submit) among them."""
        self.write(lambda conn: None, quiet=True)
        rows = self.reader.execute(
            "SELECT id, at, kind, peer, origin, record_id, detail FROM security_events ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(zip(("id", "at", "kind", "peer", "origin", "record_id", "detail"), r)) for r in rows]

    def integrity_problems(self) -> list[str]:
        """Rows that break the store's invariants (a record without its projection, or the reverse)."""
        problems = []
        for origin, record_id in self.reader.execute(
            "SELECT s.origin, s.record_id FROM seizures s LEFT JOIN records r "
            "ON r.origin = s.origin AND r.record_id = s.record_id WHERE r.seq IS NULL OR r.withdrawn = 1"
        ):
            problems.append(f"projection without a live record: {origin}/{record_id}")
        for origin, record_id in self.reader.execute(
            "SELECT r.origin, r.record_id FROM records r LEFT JOIN seizures s "
            "ON r.origin = s.origin AND r.record_id = s.record_id "
            "WHERE r.kind = 1 AND r.withdrawn = 0 AND r.retracted = 0 AND s.record_id IS NULL"
        ):
            problems.append(f"live seizure without projection: {origin}/{record_id}")
        return problems


# -- transaction steps (run on the writer) ------------------------------------------


def digest_columns(origin: str, record_id: str, version: int) -> tuple[int, int, int]:
    """(bucket, h1, h2) of a record key: its anti-entropy bucket and key hash as two signed 64-bit halves."""
    h = key_hash(origin, record_id, version)
    return bucket_of(origin, record_id), int.from_bytes(h[:8], "big", signed=True), int.from_bytes(h[8:], "big",
                                                                                                    signed=True)


def _policy_of(rec: dict) -> bytes:
    policy = rec.get("policy")
    if policy is None:
        policy = record_pb2.RecordHeader.FromString(rec["header"]).policy.SerializeToString(deterministic=True)
    return policy


def upsert_record_txn(conn: sqlite3.Connection, rec: dict, received_from: str | None, now: str, *,
                      new: bool = False) -> int:
    """Replace any older version of (origin, record_id) with rec; return its new local seq.
    `new` says the caller knows no version is held (skips the delete). `rec["policy"]`, the serialized
    policy of its header, saves parsing the header when the caller has it."""
    if not new:
        conn.execute("DELETE FROM records WHERE origin = ? AND record_id = ?", (rec["origin"], rec["record_id"]))
    policy = _policy_of(rec)
    cur = conn.execute(f"{RECORDS_INSERT} VALUES ({','.join('?' * 18)})",
                       _record_columns(rec) + (now, received_from, pid_txn(conn, rec["origin"], policy)))
    return cur.lastrowid


# The columns of a new record: those fixed by the record itself, then where and when it came and its pair.
RECORDS_INSERT = ("INSERT INTO records (origin, record_id, version, kind, created_at, key_id, header, body, annex, "
                  "signature, withdrawn, retracted, bucket, h1, h2, received_at, received_from, pid)")
# The columns of a search row given by the seizure (store/projections.py seizure_rows); its id and pair
# are set at the insert.
SEIZURE_COLUMNS = ("origin", "record_id", "version", "seizure_date", "month", "country", "location_type",
                   "direction", "detection", "conveyance", "concealment", "departure_country",
                   "destination_country", "route_countries", "ecommerce", "sections", "categories", "items",
                   "description", "commodities", "policy")
SEIZURES_INSERT = f"INSERT INTO seizures (id, pid, {', '.join(SEIZURE_COLUMNS)})"
ITEMS_INSERT = ("INSERT INTO seizure_items (origin, record_id, idx, section, category, commodity, quantity, unit, "
                "currency, value_usd)")


def _record_columns(rec: dict) -> tuple:
    return (rec["origin"], rec["record_id"], rec["version"], rec["kind"], rec["created_at"], rec["key_id"],
            rec["header"], rec["body"], rec["annex"], rec["signature"], int(rec["withdrawn"]),
            int(rec["retracted"]), *digest_columns(rec["origin"], rec["record_id"], rec["version"]))


@dataclass(frozen=True, slots=True)
class NewRows:
    """The rows of one record that no version is held of, with the search rows of a seizure, made before
    the write transaction (new_rows): the writer only numbers them and inserts them."""

    pair: tuple[str, bytes]  # (origin, serialized policy): its number in `policies`
    record: tuple  # the records columns of RECORDS_INSERT up to `retracted` and its digest columns
    seizure: tuple | None = None  # the SEIZURE_COLUMNS of its search row
    tags: tuple[str, ...] = ()
    text: tuple = ()  # (description, commodities): its full-text row
    items: tuple[tuple, ...] = ()  # its seizure_items rows
    facts: tuple[tuple, ...] = ()  # its seizure_facts rows without sid and pid: (section, category, date, countries, n)


def new_rows(rec: dict, seizure: tuple[dict, list[dict]] | None = None) -> NewRows:
    """NewRows of a record row (`rec["policy"]`, the serialized policy of its header, saves parsing it)
    and, for a live seizure, its search rows (projections.seizure_rows). Pure: runs on any thread."""
    pair = (rec["origin"], _policy_of(rec) or b"")
    if seizure is None:
        return NewRows(pair, _record_columns(rec))
    row, its = seizure
    return NewRows(
        pair, _record_columns(rec), tuple(row.get(c) for c in SEIZURE_COLUMNS), tuple(seizure_tags(row)),
        (row.get("description"), row.get("commodities")),
        tuple((row["origin"], row["record_id"], i["idx"], i["section"], i["category"], i.get("commodity"),
               i.get("quantity"), i.get("unit"), i.get("currency"), i.get("value_usd")) for i in its),
        tuple(f[1:3] + f[4:] for f in seizure_facts({"id": 0, "pid": 0, **row}, its)),
    )


def insert_new_records_txn(conn: sqlite3.Connection, rows: list[NewRows], received_from: str | None,
                           now: str) -> None:
    """The bulk path: many records none of which is held in any version (NewRows made off the writer),
    a few multi-row INSERTs per table (insert_rows). Pairs and ids of the search rows are set here; the
    counters and digests follow by trigger."""
    pids: dict = {}
    recs = []
    for r in rows:
        pid = pids.get(r.pair)
        if pid is None:
            pid = pids[r.pair] = pid_txn(conn, *r.pair)
        recs.append(r.record + (now, received_from, pid))
    insert_rows(conn, RECORDS_INSERT, recs, 18)
    seizures = [r for r in rows if r.seizure is not None]
    if not seizures:
        return
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'seizures'").fetchone()
    top = max(row[0] if row else 0, conn.execute("SELECT COALESCE(MAX(id), 0) FROM seizures").fetchone()[0])
    search, tags, text, items, facts = [], [], [], [], []
    for sid, r in enumerate(seizures, start=top + 1):
        pid = pids[r.pair]
        search.append((sid, pid) + r.seizure)
        tags += [(tag, sid) for tag in r.tags]
        text.append((sid,) + r.text)
        items += r.items
        facts += [(sid, *f[:2], pid, *f[2:]) for f in r.facts]
    insert_rows(conn, SEIZURES_INSERT, search, 2 + len(SEIZURE_COLUMNS))
    insert_rows(conn, "INSERT OR IGNORE INTO seizure_tags (tag, sid)", tags, 2)
    insert_rows(conn, "INSERT INTO seizures_fts (rowid, description, commodities)", text, 3)
    insert_rows(conn, ITEMS_INSERT, items, 10)
    insert_rows(conn, FACTS_HEAD, facts, 9)


# The tables a bulk load writes (insert_new_records_txn), whose secondary indexes it may defer.
BULK_TABLES = ("records", "seizures", "seizure_tags", "seizure_items", "seizure_facts")


@contextlib.contextmanager
def deferred_indexes(store: Store) -> Iterator[None]:
    """For a bulk load into the store of a stopped node (nothing else reads or writes it): the secondary
    indexes of BULK_TABLES are dropped, and made again in one pass each when the block ends. At 100,000
    records, inserting with them took twice as long as inserting without them and then making them (a
    sort each, where row by row every insert lands on a random page of every index). Unique indexes and
    primary keys stay, so that a load cannot store a record twice. The definitions are kept in
    `deferred_indexes` by the drop's own transaction: a store opened after a load that died part-way
    makes them again (remake_deferred_indexes), before anything reads it."""

    def drop(conn: sqlite3.Connection) -> None:
        marks = ",".join("?" * len(BULK_TABLES))
        for name, sql in conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) AND sql NOT LIKE 'CREATE UNIQUE%'", BULK_TABLES).fetchall():
            conn.execute("INSERT INTO deferred_indexes (name, sql) VALUES (?, ?)", (name, sql))
            conn.execute(f'DROP INDEX "{name}"')

    store.write(drop)
    try:
        yield
    finally:
        store.write(remake_deferred_indexes)


def remake_deferred_indexes(conn: sqlite3.Connection) -> None:
    """Make the indexes a bulk load deferred (deferred_indexes), each in the transaction that forgets it."""
    for name, sql in conn.execute("SELECT name, sql FROM deferred_indexes").fetchall():
        started = not conn.in_transaction
        if started:
            conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(sql)
            conn.execute("DELETE FROM deferred_indexes WHERE name = ?", (name,))
        except BaseException:
            if started:
                conn.execute("ROLLBACK")
            raise
        if started:
            conn.execute("COMMIT")


def insert_rows(conn: sqlite3.Connection, head: str, rows: list, width: int) -> None:
    """`head` (an INSERT up to and without VALUES) for many rows of `width` values, as few multi-row
    VALUES statements: SQLite inserts each in one step, where executemany steps (and hands the GIL
    back and forth) once per row. Chunks of 64, 32, ... 1 rows keep the distinct statements few."""
    i, n = 0, len(rows)
    one = "(" + ",".join("?" * width) + ")"
    while i < n:
        size = 64
        while size > n - i:
            size //= 2
        chunk = rows[i:i + size]
        conn.execute(f"{head} VALUES {','.join([one] * size)}", list(itertools.chain.from_iterable(chunk)))
        i += size


def held_version_txn(conn: sqlite3.Connection, origin: str, record_id: str) -> tuple[int, bool, bool] | None:
    """(version, withdrawn, has annex) of the held copy, if any."""
    row = conn.execute(
        "SELECT version, withdrawn, annex IS NOT NULL FROM records WHERE origin = ? AND record_id = ?",
        (origin, record_id),
    ).fetchone()
    return (row[0], bool(row[1]), bool(row[2])) if row else None


def delete_projection_txn(conn: sqlite3.Connection, origin: str, record_id: str) -> None:
    conn.execute("DELETE FROM seizures WHERE origin = ? AND record_id = ?", (origin, record_id))
    conn.execute("DELETE FROM seizure_items WHERE origin = ? AND record_id = ?", (origin, record_id))


def pid_txn(conn: sqlite3.Connection, origin: str, policy: bytes | None) -> int:
    """The number of the (origin, serialized policy) pair in `policies`, added when new."""
    policy = policy or b""
    row = conn.execute("SELECT pid FROM policies WHERE origin = ? AND policy = ?", (origin, policy)).fetchone()
    if row is not None:
        return row[0]
    pid = conn.execute("INSERT INTO policies (origin, policy) VALUES (?, ?)", (origin, policy)).lastrowid
    group = share_group(policy)
    if group:  # docs/protocol.md#operations: the pairs of a group's records (migration m0007_operations)
        conn.execute("INSERT INTO policy_groups (pid, operation_id) VALUES (?, ?)", (pid, group))
    return pid


def share_group(policy: bytes) -> str:
    """The operation a serialized SharingPolicy shares to (share scope GROUP), or ""."""
    if not policy:
        return ""
    try:
        msg = policy_pb2.SharingPolicy.FromString(policy)
    except Exception:  # noqa: BLE001 - not a policy: no group
        return ""
    return msg.share.group if msg.share.scope == policy_pb2.SCOPE_GROUP else ""


def seizure_tags(row: dict) -> list[str]:
    """The indexed tags of a search row: its sections, categories and route countries."""
    return ([f"s:{v}" for v in (row.get("sections") or "").split()]
            + [f"c:{v}" for v in (row.get("categories") or "").split()]
            + [f"r:{v}" for v in dict.fromkeys((row.get("route_countries") or "").split())])


# The full-text row of a search row, written with it (a delete trigger removes it).
FTS_INSERT = "INSERT INTO seizures_fts (rowid, description, commodities) VALUES (?, ?, ?)"
FACTS_HEAD = ("INSERT INTO seizure_facts (sid, section, category, pid, seizure_date, country, departure_country, "
              "destination_country, items)")
FACTS_INSERT = FACTS_HEAD + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


def seizure_facts(row: dict, items: Iterable[dict]) -> list[tuple]:
    """The rows of a search row (with its `id` and `pid`) in `seizure_facts` (migration m0013): one per
    (section, category) of its items, with how many items it has there."""
    n: dict[tuple[str, str], int] = {}
    for i in items:
        key = (i["section"] or "", i["category"] or "")
        n[key] = n.get(key, 0) + 1
    return [(row["id"], section, category, row["pid"], row.get("seizure_date"), row.get("country"),
             row.get("departure_country"), row.get("destination_country"), count)
            for (section, category), count in n.items()]


def put_projection_txn(conn: sqlite3.Connection, row: dict, items: Iterable[dict], *, new: bool = False) -> None:
    """Insert the search rows of one seizure, its tags and its full-text entry."""
    if not new:
        delete_projection_txn(conn, row["origin"], row["record_id"])
    row = {**row, "pid": pid_txn(conn, row["origin"], row.get("policy"))}
    cols = list(row)
    sid = conn.execute(
        f"INSERT INTO seizures ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
        [row[c] for c in cols],
    ).lastrowid
    conn.executemany("INSERT OR IGNORE INTO seizure_tags (tag, sid) VALUES (?, ?)",
                     [(tag, sid) for tag in seizure_tags(row)])
    conn.execute(FTS_INSERT, (sid, row.get("description"), row.get("commodities")))
    items = list(items)
    conn.executemany(
        "INSERT INTO seizure_items (origin, record_id, idx, section, category, commodity, quantity, unit, "
        "currency, value_usd) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (row["origin"], row["record_id"], i["idx"], i["section"], i["category"], i.get("commodity"),
             i.get("quantity"), i.get("unit"), i.get("currency"), i.get("value_usd"))
            for i in items
        ],
    )
    conn.executemany(FACTS_INSERT, seizure_facts({**row, "id": sid}, items))


def set_projection_policy_txn(conn: sqlite3.Connection, origin: str, record_id: str, version: int,
                              policy: bytes) -> None:
    """A new version of a seizure with the same body under another policy: its search row follows."""
    conn.execute("UPDATE seizures SET version = ?, policy = ?, pid = ? WHERE origin = ? AND record_id = ?",
                 (version, policy, pid_txn(conn, origin, policy), origin, record_id))


def add_submission_txn(conn: sqlite3.Connection, record_id: str, version: int, submit_hash: bytes) -> None:
    conn.execute(
        "INSERT INTO submissions (record_id, version, submit_hash) VALUES (?, ?, ?)", (record_id, version, submit_hash)
    )


class AuditActor(str):
    """An actor that is a person signed in to the web interface: the actor string, with the user's name
    beside it (audit_txn writes it to the `user` column). Passed through the node's services unchanged."""

    user: str = ""

    def __new__(cls, actor: str, user: str = ""):
        obj = super().__new__(cls, actor)
        obj.user = user
        return obj


def audit_txn(conn: sqlite3.Connection, *, at: str, actor: str, action: str, query_id: str = "",
              detail: dict | None = None, keys: list | None = None, user: str = "") -> None:
    user = user or getattr(actor, "user", "")
    conn.execute(
        'INSERT INTO audit (at, actor, action, query_id, detail, keys, "user") VALUES (?, ?, ?, ?, ?, ?, ?)',
        (at, str(actor), action, query_id, json.dumps(detail or {}, sort_keys=True), json.dumps(keys or []),
         user or None),
    )


def security_event_txn(conn: sqlite3.Connection, *, at: str, kind: str, peer: str = "", origin: str = "",
                       record_id: str = "", detail: str = "") -> None:
    conn.execute(
        "INSERT INTO security_events (at, kind, peer, origin, record_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (at, kind, peer, origin, record_id, detail),
    )


def rebuild_fts_txn(conn: sqlite3.Connection) -> None:
    conn.execute("INSERT INTO seizures_fts (seizures_fts) VALUES ('rebuild')")


def search_local(store: Store, where: str, args: list, limit: int) -> list[StoredRecord]:
    """Live seizures matching a WHERE clause over `seizures s`, newest seizure date first.
    The full-text index is current with every commit."""
    cols = ", ".join("r." + c.strip() for c in _RECORD_COLUMNS.split(","))
    rows = store.reader.execute(
        f"SELECT {cols} FROM seizures s JOIN records r ON r.origin = s.origin AND r.record_id = s.record_id "
        f"WHERE {where} AND r.withdrawn = 0 ORDER BY s.seizure_date DESC, s.origin, s.record_id LIMIT ?",
        [*args, limit],
    ).fetchall()
    return [row_to_record(r) for r in rows]


# -- replication bookkeeping --------------------------------------------------------


def checkpoint_of(store: Store, peer: str) -> int:
    row = store.reader.execute("SELECT seq FROM checkpoints WHERE peer = ?", (peer,)).fetchone()
    return row[0] if row else 0


def set_checkpoint_txn(conn: sqlite3.Connection, peer: str, seq: int, now: str) -> None:
    conn.execute(
        "INSERT INTO checkpoints (peer, seq, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (peer) DO UPDATE SET seq = MAX(seq, excluded.seq), updated_at = excluded.updated_at",
        (peer, seq, now),
    )


def withdrawn_through_txn(conn: sqlite3.Connection, origin: str, record_id: str) -> int | None:
    row = conn.execute("SELECT version FROM withdrawals WHERE origin = ? AND record_id = ?",
                       (origin, record_id)).fetchone()
    return row[0] if row else None


def apply_withdrawal_txn(conn: sqlite3.Connection, origin: str, record_id: str, version: int) -> bool:
    """Drop body and annex of every held version older than `version`; keep the header as a
    tombstone; remember to refuse those versions. True when a held copy was withdrawn."""
    cur = conn.execute(
        "UPDATE records SET body = NULL, annex = NULL, withdrawn = 1 "
        "WHERE origin = ? AND record_id = ? AND version < ? AND withdrawn = 0",
        (origin, record_id, version),
    )
    if cur.rowcount:
        delete_projection_txn(conn, origin, record_id)
        for table in ("requests", "request_events", "endorsements"):
            conn.execute(f"DELETE FROM {table} WHERE origin = ? AND record_id = ?", (origin, record_id))
    conn.execute(
        "INSERT INTO withdrawals (origin, record_id, version) VALUES (?, ?, ?) "
        "ON CONFLICT (origin, record_id) DO UPDATE SET version = MAX(version, excluded.version)",
        (origin, record_id, version),
    )
    return cur.rowcount > 0


def enqueue_delivery_txn(conn: sqlite3.Connection, targets, origin: str, record_id: str, version: int) -> None:
    """Owe `targets` a direct delivery (every commit raises the store's `outbox_pending` hint)."""
    conn.executemany(
        "INSERT OR IGNORE INTO outbox (target, origin, record_id, version) VALUES (?, ?, ?, ?)",
        [(t, origin, record_id, version) for t in targets],
    )


def due_deliveries(store: Store, now: float, limit: int = 2000) -> list[tuple]:
    return store.reader.execute(
        "SELECT id, target, origin, record_id, version, attempts FROM outbox WHERE next_attempt_at <= ? "
        "ORDER BY id LIMIT ?", (now, limit),
    ).fetchall()


def outbox_size(store: Store) -> int:
    return store.reader.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
