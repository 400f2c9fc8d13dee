"""This node's own records: validate, sign and store seizures, corrections and retractions; local reads."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from datetime import timedelta

from rilo_node.core.convert import pb_to_dict, policy_from_pb, policy_to_pb
from rilo_node.core.errors import (
    AlreadyExistsError,
    NotFoundError,
    RiloError,
    UnavailableError,
    ValidationError,
)
from rilo_node.core.policy import (
    Policy,
    PolicyDefaults,
    parse_policy,
    with_node,
    within_region,
)
from rilo_node.core.replication import Entitlements, named_policy, withdrawal_targets
from rilo_node.core.seizure import check_submission, parse_submission
from rilo_node.core.signing import SigningKey, make_record
from rilo_node.core.topology import Directory
from rilo_node.node.clock import Clock, new_ulid, rfc3339
from rilo_node.pb.rilo.v1 import node_pb2, policy_pb2, record_pb2, seizure_pb2
from rilo_node.store import db as st
from rilo_node.store import projections

logger = logging.getLogger(__name__)

SEIZURE = record_pb2.RECORD_KIND_SEIZURE
WITHDRAWAL = record_pb2.RECORD_KIND_WITHDRAWAL


class ConflictError(RiloError):
    """The record changed under a correction, or is retracted."""


@dataclass(frozen=True)
class Outcome:
    origin: str
    record_id: str
    version: int
    created: bool


@dataclass(frozen=True)
class PreparedSeizure:
    """A validated, signed seizure ready for one write transaction."""

    record_id: str
    version: int
    case: seizure_pb2.SeizureCase
    policy: Policy
    record: record_pb2.SignedRecord
    submit_hash: bytes
    created_at: str
    # Set while the record is held inside its region awaiting validation: the serialized
    # SharingPolicy it is to be published with once its home RILO endorses it.
    intended_policy: bytes | None = None
    # The serialized policy of the signed header (what the store numbers with the origin).
    signed_policy: bytes = b""
    # Its rows for the store's bulk path, made here rather than on the store's writer.
    rows: st.NewRows | None = None


def submission_hash(body: bytes, policy: bytes, annex: bytes | None) -> bytes:
    """What makes two submissions 'the same content' (record id aside): the deterministic
    serializations of the normalised seizure, the explicit policy and the annex."""
    h = hashlib.sha256()
    for part in (body, policy, annex or b""):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.digest()


def with_released(policy: Policy, released, origin: str, directory: Directory) -> Policy:
    for node, annex in released:
        policy = with_node(policy, node, annex=annex, origin=origin, directory=directory)
    return policy


def record_row(rec: record_pb2.SignedRecord, *, origin: str, record_id: str, version: int, kind: int,
               created_at: str, withdrawn: bool = False, retracted: bool = False) -> dict:
    return {
        "origin": origin, "record_id": record_id, "version": version, "kind": kind, "created_at": created_at,
        "key_id": rec.key_id, "header": rec.header, "body": None if withdrawn else rec.body,
        "annex": (rec.annex or None) if not withdrawn else None, "signature": rec.signature,
        "withdrawn": withdrawn, "retracted": retracted,
    }


class RecordBook:
    """Writes this node's own records; every write is one transaction on the store's writer."""

    def __init__(self, store: st.Store, key: SigningKey, directory: Directory, clock: Clock, *,
                 defaults: PolicyDefaults = PolicyDefaults(), node_country: str | None = None):
        self.store = store
        self.key = key
        self.node_id = key.node_id
        self.directory = directory
        self.clock = clock
        self.defaults = defaults
        self.node_country = node_country
        self._policy_cache: dict[str, tuple] = {}
        # Set by the node when it replicates: own records then owe direct deliveries, and a
        # correction that narrows the policy sends a withdrawal to the nodes it no longer entitles.
        self.entitlements: Entitlements | None = None
        # Set by node/operations.py: refuses (PolicyError) a GROUP policy naming an operation this node is not in.
        self.group_check = None
        # validation.required: new seizures stay inside the region until the home RILO endorses them.
        self.validation_required = False
        # Set while the node catches up after a restore: its newest own versions may be at peers only, and
        # a version signed now could fork one of them (docs/operator-guide.md#backing-up-and-restoring).
        self.catching_up = False

    # -- preparing (CPU only, runs on the caller's thread) -----------------------------

    def _policy(self, sub: node_pb2.SeizureSubmission) -> tuple[Policy, policy_pb2.SharingPolicy, bytes]:
        """Parse a submitted policy once per distinct message (submissions repeat a handful of policies)."""
        given = sub.HasField("policy")
        cache_key = sub.policy.SerializeToString(deterministic=True) if given else None
        hit = self._policy_cache.get(cache_key)
        if hit is None:
            policy = parse_policy(pb_to_dict(sub.policy) if given else None, self.directory, self.defaults)
            pb = policy_to_pb(policy)
            hit = (policy, pb, pb.SerializeToString(deterministic=True))
            if len(self._policy_cache) < 4096:
                self._policy_cache[cache_key] = hit
        return hit

    def _writable(self) -> None:
        if self.catching_up:
            raise UnavailableError("this node is catching up from its peers after a restore; "
                                   "try again in a few seconds")

    def prepare(self, sub: node_pb2.SeizureSubmission | dict, *, record_id: str | None = None, version: int = 1,
                hold_in_region: bool | None = None, released: tuple[tuple[str, bool], ...] = ()) -> PreparedSeizure:
        """Check, serialize and sign a submission, as the message it arrived as (checked and normalised in
        place); a JSON object (docs/protocol.md#seizure-fields) is parsed into one first. With `hold_in_region` (by
        default: validation.required), the signed policy is cut down to the region and the submitted one is
        kept for when the home RILO validates the record. `released` are the (node, annex) pairs the record
        was released to: every version keeps them."""
        self._writable()
        if isinstance(sub, dict):
            sub = parse_submission(sub)
        check_submission(sub, node_country=self.node_country, today=self.clock.now().date())
        rid = record_id or sub.record_id or new_ulid(self.clock)
        policy, policy_pb, policy_bytes = self._policy(sub)
        if self.group_check is not None:
            self.group_check(policy)  # docs/protocol.md#operations (node/operations.py)
        if released:
            policy = with_released(policy, released, self.node_id, self.directory)
            policy_pb = policy_to_pb(policy)
            policy_bytes = policy_pb.SerializeToString(deterministic=True)
        intended = None
        if self.validation_required if hold_in_region is None else hold_in_region:
            rilo = self.home_rilo()
            held_policy = with_released(within_region(policy, self.node_id, self.directory,
                                                      keep=(rilo,) if rilo else ()), released,
                                         self.node_id, self.directory)
            if held_policy != policy:
                intended = policy_bytes
                policy, policy_pb = held_policy, policy_to_pb(held_policy)
        created_at = rfc3339(self.clock.now())
        body_bytes = sub.seizure.SerializeToString(deterministic=True)
        annex_bytes = sub.annex.SerializeToString(deterministic=True) if sub.HasField("annex") else None
        rec = make_record(
            self.key, record_id=rid, version=version, kind=SEIZURE, created_at=created_at,
            policy=policy_pb, body=body_bytes, annex=annex_bytes,
        )
        signed_policy = policy_bytes if intended is None else policy_pb.SerializeToString(deterministic=True)
        rows = st.new_rows({**record_row(rec, origin=self.node_id, record_id=rid, version=version, kind=SEIZURE,
                                         created_at=created_at), "policy": signed_policy},
                           projections.seizure_rows(self.node_id, rid, version, sub.seizure, signed_policy))
        return PreparedSeizure(rid, version, sub.seizure, policy, rec,
                               submission_hash(body_bytes, policy_bytes, annex_bytes), created_at, intended,
                               signed_policy, rows)

    # -- writing -------------------------------------------------------------------

    def _existing_txn(self, conn: sqlite3.Connection, prep: PreparedSeizure) -> Outcome | None:
        """What a new submission of `prep` finds under its record id: None when the id is new; the key
        of the version it is a retry of (`created` false); AlreadyExistsError for other content.

        The submissions table knows the versions this node signed since the store began. After a
        restore from a backup it lacks those signed after the backup, while the records came back
        from peers (anti-entropy): the held own record is then judged by its signed header, which
        commits to the body, the annex (even when the copy came back without it) and the policy.
        Such a match is written into the submissions table, and a missing annex is put back (the
        header's hash proves it is the one signed), so the retry restores what the restore lost."""
        previous = conn.execute(
            "SELECT version, submit_hash FROM submissions WHERE record_id = ?", (prep.record_id,)
        ).fetchall()
        for version, submit_hash in previous:
            if submit_hash == prep.submit_hash:
                return Outcome(self.node_id, prep.record_id, version, created=False)
        row = conn.execute(f"SELECT {st.RECORD_COLUMNS} FROM records WHERE origin = ? AND record_id = ?",
                           (self.node_id, prep.record_id)).fetchone()
        if not previous and row is None:
            return None
        held = st.row_to_record(row) if row is not None else None
        if held is not None and held.version not in {v for v, _ in previous} and self._signs_same(held, prep):
            if held.annex is None and prep.record.annex:
                st.upsert_record_txn(conn, {**dataclasses.asdict(held), "annex": prep.record.annex}, None,
                                     rfc3339(self.clock.now()))
            st.add_submission_txn(conn, prep.record_id, held.version, prep.submit_hash)
            return Outcome(self.node_id, prep.record_id, held.version, created=False)
        raise AlreadyExistsError(
            f"record_id {prep.record_id!r} already exists with other content; "
            "send a correction with `seizure update` (UpdateSeizure)"
        )

    @staticmethod
    def _signs_same(held: st.StoredRecord, prep: PreparedSeizure) -> bool:
        """The held own record signs what `prep` would: a live seizure with the same body, annex and
        policy (as signed, or, for a seizure held for validation, as submitted)."""
        if held.kind != SEIZURE or held.retracted or held.withdrawn:
            return False
        old = record_pb2.RecordHeader.FromString(held.header)
        new = record_pb2.RecordHeader.FromString(prep.record.header)
        policy = old.policy.SerializeToString(deterministic=True)
        return (old.body_sha256 == new.body_sha256 and old.annex_sha256 == new.annex_sha256
                and policy in (new.policy.SerializeToString(deterministic=True), prep.intended_policy))

    def _store_new_txn(self, prep: PreparedSeizure, conn: sqlite3.Connection) -> Outcome:
        existing = self._existing_txn(conn, prep)
        if existing is not None:
            return existing
        self._put_txn(conn, prep, new=True)
        return Outcome(self.node_id, prep.record_id, prep.version, created=True)

    def _put_txn(self, conn: sqlite3.Connection, prep: PreparedSeizure, *, new: bool = False,
                 now: str | None = None) -> None:
        now = now or rfc3339(self.clock.now())
        st.upsert_record_txn(
            conn,
            record_row(prep.record, origin=self.node_id, record_id=prep.record_id, version=prep.version,
                       kind=SEIZURE, created_at=prep.created_at),
            None, now, new=new,
        )
        st.add_submission_txn(conn, prep.record_id, prep.version, prep.submit_hash)
        policy = record_pb2.RecordHeader.FromString(prep.record.header).policy.SerializeToString(deterministic=True)
        row, items = projections.seizure_rows(self.node_id, prep.record_id, prep.version, prep.case, policy)
        st.put_projection_txn(conn, row, items, new=new)
        if prep.intended_policy is not None:
            conn.execute(
                "INSERT INTO held_for_validation (record_id, version, intended_policy) VALUES (?, ?, ?) "
                "ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, "
                "intended_policy = excluded.intended_policy, published_version = NULL",
                (prep.record_id, prep.version, prep.intended_policy),
            )
        elif not new:
            conn.execute("DELETE FROM held_for_validation WHERE record_id = ? AND published_version IS NULL",
                         (prep.record_id,))
        self._owe_deliveries_txn(conn, prep.record)

    def _owe_deliveries_txn(self, conn: sqlite3.Connection, rec: record_pb2.SignedRecord) -> None:
        """Queue direct delivery to entitled nodes that no chain of entitled nodes reaches."""
        if self.entitlements is None:
            return
        header = record_pb2.RecordHeader.FromString(rec.header)
        targets = self.entitlements.direct_targets(header) - {self.node_id}
        if targets:
            st.enqueue_delivery_txn(conn, sorted(targets), header.origin, header.record_id, header.version)

    def _withdraw_txn(self, conn: sqlite3.Connection, old_header: bytes, new_rec: record_pb2.SignedRecord) -> None:
        """A signed withdrawal, shared with exactly the nodes the new version no longer entitles."""
        if self.entitlements is None:
            return
        old = record_pb2.RecordHeader.FromString(old_header)
        new = record_pb2.RecordHeader.FromString(new_rec.header)
        targets = withdrawal_targets(self.entitlements.of(old), self.entitlements.of(new), self.node_id)
        if not targets:
            return
        policy = named_policy(targets, policy_pb2.HANDLING_H0)
        created_at = rfc3339(self.clock.now())
        body = record_pb2.Withdrawal(record_id=new.record_id, version=new.version).SerializeToString(deterministic=True)
        rec = make_record(self.key, record_id=new_ulid(self.clock), version=1, kind=WITHDRAWAL,
                          created_at=created_at, policy=policy, body=body)
        w = record_pb2.RecordHeader.FromString(rec.header)
        st.upsert_record_txn(conn, record_row(rec, origin=self.node_id, record_id=w.record_id, version=1,
                                              kind=WITHDRAWAL, created_at=created_at), None, created_at, new=True)
        self._owe_deliveries_txn(conn, rec)

    def _store_batch_txn(self, preps: list[PreparedSeizure], conn: sqlite3.Connection) -> list:
        """Store many new seizures in one task: an Outcome or an error per seizure, in order.
        A refusal (same id, other content) writes nothing for that seizure and leaves the rest.
        Ids this node has never seen (the usual case: ULIDs it made) go through the store's bulk
        path, one executemany per table; the others (retries, clashes) are judged one by one."""
        now = rfc3339(self.clock.now())
        out: list = [None] * len(preps)
        known = self._known_ids_txn(conn, [p.record_id for p in preps])
        fresh, seen = [], set()
        for i, prep in enumerate(preps):
            if prep.record_id in known or prep.record_id in seen:
                continue
            seen.add(prep.record_id)
            fresh.append(i)
        if fresh:
            self._put_new_txn(conn, [preps[i] for i in fresh], now)
            for i in fresh:
                out[i] = Outcome(self.node_id, preps[i].record_id, preps[i].version, created=True)
        for i, prep in enumerate(preps):
            if out[i] is not None:
                continue
            try:
                existing = self._existing_txn(conn, prep)
            except AlreadyExistsError as exc:
                out[i] = exc
                continue
            if existing is not None:
                out[i] = existing
                continue
            self._put_txn(conn, prep, new=True, now=now)
            out[i] = Outcome(self.node_id, prep.record_id, prep.version, created=True)
        return out

    def _known_ids_txn(self, conn: sqlite3.Connection, ids: list[str]) -> set[str]:
        """Of `ids`, those with an own submission or an own record held (any version)."""
        known: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in conn.execute(
                f"SELECT record_id FROM submissions WHERE record_id IN ({marks})", chunk))
            known.update(r[0] for r in conn.execute(
                f"SELECT record_id FROM records WHERE origin = ? AND record_id IN ({marks})", [self.node_id, *chunk]))
        return known

    def _put_new_txn(self, conn: sqlite3.Connection, preps: list[PreparedSeizure], now: str) -> None:
        """_put_txn for many seizures whose ids are new, through the store's bulk path (rows made by prepare)."""
        st.insert_new_records_txn(conn, [p.rows for p in preps], None, now)
        st.insert_rows(conn, "INSERT INTO submissions (record_id, version, submit_hash)",
                       [(p.record_id, p.version, p.submit_hash) for p in preps], 3)
        held = [(p.record_id, p.version, p.intended_policy) for p in preps if p.intended_policy is not None]
        if held:
            conn.executemany(
                "INSERT INTO held_for_validation (record_id, version, intended_policy) VALUES (?, ?, ?) "
                "ON CONFLICT (record_id) DO UPDATE SET version = excluded.version, "
                "intended_policy = excluded.intended_policy, published_version = NULL", held)
        if self.entitlements is not None:
            targets_of: dict[bytes, list[str]] = {}
            owed = []
            for p in preps:
                targets = targets_of.get(p.signed_policy)
                if targets is None:
                    header = record_pb2.RecordHeader(origin=self.node_id)
                    header.policy.ParseFromString(p.signed_policy)
                    targets = targets_of[p.signed_policy] = sorted(
                        self.entitlements.direct_targets(header) - {self.node_id})
                owed += [(t, self.node_id, p.record_id, p.version) for t in targets]
            if owed:
                conn.executemany("INSERT OR IGNORE INTO outbox (target, origin, record_id, version) VALUES (?, ?, ?, ?)",
                                 owed)

    def submit_batch(self, preps: list[PreparedSeizure]):
        """Queue many prepared seizures as one task; a future of a list of Outcome-or-error."""
        return self.store.submit(lambda conn: self._store_batch_txn(preps, conn))

    def submit_seizure(self, sub: node_pb2.SeizureSubmission | dict) -> Outcome:
        prep = self.prepare(sub)
        return self.store.write(lambda conn: self._store_new_txn(prep, conn))

    def submit_prepared(self, prep: PreparedSeizure):
        """Queue one prepared seizure; returns a future of its Outcome (group commit)."""
        return self.store.submit(lambda conn: self._store_new_txn(prep, conn))

    def update_seizure(self, record_id: str, sub: node_pb2.SeizureSubmission | dict) -> Outcome:
        """A correction: the next version of an own record, signed again."""
        if isinstance(sub, dict):
            sub = parse_submission(sub)
        if sub.record_id not in ("", record_id):
            raise ValidationError("record_id", f"the file names {sub.record_id!r}, the command {record_id!r}")
        for _ in range(3):
            held = self.store.get_record(self.node_id, record_id)
            if held is None:
                raise NotFoundError(f"no own record {record_id!r}")
            if held.retracted:
                raise ConflictError(f"record {record_id!r} is retracted; it cannot be corrected")
            prep = self.prepare(sub, record_id=record_id, version=held.version + 1,
                                hold_in_region=self.validation_required and self.held_in_region(record_id),
                                released=self.released_to(record_id))

            def txn(conn, prep=prep, held=held, held_version=held.version):
                current = st.held_version_txn(conn, self.node_id, record_id)
                if current is None or current[0] != held_version:
                    return None
                last = conn.execute(
                    "SELECT version, submit_hash FROM submissions WHERE record_id = ? ORDER BY version DESC LIMIT 1",
                    (record_id,),
                ).fetchone()
                # The held version unchanged; judged by its signed header when the submissions table does
                # not know it (it came back from a peer after a restore).
                if (last[1] == prep.submit_hash if last and last[0] == held_version
                        else self._signs_same(held, prep)):
                    return Outcome(self.node_id, record_id, held_version, created=False)
                self._put_txn(conn, prep)
                self._withdraw_txn(conn, held.header, prep.record)
                return Outcome(self.node_id, record_id, prep.version, created=True)

            outcome = self.store.write(txn)
            if outcome is not None:
                return outcome
        raise ConflictError(f"record {record_id!r} changed during the correction; try again")

    def retract(self, record_id: str, actor: str = "") -> Outcome:
        """A signed tombstone version: empty body, no annex, the policy of the version it replaces."""
        self._writable()
        for _ in range(3):
            held = self.store.get_record(self.node_id, record_id)
            if held is None:
                raise NotFoundError(f"no own record {record_id!r}")
            if held.retracted:
                return Outcome(self.node_id, record_id, held.version, created=False)
            if held.kind == record_pb2.RECORD_KIND_OPERATION:
                raise ValidationError("record_id", f"{record_id} is an operation: end it with `rilo-node op close "
                                      f"{record_id}`, which withdraws its records from every member")
            old = record_pb2.RecordHeader()
            old.ParseFromString(held.header)
            created_at = rfc3339(self.clock.now())
            rec = make_record(
                self.key, record_id=record_id, version=held.version + 1, kind=held.kind,
                created_at=created_at, policy=old.policy, body=b"", retracted=True,
            )

            def txn(conn, rec=rec, held=held, created_at=created_at):
                current = st.held_version_txn(conn, self.node_id, record_id)
                if current is None or current[0] != held.version:
                    return None
                now = rfc3339(self.clock.now())
                st.upsert_record_txn(
                    conn,
                    record_row(rec, origin=self.node_id, record_id=record_id, version=held.version + 1,
                               kind=held.kind, created_at=created_at, retracted=True),
                    None, now,
                )
                st.delete_projection_txn(conn, self.node_id, record_id)
                projections.unproject_txn(conn, self.node_id, record_id)
                conn.execute("DELETE FROM held_for_validation WHERE record_id = ?", (record_id,))
                self._owe_deliveries_txn(conn, rec)
                st.audit_txn(conn, at=now, actor=actor or self.node_id, action="retract",
                             keys=[[self.node_id, record_id, held.version + 1]])
                return Outcome(self.node_id, record_id, held.version + 1, created=True)

            outcome = self.store.write(txn)
            if outcome is not None:
                return outcome
        raise ConflictError(f"record {record_id!r} changed during the retraction; try again")

    # -- records of other kinds, releases, validation, retention ----------------------

    def sign(self, *, kind: int, policy: policy_pb2.SharingPolicy, body: bytes, record_id: str | None = None,
             version: int = 1, annex: bytes | None = None) -> record_pb2.SignedRecord:
        return make_record(self.key, record_id=record_id or new_ulid(self.clock), version=version, kind=kind,
                           created_at=rfc3339(self.clock.now()), policy=policy, body=body, annex=annex)

    def put_signed_txn(self, conn: sqlite3.Connection, rec: record_pb2.SignedRecord, *, now: str | None = None,
                       previous_header: bytes | None = None) -> record_pb2.RecordHeader:
        """Store an own record of a kind other than SEIZURE (request, response, closure, notice,
        endorsement) with its projection; owe its direct deliveries. With `previous_header` (the
        version it replaces), nodes the new version no longer entitles get a withdrawal."""
        h = record_pb2.RecordHeader.FromString(rec.header)
        now = now or rfc3339(self.clock.now())
        st.upsert_record_txn(conn, record_row(rec, origin=self.node_id, record_id=h.record_id, version=h.version,
                                              kind=h.kind, created_at=h.created_at, retracted=h.retracted),
                             None, now, new=previous_header is None)
        projections.project_txn(conn, h, rec.body)
        self._owe_deliveries_txn(conn, rec)
        if previous_header is not None:
            self._withdraw_txn(conn, previous_header, rec)
        return h

    def released_to(self, record_id: str) -> tuple[tuple[str, bool], ...]:
        rows = self.store.reader.execute("SELECT node, annex FROM releases WHERE record_id = ? ORDER BY node",
                                         (record_id,)).fetchall()
        return tuple((node, bool(annex)) for node, annex in rows)

    def held_in_region(self, record_id: str) -> bool:
        """True while an own seizure waits inside its region for its home RILO's validation."""
        row = self.store.reader.execute(
            "SELECT 1 FROM held_for_validation WHERE record_id = ? AND published_version IS NULL", (record_id,)
        ).fetchone()
        return row is not None

    def _reversion_txn(self, conn: sqlite3.Connection, held: st.StoredRecord, policy: Policy, now: str,
                       ) -> record_pb2.SignedRecord:
        """The next version of an own seizure with the same body and annex under another policy."""
        pb = policy_to_pb(policy)
        rec = make_record(self.key, record_id=held.record_id, version=held.version + 1, kind=SEIZURE,
                          created_at=now, policy=pb, body=held.body or b"", annex=held.annex)
        st.upsert_record_txn(conn, record_row(rec, origin=self.node_id, record_id=held.record_id,
                                              version=held.version + 1, kind=SEIZURE, created_at=now), None, now)
        policy_bytes = pb.SerializeToString(deterministic=True)
        st.set_projection_policy_txn(conn, self.node_id, held.record_id, held.version + 1, policy_bytes)
        st.add_submission_txn(conn, held.record_id, held.version + 1,
                              submission_hash(held.body or b"", policy_bytes, held.annex))
        self._owe_deliveries_txn(conn, rec)
        self._withdraw_txn(conn, held.header, rec)
        return rec

    def release_txn(self, conn: sqlite3.Connection, record_id: str, to: str, *, annex: bool, now: str,
                    ) -> record_pb2.RecordKey | None:
        """Let `to` hold an own seizure (and, with `annex`, its annex): its next version, with `to`
        added to the policy. None when `to` may hold that much already."""
        self._writable()
        row = conn.execute(f"SELECT {st.RECORD_COLUMNS} FROM records WHERE origin = ? AND record_id = ?",
                           (self.node_id, record_id)).fetchone()
        if row is None:
            raise ValidationError("release", f"{self.node_id}/{record_id} is not held here; it cannot be released "
                                             "(respond without --release)")
        held = st.row_to_record(row)
        if held.kind != SEIZURE or held.retracted or held.withdrawn:
            raise ValidationError("release", f"{self.node_id}/{record_id} is not a live seizure; it cannot be "
                                             "released (respond without --release)")
        header = record_pb2.RecordHeader.FromString(held.header)
        policy = policy_from_pb(header.policy)
        wider = with_node(policy, to, annex=annex, origin=self.node_id, directory=self.directory)
        # Remembered for later versions (corrections, publication after validation), and applied to the
        # policy a record held for validation is to be published with.
        conn.execute("INSERT INTO releases (record_id, node, annex) VALUES (?, ?, ?) ON CONFLICT (record_id, node) "
                     "DO UPDATE SET annex = MAX(annex, excluded.annex)", (record_id, to, int(annex)))
        intended = conn.execute("SELECT intended_policy FROM held_for_validation WHERE record_id = ? "
                                "AND published_version IS NULL", (record_id,)).fetchone()
        if intended is not None:
            widened = with_node(policy_from_pb(policy_pb2.SharingPolicy.FromString(intended[0])), to, annex=annex,
                                origin=self.node_id, directory=self.directory)
            conn.execute("UPDATE held_for_validation SET intended_policy = ? WHERE record_id = ?",
                         (policy_to_pb(widened).SerializeToString(deterministic=True), record_id))
        ent = self.entitlements.of if self.entitlements else None
        if ent is not None:
            before = ent(header)
            if to in before.hold and (not annex or to in before.annex):
                return None
        elif wider == policy:
            return None
        self._reversion_txn(conn, held, wider, now)
        return record_pb2.RecordKey(origin=self.node_id, record_id=record_id, version=held.version + 1)

    def home_rilo(self) -> str | None:
        info = self.directory.get(self.node_id)
        rilo = self.directory.get(info.area) if info and info.role == "member" and info.area else None
        return rilo.id if rilo else None

    def publish_validated(self) -> int:
        """Publish, with the policy they were submitted with, the own seizures held inside the region
        that the home RILO has endorsed (the endorsement names their current body). Returns how many."""
        if self.catching_up:
            return 0
        rilo = self.home_rilo()
        if rilo is None:
            return 0
        self.store.validation_pending = False
        if not self.store.reader.execute(
                "SELECT 1 FROM held_for_validation h JOIN endorsements e ON e.seizure_origin = ? "
                "AND e.seizure_id = h.record_id AND e.origin = ? WHERE h.published_version IS NULL "
                "AND e.verdict = 'ENDORSED' LIMIT 1", (self.node_id, rilo)).fetchone():
            return 0

        def txn(conn) -> int:
            rows = conn.execute(
                "SELECT h.record_id, h.intended_policy, e.body_sha256 FROM held_for_validation h "
                "JOIN endorsements e ON e.seizure_origin = ? AND e.seizure_id = h.record_id AND e.origin = ? "
                "WHERE h.published_version IS NULL AND e.verdict = 'ENDORSED'", (self.node_id, rilo)).fetchall()
            now = rfc3339(self.clock.now())
            done = 0
            published = set()
            for record_id, intended, endorsed_sha in rows:
                if record_id in published:
                    continue
                row = conn.execute(f"SELECT {st.RECORD_COLUMNS} FROM records WHERE origin = ? AND record_id = ?",
                                   (self.node_id, record_id)).fetchone()
                if row is None:
                    continue
                held = st.row_to_record(row)
                header = record_pb2.RecordHeader.FromString(held.header)
                if held.retracted or header.body_sha256 != endorsed_sha:
                    continue  # retracted, or corrected since the RILO looked: it waits for a new verdict
                policy = policy_from_pb(policy_pb2.SharingPolicy.FromString(intended))
                self._reversion_txn(conn, held, policy, now)
                published.add(record_id)
                conn.execute("UPDATE held_for_validation SET published_version = ? WHERE record_id = ?",
                             (held.version + 1, record_id))
                st.audit_txn(conn, at=now, actor=rilo, action="publish",
                             keys=[[self.node_id, record_id, held.version + 1]],
                             detail={"reason": f"validated by {rilo}"})
                done += 1
            return done

        return self.store.write(txn)

    def retention_due(self, days: int, limit: int = 1000) -> list[str]:
        """Own live records older than `days`: seizures by their seizure date, other records by the
        time their origin signed them. Oldest first. Not endorsements: they go with their seizure."""
        cutoff_dt = self.clock.now() - timedelta(days=days)
        cutoff_date, cutoff = cutoff_dt.date().isoformat(), rfc3339(cutoff_dt)
        rows = self.store.reader.execute(
            "SELECT r.record_id FROM records r LEFT JOIN seizures s ON s.origin = r.origin AND s.record_id = r.record_id "
            "WHERE r.origin = ? AND r.retracted = 0 AND r.kind NOT IN (?, ?) AND "
            "((r.kind = ? AND s.seizure_date < ?) OR (r.kind != ? AND r.created_at < ?)) "
            "ORDER BY COALESCE(s.seizure_date, r.created_at) LIMIT ?",
            (self.node_id, WITHDRAWAL, projections.ENDORSEMENT, SEIZURE, cutoff_date, SEIZURE, cutoff, limit)).fetchall()
        return [r[0] for r in rows]

    def retain(self, days: int) -> int:
        """Retention: retract every own record older than `days` (0: keep forever). The retraction is a
        signed tombstone that replaces the record on every node that holds it."""
        if days <= 0 or self.catching_up:
            return 0
        done = 0
        while True:
            due = self.retention_due(days)
            for record_id in due:
                if self.retract(record_id, actor="retention").created:
                    done += 1
            if len(due) < 1000:
                break
        if done:
            logger.info("[node=%s] retention: retracted %d records older than %d days", self.node_id, done, days)
        return done

    # -- reading -------------------------------------------------------------------

    def reindex(self) -> int:
        """Rebuild the search projections from the signed bytes; returns the seizures indexed."""
        held = [r for r in self.store.iter_records() if r.body and not r.withdrawn and not r.retracted]
        records = [r for r in held if r.kind == SEIZURE]
        others = [r for r in held if r.kind in projections.KINDS]

        def txn(conn):
            conn.execute("DELETE FROM seizures")
            conn.execute("DELETE FROM seizure_items")
            for table in ("requests", "request_events", "endorsements"):
                conn.execute(f"DELETE FROM {table}")
            for r in others:
                projections.project_txn(conn, record_pb2.RecordHeader.FromString(r.header), r.body)
            for r in records:
                policy = record_pb2.RecordHeader.FromString(r.header).policy.SerializeToString(deterministic=True)
                row, items = projections.seizure_rows(r.origin, r.record_id, r.version,
                                                      seizure_pb2.SeizureCase.FromString(r.body), policy)
                st.put_projection_txn(conn, row, items)
            st.rebuild_fts_txn(conn)
            return len(records)

        return self.store.write(txn)
