"""The blind evaluations a node answered (hit/no-hit), counted against each asking node's quota and audited
without a store transaction per answer (docs/design.md#hitno-hit-on-identifiers).

An answer is counted in memory and its audit line appended to a journal file beside the store, with one
`write()`, before the answer leaves: like a commit without an fsync, it survives a crash of the node (the
line is in the kernel's page cache) but not an OS crash. A thread of the journal moves the lines into the
store (`audit`, `hitcheck_quota`) in batches, IMPORT_GAP s after the first line of a burst, with the offset it
has read up to in the same transaction, so that no line is imported twice; a node that starts imports what
an earlier run left first. On a network of 196 nodes, a commit per answer cost each evaluating node 0.36 ms
of CPU (docs/benchmarks.md#hitcheck), more than the evaluation itself.

The journal files are `hitcheck-answers.<generation>.log` (0600), made by the first answer that needs one; a
new generation begins at each start and once a file of ROTATE_BYTES is wholly in the store, and the older
files go."""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from pathlib import Path

from rilo_node.store import db as st

logger = logging.getLogger(__name__)

IMPORT_GAP = 0.2  # s: the lines of a burst of answers go into the store in one transaction
ROTATE_BYTES = 4 << 20
PREFIX, SUFFIX = "hitcheck-answers.", ".log"


