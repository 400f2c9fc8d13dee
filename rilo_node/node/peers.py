"""Replication I/O: accept verified records, serve filtered feeds, pull from peers, deliver directly,
and repair gaps by anti-entropy. Decisions come from the pure module `replication`."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from rilo_node.core import hitfilter
from rilo_node.core.errors import PolicyError, SignatureError
from rilo_node.core.replication import (
    BUCKETS,
    Entitlements,
    Offer,
    Verdict,
    differing_buckets,
    judge,
    offer,
    wanted,
)
from rilo_node.core.signing import Keyring, VerifiedRecord, strip_annex, verify_record
from rilo_node.core.topology import Directory
from rilo_node.node.channels import Channels
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.node.endorsements import may_endorse
from rilo_node.node.metrics import NodeMetrics
from rilo_node.node.records import record_row
from rilo_node.pb.rilo.v1 import (
    node_pb2,
    peer_pb2,
    peer_pb2_grpc,
    record_pb2,
    seizure_pb2,
)
from rilo_node.store import db as st
from rilo_node.store import projections
from rilo_node.store.priority import lower_this_thread

logger = logging.getLogger(__name__)

SEIZURE = record_pb2.RECORD_KIND_SEIZURE
WITHDRAWAL = record_pb2.RECORD_KIND_WITHDRAWAL
HIT_FILTER = record_pb2.RECORD_KIND_HIT_FILTER
# Records per feed message (PullRequest.max_batch): the sender's default, and the most it sends. A node's
# pulls ask for PULL_BATCH: a message is one transaction of the store's writer, and a write a call waits
# for (a search's audit entry) waits behind it, about 0.4 s at 2,000 records against 0.1 s at 500.
FEED_BATCH, FEED_BATCH_MAX = 500, 2000
PULL_BATCH = FEED_BATCH
FEED_BATCH_BYTES = 4 * 1024 * 1024  # a feed message ends once its records pass this many bytes
# A live feed with nothing to send sends an empty message (the heartbeat) this long after its last one: the
# caller hears from a live link at least that often (rilo_peer_last_contact_seconds); a dead connection is
# found sooner by the channels' keepalive pings. Each heartbeat wakes a thread and both event loops at each
# end of each of a network's hundreds of feeds: at 15 s, most of what an idle network cost.
HEARTBEAT_SECONDS = 60.0
# A live feed that sent the peer a message less than COALESCE_AFTER ago pauses COALESCE_SECONDS when woken, to
# gather what else is being stored into the same message; the first record after a quiet spell goes at once.
COALESCE_SECONDS, COALESCE_AFTER = 0.005, 0.1
CHECKPOINT_EVERY = 2.0
# The periodic anti-entropy pass (anti_entropy_due) compares with a peer only when something either side could
# offer the other may have changed since they last compared equal: this node's digest for the pair, the peer's
# head (each feed message carries it: at least every HEARTBEAT_SECONDS on a connected link), the keys this
# node trusts (a record refused for a key it lacked), or who may hold what (the directory, operations). With
# every peer, whatever changed, at least this often.
ANTI_ENTROPY_AT_LEAST = 600.0
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 30.0
# Threads that verify what the pulls receive and queue it for the store's writer (each pull hands them one
# message at a time, the next while the writer stores the previous one); more would only wait for the writer.
RECEIVERS = 2


def backoff(failures: int) -> float:
    return min(BACKOFF_MAX, BACKOFF_FIRST * (2 ** max(0, failures - 1)))


class Links:
    """Simulated partitions: pairs of nodes that cannot reach each other, in either direction.

    In one process the object is shared by the nodes; between processes it reads a JSON file
    (`{"cut": [["a", "b"], ...]}`) written by `rilo-node cluster partition`.
    """

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else None
        self._cut: set[frozenset[str]] = set()
        self._mtime: tuple | None = None
        self._lock = threading.Lock()

    def cut(self, a: str, b: str) -> None:
        with self._lock:
            self._cut.add(frozenset((a, b)))

    def heal(self, a: str | None = None, b: str | None = None) -> None:
        with self._lock:
            if a is None:
                self._cut.clear()
            else:
                self._cut.discard(frozenset((a, b)))

    def is_cut(self, a: str, b: str) -> bool:
        if self.path is not None:
            self._reload()
        return frozenset((a, b)) in self._cut

    def cut_from(self, a: str) -> set[str]:
        """The nodes whose link with `a` is cut (the file read once, for a pass over every peer)."""
        if self.path is not None:
            self._reload()
        with self._lock:
            return {b for pair in self._cut if a in pair for b in pair if b != a}

    def _reload(self) -> None:
        try:
            st_ = self.path.stat()
        except FileNotFoundError:
            self._cut, self._mtime = set(), None
            return
        # Time, size and inode: `cluster partition`/`heal` replace the file, so an edit within one
        # timestamp tick is still seen.
        mtime = (st_.st_mtime_ns, st_.st_size, st_.st_ino)
        if mtime != self._mtime:
            try:
                pairs = json.loads(self.path.read_text()).get("cut", [])
            except (OSError, ValueError):
                return
            self._cut = {frozenset(p) for p in pairs if len(p) == 2}
            self._mtime = mtime


@dataclass
class Incoming:
    """A received record after verification (or the reason it failed)."""

    record: record_pb2.SignedRecord
    verified: VerifiedRecord | None = None
    body: object | None = None  # the parsed body: a SeizureCase, or a request-side message
    ent: object | None = None  # who its signed policy entitles (replication.Entitlements.of)
    error: str = ""
    rows: st.NewRows | None = None  # a live seizure's rows for the store's bulk path, made before its transaction


@dataclass
class Receipt:
    """A received batch queued for the store's writer (Replicator.start_receive)."""

    outcomes: concurrent.futures.Future  # the outcome of each record, once the batch has committed
    barrier: bool  # the batch holds records that change how the next batch is verified: wait for it first
    failed: bool = False  # its transaction raised (set on the writer's thread)

    def lost(self) -> bool:
        """Not stored: its transaction raised, or its commit failed."""
        f = self.outcomes
        return self.failed or (f.done() and (f.cancelled() or f.exception() is not None))


