"""The audit lines of what a national system is shown (`search`, `get`, `export`), durable before it is shown
without waiting for the store's writer (docs/protocol.md#what-is-durable-when-a-call-returns, item 4).

`AuditJournal.append` writes the line to a journal file beside the store and syncs it (fdatasync) on the
calling thread, and queues its import for the writer as a quiet task that nobody waits for: the line goes
into the `audit` table with the journal's offset (`audit_journal`), in one transaction, so that no line is
imported twice. A crash or a power loss after the sync loses nothing: the store, when it opens, imports the
lines its `audit_journal` row does not cover.

Before, the entry was a synchronous commit of the writer. A search's reply then waited for whatever the
writer was committing: with records coming in at 1,000/s on the 42-node network, that wait was 12 ms at the
median and up to 1.7 s, the whole of the answers later than their deadline (docs/profiles.md). The sync of a
short append takes a millisecond or two, whatever the writer does.

The files are `<store>-audit.<generation>.log` (0600). A new generation begins at each opening of the store
and once a file holds ROTATE_BYTES; the older file goes once the store holds its lines durably."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rilo_node.store.db import Store

logger = logging.getLogger(__name__)

ROTATE_BYTES = 4 << 20
SUFFIX = ".log"


def journal_files(store_path: Path) -> list[tuple[int, Path]]:
    """The journal files beside the store at `store_path`, by generation."""
    prefix = f"{store_path.name}-audit."
    out = []
    for path in store_path.parent.glob(f"{prefix}*{SUFFIX}"):
        try:
            out.append((int(path.name[len(prefix):-len(SUFFIX)]), path))
        except ValueError:
            continue
    return sorted(out)


def _insert(conn: sqlite3.Connection, entries: list[dict], gen: int, upto: int) -> None:
    from rilo_node.store.db import audit_txn

    for e in entries:
        audit_txn(conn, at=e["at"], actor=e["actor"], action=e["action"], query_id=e.get("query_id", ""),
                  detail=e.get("detail"), keys=e.get("keys"), user=e.get("user", ""))
    conn.execute("DELETE FROM audit_journal")
    conn.execute("INSERT INTO audit_journal (gen, upto) VALUES (?, ?)", (gen, upto))


class AuditJournal:
    """Thread-safe. Made by the Store (db.Store.audit_durably), which must not be in memory."""

    def __init__(self, store: Store):
        self.store = store
        self._lock = threading.Lock()
        self._fd = -1
        self._gen = 0
        self._size = 0
        self._recover()

    def _path(self, gen: int) -> Path:
        return self.store.path.parent / f"{self.store.path.name}-audit.{gen}{SUFFIX}"

    def _recover(self) -> None:
        """Import the lines an earlier run left beyond the store's offset; begin a new generation (its file is
        made by the first line); remove the older files once their lines are committed."""
        row = self.store.reader.execute("SELECT gen, upto FROM audit_journal").fetchone()
        gen, upto = row if row else (0, 0)
        files = journal_files(self.store.path)
        entries = []
        for g, path in files:
            if g < gen:
                continue
            data = path.read_bytes()[upto if g == gen else 0:]
            for raw in data.split(b"\n"):
                try:
                    if raw:
                        entries.append(json.loads(raw))
                except ValueError:  # a line an OS crash cut short before its sync: it was never shown
                    logger.warning("[store=%s] an unreadable audit journal line skipped", self.store.path.name)
        self._gen = max([gen, *(g for g, _ in files)]) + 1
        if entries:  # a store that opens with nothing to import writes nothing (every start, every CLI command)
            self.store.write(lambda conn: _insert(conn, entries, self._gen, 0))
            logger.info("[store=%s] %d audit lines imported from the journal", self.store.path.name, len(entries))
        for _g, path in files:
            path.unlink(missing_ok=True)

    def append(self, entry: dict) -> None:
        """Write `entry` (audit_txn's fields) durably, and queue it for the store."""
        line = (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode()
        with self._lock:
            if self._fd < 0:
                self._fd = os.open(self._path(self._gen), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
            view = memoryview(line)
            while view:  # O_APPEND: whole lines, in order
                view = view[os.write(self._fd, view):]
            os.fdatasync(self._fd)
            self._size += len(line)
            gen, upto = self._gen, self._size
            # Queued under the lock: the imports reach the writer in the order of their lines.
            self.store.submit(lambda conn: _insert(conn, [entry], gen, upto), quiet=True)
            if self._size >= ROTATE_BYTES:
                self._rotate()

    def _rotate(self) -> None:
        """A new generation; the old file goes once a synchronous commit queued after its last import is in."""
        old, fd = self._path(self._gen), self._fd
        self._gen, self._size, self._fd = self._gen + 1, 0, -1
        gen = self._gen
        done = self.store.submit(lambda conn: conn.execute("UPDATE audit_journal SET gen = ?, upto = 0", (gen,)))
        os.close(fd)
        done.add_done_callback(lambda f: f.exception() is None and old.unlink(missing_ok=True))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