class AnswerJournal:
    """Thread-safe. `used()` and `answered()` are the quota's count; `flush()` brings the store up to date."""

    def __init__(self, store, folder: Path, node_id: str = ""):
        self.store = store
        self.folder = Path(folder)
        self.node_id = node_id
        self._lock = threading.Lock()  # the counts, the file being appended to, its size
        self._import_lock = threading.Lock()  # one import at a time
        self._used: dict[tuple[str, str], int] = {}  # (asker, UTC day) -> evaluations answered
        self._due = threading.Event()
        self._stop = threading.Event()
        self._fd = -1
        self._gen = 0
        self._size = 0  # bytes appended to the current file
        self._imported = 0  # bytes of it in the store
        self._recover()
        self._thread = threading.Thread(target=self._run, name=f"hitcheck-answers:{node_id}", daemon=True)
        self._thread.start()

    # -- files ---------------------------------------------------------------------------------------

    def _path(self, gen: int) -> Path:
        return self.folder / f"{PREFIX}{gen}{SUFFIX}"

    def _files(self) -> list[tuple[int, Path]]:
        out = []
        for path in self.folder.glob(f"{PREFIX}*{SUFFIX}"):
            try:
                out.append((int(path.name[len(PREFIX):-len(SUFFIX)]), path))
            except ValueError:
                continue
        return sorted(out)

    def _recover(self) -> None:
        """Import what an earlier run left (its files from the generation and offset the store holds), then
        begin a new generation and remove the older files."""
        row = self.store.reader.execute("SELECT gen, upto FROM hitcheck_journal").fetchone()
        gen, offset = row if row else (0, 0)
        files = self._files()
        for g, path in files:
            if g > gen or (g == gen and path.stat().st_size > offset):
                data = path.read_bytes()[offset if g == gen else 0:]
                self._import(g, (offset if g == gen else 0), data)
        self._next(max([gen, *(g for g, _ in files)]) + 1)
        for g, path in files:
            path.unlink(missing_ok=True)

    def _next(self, gen: int) -> None:
        """Begin generation `gen`: its file is made by the first answer that needs it (a node that answers
        nothing, or fails to start, leaves no file)."""
        if self._fd >= 0:
            self._closer()
            self._fd = -1
        self._gen, self._size, self._imported = gen, 0, 0

    def _open(self) -> None:
        self._fd = os.open(self._path(self._gen), os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC, 0o600)
        self._closer = weakref.finalize(self, os.close, self._fd)

    # -- counting ------------------------------------------------------------------------------------

    def used(self, asker: str, day: str) -> int:
        with self._lock:
            return self._used_locked(asker, day)

    def _used_locked(self, asker: str, day: str) -> int:
        n = self._used.get((asker, day))
        if n is None:  # not counted since the start: the store holds all of it (_recover)
            row = self.store.reader.execute("SELECT used FROM hitcheck_quota WHERE asker = ? AND day = ?",
                                            (asker, day)).fetchone()
            n = self._used[(asker, day)] = row[0] if row else 0
        return n

    def answered(self, *, asker: str, day: str, at: str, case_ref: str, types: list[str], quota: int) -> int | None:
        """Count len(types) evaluations for `asker` on `day` and journal the audit line, unless they do not
        fit in `quota`: then nothing is counted and the count they did not fit in is returned."""
        line = (json.dumps({"at": at, "asker": asker, "day": day, "case_ref": case_ref, "types": types},
                           separators=(",", ":")) + "\n").encode()
        with self._lock:
            used = self._used_locked(asker, day)
            if used + len(types) > quota:
                return used
            if self._fd < 0:
                self._open()
            view = memoryview(line)
            while view:  # O_APPEND: whole lines, in order (one write() but for a short one)
                view = view[os.write(self._fd, view):]
            self._size += len(line)
            self._used[(asker, day)] = used + len(types)
        self._due.set()
        return None

    # -- into the store ------------------------------------------------------------------------------

    def flush(self) -> int:
        """Move the lines not yet in the store into it (one transaction). Returns the lines moved."""
        with self._import_lock:
            with self._lock:
                gen, start, end = self._gen, self._imported, self._size
            if end <= start:  # nothing appended since (no file at all in a new generation)
                return 0
            with open(self._path(gen), "rb") as f:
                f.seek(start)
                data = f.read(end - start)
            moved = self._import(gen, start, data)
            with self._lock:
                self._imported = start + len(data)
                if self._imported >= ROTATE_BYTES and self._imported == self._size:
                    old = self._gen
                    self._next(old + 1)
                    self._path(old).unlink(missing_ok=True)
                if self._imported == self._size:  # every line in the store: the other days' counts are there
                    today = max((d for _, d in self._used), default="")
                    self._used = {k: v for k, v in self._used.items() if k[1] == today}
            return moved

    def _import(self, gen: int, start: int, data: bytes) -> int:
        lines = []
        for raw in data.split(b"\n"):
            try:
                a = json.loads(raw) if raw else None
                if a is not None:
                    lines.append((a["at"], a["asker"], a["day"], a["case_ref"], list(a["types"])))
            except (ValueError, KeyError, TypeError):  # a line an OS crash cut short: nothing to count
                logger.warning("[node=%s] hit-check answers: an unreadable journal line skipped", self.node_id)

        def txn(conn):
            counts: dict[tuple[str, str], int] = {}
            for at, asker, day, case_ref, types in lines:
                counts[(asker, day)] = counts.get((asker, day), 0) + len(types)
                for name in sorted(set(types)):
                    st.audit_txn(conn, at=at, actor=asker, action="hitcheck_answer",
                                 detail={"case_ref": case_ref, "type": name, "count": types.count(name)})
            for (asker, day), n in counts.items():
                conn.execute("INSERT INTO hitcheck_quota (asker, day, used) VALUES (?, ?, ?) ON CONFLICT (asker, day) "
                             "DO UPDATE SET used = used + excluded.used", (asker, day, n))
            conn.execute("DELETE FROM hitcheck_journal")
            conn.execute("INSERT INTO hitcheck_journal (gen, upto) VALUES (?, ?)", (gen, start + len(data)))

        self.store.write(txn, quiet=True)
        return len(lines)

    def _run(self) -> None:
        while True:
            self._due.wait()
            if self._stop.wait(IMPORT_GAP):
                return
            self._due.clear()
            try:
                self.flush()
            except Exception:  # logged; the lines stay in the journal for the next try (or the next start)
                logger.exception("[node=%s] hit-check answers: the journal could not be moved into the store",
                                 self.node_id)
                self._due.set()

    def close(self) -> None:
        """Stop the thread and move what is left into the store (before the store closes). An answer after
        this (the server still finishing its calls) is still journaled, and goes into the store at the
        next start; the file is closed with this object."""
        self._stop.set()
        self._due.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        try:
            self.flush()
        except Exception:  # the store is gone: the next start imports the journal
            logger.exception("[node=%s] hit-check answers left in the journal for the next start", self.node_id)
