"""The SQL of listing security events (the table is written by db.security_event_txn)."""

from __future__ import annotations

import sqlite3

COLUMNS = ("id", "at", "kind", "peer", "origin", "record_id", "detail")


def list_security_events(conn: sqlite3.Connection, *, since: str = "", kind: str = "", after_id: int = 0,
                         limit: int = 100) -> list[dict]:
    """Security events with an id above `after_id`, oldest first, at most `limit`; only those at or after
    `since` (stored form: UTC, microseconds, Z: it compares as text) and of `kind`, where given."""
    where, params = ["id > ?"], [min(after_id, 2**63 - 1)]  # a uint64 from the wire; SQLite's are signed
    if since:
        where.append("at >= ?")
        params.append(since)
    if kind:
        where.append("kind = ?")
        params.append(kind)
    rows = conn.execute(
        f"SELECT {', '.join(COLUMNS)} FROM security_events WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
        (*params, limit),
    ).fetchall()
    return [{c: (v if v is not None else ("" if c != "id" else 0)) for c, v in zip(COLUMNS, r)} for r in rows]
