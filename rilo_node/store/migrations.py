"""Named schema steps, applied once each, in order, inside one transaction."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

MIGRATIONS: list[tuple[str, Callable[["sqlite_utils.Database"], None]]] = []


def sqlite_utils_module():
    """sqlite-utils, loaded without numpy and pandas. Its db module imports both if they are installed
    (matplotlib brings numpy here), only to convert their types in inserts, which the store never passes:
    a node's first start took 145 ms more and held about 13 MiB more for its whole life, and every node
    forked by `cluster up` inherited them. While sqlite-utils loads, an import of either fails with
    ImportError (sqlite-utils takes that as "not installed"); a module already loaded is left as it is."""
    if "sqlite_utils.db" in sys.modules:
        import sqlite_utils

        return sqlite_utils
    blocked = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]  # import machinery: "not importable"
    try:
        import sqlite_utils
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
    return sqlite_utils


def migration(fn: Callable[["sqlite_utils.Database"], None]):
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m0001_records(db: "sqlite_utils.Database") -> None:
    # The signed bytes are the truth; everything else in this file is derived from
    # them or is local bookkeeping. Only the newest version of a record is kept: a new
    # version replaces the row and takes a new local sequence number.
    db.execute(
        """
        CREATE TABLE records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            kind INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            key_id TEXT NOT NULL,
            header BLOB NOT NULL,
            body BLOB,
            annex BLOB,
            signature BLOB NOT NULL,
            withdrawn INTEGER NOT NULL DEFAULT 0,
            retracted INTEGER NOT NULL DEFAULT 0,
            received_at TEXT NOT NULL,
            received_from TEXT,
            UNIQUE (origin, record_id)
        )
        """
    )
    db.execute("CREATE INDEX records_origin_seq ON records (origin, seq)")
    # Own submissions by record id and version: a retry with the same content finds its key.
    db["submissions"].create(
        {"record_id": str, "version": int, "submit_hash": bytes}, pk=("record_id", "version")
    )
    db["audit"].create(
        {"id": int, "at": str, "actor": str, "action": str, "query_id": str, "detail": str, "keys": str},
        pk="id",
    )
    db["security_events"].create(
        {"id": int, "at": str, "kind": str, "peer": str, "origin": str, "record_id": str, "detail": str},
        pk="id",
    )
    db["checkpoints"].create({"peer": str, "seq": int, "updated_at": str}, pk="peer")
    db["meta"].create({"key": str, "value": str}, pk="key")


@migration
def m0002_seizure_projection(db: "sqlite_utils.Database") -> None:
    # Search projections of SEIZURE bodies; `rilo-node reindex` rebuilds them from the signed bytes.
    # `id` only grows (AUTOINCREMENT), which lets the full-text index trail behind the table.
    db.execute(
        """
        CREATE TABLE seizures (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            seizure_date TEXT,
            month TEXT,
            country TEXT,
            location_type TEXT,
            direction TEXT,
            detection TEXT,
            conveyance TEXT,
            concealment TEXT,
            departure_country TEXT,
            destination_country TEXT,
            route_countries TEXT,
            ecommerce INTEGER,
            sections TEXT,
            categories TEXT,
            items INTEGER,
            description TEXT,
            commodities TEXT,
            UNIQUE (origin, record_id)
        )
        """
    )
    db.execute("CREATE INDEX seizures_date ON seizures (seizure_date)")
    db.execute("CREATE INDEX seizures_country ON seizures (country)")
    db["seizure_items"].create(
        {
            "origin": str, "record_id": str, "idx": int, "section": str, "category": str,
            "commodity": str, "quantity": float, "unit": str, "currency": str, "value_usd": float,
        },
        pk=("origin", "record_id", "idx"),
    )
    db.execute("CREATE INDEX seizure_items_section ON seizure_items (section, category)")
    # Full text over description and commodities. Indexing a row inside the ingest transaction
    # costs several times the row itself, so the index is brought up to date in bulk
    # (store.catch_up_fts_txn): before every text search, and by a periodic job. Rows up to
    # fts_state.indexed_upto are in the index; deleting such a row removes it from the index.
    db.execute(
        'CREATE VIRTUAL TABLE seizures_fts USING fts5(description, commodities, content="seizures", content_rowid="id")'
    )
    db.execute("CREATE TABLE fts_state (one INTEGER PRIMARY KEY CHECK (one = 1), indexed_upto INTEGER NOT NULL)")
    db.execute("INSERT INTO fts_state (one, indexed_upto) VALUES (1, 0)")
    db.execute(
        """
        CREATE TRIGGER seizures_fts_delete AFTER DELETE ON seizures
        WHEN old.id <= (SELECT indexed_upto FROM fts_state)
        BEGIN
            INSERT INTO seizures_fts (seizures_fts, rowid, description, commodities)
            VALUES ('delete', old.id, old.description, old.commodities);
        END
        """
    )


@migration
def m0003_replication(db: "sqlite_utils.Database") -> None:
    # (origin, record_id) whose versions before `version` this node may no longer hold.
    db["withdrawals"].create({"origin": str, "record_id": str, "version": int}, pk=("origin", "record_id"))
    # Direct deliveries owed by this node (as origin) to entitled nodes that no entitled chain reaches.
    db.execute(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            target TEXT NOT NULL,
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            last_error TEXT,
            UNIQUE (target, origin, record_id, version)
        )
        """
    )
    db.execute("CREATE INDEX outbox_due ON outbox (next_attempt_at)")


