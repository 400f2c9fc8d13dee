"""Hit/no-hit on annex identifiers at one node (docs/design.md#hitno-hit-on-identifiers): its hit-check key, the
filter of its own identifiers it publishes as signed records, the blind evaluations it answers to other nodes
(quota, audit), and the checks it makes for its own officers. The OPRF and the filter's shape are pure
(rilo_node/core/oprf.py, rilo_node/core/hitfilter.py)."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from datetime import UTC
from pathlib import Path

import grpc

from rilo_node.core import hitfilter, identifiers, oprf
from rilo_node.core.convert import enum_to_str
from rilo_node.core.errors import QuotaExceededError, ValidationError
from rilo_node.core.identity import node_dns
from rilo_node.core.seizure import check_identifiers
from rilo_node.node.clock import Clock, new_ulid, rfc3339
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
    hit_pb2_grpc,
    policy_pb2,
    record_pb2,
    seizure_pb2,
)
from rilo_node.store import db as st

logger = logging.getLogger(__name__)

HIT_FILTER = record_pb2.RECORD_KIND_HIT_FILTER
SEIZURE = record_pb2.RECORD_KIND_SEIZURE
FILTER_PREFIX = hitfilter.FILTER_PREFIX
KEY_FILE = "hitcheck.key"
MAX_ELEMENTS = 1000  # blinded elements in one Evaluate call
MAX_CASE_REF = 100
_TYPE = seizure_pb2.IdentifierType.DESCRIPTOR


class QuotaSpentError(QuotaExceededError):
    """This asking node has used its evaluations for the UTC day (RESOURCE_EXHAUSTED)."""


def filter_policy() -> policy_pb2.SharingPolicy:
    """Every node holds every filter: it is what an asker compares an answer with."""
    return policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GLOBAL),
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
    """The hit/no-hit part of one node. Thread-safe: the filter is rebuilt under one lock."""

    def __init__(self, *, book, clock: Clock, key_path: Path, directory, tls, links, quota_per_day: int):
        self.book = book
        self.store = book.store
        self.clock = clock
        self.me = book.node_id
        self.key = HitKey(Path(key_path).with_name(KEY_FILE))
        self.directory = directory  # callable: the directory in use
        self.tls = tls
        self.links = links
        self.quota_per_day = quota_per_day
        self._lock = threading.RLock()
        # The filter's inputs, kept up to date from the own seizures stored since the last look:
        self._epoch = ""  # the key they are under
        self._seen_seq = 0  # the last own seizure's local seq read
        self._by_record: dict[str, frozenset[bytes]] = {}  # live own record -> its OPRF inputs
        self._counts: dict[bytes, int] = {}  # OPRF input -> live records holding it
        self._entries: dict[bytes, bytes] = {}  # OPRF input -> filter entry, under the current key
        self._channels: dict[str, tuple[str, grpc.Channel]] = {}
        self._channel_lock = threading.Lock()

    # -- the filter ------------------------------------------------------------------------------

    def _inputs_of(self, annex: bytes | None) -> frozenset[bytes]:
        if not annex:
            return frozenset()
        return frozenset(identifiers.oprf_input(enum_to_str(_TYPE, i.type), i.value)
                         for i in seizure_pb2.SeizureAnnex.FromString(annex).identifiers)

    def _published(self) -> dict[int, tuple[int, hit_pb2.HitFilterChunk]]:
        out = {}
        for record_id, version, body in self.store.reader.execute(
                "SELECT record_id, version, body FROM records WHERE origin = ? AND kind = ? AND retracted = 0 "
                "AND body IS NOT NULL", (self.me, HIT_FILTER)):
            chunk = hit_pb2.HitFilterChunk.FromString(body)
            out[chunk.index] = (version, chunk)
        return out

    def _take_changes(self) -> bool:
        """Read the own seizures stored since the last look (each version gets a new local seq, a
        retraction too) and bring the identifiers held per record, and their counts, up to date."""
        rows = self.store.reader.execute(
            "SELECT seq, record_id, withdrawn, retracted, annex FROM records WHERE origin = ? AND kind = ? "
            "AND seq > ? ORDER BY seq", (self.me, SEIZURE, self._seen_seq)).fetchall()
        for seq, record_id, withdrawn, retracted, annex in rows:
            new = frozenset() if (withdrawn or retracted) else self._inputs_of(annex)
            old = self._by_record.pop(record_id, frozenset())
            if new:
                self._by_record[record_id] = new
            for x in old - new:
                self._counts[x] -= 1
                if not self._counts[x]:
                    del self._counts[x]
            for x in new - old:
                self._counts[x] = self._counts.get(x, 0) + 1
            self._seen_seq = seq
        return bool(rows)

    def refresh(self, *, force: bool = False) -> int:
        """Republish the chunks of this node's filter that its own identifiers changed (all of them after a
        key rotation). Returns the chunks written. The job calls it every second; a check, before it
        looks. Only what was stored since the last call is read, and only the chunks it touches rebuilt."""
        with self._lock:
            if self._epoch != self.key.epoch:  # a new key: everything again
                self._epoch, self._seen_seq, force = self.key.epoch, 0, True
                self._by_record, self._counts, self._entries = {}, {}, {}
            if not self._take_changes() and not force:
                return 0
            key = self.key.key
            for x in set(self._entries) - set(self._counts):
                del self._entries[x]
            for x in self._counts:
                if x not in self._entries:
                    self._entries[x] = hitfilter.entry_of(oprf.evaluate(key, x))
            published = self._published()
            if not self._entries and not published:
                return 0  # no identifiers, ever: no filter (an asker finds no hit at a node without one)
            same_epoch = [c for _v, c in published.values() if c.key_epoch == self.key.epoch]
            bits = hitfilter.bits_for(len(self._entries), max((c.bits for c in same_epoch), default=0))
            new = hitfilter.chunks(self._entries.values(), bits)
            old = {i: c.entries for i, (_v, c) in published.items()
                   if c.key_epoch == self.key.epoch and c.bits == bits}
            todo = hitfilter.changed(old, new)
            # Chunks beyond the new chunking (a smaller one of an older key) are emptied.
            stale = [i for i in published if i >= (1 << bits) and published[i][1].entries]
            recs = []
            for i in todo + stale:
                chunk = hit_pb2.HitFilterChunk(key_epoch=self.key.epoch, bits=bits, index=i,
                                               entry_bytes=hitfilter.ENTRY_BYTES, entries=new.get(i, b""))
                version = published[i][0] + 1 if i in published else 1
                recs.append(self.book.sign(kind=HIT_FILTER, policy=filter_policy(),
                                           body=chunk.SerializeToString(deterministic=True),
                                           record_id=f"{FILTER_PREFIX}{i}", version=version))
            if recs:
                now = rfc3339(self.clock.now())

                def txn(conn):
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
                logger.info("[node=%s] hit-check filter: %d identifiers, %d of %d chunks republished", self.me,
                            len(self._entries), len(recs), 1 << bits)
            return len(recs)

    def rotate_key(self) -> int:
        """A new hit-check key (explicit, or with a rotation of the record-signing key): the whole filter
        is rebuilt under it."""
        with self._lock:
            self.key.rotate()
            logger.warning("[node=%s] hit-check key rotated: epoch %s", self.me, self.key.epoch)
            return self.refresh(force=True)

    # -- answering another node --------------------------------------------------------------------

    def _day(self) -> str:
        return self.clock.now().astimezone(UTC).date().isoformat()

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
        day, now = self._day(), rfc3339(self.clock.now())
        quota = self.quota_per_day
        used = self.store.reader.execute("SELECT used FROM hitcheck_quota WHERE asker = ? AND day = ?",
                                         (asker, day)).fetchone()
        if used is not None and used[0] + len(elements) > quota:
            raise self._spent(asker, day, used[0])  # spent already: not one multiplication for it
        # Each element is decoded and checked by the multiplication itself (one per element); a bad one
        # refuses the call and counts nothing.
        key = self.key
        evaluated = []
        for i, e in enumerate(elements):
            try:
                evaluated.append(oprf.blind_evaluate(key.key, e))
            except oprf.OprfError as exc:
                raise ValidationError(f"blinded_elements[{i}]", str(exc)) from None

        def txn(conn):
            row = conn.execute("SELECT used FROM hitcheck_quota WHERE asker = ? AND day = ?", (asker, day)).fetchone()
            used = row[0] if row else 0
            if used + len(elements) > quota:
                return used
            conn.execute("INSERT INTO hitcheck_quota (asker, day, used) VALUES (?, ?, ?) "
                         "ON CONFLICT (asker, day) DO UPDATE SET used = excluded.used", (asker, day, used + len(elements)))
            for name in sorted(set(names)):
                st.audit_txn(conn, at=now, actor=asker, action="hitcheck_answer",
                             detail={"case_ref": case_ref, "type": name, "count": names.count(name)})
            return None

        refused_at = self.store.write(txn)
        if refused_at is not None:
            raise self._spent(asker, day, refused_at)
        return hit_pb2.EvaluateResponse(evaluated_elements=evaluated, key_epoch=key.epoch, bits=self._bits())

    def _spent(self, asker: str, day: str, used: int) -> QuotaSpentError:
        logger.warning("[node=%s] hit-check quota of %s spent for %s (%d of %d used)", self.me, asker, day, used,
                       self.quota_per_day)
        return QuotaSpentError(f"hit-check quota spent: {asker} has used {used} of its {self.quota_per_day} "
                               f"evaluations at {self.me} for {day} (UTC)")

    def _bits(self) -> int:
        row = self.store.reader.execute(
            "SELECT body FROM records WHERE origin = ? AND record_id = ? AND body IS NOT NULL",
            (self.me, f"{FILTER_PREFIX}0")).fetchone()
        return hit_pb2.HitFilterChunk.FromString(row[0]).bits if row else 0

    # -- asking ------------------------------------------------------------------------------------

    def _stub(self, node: str) -> hit_pb2_grpc.HitEvaluationServiceStub:
        if self.links is not None and self.links.is_cut(self.me, node):
            raise ConnectionError(f"link {self.me}–{node} is cut")
        info = self.directory().get(node)
        address = info.address if info else None
        if not address:
            raise ConnectionError(f"no address for {node} in the directory")
        with self._channel_lock:
            cached = self._channels.get(node)
            if not cached or cached[0] != address:
                if cached:
                    cached[1].close()
                options = [("grpc.ssl_target_name_override", node_dns(node)),
                           ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.max_reconnect_backoff_ms", 2_000)]
                if self.tls:
                    ca, cert, key = self.tls
                    creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                                         certificate_chain=cert)
                    channel = grpc.secure_channel(address, creds, options=options)
                else:
                    channel = grpc.insecure_channel(address, options=options)
                cached = self._channels[node] = (address, channel)
            return hit_pb2_grpc.HitEvaluationServiceStub(cached[1])

    def _send(self, node: str, request: hit_pb2.EvaluateRequest, deadline: float):
        """Start one Evaluate call (grpc's own future: every node's call is out at once, no thread each).
        Returns (node, future or None, started, failure, when it finished)."""
        started = time.monotonic()
        timeout = deadline - started
        if timeout <= 0:
            return node, None, started, (TIMEOUT, "the deadline passed before it was asked"), []
        try:
            fut = self._stub(node).Evaluate.future(request, timeout=timeout)
        except ConnectionError as exc:
            return node, None, started, (UNREACHABLE, str(exc)), []
        done_at: list[float] = []
        fut.add_done_callback(lambda _f: done_at.append(time.monotonic()))
        return node, fut, started, None, done_at

    def _settle(self, sent, deadline: float, expected: int):
        """(node, status, response, error, ms) of one call started by _send."""
        node, fut, started, failure, done_at = sent
        if failure is not None:
            return node, failure[0], None, failure[1], _ms(started)
        try:
            resp = fut.result(timeout=max(0.0, deadline - time.monotonic()) + 0.5)
        except grpc.RpcError as exc:
            return node, status_of_error(exc), None, exc.details() or exc.code().name, _ms(started)
        except grpc.FutureTimeoutError:
            fut.cancel()
            return node, TIMEOUT, None, "no answer before the deadline", _ms(started)
        ms = ((done_at[0] if done_at else time.monotonic()) - started) * 1000
        if len(resp.evaluated_elements) != expected:
            return node, ERROR, None, "answered a different number of elements", ms
        return node, OK, resp, "", ms

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
        (a bad one refuses the whole call, nothing sent), blinded afresh for each node, each answer unblinded
        and looked up in that node's filter. This node evaluates its own filter itself (not counted)."""
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
        blinds: dict[str, list[oprf.Blinded]] = {n: [oprf.blind(x) for x in inputs] for n in nodes}
        types = [m.type for m in msgs]
        sent = [self._send(n, hit_pb2.EvaluateRequest(blinded_elements=[b.element for b in blinds[n]],
                                                      case_ref=case_ref, types=types), deadline) for n in nodes]
        # This node's own filter, while the calls are out.
        started = time.monotonic()
        own = [self._filter_holds(self.me, self.key.epoch, self._bits(),
                                  hitfilter.entry_of(oprf.evaluate(self.key.key, x))) for x in inputs]
        answers = [(self.me, OK, None, "", _ms(started))]
        answers += [self._settle(one, deadline, len(inputs)) for one in sent]
        hits: list[list[str]] = [[self.me] if own[k] else [] for k in range(len(inputs))]
        node_answers = []
        for node, status, resp, error, ms in sorted(answers, key=lambda a: a[0]):
            node_answers.append(hit_pb2.HitNodeAnswer(node=node, status=status, ms=int(ms), error=error))
            if status != OK or resp is None:
                continue
            for k, x in enumerate(inputs):
                try:
                    out = oprf.finalize(x, blinds[node][k].blind, resp.evaluated_elements[k])
                except (oprf.OprfError, ValueError):
                    continue
                if self._filter_holds(node, resp.key_epoch, resp.bits, hitfilter.entry_of(out)):
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
        with self._channel_lock:
            for _address, channel in self._channels.values():
                channel.close()
            self._channels.clear()


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
