"""Named schema steps, applied once each, in order, inside one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

MIGRATIONS: list[tuple[str, Callable[["sqlite_utils.Database"], None]]] = []


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


def applied(conn: sqlite3.Connection) -> list[str]:
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = '_migrations'").fetchone():
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection) -> list[str]:
    """Apply every migration not yet applied; return the names applied now."""
    if set(applied(conn)) >= {name for name, _ in MIGRATIONS}:
        return []  # nothing to do: a node that restarts need not load sqlite-utils at all
    import sqlite_utils

    db = sqlite_utils.Database(conn)
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