@migration
def m0004_seizure_policy(db: "sqlite_utils.Database") -> None:
    # The record's sharing policy beside its search row: statistics group by it and keep only the
    # groups the asker may discover, without parsing a header per record.
    db.execute("ALTER TABLE seizures ADD COLUMN policy BLOB")
    from rilo_node.pb.rilo.v1 import record_pb2

    rows = db.execute(
        "SELECT s.id, r.header FROM seizures s JOIN records r ON r.origin = s.origin AND r.record_id = s.record_id"
    ).fetchall()
    for sid, header in rows:
        policy = record_pb2.RecordHeader.FromString(header).policy.SerializeToString(deterministic=True)
        db.execute("UPDATE seizures SET policy = ? WHERE id = ?", (policy, sid))


@migration
def m0005_requests_and_validation(db: "sqlite_utils.Database") -> None:
    # Projections of request records (rebuilt by `rilo-node reindex` like the seizure rows).
    db.execute(
        """
        CREATE TABLE requests (
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            addressee TEXT NOT NULL,
            via_rilo TEXT NOT NULL DEFAULT '',
            assistance TEXT,
            urgency TEXT,
            subject TEXT,
            due_date TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (origin, record_id)
        )
        """
    )
    db.execute("CREATE INDEX requests_addressee ON requests (addressee)")
    # Responses, closures and notices, each naming the request it is about.
    db.execute(
        """
        CREATE TABLE request_events (
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            kind INTEGER NOT NULL,
            request_origin TEXT NOT NULL,
            request_id TEXT NOT NULL,
            status TEXT,
            created_at TEXT NOT NULL,
            PRIMARY KEY (origin, record_id)
        )
        """
    )
    db.execute("CREATE INDEX request_events_request ON request_events (request_origin, request_id)")
    # Endorsements held: a RILO's newest verdict on a member's seizure.
    db.execute(
        """
        CREATE TABLE endorsements (
            origin TEXT NOT NULL,
            record_id TEXT NOT NULL,
            seizure_origin TEXT NOT NULL,
            seizure_id TEXT NOT NULL,
            seizure_version INTEGER NOT NULL,
            body_sha256 BLOB NOT NULL,
            verdict TEXT NOT NULL,
            comments TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (origin, record_id)
        )
        """
    )
    # Not unique: after a retraction a RILO's next verdict is a new record, and a node may hold both.
    db.execute("CREATE INDEX endorsements_seizure ON endorsements (seizure_origin, seizure_id, origin)")
    # Own seizures held inside the region until the home RILO validates them (validation.required):
    # the policy they are to be published with once it does. Local bookkeeping, not a projection.
    db.execute(
        """
        CREATE TABLE held_for_validation (
            record_id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            intended_policy BLOB NOT NULL,
            published_version INTEGER
        )
        """
    )
    # Nodes an own seizure was released to (on request): a later correction or publication keeps them.
    db["releases"].create({"record_id": str, "node": str, "annex": int}, pk=("record_id", "node"))


