"""The web interface's users, grants and sessions (m0010_web): plain reads and *_txn writes."""

from __future__ import annotations

import sqlite3

_USER_COLUMNS = ("name", "role", "password_hash", "totp_secret", "totp_last_step", "all_operations", "disabled",
                 "failed", "last_failed_at", "locked_until", "created_at")


def get_user(conn: sqlite3.Connection, name: str) -> dict | None:
    row = conn.execute(f"SELECT {', '.join(_USER_COLUMNS)} FROM web_users WHERE name = ?", (name,)).fetchone()
    if row is None:
        return None
    user = dict(zip(_USER_COLUMNS, row))
    user["operations"] = grants(conn, name)
    return user


def list_users(conn: sqlite3.Connection) -> list[dict]:
    names = [r[0] for r in conn.execute("SELECT name FROM web_users ORDER BY name")]
    return [get_user(conn, n) for n in names]


def grants(conn: sqlite3.Connection, name: str) -> list[str]:
    return [r[0] for r in conn.execute("SELECT operation_id FROM web_grants WHERE name = ? ORDER BY operation_id",
                                       (name,))]


def add_user_txn(conn: sqlite3.Connection, *, name: str, role: str, password_hash: str, totp_secret: str,
                 all_operations: bool, operations: list[str], created_at: str) -> None:
    conn.execute("INSERT INTO web_users (name, role, password_hash, totp_secret, all_operations, created_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)", (name, role, password_hash, totp_secret, int(all_operations), created_at))
    grant_txn(conn, name, operations, all_operations)


def grant_txn(conn: sqlite3.Connection, name: str, operations: list[str], all_operations: bool) -> None:
    conn.executemany("INSERT OR IGNORE INTO web_grants (name, operation_id) VALUES (?, ?)",
                     [(name, op) for op in operations])
    if all_operations:
        conn.execute("UPDATE web_users SET all_operations = 1 WHERE name = ?", (name,))


def set_disabled_txn(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("UPDATE web_users SET disabled = 1 WHERE name = ?", (name,))
    conn.execute("DELETE FROM web_sessions WHERE name = ?", (name,))


def set_password_txn(conn: sqlite3.Connection, name: str, password_hash: str) -> None:
    conn.execute("UPDATE web_users SET password_hash = ?, failed = 0, locked_until = 0 WHERE name = ?",
                 (password_hash, name))
    conn.execute("DELETE FROM web_sessions WHERE name = ?", (name,))


def login_failed_txn(conn: sqlite3.Connection, name: str, now: float, lock_after: int, lock_seconds: float) -> None:
    conn.execute("UPDATE web_users SET failed = failed + 1, last_failed_at = ?, "
                 "locked_until = CASE WHEN failed + 1 >= ? THEN ? ELSE locked_until END WHERE name = ?",
                 (now, lock_after, now + lock_seconds, name))


def login_ok_txn(conn: sqlite3.Connection, name: str, totp_step: int) -> None:
    conn.execute("UPDATE web_users SET failed = 0, locked_until = 0, "
                 "totp_last_step = MAX(totp_last_step, ?) WHERE name = ?", (totp_step, name))


def session_create_txn(conn: sqlite3.Connection, id_hash: bytes, name: str, csrf: str, now: float) -> None:
    conn.execute("INSERT INTO web_sessions (id_hash, name, csrf, created, seen) VALUES (?, ?, ?, ?, ?)",
                 (id_hash, name, csrf, now, now))


def get_session(conn: sqlite3.Connection, id_hash: bytes) -> dict | None:
    row = conn.execute("SELECT name, csrf, created, seen FROM web_sessions WHERE id_hash = ?", (id_hash,)).fetchone()
    return dict(zip(("name", "csrf", "created", "seen"), row)) if row else None


def session_seen_txn(conn: sqlite3.Connection, id_hash: bytes, now: float) -> None:
    conn.execute("UPDATE web_sessions SET seen = ? WHERE id_hash = ?", (now, id_hash))


def session_delete_txn(conn: sqlite3.Connection, id_hash: bytes) -> None:
    conn.execute("DELETE FROM web_sessions WHERE id_hash = ?", (id_hash,))


def sessions_expire_txn(conn: sqlite3.Connection, idle_before: float, created_before: float) -> int:
    return conn.execute("DELETE FROM web_sessions WHERE seen < ? OR created < ?",
                        (idle_before, created_before)).rowcount