class NotStoredBefore(Exception):
    """A batch queued behind one of the same pull that was not stored: it is not stored either, so that the
    pull's checkpoint never passes records it lacks."""


class Replicator:
    """Accepts and serves records for one node. Thread-safe; all writes go through the store's writer."""

    def __init__(self, store: st.Store, me: str, directory: Directory, keyring: Keyring, clock: Clock, *,
                 metrics: NodeMetrics | None = None):
        self.store = store
        self.me = me
        self.clock = clock
        self.keyring = keyring
        self.metrics = metrics or NodeMetrics()
        # Set by the node (node/keys.py): fetch the statements of keys a batch names and this node lacks.
        self.learn_keys: Callable[[str, list], None] | None = None
        # Set by node/operations.py: judges received operation and group records, learns of those stored.
        self.operations = None
        # Set by node.py: a stored record asks for a validation or an endorsement (the ticker looks at once).
        self.on_signal: Callable[[], object] | None = None
        self._pairs_lock = threading.Lock()
        self._policy_rows: list[tuple] = []  # every (pid, origin, policy) of the store, read as they appear
        self._policies_top = 0
        self.set_directory(directory)
        self._cond = threading.Condition()
        self._closing = False  # set under _cond by close(): every feed ends at once
        self._head = store.last_seq()
        store.on_commit(self._committed)

    def set_directory(self, directory: Directory) -> None:
        self.directory = directory
        me = directory.get(self.me)
        self._my_members = frozenset(directory.members_of(self.me)) if me is not None and me.role == "rilo" else frozenset()
        # The membership of the operations held (policy scope GROUP) stays across a new directory.
        self.ent = Entitlements(directory, self.ent.groups if getattr(self, "ent", None) else None)
        self._pair_pids: dict[str, tuple] = {}  # peer -> (entitlements, pairs looked at, pairs both may hold)
        self._digest_cache: dict[str, tuple] = {}  # peer -> ((store commits, entitlements, generation), digest)

    def _committed(self, last_seq: int) -> None:
        with self._cond:
            self._head = last_seq
            self._cond.notify_all()

    @property
    def head(self) -> int:
        return self._head

    # -- receiving ---------------------------------------------------------------------

    def verify(self, records) -> list[Incoming]:
        out = []
        for rec in records:
            item = Incoming(rec)
            try:
                item.verified = verify_record(rec, self.keyring)
                h = item.verified.header
                # Operations (node/operations.py): a newer operation record gives its membership before the
                # group's records of the same batch are judged; a group record of a non-member is refused.
                group_body = self.operations.verify(h, rec) if self.operations is not None else None
                # A policy that does not parse refuses this record alone, before the batch's transaction.
                item.ent = self.ent.of(h)
                if h.kind == SEIZURE and not h.retracted:
                    item.body = seizure_pb2.SeizureCase.FromString(rec.body)
                    policy = h.policy.SerializeToString(deterministic=True)
                    row = record_row(item.verified.record, origin=h.origin, record_id=h.record_id, version=h.version,
                                     kind=h.kind, created_at=h.created_at)
                    item.rows = st.new_rows({**row, "policy": policy},
                                            projections.seizure_rows(h.origin, h.record_id, h.version, item.body, policy))
                elif h.kind == WITHDRAWAL:
                    w = record_pb2.Withdrawal.FromString(rec.body)
                    if not w.record_id or not w.version:
                        raise SignatureError("withdrawal names no record")
                elif h.kind in projections.KINDS:
                    if not h.retracted:
                        item.body = projections.parse_body(h.kind, rec.body, h, self.directory.__contains__)
                        if h.kind == projections.ENDORSEMENT and not may_endorse(
                                h.origin, item.body.seizure.origin, self.directory):
                            raise SignatureError(f"{h.origin} is not the RILO of {item.body.seizure.origin}: "
                                                 "it may not validate its seizures")
                elif group_body is not None:
                    item.body = group_body  # an operation or a message
                elif h.kind == HIT_FILTER:
                    if not h.retracted:
                        hitfilter.parse_chunk(h.record_id, rec.body)  # a hit-check filter chunk (node/hitcheck.py)
                elif h.kind not in (SEIZURE, WITHDRAWAL):
                    raise SignatureError(f"unknown record kind {h.kind}")
            except SignatureError as exc:
                item.error = f"refused: {exc}"
            except PolicyError as exc:
                item.error = f"refused: malformed policy ({exc})"
            except Exception as exc:  # noqa: BLE001 - a body that does not parse
                item.error = f"refused: body does not parse ({type(exc).__name__}: {exc})"
            out.append(item)
        return out

    def _already_held(self, rec: record_pb2.SignedRecord) -> bool:
        """A copy of this very version is held (with the annex, if this one has one): nothing to do,
        and no signature to check. Any doubt falls through to the full path."""
        try:
            h = record_pb2.RecordHeader.FromString(rec.header)
        except Exception:  # noqa: BLE001 - the full path refuses and logs it
            return False
        row = self.store.reader.execute(
            "SELECT version, annex IS NOT NULL, withdrawn FROM records WHERE origin = ? AND record_id = ?",
            (h.origin, h.record_id)).fetchone()
        return bool(row) and row[0] == h.version and not row[2] and (row[1] or not rec.annex)

    def receive(self, records, *, peer: str, via: str, checkpoint: int | None = None,
                lazy_checkpoint: bool = False) -> list[str]:
        """Verify, judge and store records from `peer`; with `checkpoint`, advance that peer's
        checkpoint in the same transaction. Returns an outcome per record. With `lazy_checkpoint`,
        a batch with nothing new writes nothing (the caller persists the checkpoint later)."""
        return self.start_receive(records, peer=peer, via=via, checkpoint=checkpoint,
                                  lazy_checkpoint=lazy_checkpoint).outcomes.result()

    def start_receive(self, records, *, peer: str, via: str, checkpoint: int | None = None,
                      lazy_checkpoint: bool = False, after: Receipt | None = None) -> Receipt:
        """receive() up to the store's writer: the records are verified here, on the calling thread, and
        their transaction is queued; the receipt's future gives the outcomes once it has committed.
        Transactions commit in the order they were queued, so a pull may verify its next batch while the
        writer stores this one, unless the receipt says this batch changes how later ones are verified.
        With `after` (the previous batch of the same pull), this one stores nothing if that one was not
        stored (NotStoredBefore)."""
        duplicate = [self._already_held(r) for r in records]
        if self.learn_keys is not None:
            self.learn_keys(peer, [r for r, d in zip(records, duplicate) if not d])
        items = self.verify([r for r, d in zip(records, duplicate) if not d])
        if lazy_checkpoint and not items:
            self.metrics.received(peer, via, ["duplicate"] * len(records))
            done: concurrent.futures.Future = concurrent.futures.Future()
            if after is not None and after.lost():
                done.set_exception(NotStoredBefore(f"the batch before this one from {peer} was not stored"))
            else:
                done.set_result(["duplicate"] * len(records))
            return Receipt(done, barrier=False)
        # Operation records, withdrawals and the other request-side kinds change the membership or what is
        # held in ways the next batch's verification reads (operations.verify, Entitlements); seizures not.
        barrier = any(item.verified is not None and item.verified.header.kind != SEIZURE for item in items)
        now = rfc3339(self.clock.now())
        me = self.me
        signals: set[str] = set()  # raised on the store once the batch has committed
        events: list[str] = []  # the kinds of security event stored, counted once the batch has committed

        receipt = Receipt(concurrent.futures.Future(), barrier=barrier)

        def txn(conn) -> list[str]:
            if after is not None and after.lost():
                receipt.failed = True
                raise NotStoredBefore(f"the batch before this one from {peer} was not stored")
            try:
                return store_txn(conn)
            except BaseException:
                receipt.failed = True
                raise

        def store_txn(conn) -> list[str]:
            signals.clear()
            events.clear()
            outcomes = []
            # New seizures (no version held) wait here and go in with one executemany per table
            # (store.insert_new_records_txn); anything else first flushes them, so the batch's order holds.
            bulk: list[tuple] = []
            bulk_keys: set[tuple[str, str]] = set()

            def flush():
                if bulk:
                    self._store_new_txn(conn, bulk, peer, now, signals)
                    bulk.clear()
                    bulk_keys.clear()

            for item in items:
                if (not item.error and item.body is not None and item.verified.header.kind == SEIZURE
                        and not item.verified.header.retracted):
                    h = item.verified.header
                    if (h.origin, h.record_id) not in bulk_keys:
                        held = st.held_version_txn(conn, h.origin, h.record_id)
                        if held is None and st.withdrawn_through_txn(conn, h.origin, h.record_id) is None:
                            verdict = judge(h, me, item.ent, None, None, has_annex=bool(item.verified.record.annex),
                                            held_annex=False)
                            annex_refused = bool(item.verified.record.annex) and me not in item.ent.annex
                            if verdict is Verdict.STORE and not annex_refused:
                                bulk.append(item)
                                bulk_keys.add((h.origin, h.record_id))
                                outcomes.append(verdict.value)
                                continue
                flush()
                if item.error:
                    st.security_event_txn(conn, at=now, kind="bad_record", peer=peer,
                                          detail=f"{via}: {item.error}")
                    events.append("bad_record")
                    outcomes.append(item.error)
                    continue
                v = item.verified
                h = v.header
                ent = item.ent
                held = st.held_version_txn(conn, h.origin, h.record_id)
                through = st.withdrawn_through_txn(conn, h.origin, h.record_id)
                verdict = judge(h, me, ent, held[0] if held else None, through,
                                has_annex=bool(v.record.annex), held_annex=bool(held and held[2]))
                annex_refused = bool(v.record.annex) and me not in ent.annex and verdict is not Verdict.NOT_ENTITLED
                if annex_refused:
                    st.security_event_txn(conn, at=now, kind="annex_not_entitled", peer=peer,
                                          origin=h.origin, record_id=h.record_id,
                                          detail=f"{via}: annex dropped, {me} may not hold it")
                    events.append("annex_not_entitled")
                if verdict is Verdict.NOT_ENTITLED:
                    st.security_event_txn(conn, at=now, kind="not_entitled", peer=peer, origin=h.origin,
                                          record_id=h.record_id,
                                          detail=f"{via}: version {h.version} does not entitle {me}")
                    events.append("not_entitled")
                elif verdict in (Verdict.OLDER, Verdict.WITHDRAWN):
                    st.security_event_txn(conn, at=now, kind="older_version", peer=peer, origin=h.origin,
                                          record_id=h.record_id,
                                          detail=f"{via}: version {h.version} after {held[0] if held else through}")
                    events.append("older_version")
                elif verdict is Verdict.ANNEX:
                    # Stored again (a new local seq), so that this node's own feeds pass the annex on
                    # to the entitled peers that got the record without it from here.
                    self._store_txn(conn, v, item.body, v.record.annex, peer, now, new=False, signals=signals)
                elif verdict is Verdict.STORE and h.kind in projections.KINDS:
                    # One record that cannot be stored must not hold back the rest of the batch.
                    conn.execute("SAVEPOINT one_record")
                    try:
                        self._store_txn(conn, v, item.body, None, peer, now, new=held is None, signals=signals)
                    except sqlite3.Error as exc:
                        conn.execute("ROLLBACK TO one_record")
                        st.security_event_txn(conn, at=now, kind="bad_record", peer=peer, origin=h.origin,
                                              record_id=h.record_id, detail=f"{via}: not stored: {exc}")
                        events.append("bad_record")
                        conn.execute("RELEASE one_record")
                        outcomes.append(f"refused: not stored ({exc})")
                        continue
                    conn.execute("RELEASE one_record")
                elif verdict is Verdict.STORE:
                    annex = None if annex_refused else (v.record.annex or None)
                    self._store_txn(conn, v, item.body, annex, peer, now, new=held is None, signals=signals)
                outcomes.append(verdict.value)
            flush()
            if checkpoint is not None:
                st.set_checkpoint_txn(conn, peer, checkpoint, now)
            return outcomes

        result = receipt.outcomes

        def committed(fut: concurrent.futures.Future) -> None:
            # On the writer's thread, right after the commit (or at once if it is done already).
            try:
                stored = iter(fut.result())
                if "validation" in signals:
                    self.store.validation_pending = True
                if "endorsements" in signals:
                    self.store.endorsements_pending = True
                if signals and self.on_signal is not None:
                    self.on_signal()
                outcomes = ["duplicate" if d else next(stored) for d in duplicate]
                self.metrics.received(peer, via, outcomes)
                for kind in events:
                    self.metrics.security_event(kind)
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the receipt
                result.set_exception(exc)
            else:
                result.set_result(outcomes)

        # Queued after any call's own write (Store.submit, background).
        self.store.submit(txn, background=True).add_done_callback(committed)
        return receipt

    def _store_new_txn(self, conn, bulk: list[Incoming], peer: str, now: str,
                       signals: set[str]) -> None:
        """_store_txn for many new seizures, none held in any version, through the store's bulk path."""
        if self._my_members and any(item.verified.header.origin in self._my_members for item in bulk):
            signals.add("endorsements")  # an endorsement of this RILO's may have to follow it
        st.insert_new_records_txn(conn, [item.rows for item in bulk], peer, now)
        if self.operations is not None:
            for item in bulk:
                self.operations.stored_txn(conn, item.verified.header, item.verified.record)

    def _store_txn(self, conn, v: VerifiedRecord, body: seizure_pb2.SeizureCase | None, annex: bytes | None, peer: str, now: str,
                   *, new: bool, signals: set[str]) -> None:
        h = v.header
        rec = v.record if annex else strip_annex(v.record)
        st.upsert_record_txn(
            conn,
            {**record_row(rec, origin=h.origin, record_id=h.record_id, version=h.version, kind=h.kind,
                          created_at=h.created_at, retracted=h.retracted),
             "policy": h.policy.SerializeToString(deterministic=True)},
            peer, now, new=new,
        )
        if h.kind == SEIZURE:
            if body is not None:
                row, items = projections.seizure_rows(h.origin, h.record_id, h.version, body,
                                                   h.policy.SerializeToString(deterministic=True))
                st.put_projection_txn(conn, row, items, new=new)
            elif not new:
                st.delete_projection_txn(conn, h.origin, h.record_id)
            if self._my_members and h.origin in self._my_members:
                signals.add("endorsements")  # an endorsement of this RILO's may have to follow it
        elif h.kind in projections.KINDS:
            projections.project_txn(conn, h, v.record.body, body)
            if body is not None:
                self._noticed_txn(conn, h, body, peer, now, signals)
        elif h.kind == WITHDRAWAL:
            w = record_pb2.Withdrawal.FromString(v.record.body)
            st.apply_withdrawal_txn(conn, h.origin, w.record_id, w.version)
        if self.operations is not None:
            self.operations.stored_txn(conn, h, v.record)

    def _noticed_txn(self, conn, h: record_pb2.RecordHeader, body, peer: str, now: str, signals: set[str]) -> None:
        """What a received request-side record means for this node beyond storing it."""
        if h.kind == projections.ENDORSEMENT and body.seizure.origin == self.me:
            signals.add("validation")  # own seizures held in the region may now be published
        elif h.kind == projections.RESPONSE and body.released and body.request.origin == self.me:
            # Only the addressee of one of this node's requests releases, and only its own records.
            addressee = conn.execute("SELECT addressee FROM requests WHERE origin = ? AND record_id = ?",
                                     (self.me, body.request.record_id)).fetchone()
            if addressee is None or addressee[0] != h.origin or any(k.origin != h.origin for k in body.released):
                return
            # The other half of the release in the audit (the origin wrote its own when it released).
            st.audit_txn(conn, at=now, actor=h.origin, action="released_to_me",
                         keys=[[k.origin, k.record_id, k.version] for k in body.released],
                         detail={"request": f"{body.request.origin}/{body.request.record_id}",
                                 "response": f"{h.origin}/{h.record_id}", "annex": body.annex_released,
                                 "via": peer})

    # -- serving -----------------------------------------------------------------------

    def offered(self, rec: st.StoredRecord, peer: str, *, relay: bool = False) -> record_pb2.SignedRecord | None:
        """The record as `peer` may receive it from this node, or None.

        With `relay` (the live feed), split horizon: a record is not offered back to the node it came
        from, nor to that node's own peers, which it offers the record to itself. Anti-entropy
        (relay=False) repairs what a cut link between those two leaves out.
        """
        if rec.withdrawn:
            return None  # a tombstone is never passed on; the entitled get the real version elsewhere
        if self.keyring.refuses(rec.key_id, rec.created_at):
            return None  # quarantined: signed by a key revoked at its date (node/keys.py)
        if relay and rec.received_from and (peer == rec.received_from or peer == rec.origin
                                            or peer in self.ent.peers(rec.received_from)):
            return None
        header = record_pb2.RecordHeader.FromString(rec.header)
        decision = offer(self.ent.of(header), peer, bool(rec.annex))
        if decision is Offer.NOTHING:
            return None
        return record_pb2.SignedRecord(
            header=rec.header, body=rec.body or b"",
            annex=(rec.annex or b"") if decision is Offer.FULL else b"",
            signature=rec.signature, key_id=rec.key_id,
        )

    def feed(self, peer: str, after_seq: int, *, live: bool, active: Callable[[], bool],
             max_batch: int = FEED_BATCH) -> Iterator[peer_pb2.PullResponse]:
        """Records after `after_seq` that `peer` may hold: the backlog, then (live) new ones.

        A live feed answers its start at once, with records or without (the caller's link is up, and it
        knows how far the feed scanned). Then how far it scanned (`scanned_seq`) goes out with the peer's
        next records; with nothing for the peer, only when that adds up: after a page of `max_batch`
        records, and at the latest HEARTBEAT_SECONDS after its last message (the heartbeat).
        A record stored here that is not for the peer thus costs no message to it: a RILO relaying one
        record sent an empty message to each of its dozen or so peers, and each of them one to theirs."""
        pos = told = after_seq
        last_sent: float | None = None  # time.monotonic() of the last message; None before the first
        while active() and not self._closing:
            items: list[peer_pb2.FeedItem] = []
            scanned = pos
            size = 0
            for rec in self.store.iter_records(after_seq=pos, batch=max_batch):
                scanned = rec.seq
                out = self.offered(rec, peer, relay=True)
                if out is not None:
                    items.append(peer_pb2.FeedItem(record=out, seq=rec.seq))
                    size += out.ByteSize()
                    # Big records (hit-check filter chunks, up to tens of KiB each) end a message early:
                    # it stays far below the 16 MiB a node sends at most.
                    if len(items) >= max_batch or size >= FEED_BATCH_BYTES:
                        break
            now = time.monotonic()
            first = last_sent is None
            if items or (live and first) or (scanned > pos and (
                    not live or first or scanned - told >= max_batch or now - last_sent >= HEARTBEAT_SECONDS)):
                pos = told = scanned
                last_sent = now
                self.metrics.sent(peer, "pull", len(items))
                yield peer_pb2.PullResponse(items=items, scanned_seq=scanned, head_seq=max(self._head, scanned))
                continue
            pos = scanned  # nothing for the peer in it: said with its next message
            if not live:
                return
            with self._cond:
                if self._head <= pos and not self._closing:
                    # The heartbeat comes HEARTBEAT_SECONDS after the last message, whatever woke us meanwhile.
                    due = HEARTBEAT_SECONDS if last_sent is None else last_sent + HEARTBEAT_SECONDS - now
                    if due > 0:
                        self._cond.wait(timeout=due)
                if self._closing:
                    return
                woke_with_news = self._head > pos
            if woke_with_news:
                # While records flow, a short pause gathers what else is being stored into the same message:
                # fewer messages, fewer commits at the receiver. A record after a quiet spell goes at once
                # (a record crossing the network waits at every hop).
                if last_sent is not None and time.monotonic() - last_sent < COALESCE_AFTER:
                    time.sleep(COALESCE_SECONDS)
            elif active():
                told, last_sent = pos, time.monotonic()
                yield peer_pb2.PullResponse(scanned_seq=pos, head_seq=self._head)

    def wake_all(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def close(self) -> None:
        """End every feed now (the node is stopping); set under the lock, so no feed can miss it."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()

    # -- anti-entropy ----------------------------------------------------------------------

    def pair_pids(self, peer: str) -> list[int]:
        """The (origin, policy) pairs (store `policies`) whose records both this node and `peer` may hold;
        decided once per pair and extended as new pairs appear."""
        with self._pairs_lock:
            ent = self.ent
            rows = self.store.reader.execute("SELECT pid, origin, policy FROM policies WHERE pid > ? ORDER BY pid",
                                             (self._policies_top,)).fetchall()
            if rows:
                self._policy_rows = [*self._policy_rows, *rows]
                self._policies_top = rows[-1][0]
            stamp = (ent, ent.generation)  # a new directory, or a group's new membership: start afresh
            cached = self._pair_pids.get(peer)
            if cached is None or cached[0] != stamp:
                cached = (stamp, 0, [])
            _stamp, upto, pids = cached
            if upto < self._policies_top:
                pids = [*pids, *(pid for pid, origin, policy in self._policy_rows if pid > upto
                                 and {self.me, peer} <= ent.of_policy(origin, policy or b"").hold)]
                self._pair_pids[peer] = (stamp, self._policies_top, pids)
            return pids

    def pair_digest(self, peer: str) -> dict[int, tuple[int, bytes]]:
        """The digest (per bucket: count and XOR of key hashes) of the live records this node holds that
        both it and `peer` may hold: a sum of the per-pair digests the write transaction keeps
        (store `pid_digests`), never a pass over the records; reused while nothing was committed."""
        commits, ent = self.store.commits, self.ent
        stamp = (commits, ent, ent.generation)
        cached = self._digest_cache.get(peer)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        pids = self.pair_pids(peer)
        acc: dict[int, list[int]] = {}
        for i in range(0, len(pids), 500):
            chunk = pids[i:i + 500]
            for bucket, n, x1, x2 in self.store.reader.execute(
                    f"SELECT bucket, n, x1, x2 FROM pid_digests WHERE pid IN ({','.join('?' * len(chunk))})", chunk):
                entry = acc.setdefault(bucket, [0, 0, 0])
                entry[0] += n
                entry[1] ^= x1
                entry[2] ^= x2
        out = {b: (n, x1.to_bytes(8, "big", signed=True) + x2.to_bytes(8, "big", signed=True))
               for b, (n, x1, x2) in acc.items() if n}
        self._digest_cache[peer] = (stamp, out)
        return out

    def pair_keys(self, peer: str, buckets=None) -> list[tuple[str, str, int]]:
        """(origin, record_id, version) of the live records this node holds that both it and `peer` may
        hold; only those in `buckets` when given."""
        pids = self.pair_pids(peer)
        out = []
        where = "" if buckets is None else f" AND bucket IN ({','.join(str(int(b)) for b in sorted(buckets))})"
        for i in range(0, len(pids), 500):
            chunk = pids[i:i + 500]
            out += self.store.reader.execute(
                f"SELECT origin, record_id, version FROM records WHERE pid IN ({','.join('?' * len(chunk))}) "
                f"AND withdrawn = 0{where}", chunk).fetchall()
        return out

    def held_versions(self, keys) -> dict[tuple[str, str], int]:
        """The version held of each (origin, record_id) of `keys` that this node holds."""
        out = {}
        for origin, record_id, *_ in keys:
            row = self.store.reader.execute("SELECT version FROM records WHERE origin = ? AND record_id = ?",
                                            (origin, record_id)).fetchone()
            if row is not None:
                out[(origin, record_id)] = row[0]
        return out

    def digest_response(self, peer: str, detail_buckets) -> peer_pb2.DigestResponse:
        resp = peer_pb2.DigestResponse(bucket_count=BUCKETS)
        for b, (count, xor) in sorted(self.pair_digest(peer).items()):
            resp.buckets.add(bucket=b, count=count, xor=xor)
        if detail_buckets:
            for o, r, v in self.pair_keys(peer, set(detail_buckets)):
                resp.keys.add(origin=o, record_id=r, version=v)
        return resp

    def fetch_response(self, peer: str, keys) -> peer_pb2.FetchResponse:
        resp = peer_pb2.FetchResponse()
        size = 0
        for key in keys[:5000]:
            rec = self.store.get_record(key.origin, key.record_id)
            if rec is None:
                continue
            out = self.offered(rec, peer)
            if out is not None:
                resp.records.append(out)
                size += out.ByteSize()
                if size >= 2 * FEED_BATCH_BYTES:
                    break  # the rest at the next pass: the answer stays far below 16 MiB
        self.metrics.sent(peer, "anti-entropy", len(resp.records))
        return resp


@dataclass
class PeerLink:
    peer: str
    state: str = "never"
    failures: int = 0
    next_attempt: float = 0.0
    head_seq: int = 0
    checkpoint: int = 0
    last_error: str = ""
    checkpoint_saved: float = 0.0
    last_contact: float | None = None  # clock.monotonic() when the peer last answered (metrics)
    task: concurrent.futures.Future | None = None  # the pull running on the network's event loop
    call: object | None = None  # its grpc.aio call (touched on the loop only)
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class PeerNetwork:
    """This node's side of its peer links: pulls, direct deliveries, anti-entropy passes.

    The pulls are coroutines on one event loop of the node (grpc.aio), one long call to each peer: an idle
    network of many peers costs no thread per peer, and no thread waking to poll (a blocking grpc iterator
    wakes every 0.1 s). What a pull receives is verified on RECEIVERS threads and stored by the store's writer,
    in order: the next message is verified while the writer stores the previous one."""

    def __init__(self, replicator: Replicator, *, links: Links | None = None, clock: Clock | None = None,
                 channels: Channels):
        self.r = replicator
        self.me = replicator.me
        self.links = links or Links()
        self.clock = clock or replicator.clock
        # The node's one channel to each other node (node/channels.py), and its event loop, which the node
        # (node.py) makes, shares and closes.
        self.channels = channels
        self._links: dict[str, PeerLink] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._deliver_lock = threading.Lock()
        self._deliver_wake = threading.Event()
        self._deliverer: threading.Thread | None = None
        self.on_link_up: Callable[[str], object] | None = None  # node.py: the keys compared with the peer
        self.on_link_down: Callable[[], object] | None = None  # node.py: the ticker looks at once (supervise)
        # peer -> (what was compared, clock.monotonic()) of the last pass that found both sides equal
        self._compared_equal: dict[str, tuple[tuple, float]] = {}
        self._receivers: concurrent.futures.ThreadPoolExecutor | None = None

    def start_delivery(self, every: float = 0.5) -> None:
        """Deliver owed records as soon as a commit owed some (and every `every` s for retries),
        on a thread of its own: a record for a node no entitled chain reaches leaves at once."""
        if self._deliverer is not None:
            return
        store = self.r.store
        self.r.store.on_commit(lambda _last: self._deliver_wake.set() if store.outbox_pending else None)

        def loop() -> None:
            while not self._closed:
                # With nothing owed (no outbox row), it sleeps until a commit owes something or the node closes.
                self._deliver_wake.wait(every if store.outbox_pending else None)
                self._deliver_wake.clear()
                if self._closed:
                    return
                try:
                    self.deliver_due()
                except Exception:  # noqa: BLE001 - logged; the next wake-up tries again
                    logger.exception("[node=%s] direct delivery failed", self.me)

        self._deliverer = threading.Thread(target=loop, name=f"deliver:{self.me}", daemon=True)
        self._deliverer.start()

    # -- channels ----------------------------------------------------------------------

    def call(self, peer: str, method: str, request, *, timeout: float):
        """One PeerService call, waited for (on the node's event loop and its one channel to the peer): the
        response, grpc.RpcError, or ConnectionError (a cut link, no address, this node stopping)."""
        return self.channels.call_blocking(peer, peer_pb2_grpc.PeerServiceStub, method, request, timeout=timeout)

    def call_async(self, peer: str, method: str, request, *, timeout: float) -> concurrent.futures.Future:
        """Start one PeerService call on the node's event loop (no thread for it, node/channels.py): a
        Future of its response or its grpc.RpcError. ConnectionError at once when the link is cut, the peer
        has no address or this node is stopping."""
        return self.channels.call(peer, peer_pb2_grpc.PeerServiceStub, method, request, timeout=timeout)

    def _aio_stub(self, peer: str) -> peer_pb2_grpc.PeerServiceStub:
        """A stub on the node's event loop (called there only)."""
        return self.channels.stub(peer, peer_pb2_grpc.PeerServiceStub)

    def forget_channel(self, peer: str) -> None:
        """Close the event loop's channel to `peer` (its link was cut or dropped): its calls end with it."""
        self.channels.forget_aio(peer)

    def _pull_loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the pulls run on (node/channels.py); None once the network is closed."""
        with self._lock:
            if self._closed:
                return None
            if self._receivers is None:
                self._receivers = concurrent.futures.ThreadPoolExecutor(
                    max_workers=RECEIVERS, thread_name_prefix=f"receive:{self.me}",
                    initializer=lower_this_thread)  # store/priority.py: background work
        return self.channels.loop()

    # -- pull links --------------------------------------------------------------------

    def peers(self) -> tuple[str, ...]:
        return tuple(p for p in self.r.ent.peers(self.me))

    def reconnect_soon(self) -> bool:
        """Whether a pull waits to be started (a link down, not cut, or never started): the reconnect job
        then looks again within a second rather than at the ticker's idle pace (node/jobs.py)."""
        for peer in self.peers():
            link = self._links.get(peer)
            # (A pull that just ended is in backoff while its task finishes.)
            if link is None or link.state == "backoff" or (not link.running and link.state != "cut"):
                return True
        return False

    def supervise(self) -> None:
        """Start pulls that are due, stop pulls over cut links (the reconnect job)."""
        if self._closed:
            return
        now = self.clock.monotonic()
        cut = self.links.cut_from(self.me)
        for peer in self.peers():
            link = self._links.get(peer)
            if link is None:  # (not setdefault: the checkpoint is read once, not every second for every peer)
                link = self._links[peer] = PeerLink(peer, checkpoint=st.checkpoint_of(self.r.store, peer))
            if peer in cut:
                if link.running:
                    self._cancel(link)
                link.state = "cut"
                continue
            if not link.running and now >= link.next_attempt:
                loop = self._pull_loop()
                if loop is None:
                    return
                link.stop.clear()
                link.task = asyncio.run_coroutine_threadsafe(self._pull(link), loop)

    def _cancel(self, link: PeerLink) -> None:
        link.stop.set()
        self.channels.call_soon(self._cancel_call, link)
        self.forget_channel(link.peer)

    @staticmethod
    def _cancel_call(link: PeerLink) -> None:
        if link.call is not None:
            link.call.cancel()

    def _link_up(self, peer: str) -> None:
        # A link (re)starting, at start-up or after a partition healed: compare keys with the peer now
        # (node/keys.py SYNC_EVERY), before the records signed by them come. A node that stops meanwhile
        # has closed the key book's channels (ValueError from grpc): nothing to compare then.
        try:
            self.on_link_up(peer)
        except (grpc.RpcError, ConnectionError, ValueError) as exc:
            logger.debug("[peer=%s] keys not compared as the link came up: %s", peer, exc)

    async def _pull(self, link: PeerLink) -> None:
        peer = link.peer
        loop = asyncio.get_running_loop()
        receivers = self._receivers
        pending: asyncio.Task | None = None  # the previous message's outcome, while the writer stores it
        receipt: Receipt | None = None
        try:
            if self.on_link_up is not None and not self._closed and not link.stop.is_set():
                # On the loop's default executor, not the receivers: a comparison waits on the peer (up to
                # the key book's timeout) while other links' batches are stored.
                await loop.run_in_executor(None, self._link_up, peer)
            link.checkpoint = await loop.run_in_executor(receivers, st.checkpoint_of, self.r.store, peer)
            if link.stop.is_set():
                return
            call = self._aio_stub(peer).Pull(peer_pb2.PullRequest(after_seq=link.checkpoint, live=True,
                                                                  max_batch=PULL_BATCH))
            link.call = call
            link.state = "connecting"
            async for resp in call:
                if link.stop.is_set():
                    break
                link.state = "connected"
                link.failures = 0
                link.head_seq = resp.head_seq
                link.last_contact = self.clock.monotonic()
                if resp.items or resp.scanned_seq > link.checkpoint:
                    # A checkpoint alone is persisted at most every CHECKPOINT_EVERY seconds: losing
                    # it in a crash only means scanning again records that are then dropped as duplicates.
                    now = time.monotonic()
                    lazy = now - link.checkpoint_saved < CHECKPOINT_EVERY
                    # Verified here while the writer may still store the previous message (pipelined):
                    # its transaction queues behind that one's, and its outcome is awaited after it.
                    receipt = await loop.run_in_executor(receivers, self._receive, resp, peer, lazy, receipt)
                    if pending is not None:
                        await pending
                    pending = loop.create_task(self._settle(link, receipt, now, lazy, resp.scanned_seq))
                    if receipt.barrier:
                        await pending
            if pending is not None:
                await pending
        except asyncio.CancelledError:
            link.last_error = "cancelled"  # the link was cut or the node is stopping
        except grpc.RpcError as exc:
            link.last_error = f"{exc.code().name}: {exc.details()}"
        except Exception as exc:  # noqa: BLE001 - any failure ends this attempt; the supervisor retries
            link.last_error = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, ConnectionError):
                logger.warning("[peer=%s] pull failed: %s", peer, link.last_error)
        finally:
            if pending is not None and not pending.done():
                # The pull ended with a message still being stored (its transaction commits all the same);
                # its outcome, or failure, is of no use to anyone now.
                pending.add_done_callback(lambda t: t.cancelled() or t.exception())
            link.call = None
            if not self._closed:
                link.failures += 1
                link.next_attempt = self.clock.monotonic() + backoff(link.failures)
                link.state = "cut" if self.links.is_cut(self.me, peer) else "backoff"
                if self.on_link_down is not None:
                    self.on_link_down()

    def _receive(self, resp: peer_pb2.PullResponse, peer: str, lazy: bool, after: Receipt | None) -> Receipt:
        return self.r.start_receive([i.record for i in resp.items], peer=peer, via="pull",
                                    checkpoint=resp.scanned_seq, lazy_checkpoint=lazy, after=after)

    @staticmethod
    async def _settle(link: PeerLink, receipt: Receipt, at: float, lazy: bool, scanned_seq: int) -> None:
        outcomes = await asyncio.wrap_future(receipt.outcomes)
        if not lazy or any(o != "duplicate" for o in outcomes):
            link.checkpoint_saved = at
        link.checkpoint = max(link.checkpoint, scanned_seq)

    def states(self) -> list[node_pb2.PeerState]:
        out = []
        for peer in self.peers():
            link = self._links.get(peer)
            if link is None:
                out.append(node_pb2.PeerState(peer=peer, state="never"))
                continue
            out.append(node_pb2.PeerState(peer=peer, state=link.state, checkpoint=link.checkpoint,
                                          behind=max(0, link.head_seq - link.checkpoint)))
        return out

    def link(self, peer: str) -> PeerLink | None:
        return self._links.get(peer)

    def drop_peers_not_in(self, peers: set[str]) -> None:
        """Stop the pulls from nodes that are no longer peers (a new directory removed them)."""
        for peer in [p for p in self._links if p not in peers]:
            self._cancel(self._links.pop(peer))

    def _heard_from(self, peer: str) -> None:
        link = self._links.get(peer)
        if link is not None:
            link.last_contact = self.clock.monotonic()

    # -- direct delivery ---------------------------------------------------------------

    def deliver_due(self) -> int:
        """Send owed direct deliveries (outbox), one Deliver call per target, to every target at once; the
        outcome of all of them is written in one transaction. Returns records delivered."""
        if self._closed or not self.r.store.outbox_pending or not self._deliver_lock.acquire(blocking=False):
            return 0
        try:
            # The hint is cleared before the outbox is read: a commit meanwhile raises it again, so that no
            # entry owed by it waits for a later commit.
            self.r.store.outbox_pending = False
            now = time.time()
            rows = st.due_deliveries(self.r.store, now)
            if rows or st.outbox_size(self.r.store):
                self.r.store.outbox_pending = True
            by_target: dict[str, list[tuple]] = {}
            for row in rows:
                by_target.setdefault(row[1], []).append(row)
            sends = []  # (target, entries, outbox ids, records, the call in flight or None)
            for target, entries in by_target.items():
                records, done_ids = [], []
                for oid, _t, origin, record_id, _v, _a in entries:
                    rec = self.r.store.get_record(origin, record_id)
                    out = self.r.offered(rec, target) if rec else None
                    if out is not None:
                        records.append(out)
                    done_ids.append(oid)
                call: object = None
                if records:
                    try:
                        call = self.call_async(target, "Deliver", peer_pb2.DeliverRequest(records=records), timeout=10)
                    except ConnectionError as exc:
                        call = exc
                sends.append((target, entries, done_ids, records, call))
            done, failed, delivered = [], [], 0
            for target, entries, done_ids, records, call in sends:
                try:
                    if isinstance(call, ConnectionError):
                        raise call
                    if call is not None:
                        self.channels.wait(call, target, 10)
                except (grpc.RpcError, ConnectionError) as exc:
                    err = exc.code().name if isinstance(exc, grpc.RpcError) else str(exc)
                    attempts = max(a for *_, a in entries) + 1
                    failed += [(attempts, now + backoff(attempts), err, i) for i in done_ids]
                    continue
                done += [(i,) for i in done_ids]
                delivered += len(records)
                if records:
                    self.r.metrics.sent(target, "deliver", len(records))
                    self._heard_from(target)

            def outcome(conn):
                conn.executemany("DELETE FROM outbox WHERE id = ?", done)
                conn.executemany("UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                                 failed)

            if done or failed:
                self.r.store.write(outcome)
            return delivered
        finally:
            self._deliver_lock.release()

    # -- anti-entropy --------------------------------------------------------------------

    def _comparison(self, peer: str) -> tuple | None:
        """What a comparison with `peer` depends on (anti_entropy_due), or None while its link is not connected
        (the peer's head as known here may be old then)."""
        link = self._links.get(peer)
        if link is None or link.state != "connected":
            return None
        ent = self.r.ent  # a new directory or operation membership: who may hold what
        return link.head_seq, self.r.keyring.version, ent, ent.generation, self.r.pair_digest(peer)

    def anti_entropy(self, peer: str) -> int:
        """Compare digests with `peer` and fetch what it has that this node lacks; returns records fetched."""
        compared = self._comparison(peer)  # before the peer answers: a change meanwhile shows next time
        theirs = self.call(peer, "Digest", peer_pb2.DigestRequest(), timeout=30)
        self._heard_from(peer)
        mine = self.r.pair_digest(peer)
        diff = differing_buckets(mine, {b.bucket: (b.count, b.xor) for b in theirs.buckets})
        if not diff:
            if compared is not None:
                self._compared_equal[peer] = (compared, self.clock.monotonic())
            self.r.metrics.anti_entropy(peer)
            return 0
        detail = self.call(peer, "Digest", peer_pb2.DigestRequest(detail_buckets=diff), timeout=30)
        theirs_keys = [(k.origin, k.record_id, k.version) for k in detail.keys]
        want = wanted(self.r.held_versions(theirs_keys), theirs_keys)
        fetched = repaired = 0
        for i in range(0, len(want), 1000):
            keys = [record_pb2.RecordKey(origin=o, record_id=r, version=v) for o, r, v in want[i:i + 1000]]
            resp = self.call(peer, "Fetch", peer_pb2.FetchRequest(keys=keys), timeout=60)
            outcomes = self.r.receive(list(resp.records), peer=peer, via="anti-entropy")
            fetched += len(resp.records)
            repaired += sum(o in ("stored", "annex added") for o in outcomes)
        self.r.metrics.anti_entropy(peer, repaired=repaired)
        if fetched:
            logger.info("[peer=%s] anti-entropy fetched %d records", peer, fetched)
        return fetched

    def anti_entropy_due(self) -> int:
        """The periodic pass (the anti-entropy job): anti_entropy_all but for the peers with which nothing has
        changed since both sides last compared equal, less than ANTI_ENTROPY_AT_LEAST ago. On an idle network
        a pass then costs no call."""
        return self.anti_entropy_all(only_changed=True)

    def anti_entropy_all(self, *, only_changed: bool = False) -> int:
        total = 0
        for peer in self.peers():
            if self._closed:
                break
            last = self._compared_equal.get(peer) if only_changed else None
            if (last is not None and self.clock.monotonic() - last[1] < ANTI_ENTROPY_AT_LEAST
                    and self._comparison(peer) == last[0]):
                continue
            try:
                total += self.anti_entropy(peer)
            except (grpc.RpcError, ConnectionError) as exc:
                logger.debug("[peer=%s] anti-entropy skipped: %s", peer, exc)
                self.r.metrics.anti_entropy(peer, failed=True)
        return total

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._deliver_wake.set()
        if self._deliverer is not None:
            self._deliverer.join(timeout=5)
        for link in self._links.values():
            self._cancel(link)
        for link in self._links.values():
            if link.task is not None:
                with contextlib.suppress(Exception):
                    link.task.result(timeout=5)
        with self._lock:
            receivers, self._receivers = self._receivers, None
        if receivers is not None:
            receivers.shutdown(wait=True)
