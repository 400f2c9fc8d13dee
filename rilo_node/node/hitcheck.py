"""Hit/no-hit on annex identifiers at one node (docs/design.md#hitno-hit-on-identifiers): its hit-check key, the
filter of its own identifiers it publishes as signed records, the blind evaluations it answers to other nodes
(quota, audit), and the checks it makes for its own officers. The OPRF and the filter's shape are pure
(rilo_node/core/oprf.py, rilo_node/core/hitfilter.py)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC
from pathlib import Path

import grpc

from rilo_node.core import hitfilter, identifiers, oprf
from rilo_node.core.convert import enum_to_str
from rilo_node.core.errors import QuotaExceededError, ValidationError
from rilo_node.core.seizure import check_identifiers
from rilo_node.node.answer_journal import AnswerJournal
from rilo_node.node.channels import Channels
from rilo_node.node.clock import Clock, new_ulid, rfc3339
from rilo_node.node.evaluate_streams import EvaluateStreams
from rilo_node.node.query import (
    DEFAULT_DEADLINE_MS,
    ERROR,
    MAX_DEADLINE_MS,
    OK,
    REFUSED,
    TIMEOUT,
    UNREACHABLE,
    status_of_error,
)
from rilo_node.node.records import record_row
from rilo_node.pb.rilo.v1 import (
    hit_pb2,
    policy_pb2,
    record_pb2,
    seizure_pb2,
)
from rilo_node.store import db as st
from rilo_node.store.priority import lower_this_thread

logger = logging.getLogger(__name__)

HIT_FILTER = record_pb2.RECORD_KIND_HIT_FILTER
SEIZURE = record_pb2.RECORD_KIND_SEIZURE
FILTER_PREFIX = hitfilter.FILTER_PREFIX
KEY_FILE = "hitcheck.key"
MAX_ELEMENTS = 1000  # blinded elements in one Evaluate call
MAX_CASE_REF = 100
# When the filter follows the node's own identifiers (HitCheck.start): published once they have not changed
# for SETTLE seconds, and at most MAX_DELAY seconds after the first change not yet published.
SETTLE = 2.0
MAX_DELAY = 30.0
# After a commit has been looked at, the next look waits this long: a burst of commits costs one look.
LOOK_GAP = 0.05
# Own records read per query by _take_changes, the interpreter handed over between two.
TAKE_CHUNK = 500
_TYPE = seizure_pb2.IdentifierType.DESCRIPTOR


class QuotaSpentError(QuotaExceededError):
    """This asking node has used its evaluations for the UTC day (RESOURCE_EXHAUSTED)."""


def filter_policy(partners=()) -> policy_pb2.SharingPolicy:
    """Every node holds every filter: it is what an asker compares an answer with. GLOBAL reaches every node
    but the partners (they are in no base set), so the partners of the directory are named."""
    return policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL, nodes=sorted(partners)),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=policy_pb2.HANDLING_H0,
    )


class HitKey:
    """This node's hit-check key, in a file beside its signing key (0600): an epoch name and the scalar."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if self.path.exists():
            epoch, key_hex = self.path.read_text().split()
            self.epoch, self.key = epoch, oprf.check_key(bytes.fromhex(key_hex))
        else:
            self._write_new()

    def _write_new(self) -> None:
        epoch, key = secrets.token_hex(8), oprf.generate_key()
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pending = self.path.with_name(self.path.name + ".next")
        fd = os.open(pending, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{epoch} {key.hex()}\n")
        os.replace(pending, self.path)
        self.epoch, self.key = epoch, key

    def rotate(self) -> None:
        self._write_new()


class HitCheck:
    """The hit/no-hit part of one node. Thread-safe: the filter is rebuilt under one lock.

    The filter follows the node's own seizures without polling (start(), with the node's jobs): each commit
    of the store wakes a thread of the hit check, which looks (one indexed read, at most every LOOK_GAP s)
    whether an own seizure changed. It publishes once the own seizures have not changed for `settle`
    seconds (default 2), and at most `max_delay` seconds (default 30) after the first change not yet
    published, so a steady stream of new seizures republishes a chunk at most every `max_delay` s instead
    of on every change. A new identifier is thus in its node's published filter `settle` s after the last
    of a burst of changes, `max_delay` s at most (plus the build itself), and found by others once that
    version has replicated to them. A check by this node refreshes its own filter first, so the asker's own
    identifiers are always current to itself; a key rotation rebuilds and publishes at once."""

    def __init__(self, *, book, clock: Clock, key_path: Path, directory, links, quota_per_day: int,
                 settle: float = SETTLE, max_delay: float = MAX_DELAY, channels: Channels):
        self.book = book
        self.store = book.store
        self.clock = clock
        self.me = book.node_id
        self.key = HitKey(Path(key_path).with_name(KEY_FILE))
        self.directory = directory  # callable: the directory in use
        self.links = links
        self.quota_per_day = quota_per_day
        self._lock = threading.RLock()
        # The filter's inputs, kept up to date from the own seizures stored since the last look:
        self._epoch = ""  # the key the entries are under
        self._loaded = False  # the inputs kept in the store (hitcheck_inputs) read into memory
        self._seen_seq = 0  # the last own seizure's local seq read
        self._by_record: dict[str, frozenset[bytes]] = {}  # live own record -> its OPRF inputs
        self._counts: dict[bytes, int] = {}  # OPRF input -> live records holding it
        self._entries: dict[bytes, bytes] = {}  # OPRF input -> filter entry, under the current key
        self._unpublished = False  # changes taken that no published version holds yet (a build cut short)
        self._taken: dict[str, frozenset[bytes]] = {}  # record -> its inputs, taken and not yet in the store
        self._kept_seq = 0  # the seen_seq the store holds (hitcheck_state)
        self.channels = channels  # the node's one channel to each other node (node/channels.py), node.py's
        self.streams = EvaluateStreams(channels)  # the asker's evaluation stream to each node, kept open
        # Following the own seizures (start()): read by the thread at each wake-up, so tests may set them.
        self.settle = settle
        self.max_delay = max_delay
        self._wake = threading.Event()  # set by a commit of an own record (_committed) and by close
        self._heard_seq = 0  # the store's last seq when _committed last looked
        self._stop = threading.Event()
        self._listening = False
        self._follower: threading.Thread | None = None
        self._looked_seq = 0  # the last own record's local seq the follower looked at
        self._first_change: float | None = None  # monotonic: the first own change seen not yet published
        self._last_change: float | None = None
        self.publications = 0  # refreshes that wrote chunks, from any caller
        self._bits_cache: tuple[int, int | None] = (0, None)  # (publications, bits): _bits()
        # The answers to other nodes: counted against their quotas and audited (node/answer_journal.py).
        self.answers = AnswerJournal(self.store, Path(self.store.path).parent, self.me)
        self.store.before_audit_read(self.answers.flush)
        self.followed = threading.Event()  # set once the follower has published what the store held at its start

    # -- the filter ------------------------------------------------------------------------------

    def _inputs_of(self, annex: bytes | None) -> frozenset[bytes]:
        if not annex:
            return frozenset()
        return frozenset(identifiers.oprf_input(enum_to_str(_TYPE, i.type), i.value)
                         for i in seizure_pb2.SeizureAnnex.FromString(annex).identifiers)

    def _published(self) -> dict[int, tuple[int, hit_pb2.HitFilterChunk, policy_pb2.SharingPolicy]]:
        """index -> (version, chunk, policy) of each chunk of the own published filter: the own records whose
        ids start with FILTER_PREFIX, a range of the records' key (not a look at every own record)."""
        out = {}
        for version, header, body in self.store.reader.execute(
                "SELECT version, header, body FROM records WHERE origin = ? AND record_id >= ? AND record_id < ? "
                "AND kind = ? AND retracted = 0 AND body IS NOT NULL",
                (self.me, FILTER_PREFIX, FILTER_PREFIX[:-1] + chr(ord(FILTER_PREFIX[-1]) + 1), HIT_FILTER)):
            chunk = hit_pb2.HitFilterChunk.FromString(body)
            out[chunk.index] = (version, chunk, record_pb2.RecordHeader.FromString(header).policy)
        return out

    def _policy(self) -> policy_pb2.SharingPolicy:
        return filter_policy(self.directory().ids_where("role", "partner") - {self.me})

    def _load(self) -> None:
        """The inputs of the own seizures as the store keeps them (hitcheck_inputs, hitcheck_state; written with
        each publication): a restart reads the own identifiers and what was stored since, never every own
        record again (migration m0014)."""
        by_record: dict[str, set[bytes]] = {}
        for record_id, x in self.store.reader.execute("SELECT record_id, input FROM hitcheck_inputs"):
            by_record.setdefault(record_id, set()).add(bytes(x))
        self._by_record = {r: frozenset(xs) for r, xs in by_record.items()}
        self._counts = {}
        for xs in self._by_record.values():
            for x in xs:
                self._counts[x] = self._counts.get(x, 0) + 1
        row = self.store.reader.execute("SELECT seen_seq FROM hitcheck_state").fetchone()
        self._seen_seq = self._kept_seq = row[0] if row else 0
        self._taken = {}
        self._loaded = True

    def _keep_txn(self, conn) -> None:
        """Write the inputs taken since the last write, and how far they go, into the store (the writer)."""
        for record_id, xs in self._taken.items():
            conn.execute("DELETE FROM hitcheck_inputs WHERE record_id = ?", (record_id,))
            conn.executemany("INSERT INTO hitcheck_inputs (record_id, input) VALUES (?, ?)",
                             [(record_id, x) for x in sorted(xs)])
        conn.execute("INSERT INTO hitcheck_state (one, seen_seq) VALUES (1, ?) "
                     "ON CONFLICT (one) DO UPDATE SET seen_seq = excluded.seen_seq", (self._seen_seq,))

    def _keep(self) -> None:
        """The changes taken, when nothing is to be published for them (the identifiers stay the same).
        Under refresh()'s lock, as every change of what it writes."""
        if not self._taken and self._kept_seq == self._seen_seq:
            return
        self.store.write(self._keep_txn)
        self._taken, self._kept_seq = {}, self._seen_seq

    def _take_changes(self) -> bool:
        """Read the own seizures stored since the last look (each version gets a new local seq, a
        retraction too) and bring the identifiers held per record, and their counts, up to date. Returns
        whether the set of identifiers changed (a seizure without any, or a value another live record
        also holds, changes nothing)."""
        changed = False
        while True:
            # In chunks, with the interpreter handed to other threads between them: the first look of a node
            # that holds a million own records (a bulk load, an older store) must not double the time of
            # the searches answered meanwhile.
            rows = self.store.reader.execute(
                "SELECT seq, record_id, withdrawn, retracted, annex FROM records WHERE origin = ? AND kind = ? "
                "AND seq > ? ORDER BY seq LIMIT ?", (self.me, SEIZURE, self._seen_seq, TAKE_CHUNK)).fetchall()
            changed = self._take(rows) or changed
            if len(rows) < TAKE_CHUNK:
                return changed
            time.sleep(0)

    def _take(self, rows) -> bool:
        changed = False
        for seq, record_id, withdrawn, retracted, annex in rows:
            new = frozenset() if (withdrawn or retracted) else self._inputs_of(annex)
            old = self._by_record.pop(record_id, frozenset())
            if new:
                self._by_record[record_id] = new
            if new != old:
                self._taken[record_id] = new
            for x in old - new:
                self._counts[x] -= 1
                if not self._counts[x]:
                    del self._counts[x]
                    changed = True
            for x in new - old:
                n = self._counts.get(x, 0)
                self._counts[x] = n + 1
                changed = changed or not n
            self._seen_seq = seq
        return changed

    def refresh(self, *, force: bool = False) -> int:
        """Republish the chunks of this node's filter that its own identifiers changed (all of them after a
        key rotation). Returns the chunks written. The follower thread calls it once the own seizures have
        settled (start()); a check, before it looks; a key rotation, at once. Only what was stored since the
        last call is read, and only the chunks it touches rebuilt."""
        with self._lock:
            if not self._loaded:
                self._load()
            if self._epoch != self.key.epoch:  # the first look, or a new key: entries under this key
                self._epoch, self._entries = self.key.epoch, {}
                # A filter published under another key (a rotation a stop cut short) is built again whole.
                force = force or any(c.key_epoch != self._epoch for _v, c, _p in self._published().values())
            if self._take_changes():
                self._unpublished = True
            if not self._unpublished and not force:
                self._keep()
                return 0
            key = self.key.key
            for x in set(self._entries) - set(self._counts):
                del self._entries[x]
            for n, x in enumerate(self._counts):
                if x not in self._entries:
                    if not n % 1024 and self._stop.is_set():
                        return 0  # the node stops: the entries so far stay, the rest at the next refresh
                    self._entries[x] = hitfilter.entry_of(oprf.evaluate(key, x))
            published = self._published()
            if not self._entries and not published:
                self._unpublished = False
                self._keep()
                return 0  # no identifiers, ever: no filter (an asker finds no hit at a node without one)
            same_epoch = [c for _v, c, _p in published.values() if c.key_epoch == self.key.epoch]
            bits = hitfilter.bits_for(len(self._entries), max((c.bits for c in same_epoch), default=0))
            new = hitfilter.chunks(self._entries.values(), bits)
            old = {i: c.entries for i, (_v, c, _p) in published.items()
                   if c.key_epoch == self.key.epoch and c.bits == bits}
            todo = hitfilter.changed(old, new)
            # Chunks beyond the new chunking (a smaller one of an older key) are emptied.
            stale = [i for i in published if i >= (1 << bits) and published[i][1].entries]
            # Chunks published under another policy (a partner since added to the directory) again, unchanged.
            policy = self._policy()
            moved = [i for i, (_v, c, p) in published.items()
                     if p != policy and i not in todo and i not in stale and (i < (1 << bits) or c.entries)]
            recs = []
            for i in sorted(todo + stale + moved):
                chunk = hit_pb2.HitFilterChunk(key_epoch=self.key.epoch, bits=bits, index=i,
                                               entry_bytes=hitfilter.ENTRY_BYTES, entries=new.get(i, b""))
                version = published[i][0] + 1 if i in published else 1
                recs.append(self.book.sign(kind=HIT_FILTER, policy=policy,
                                           body=chunk.SerializeToString(deterministic=True),
                                           record_id=f"{FILTER_PREFIX}{i}", version=version))
            if recs:
                now = rfc3339(self.clock.now())

                def txn(conn):
                    self._keep_txn(conn)  # the inputs and the chunks made of them, in one transaction
                    for rec in recs:
                        h = record_pb2.RecordHeader.FromString(rec.header)
                        held = conn.execute("SELECT 1 FROM records WHERE origin = ? AND record_id = ?",
                                            (self.me, h.record_id)).fetchone()
                        st.upsert_record_txn(conn, record_row(rec, origin=self.me, record_id=h.record_id,
                                                              version=h.version, kind=h.kind,
                                                              created_at=h.created_at),
                                             None, now, new=held is None)
                        self.book._owe_deliveries_txn(conn, rec)

                self.store.write(txn)
                self.publications += 1
                logger.info("[node=%s] hit-check filter: %d identifiers, %d of %d chunks republished", self.me,
                            len(self._entries), len(recs), 1 << bits)
                self._taken, self._kept_seq = {}, self._seen_seq
            else:
                self._keep()
            self._unpublished = False
            return len(recs)

    def rotate_key(self) -> int:
        """A new hit-check key (explicit, or with a rotation of the record-signing key): the whole filter
        is rebuilt under it."""
        with self._lock:
            self.key.rotate()
            logger.warning("[node=%s] hit-check key rotated: epoch %s", self.me, self.key.epoch)
            return self.refresh(force=True)

    # -- following the own seizures -----------------------------------------------------------------

    def start(self) -> None:
        """Follow the own seizures from now on (node.py: when the node's jobs start): a thread that sleeps
        until a commit of the store, looks whether an own seizure changed, and refreshes the filter once
        the changes settle (class docstring). The store's writer only reads one index entry and sets an
        event (_committed); never more."""
        if self._follower is not None and self._follower.is_alive():
            return
        self._stop.clear()
        self.followed.clear()
        if not self._listening:
            self.store.on_commit(self._committed)
            self._listening = True
        self._follower = threading.Thread(target=self._follow, name=f"hitcheck:{self.me}", daemon=True)
        self._follower.start()

    def _committed(self, last_seq: int) -> None:
        """On the store's writer, after a commit that stored records: wake the follower only if one of them
        is this node's own (one read of the (origin, seq) index). A copy received from a peer, most
        commits of a node, costs no wake-up of the follower and no look of its own."""
        heard = self._heard_seq
        if last_seq <= heard:
            return
        own = self.store.reader.execute("SELECT MAX(seq) FROM records WHERE origin = ? AND seq > ?",
                                        (self.me, heard)).fetchone()[0]
        self._heard_seq = last_seq
        if own is not None:
            self._wake.set()

    @property
    def pending_since(self) -> float | None:
        """time.monotonic() of the first own change the follower saw that is not yet published, or None."""
        return self._first_change

    def _due(self) -> float | None:
        """When the changes seen are to be published (time.monotonic()), or None when there are none."""
        first, last = self._first_change, self._last_change
        if first is None or last is None:
            return None
        return min(last + self.settle, first + self.max_delay)

    def _own_seizures_changed(self) -> bool:
        """Whether an own seizure was stored (a version, a retraction) since the last look: one read of the
        (origin, seq) index, over the own records stored since, of whatever kind."""
        last, seizure = self.store.reader.execute(
            "SELECT MAX(seq), MAX(kind = ?) FROM records WHERE origin = ? AND seq > ?",
            (SEIZURE, self.me, self._looked_seq)).fetchone()
        if last is None:
            return False
        self._looked_seq = last
        return bool(seizure)

    def _publish_now(self) -> None:
        self._first_change = self._last_change = None
        try:
            self.refresh()
        except Exception:  # logged; the next change (or check) tries again
            if not self._stop.is_set():
                logger.exception("[node=%s] hit-check filter refresh failed", self.me)

    def _follow(self) -> None:
        lower_this_thread()  # store/priority.py: filter rebuilds are background work
        try:
            self._looked_seq = self.store.reader.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM records WHERE origin = ?", (self.me,)).fetchone()[0]
        except Exception:  # the store closed under a node that stopped at once
            if not self._stop.is_set():
                logger.exception("[node=%s] hit-check filter: the store could not be read", self.me)
            return
        self._publish_now()  # what the store holds and no published filter has (a restart, a restore)
        self.followed.set()
        while not self._stop.is_set():
            due = self._due()
            woke = self._wake.wait(None if due is None else max(0.0, due - time.monotonic()))
            if self._stop.is_set():
                return
            if woke:
                self._wake.clear()
                try:
                    changed = self._own_seizures_changed()
                except Exception:  # logged; the next commit looks again
                    logger.exception("[node=%s] hit-check filter: the store could not be read", self.me)
                    changed = False
                if changed:
                    now = time.monotonic()
                    if self._first_change is None:
                        self._first_change = now
                    self._last_change = now
            due = self._due()
            if due is not None and time.monotonic() >= due:
                self._publish_now()
            elif woke:
                self._stop.wait(LOOK_GAP)  # the commits of a burst meanwhile: one look for them all

    # -- answering another node --------------------------------------------------------------------

    def evaluate(self, asker: str, elements: list[bytes], case_ref: str, types: list[int]) -> hit_pb2.EvaluateResponse:
        """Blind evaluation for `asker`: counted against its quota for the UTC day (QuotaSpentError once
        spent) and audited (who, when, the case reference and the types, never anything of the values)."""
        if not elements:
            raise ValidationError("blinded_elements", "is required: one or more blinded elements")
        if len(elements) > MAX_ELEMENTS:
            raise ValidationError("blinded_elements", f"at most {MAX_ELEMENTS} in one call")
        if not case_ref.strip():
            raise ValidationError("case_ref", "is required")
        if len(case_ref) > MAX_CASE_REF:
            raise ValidationError("case_ref", f"at most {MAX_CASE_REF} characters")
        if len(types) != len(elements):
            raise ValidationError("types", "one type for each blinded element")
        names = []
        for i, t in enumerate(types):
            name = enum_to_str(_TYPE, t)
            if name not in identifiers.TYPES:
                raise ValidationError(f"types[{i}]", f"{t} is not an identifier type")
            names.append(name)
        at = self.clock.now()
        day, now = at.astimezone(UTC).date().isoformat(), rfc3339(at)
        quota = self.quota_per_day
        used = self.answers.used(asker, day)
        if used + len(elements) > quota:
            raise self._spent(asker, day, used)  # cannot fit: not one multiplication for it
        # Each element is decoded and checked by the multiplication itself (one per element); a bad one
        # refuses the call and counts nothing.
        key = self.key
        evaluated = []
        for i, e in enumerate(elements):
            try:
                evaluated.append(oprf.blind_evaluate(key.key, e))
            except oprf.OprfError as exc:
                raise ValidationError(f"blinded_elements[{i}]", str(exc)) from None

        # Counted, and its audit line journaled, before the answer leaves: through a crash of this node, not an
        # OS crash (docs/protocol.md#what-is-durable-when-a-call-returns, item 5). A store commit for each
        # answer, at every node at once, cost more than the evaluation itself (node/answer_journal.py).
        refused_at = self.answers.answered(asker=asker, day=day, at=now, case_ref=case_ref, types=names, quota=quota)
        if refused_at is not None:
            raise self._spent(asker, day, refused_at)
        return hit_pb2.EvaluateResponse(evaluated_elements=evaluated, key_epoch=key.epoch, bits=self._bits())

    def _spent(self, asker: str, day: str, used: int) -> QuotaSpentError:
        logger.warning("[node=%s] hit-check quota of %s spent for %s (%d of %d used)", self.me, asker, day, used,
                       self.quota_per_day)
        return QuotaSpentError(f"hit-check quota spent: {asker} has used {used} of its {self.quota_per_day} "
                               f"evaluations at {self.me} for {day} (UTC)")

    def _bits(self) -> int:
        """The chunking of this node's published filter (what each answer tells the asker): read from the
        store once after each publication, not on every evaluation."""
        generation, cached = self._bits_cache
        if cached is not None and generation == self.publications:
            return cached
        generation = self.publications  # read before the store: a publication meanwhile makes this stale
        row = self.store.reader.execute(
            "SELECT body FROM records WHERE origin = ? AND record_id = ? AND body IS NOT NULL",
            (self.me, f"{FILTER_PREFIX}0")).fetchone()
        bits = hit_pb2.HitFilterChunk.FromString(row[0]).bits if row else 0
        self._bits_cache = (generation, bits)
        return bits

    # -- asking ------------------------------------------------------------------------------------

    async def _evaluate(self, node: str, request: hit_pb2.EvaluateRequest, deadline: float, expected: int,
                        found: Callable[[str, hit_pb2.EvaluateResponse], list[bool]]):
        """One node's evaluation, on the node's event loop (node/channels.py), over the stream kept open to it
        (node/evaluate_streams.py): (node, status, hits, error, ms), `hits` from found(node, answer) as soon as
        the answer is in (while others are still out), so that the last answer leaves only its own to unblind
        and look up."""
        started = time.monotonic()
        timeout = deadline - started
        if timeout <= 0:
            return node, TIMEOUT, None, "the deadline passed before it was asked", 0.0
        try:
            resp = await self.streams.evaluate(node, request, timeout)
        except ConnectionError as exc:
            return node, UNREACHABLE, None, str(exc), _ms(started)
        except grpc.RpcError as exc:
            return node, status_of_error(exc), None, exc.details() or exc.code().name, _ms(started)
        except Exception as exc:  # noqa: BLE001 - a channel closed under the call (the node stops): that node's answer
            return node, ERROR, None, f"{type(exc).__name__}: {exc}", _ms(started)
        ms = _ms(started)
        if len(resp.evaluated_elements) != expected:
            return node, ERROR, None, "answered a different number of elements", ms
        return node, OK, found(node, resp), "", ms

    async def _evaluate_all(self, nodes: list[str], request: hit_pb2.EvaluateRequest, deadline: float,
                            expected: int, found: Callable[[str, hit_pb2.EvaluateResponse], list[bool]]):
        return await asyncio.gather(*(self._evaluate(n, request, deadline, expected, found) for n in nodes))

    def _filter_holds(self, node: str, epoch: str, bits: int, entry: bytes) -> bool:
        index = hitfilter.index_of(entry, bits)
        row = self.store.reader.execute(
            "SELECT body FROM records WHERE origin = ? AND record_id = ? AND kind = ? AND retracted = 0 "
            "AND body IS NOT NULL", (node, f"{FILTER_PREFIX}{index}", HIT_FILTER)).fetchone()
        if row is None:
            return False
        chunk = hit_pb2.HitFilterChunk.FromString(row[0])
        if chunk.key_epoch != epoch or chunk.bits != bits:
            return False  # that node's newer filter has not reached this node yet
        return hitfilter.contains(chunk.entries, entry, chunk.entry_bytes)

    def check(self, items: list[tuple[int, str]], case_ref: str, *, deadline_ms: int = 0, actor: str = "",
              user: str = "") -> list[hit_pb2.IdentifierCheck]:
        """Ask every node of the directory, directly and at once, about each identifier: normalised first
        (a bad one refuses the whole call, nothing sent), blinded afresh for this check (the same blinded
        element to every node), each answer unblinded and looked up in that node's filter. This node
        evaluates its own filter itself (not counted)."""
        if not case_ref.strip():
            raise ValidationError("case_ref", "is required: the case this check is for")
        if len(case_ref) > MAX_CASE_REF:
            raise ValidationError("case_ref", f"at most {MAX_CASE_REF} characters")
        if not items:
            raise ValidationError("identifiers", "is required: one or more identifiers")
        if len(items) > MAX_ELEMENTS:
            raise ValidationError("identifiers", f"at most {MAX_ELEMENTS} in one check")
        msgs = [seizure_pb2.Identifier(type=t, value=v) for t, v in items]
        for i, m in enumerate(msgs):
            if not m.type:
                raise ValidationError(f"identifiers[{i}].type", f"is required (one of {', '.join(identifiers.TYPES)})")
        check_identifiers(msgs, "identifiers")
        inputs = [identifiers.oprf_input(enum_to_str(_TYPE, m.type), m.value) for m in msgs]
        self.refresh()
        budget = min(deadline_ms or DEFAULT_DEADLINE_MS, MAX_DEADLINE_MS) / 1000
        deadline = time.monotonic() + budget
        nodes = [n for n in self.directory().ids() if n != self.me]
        # One fresh blind per identifier for this check, the same blinded element to every node: each node
        # sees only a uniformly random element, which tells colluding evaluators no more than the timing
        # already does (that they were asked in the same check); the next check of the value blinds afresh.
        blinds = [oprf.blind(x) for x in inputs]
        inverses = [oprf.invert(b.blind) for b in blinds]
        request = hit_pb2.EvaluateRequest(blinded_elements=[b.element for b in blinds], case_ref=case_ref,
                                          types=[m.type for m in msgs])

        def found(node: str, resp: hit_pb2.EvaluateResponse) -> list[bool]:
            """Whether `node`'s answer, unblinded, is in its filter, for each identifier."""
            out = []
            for k, x in enumerate(inputs):
                try:
                    output = oprf.unblind_finalize(x, inverses[k], resp.evaluated_elements[k])
                except (oprf.OprfError, ValueError):
                    out.append(False)
                    continue
                out.append(self._filter_holds(node, resp.key_epoch, resp.bits, hitfilter.entry_of(output)))
            return out

        # Every node's call at once, on the node's event loop (no thread per call); None: the node is stopping.
        try:
            out = (self.channels.run(self._evaluate_all(nodes, request, deadline, len(inputs), found))
                   if nodes else None)
        except ConnectionError:
            out = None
        # This node's own filter, while the calls are out.
        started = time.monotonic()
        own = [self._filter_holds(self.me, self.key.epoch, self._bits(),
                                  hitfilter.entry_of(oprf.evaluate(self.key.key, x))) for x in inputs]
        answers = [(self.me, OK, None, "", _ms(started))]
        if out is not None:
            try:
                answers += out.result(timeout=max(0.0, deadline - time.monotonic()) + 5.0)
            except concurrent.futures.TimeoutError:  # the calls carry the deadline; this is a last resort
                out.cancel()
                answers += [(n, TIMEOUT, None, "no answer before the deadline", budget * 1000) for n in nodes]
        else:
            answers += [(n, UNREACHABLE, None, f"{self.me} is stopping", 0.0) for n in nodes]
        hits: list[list[str]] = [[self.me] if own[k] else [] for k in range(len(inputs))]
        node_answers = []
        for node, status, held, error, ms in sorted(answers, key=lambda a: a[0]):
            node_answers.append(hit_pb2.HitNodeAnswer(node=node, status=status, ms=int(ms), error=error))
            if status != OK or held is None:
                continue
            for k, hit in enumerate(held):
                if hit:
                    hits[k].append(node)
        complete = all(a.status == OK for a in node_answers)
        results = []
        now = rfc3339(self.clock.now())
        for k, m in enumerate(msgs):
            results.append(hit_pb2.IdentifierCheck(
                query_id=new_ulid(self.clock), type=m.type, value=m.value, hits=sorted(hits[k]), complete=complete,
                nodes=node_answers))
        quota_refusals = [a.node for a in node_answers if a.status == REFUSED and "quota" in a.error]

        def txn(conn):
            for r in results:
                st.audit_txn(conn, at=now, actor=actor or self.me, action="hitcheck", query_id=r.query_id,
                             detail={"case_ref": case_ref, "type": enum_to_str(_TYPE, r.type), "value": r.value,
                                     "hits": list(r.hits)}, user=user)

        self.store.write(txn)
        if nodes and len(quota_refusals) == len(nodes):
            raise QuotaSpentError(f"hit-check quota spent at every node asked ({', '.join(quota_refusals)})")
        return results

    def close(self) -> None:
        """Stop following the own seizures (a build under way stops at its next 1,024 entries) and move the
        answers' journal into the store."""
        self.answers.close()
        self._stop.set()
        self._wake.set()
        follower = self._follower
        if follower is not None and follower is not threading.current_thread():
            follower.join(timeout=30)
            if follower.is_alive():
                logger.warning("[node=%s] the hit-check follower did not stop within 30 s", self.me)


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
