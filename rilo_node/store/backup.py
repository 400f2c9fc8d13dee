"""Online backup and restore of a node's store with SQLite's backup API.

`backup` copies a store, while the node serves, into one self-contained file: it holds a read
transaction on the source for the whole copy, so the copy is the one snapshot that transaction sees
(WAL lets the node's writer go on meanwhile), and the node's commits cannot restart it however many
steps a big store takes. `restore` checks a backup is a RILO Net store, sets the current store aside
and puts the backup in its place (the node must be stopped: the CLI checks).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rilo_node.store import migrations

logger = logging.getLogger(__name__)

# Above any sequence number a real store reaches (2**62), far below SQLite's limit (2**63).
UNREADABLE_SEQ_FLOOR = 2**62

# Pages copied per step: a progress report about every 16 MiB with SQLite's default 4 KiB pages.
STEP_PAGES = 4096

Progress = Callable[[int, int], None]  # (pages copied, pages in all)


class BackupError(Exception):
    """The source or the backup file is not what it must be (not a store, unreadable, in use)."""


@dataclass(frozen=True)
class StoreSummary:
    """What a store file holds, as `backup` and `restore` report it."""

    path: Path
    size: int  # bytes of the file
    records: int
    own: int  # records whose origin is the node (0 when no node id was given)
    last_seq: int  # the highest local sequence number of a record held
    migrations: tuple[str, ...]


def _open_ro(path: Path) -> sqlite3.Connection:
    """A read-only connection that never creates the file (sqlite3.connect would)."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)


def check_store(conn: sqlite3.Connection, path: Path) -> tuple[str, ...]:
    """The applied migrations of a RILO Net store; BackupError when `conn` is not one (another SQLite
    file, another program's database, a store of a newer version of this software)."""
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not an SQLite database ({exc})") from None
    if "_migrations" not in names or "records" not in names:
        raise BackupError(f"{path}: not a RILO Net store (it has no _migrations and records tables)")
    applied = tuple(migrations.applied(conn))
    known = [name for name, _ in migrations.MIGRATIONS]
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise BackupError(f"{path}: made by a newer version of rilo-node (unknown migrations: {', '.join(unknown)})")
    if not applied or applied != tuple(known[:len(applied)]):
        raise BackupError(f"{path}: not a RILO Net store (its migrations are {', '.join(applied) or 'none'})")
    return applied