@migration
def m0006_read_path(db: "sqlite_utils.Database") -> None:
    # Searches and statistics answered from indexes (docs/design.md#the-read-path):
    # - `policies`: every distinct (origin, signed policy) pair of the seizures held, numbered; a query
    #   decides once per pair what the asker may see and which node answers, and the SQL keeps the
    #   rows of the pairs it may answer for (`seizures.pid IN (...)`), with no Python loop over rows;
    # - `seizure_tags`: one row per section, category and route country of a seizure ('s:', 'c:', 'r:'),
    #   so those filters use an index instead of LIKE over the row;
    # - the full-text index kept current in the write transaction, so a text search never
    #   waits for the writer to catch it up;
    # - `counters`: what GetStatus reports, kept by triggers in the write transaction (no table scan).
    db.execute("CREATE TABLE policies (pid INTEGER PRIMARY KEY, origin TEXT NOT NULL, policy BLOB NOT NULL, "
               "UNIQUE (origin, policy))")
    db.execute("ALTER TABLE seizures ADD COLUMN pid INTEGER")
    db.execute("INSERT OR IGNORE INTO policies (origin, policy) SELECT DISTINCT origin, COALESCE(policy, x'') "
               "FROM seizures")
    db.execute("UPDATE seizures SET pid = (SELECT p.pid FROM policies p WHERE p.origin = seizures.origin "
               "AND p.policy = COALESCE(seizures.policy, x''))")
    db.execute("CREATE INDEX seizures_order ON seizures (seizure_date DESC, origin, record_id)")
    db.execute("CREATE INDEX seizures_departure ON seizures (departure_country)")
    db.execute("CREATE INDEX seizures_destination ON seizures (destination_country)")
    db.execute("CREATE INDEX seizures_origin_date ON seizures (origin, seizure_date)")
    db.execute("CREATE INDEX seizures_pid ON seizures (pid)")
    db.execute("CREATE TABLE seizure_tags (tag TEXT NOT NULL, sid INTEGER NOT NULL, PRIMARY KEY (tag, sid)) "
               "WITHOUT ROWID")
    db.execute("CREATE INDEX seizure_tags_sid ON seizure_tags (sid)")
    for prefix, column in (("s:", "sections"), ("c:", "categories"), ("r:", "route_countries")):
        rows = db.execute(f"SELECT id, {column} FROM seizures").fetchall()
        db.conn.executemany("INSERT OR IGNORE INTO seizure_tags (tag, sid) VALUES (?, ?)",
                            [(prefix + v, sid) for sid, text in rows for v in (text or "").split()])
    db.execute("CREATE TRIGGER seizure_tags_delete AFTER DELETE ON seizures BEGIN "
               "DELETE FROM seizure_tags WHERE sid = old.id; END")
    # Full text: index every row now; from now on every insert writes its row (store.db, with one
    # executemany per batch: an insert trigger would make FTS5 flush a segment per row) and every
    # delete removes it (trigger).
    db.execute("DROP TRIGGER seizures_fts_delete")
    db.execute("INSERT INTO seizures_fts (seizures_fts) VALUES ('rebuild')")
    db.execute("UPDATE fts_state SET indexed_upto = (SELECT COALESCE(MAX(id), 0) FROM seizures)")
    db.execute("CREATE TRIGGER seizures_fts_delete AFTER DELETE ON seizures BEGIN "
               "INSERT INTO seizures_fts (seizures_fts, rowid, description, commodities) "
               "VALUES ('delete', old.id, old.description, old.commodities); END")
    # Counters: per origin, the records held and those withdrawn; and the security events.
    db.execute("CREATE TABLE origin_counts (origin TEXT PRIMARY KEY, records INTEGER NOT NULL DEFAULT 0, "
               "withdrawn INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")
    db.execute("INSERT INTO origin_counts (origin, records, withdrawn) SELECT origin, COUNT(*), SUM(withdrawn) "
               "FROM records GROUP BY origin")
    db.execute("CREATE TRIGGER records_count_insert AFTER INSERT ON records BEGIN "
               "INSERT INTO origin_counts (origin, records, withdrawn) VALUES (new.origin, 1, new.withdrawn) "
               "ON CONFLICT (origin) DO UPDATE SET records = records + 1, withdrawn = withdrawn + new.withdrawn; END")
    db.execute("CREATE TRIGGER records_count_delete AFTER DELETE ON records BEGIN "
               "UPDATE origin_counts SET records = records - 1, withdrawn = withdrawn - old.withdrawn "
               "WHERE origin = old.origin; END")
    db.execute("CREATE TRIGGER records_count_withdrawn AFTER UPDATE OF withdrawn ON records "
               "WHEN new.withdrawn != old.withdrawn BEGIN "
               "UPDATE origin_counts SET withdrawn = withdrawn + new.withdrawn - old.withdrawn "
               "WHERE origin = old.origin; END")
    db.execute("CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("INSERT INTO counters (name, n) SELECT 'security_events', COUNT(*) FROM security_events")
    db.execute("CREATE TRIGGER security_events_count_insert AFTER INSERT ON security_events BEGIN "
               "UPDATE counters SET n = n + 1 WHERE name = 'security_events'; END")
    db.execute("CREATE TRIGGER security_events_count_delete AFTER DELETE ON security_events BEGIN "
               "UPDATE counters SET n = n - 1 WHERE name = 'security_events'; END")
    # Anti-entropy digests kept in the write transaction: per (policy pair, bucket) the count and XOR of
    # the key hashes of the live records held, so that the digest of the records two nodes may both
    # hold is a sum over the pairs that entitle both, never a pass over the store
    # (docs/protocol.md#anti-entropy). Each record carries its pair number, bucket and key hash
    # (two signed 64-bit halves); XOR is written (a | b) - (a & b), which SQLite integers allow.
    from rilo_node.core.replication import bucket_of, key_hash
    from rilo_node.pb.rilo.v1 import record_pb2

    for column in ("pid", "bucket", "h1", "h2"):
        db.execute(f"ALTER TABLE records ADD COLUMN {column} INTEGER")
    pids: dict[tuple[str, bytes], int] = {}
    updates = []
    for seq, origin, record_id, version, header in db.execute(
            "SELECT seq, origin, record_id, version, header FROM records").fetchall():
        policy = record_pb2.RecordHeader.FromString(header).policy.SerializeToString(deterministic=True)
        if (origin, policy) not in pids:
            db.execute("INSERT OR IGNORE INTO policies (origin, policy) VALUES (?, ?)", (origin, policy))
            pids[(origin, policy)] = db.execute("SELECT pid FROM policies WHERE origin = ? AND policy = ?",
                                                (origin, policy)).fetchone()[0]
        h = key_hash(origin, record_id, version)
        updates.append((pids[(origin, policy)], bucket_of(origin, record_id), int.from_bytes(h[:8], "big", signed=True),
                        int.from_bytes(h[8:], "big", signed=True), seq))
    db.conn.executemany("UPDATE records SET pid = ?, bucket = ?, h1 = ?, h2 = ? WHERE seq = ?", updates)
    db.execute("CREATE INDEX records_pid_bucket ON records (pid, bucket)")
    db.execute("CREATE TABLE pid_digests (pid INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL, "
               "x1 INTEGER NOT NULL, x2 INTEGER NOT NULL, PRIMARY KEY (pid, bucket)) WITHOUT ROWID")
    upsert = ("INSERT INTO pid_digests (pid, bucket, n, x1, x2) VALUES ({pid}, {bucket}, {n}, {h1}, {h2}) "
              "ON CONFLICT (pid, bucket) DO UPDATE SET n = n + excluded.n, "
              "x1 = (x1 | excluded.x1) - (x1 & excluded.x1), x2 = (x2 | excluded.x2) - (x2 & excluded.x2)")
    live = db.execute("SELECT pid, bucket, h1, h2 FROM records WHERE withdrawn = 0 AND pid IS NOT NULL").fetchall()
    db.conn.executemany(upsert.format(pid="?", bucket="?", n=1, h1="?", h2="?"), live)
    db.execute("CREATE TRIGGER records_digest_insert AFTER INSERT ON records "
               "WHEN new.withdrawn = 0 AND new.pid IS NOT NULL BEGIN "
               + upsert.format(pid="new.pid", bucket="new.bucket", n=1, h1="new.h1", h2="new.h2") + "; END")
    db.execute("CREATE TRIGGER records_digest_delete AFTER DELETE ON records "
               "WHEN old.withdrawn = 0 AND old.pid IS NOT NULL BEGIN "
               + upsert.format(pid="old.pid", bucket="old.bucket", n=-1, h1="old.h1", h2="old.h2") + "; END")
    db.execute("CREATE TRIGGER records_digest_withdrawn AFTER UPDATE OF withdrawn ON records "
               "WHEN new.withdrawn != old.withdrawn AND new.pid IS NOT NULL BEGIN "
               + upsert.format(pid="new.pid", bucket="new.bucket", n="(old.withdrawn - new.withdrawn)",
                               h1="new.h1", h2="new.h2") + "; END")



@migration
def m0008_keys(db: "sqlite_utils.Database") -> None:
    # Key lifecycle and the signed directory (docs/protocol.md#signing-keys-over-time):
    # - `signing_keys`: every record-signing key this node ever trusted: listed by a directory
    #   (`statement` NULL) or introduced by a signed key statement; windows live in the statements;
    # - `key_revocations`: the signed revocations (the earliest `since` of a key stands);
    # - `quarantine`: held records signed by a key revoked at their date (hidden from answers, not passed on);
    # - `directories`: the signed directory versions this node applied.
    db.execute("CREATE TABLE signing_keys (key_id TEXT PRIMARY KEY, node TEXT NOT NULL, public_key BLOB NOT NULL, "
               "source TEXT NOT NULL, valid_from TEXT, statement BLOB, signature BLOB, signer_key_id TEXT, "
               "added_at TEXT NOT NULL)")
    db.execute("CREATE TABLE key_revocations (key_id TEXT PRIMARY KEY, since TEXT NOT NULL, revoked_by TEXT NOT NULL, "
               "revocation BLOB NOT NULL, signature BLOB NOT NULL, signer_key_id TEXT NOT NULL, added_at TEXT NOT NULL)")
    db.execute("CREATE TABLE quarantine (origin TEXT NOT NULL, record_id TEXT NOT NULL, version INTEGER NOT NULL, "
               "key_id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (origin, record_id)) WITHOUT ROWID")
    db.execute("CREATE TABLE directories (version INTEGER PRIMARY KEY, issued_at TEXT NOT NULL, document BLOB NOT NULL, "
               "signature BLOB NOT NULL, key_id TEXT NOT NULL, applied_at TEXT NOT NULL)")


@migration
def m0007_operations(db: "sqlite_utils.Database") -> None:
    # Operations (docs/protocol.md#operations): the (origin, policy) pairs whose share scope is GROUP,
    # with the operation they name, written with the pair (store/db.py pid_txn). A group's records are
    # the records (and seizures) whose pid is listed here: messages, `search --group`, the counts of
    # `op show` and `op report`, and the withdrawals a member applies when it leaves the group.
    db.execute("CREATE TABLE policy_groups (pid INTEGER PRIMARY KEY, operation_id TEXT NOT NULL)")
    db.execute("CREATE INDEX policy_groups_by_operation ON policy_groups (operation_id)")


@migration
def m0009_hitcheck(db: "sqlite_utils.Database") -> None:
    # Hit/no-hit (docs/design.md#hitno-hit-on-identifiers): the blind evaluations this node answered to
    # each asking node per UTC day, against hitcheck.quota_per_day. Nothing of what was asked is kept.
    db.execute("CREATE TABLE hitcheck_quota (asker TEXT NOT NULL, day TEXT NOT NULL, used INTEGER NOT NULL, "
               "PRIMARY KEY (asker, day)) WITHOUT ROWID")


@migration
def m0010_web(db: "sqlite_utils.Database") -> None:
    # The web interface (docs/web.md): its users (Argon2id hashes, role, TOTP secret, failed logins and
    # the lock they lead to), their operation grants, and server-side sessions (the sha256 of the
    # session id, never the id); the audit names the web user where a person did it.
    db.execute("CREATE TABLE web_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, "
               "totp_secret TEXT NOT NULL DEFAULT '', totp_last_step INTEGER NOT NULL DEFAULT 0, "
               "all_operations INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0, "
               "failed INTEGER NOT NULL DEFAULT 0, last_failed_at REAL NOT NULL DEFAULT 0, "
               "locked_until REAL NOT NULL DEFAULT 0, created_at TEXT NOT NULL)")
    db.execute("CREATE TABLE web_grants (name TEXT NOT NULL, operation_id TEXT NOT NULL, "
               "PRIMARY KEY (name, operation_id)) WITHOUT ROWID")
    db.execute("CREATE TABLE web_sessions (id_hash BLOB PRIMARY KEY, name TEXT NOT NULL, csrf TEXT NOT NULL, "
               "created REAL NOT NULL, seen REAL NOT NULL)")
    db.execute("CREATE INDEX web_sessions_by_name ON web_sessions (name)")
    db.execute('ALTER TABLE audit ADD COLUMN "user" TEXT')


@migration
def m0011_group_leaves(db: "sqlite_utils.Database") -> None:
    # The group records a member withdrew here when it left an operation (node/operations.py _leave_txn),
    # with the version it refuses from: taken back, and the records fetched again, if it rejoins.
    db.execute("CREATE TABLE group_leaves (operation_id TEXT NOT NULL, origin TEXT NOT NULL, "
               "record_id TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (operation_id, origin, record_id)) "
               "WITHOUT ROWID")


@migration
def m0012_hitcheck_journal(db: "sqlite_utils.Database") -> None:
    # The journal of hit-check answers (node/answer_journal.py): how far into which of its files the store
    # holds the answers' audit lines and counts. One row.
    db.execute("CREATE TABLE hitcheck_journal (gen INTEGER NOT NULL, upto INTEGER NOT NULL)")


@migration
def m0013_seizure_facts(db: "sqlite_utils.Database") -> None:
    # Statistics by section or category (store/search.py counts) read one narrow row per seizure and
    # (section, category) of its items, the seizure's filter columns beside it, through covering indexes:
    # the work grows with the rows that match, not with the seizures held or the width of their rows.
    # Written with the seizure's search rows (store/db.py); deleted and re-pointed with them by trigger.
    db.execute("CREATE TABLE seizure_facts (sid INTEGER NOT NULL, section TEXT NOT NULL, category TEXT NOT NULL, "
               "pid INTEGER NOT NULL, seizure_date TEXT, country TEXT, departure_country TEXT, "
               "destination_country TEXT, items INTEGER NOT NULL, PRIMARY KEY (sid, section, category)) "
               "WITHOUT ROWID")
    db.execute("CREATE INDEX seizure_facts_category ON seizure_facts (category, departure_country, pid, seizure_date, "
               "country, destination_country, items)")
    db.execute("CREATE INDEX seizure_facts_departure ON seizure_facts (departure_country, pid, seizure_date, country, "
               "destination_country, items)")
    db.execute("INSERT INTO seizure_facts SELECT s.id, COALESCE(i.section, ''), COALESCE(i.category, ''), s.pid, "
               "s.seizure_date, s.country, s.departure_country, s.destination_country, COUNT(*) FROM seizures s "
               "JOIN seizure_items i ON i.origin = s.origin AND i.record_id = s.record_id "
               "GROUP BY s.id, COALESCE(i.section, ''), COALESCE(i.category, '')")
    db.execute("CREATE TRIGGER seizure_facts_delete AFTER DELETE ON seizures BEGIN "
               "DELETE FROM seizure_facts WHERE sid = old.id; END")
    db.execute("CREATE TRIGGER seizure_facts_pid AFTER UPDATE OF pid ON seizures WHEN new.pid IS NOT old.pid BEGIN "
               "UPDATE seizure_facts SET pid = new.pid WHERE sid = new.id; END")
    # The statistics read seizure_facts now; nothing reads items by section any more.
    db.execute("DROP INDEX seizure_items_section")
    # A search filtered by one of these columns reads its index in hit order (newest first; only the ties
    # of one date sorted), however many rows hold the value: (column, seizure_date), not (column).
    for name, column in (("seizures_country", "country"), ("seizures_departure", "departure_country"),
                         ("seizures_destination", "destination_country")):
        db.execute(f"DROP INDEX {name}")
        db.execute(f"CREATE INDEX {name} ON seizures ({column}, seizure_date)")


@migration
def m0014_hitcheck_inputs(db: "sqlite_utils.Database") -> None:
    # The OPRF inputs of the own live seizures, as the published hit-check filter holds them, and the last
    # own record's seq they take in (node/hitcheck.py): written with each publication, so that a restart
    # reads the own identifiers instead of every own record. Empty here: the first refresh reads every own
    # record once, as before.
    db.execute("CREATE TABLE hitcheck_inputs (record_id TEXT NOT NULL, input BLOB NOT NULL, "
               "PRIMARY KEY (record_id, input)) WITHOUT ROWID")
    db.execute("CREATE TABLE hitcheck_state (one INTEGER PRIMARY KEY CHECK (one = 1), seen_seq INTEGER NOT NULL)")


@migration
def m0015_drop_seizures_date(db: "sqlite_utils.Database") -> None:
    # seizures_order (seizure_date DESC, origin, record_id) serves every date range this index served:
    # one B-tree fewer to write with each search row.
    db.execute("DROP INDEX IF EXISTS seizures_date")


@migration
def m0016_audit_journal(db: "sqlite_utils.Database") -> None:
    # The journal of audit lines made durable before a reply (store/audit_journal.py): how far into which
    # of its files the `audit` table holds the lines. One row.
    db.execute("CREATE TABLE audit_journal (gen INTEGER NOT NULL, upto INTEGER NOT NULL)")


@migration
def m0017_seizures_order_pid(db: "sqlite_utils.Database") -> None:
    # A search read newest first (store/search.py) checks each row's (origin, policy) pair: with the pair in
    # the index, it reads the table only for the page it returns. At 1,000,000 rows a route country's search
    # took 60 ms read so, 17.5 ms with the pair in the index (3.3 s to build the index at that size).
    db.execute("DROP INDEX IF EXISTS seizures_order")
    db.execute("CREATE INDEX seizures_order ON seizures (seizure_date DESC, origin, record_id, pid)")


def applied(conn: sqlite3.Connection) -> list[str]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").fetchone():
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet applied; return the names applied now."""
    if set(applied(conn)) >= {name for name, _ in MIGRATIONS}:
        return []  # nothing to do: a node that restarts need not load sqlite-utils at all
    db = sqlite_utils_module().Database(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if "_migrations" not in db.table_names():
            conn.execute("CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = set(applied(conn))
        now = []
        for name, fn in MIGRATIONS:
            if name in done:
                continue
            fn(db)
            conn.execute(
                "INSERT INTO _migrations (name, applied_at) VALUES (?, ?)",
                (name, datetime.now(timezone.utc).isoformat()),
            )
            now.append(name)
        conn.execute("COMMIT")
        return now
    except BaseException:
        conn.execute("ROLLBACK")
        raise


@migration
def m0018_deferred_indexes(db: "sqlite_utils.Database") -> None:
    # A bulk load into a stopped node's store (store.db.deferred_indexes) drops the secondary indexes of the
    # record and search tables and makes them again at its end; their definitions wait here meanwhile, in
    # the drop's transaction, so that a store opened after a load that died makes them again (Store opens).
    db.execute("CREATE TABLE deferred_indexes (name TEXT PRIMARY KEY, sql TEXT NOT NULL)")