def summarize(path: str | Path, own_origin: str = "", *, check: bool = True) -> StoreSummary:
    """Check a store file (a RILO Net store; with `check`, SQLite's quick_check) and count what it holds."""
    path = Path(path)
    conn = _open_ro(path)
    try:
        applied = check_store(conn, path)
        if check:
            problems = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
            if problems != ["ok"]:
                raise BackupError(f"{path}: damaged: {'; '.join(problems)}")
        records, own, last = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(origin = ?), 0), COALESCE(MAX(seq), 0) FROM records", (own_origin,)
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: {exc}") from None
    finally:
        conn.close()
    return StoreSummary(path, path.stat().st_size, records, own, last, applied)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_empty(path: Path) -> None:
    """An empty file only its owner may read, whatever the umask (a store holds personal data)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-journal"), Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def copy_store(source: str | Path, dest: str | Path, *, progress: Progress | None = None,
               step_pages: int = STEP_PAGES) -> None:
    """Copy the store `source` into `dest` (made 0600, replaced if it exists) as one consistent snapshot.

    The source is opened read-only and a read transaction is held on it for the whole copy: every
    step reads that one snapshot (WAL), so a node committing meanwhile neither tears the copy nor
    restarts it. The copy is left in rollback-journal mode: one self-contained file, readable even
    where no -wal/-shm file can be made beside it (the node turns WAL on again when it opens it).
    Written with fsync; `dest` is complete only when this returns (callers write to a temporary name
    and rename it)."""
    source, dest = Path(source), Path(dest)
    src = _open_ro(source)
    dst = None
    try:
        check_store(src, source)
        src.execute("BEGIN")
        # The read transaction starts at the first read: from here on `src` sees one snapshot.
        src.execute("SELECT COUNT(*) FROM _migrations").fetchone()
        _remove(dest)
        _private_empty(dest)
        dst = sqlite3.connect(str(dest), isolation_level=None)

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=step_pages, progress=report)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")
        dst.execute("PRAGMA synchronous=FULL")
        dst.close()
        dst = None
        with open(dest, "rb") as f:
            os.fsync(f.fileno())
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"copying {source} to {dest}: {exc}") from None
    finally:
        if dst is not None:
            dst.close()
        src.close()


def backup(source: str | Path, to: str | Path, own_origin: str = "", *, progress: Progress | None = None,
           step_pages: int = STEP_PAGES) -> StoreSummary:
    """Back up the store `source` (the node may be serving) to `to`: written to `to`.tmp, checked,
    fsynced, then renamed, mode 0600. Returns what the backup holds."""
    source, to = Path(source).resolve(), Path(to).resolve()
    if to in (source, Path(f"{source}-wal"), Path(f"{source}-shm")):
        raise BackupError(f"{to} is the store itself; back up to another file")
    tmp = to.with_name(to.name + ".tmp")
    try:
        copy_store(source, tmp, progress=progress, step_pages=step_pages)
        summary = summarize(tmp, own_origin)
        os.replace(tmp, to)
        _fsync_dir(to.parent)
    except BaseException:
        _remove(tmp)
        raise
    return StoreSummary(to, summary.size, summary.records, summary.own, summary.last_seq, summary.migrations)


@dataclass(frozen=True)
class Restored:
    backup: StoreSummary  # what the restored store holds
    set_aside: Path | None  # where the store it replaced went (None: there was none)
    replaced_last_seq: int  # the highest sequence number the replaced store had given out (0: unknown)


def _owners(path: Path, me: str) -> tuple[set[str], bool]:
    """Whose store this is, as far as it tells: the origins of the records it holds that came from no
    peer (its node's own), and whether it holds a record received from `me` or a checkpoint on `me`'s
    feed (then it is another node's: a node never receives from itself)."""
    conn = _open_ro(path)
    try:
        owners = {row[0] for row in conn.execute("SELECT DISTINCT origin FROM records WHERE received_from IS NULL")}
        from_me = bool(conn.execute("SELECT 1 FROM records WHERE received_from = ? LIMIT 1", (me,)).fetchone()
                       or conn.execute("SELECT 1 FROM checkpoints WHERE peer = ?", (me,)).fetchone())
        return owners, from_me
    finally:
        conn.close()


def _highest_seq_given(path: Path) -> int:
    """The highest record sequence number a store ever gave out (its AUTOINCREMENT counter, which
    outlives deleted rows). A store that cannot be read gives a floor far above any number it could
    have given, with a warning: a number reused below a peer's checkpoint would keep new records off
    that peer's feed until anti-entropy repairs it."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
            top = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM records").fetchone()[0]
            return max(row[0] if row else 0, top)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        logger.warning("the replaced store %s cannot be read (%s): new records are numbered from %d", path, exc,
                       UNREADABLE_SEQ_FLOOR)
        return UNREADABLE_SEQ_FLOOR


def restore(backup_file: str | Path, db_path: str | Path, *, stamp: str, own_origin: str = "",
            progress: Progress | None = None) -> Restored:
    """Put the backup `backup_file` in place of the store `db_path` (the node must be stopped).

    The backup must be a RILO Net store that passes quick_check. The current store, with its -wal
    and -shm files if a crash left them, is renamed to `<db>.before-restore-<stamp>` (the -wal
    keeps its pairing, so that file opens with every transaction it committed). The restored store
    takes up its sequence numbers above the highest the replaced store gave out: peers keep their
    checkpoints on this node's feed in those numbers, and a record stored after the restore must
    get a number above them to reach the peers by their feeds. The restored store is marked
    `restored_at` (meta), which makes the node run anti-entropy with every peer as soon as it
    starts, to fetch back its own records written after the backup (peers' feeds never send a node
    its own records)."""
    backup_file, db_path = Path(backup_file).resolve(), Path(db_path).resolve()
    if backup_file == db_path:
        raise BackupError(f"{backup_file} is the store itself")
    summary = summarize(backup_file, own_origin)
    if own_origin:
        owners, from_me = _owners(backup_file, own_origin)
        if owners - {own_origin}:
            raise BackupError(f"{backup_file}: the store of node {', '.join(sorted(owners - {own_origin}))}, "
                              f"not of {own_origin}")
        if from_me:
            raise BackupError(f"{backup_file}: the store of another node (it holds records or a checkpoint "
                              f"received from {own_origin}), not of {own_origin}")
    for suffix in ("-wal", "-shm", "-journal"):
        stray = Path(f"{db_path}{suffix}")
        if stray.exists() and not db_path.exists():
            # A restore that crashed between its renames: this file belongs to no store here, and SQLite
            # would replay it into the restored one.
            raise BackupError(f"{stray} is left without its store (an interrupted restore?): move it away first")
    tmp = db_path.with_name(db_path.name + ".restoring")
    try:
        copy_store(backup_file, tmp, progress=progress)
        replaced_top = _highest_seq_given(db_path) if db_path.exists() else 0
        conn = sqlite3.connect(str(tmp), isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            if replaced_top:
                conn.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'records'", (replaced_top,))
                if not conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = 'records'").fetchone():
                    conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('records', ?)", (replaced_top,))
            conn.execute("INSERT INTO meta (key, value) VALUES ('restored_at', ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (stamp,))
            conn.execute("COMMIT")
        finally:
            conn.close()
        aside = None
        if db_path.exists():
            aside = db_path.with_name(f"{db_path.name}.before-restore-{stamp}")
            if aside.exists():
                raise BackupError(f"{aside} exists already")
            # Its -wal and -shm first: a crash between the renames then leaves no stray WAL beside the store.
            for suffix in ("-wal", "-shm", "-journal"):
                extra = Path(f"{db_path}{suffix}")
                if extra.exists():
                    os.replace(extra, Path(f"{aside}{suffix}"))
            os.replace(db_path, aside)
        os.replace(tmp, db_path)
        os.chmod(db_path, 0o600)
        _fsync_dir(db_path.parent)
    except BaseException:
        _remove(tmp)
        raise
    return Restored(StoreSummary(db_path, summary.size, summary.records, summary.own, summary.last_seq,
                                 summary.migrations), aside, replaced_top)


def in_use(db_path: str | Path) -> bool:
    """True while another connection (a serving node, `reindex`, a running backup) has the store open:
    in WAL mode each holds a lock that keeps this probe from taking the file exclusively."""
    db_path = Path(db_path)
    if not db_path.exists():
        return False
    try:
        conn = sqlite3.connect(str(db_path), isolation_level=None, timeout=0.5)
    except sqlite3.Error:
        return False
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        return "locked" in str(exc) or "busy" in str(exc)
    except sqlite3.DatabaseError:
        return False  # a damaged store (the reason for the restore, perhaps) is nobody's
    finally:
        conn.close()


def restored_at(conn: sqlite3.Connection) -> str | None:
    """When this store was put in place by `restore`, while the node has not yet caught up since."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'restored_at'").fetchone()
    return row[0] if row else None


def caught_up_txn(conn: sqlite3.Connection, stamp: str) -> None:
    """The node fetched back from every peer what it lost: forget the restore (unless another came since)."""
    conn.execute("DELETE FROM meta WHERE key = 'restored_at' AND value = ?", (stamp,))
