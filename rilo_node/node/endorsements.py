"""A RILO's validation of its members' seizures (shared/domain/README.md §3.4).

The RILO signs an endorsement record: ENDORSED, or RETURNED with comments. An endorsement travels
to the nodes that hold the seizure (RETURNED: to the member only), and follows the seizure when a
later version with the same body reaches other nodes. A member whose config says
`validation.required` publishes new seizures inside its region only; the endorsement, once it
arrives, makes it publish them with the policy they were submitted with (RecordBook.publish_validated).
"""

from __future__ import annotations

from rilo_node.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from rilo_node.core.replication import named_policy
from rilo_node.core.seizure import check_text
from rilo_node.core.topology import Directory
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.node.records import SEIZURE, ConflictError, RecordBook
from rilo_node.pb.rilo.v1 import record_pb2, request_pb2
from rilo_node.store import db as st
from rilo_node.store import projections

ENDORSEMENT = projections.ENDORSEMENT
ENDORSED = request_pb2.ENDORSEMENT_VERDICT_ENDORSED
RETURNED = request_pb2.ENDORSEMENT_VERDICT_RETURNED
MAX_COMMENTS = 2_000


def endorsement_audience(verdict: int, seizure_origin: str, rilo: str, seizure_holders) -> list[str]:
    """Who holds an endorsement: the seizure's holders when ENDORSED, the member alone when RETURNED. Pure."""
    if verdict == RETURNED:
        return sorted({seizure_origin, rilo})
    return sorted(set(seizure_holders) | {seizure_origin, rilo})


def may_endorse(rilo: str, seizure_origin: str, directory: Directory) -> bool:
    """Only the home RILO of the seizure's origin validates it. Pure."""
    node = directory.get(seizure_origin)
    return node is not None and node.role == "member" and node.area == rilo


class Validations:
    def __init__(self, book: RecordBook, clock: Clock):
        self.book = book
        self.store = book.store
        self.clock = clock
        self.me = book.node_id

    @property
    def directory(self) -> Directory:
        return self.book.directory

    def _holders(self, header: record_pb2.RecordHeader) -> frozenset[str]:
        ent = self.book.entitlements
        if ent is not None:
            return ent.of(header).hold
        from rilo_node.core.replication import Entitlements

        return Entitlements(self.directory).of(header).hold

    def validate(self, origin: str, record_id: str, verdict: int, comments: str = "", *, actor: str = ""):
        """Endorse or return a member's seizure; returns (endorsement RecordKey, seizure RecordKey)."""
        me = self.directory.get(self.me)
        if me is None or me.role != "rilo":
            raise PermissionDeniedError(f"{self.me} is not a RILO: only a RILO validates seizures")
        if not origin:
            raise ValidationError("origin", "is required")
        if not record_id:
            raise ValidationError("record_id", "is required")
        if not may_endorse(self.me, origin, self.directory):
            raise ValidationError("origin", f"{origin!r} is not a member of {self.me}")
        if verdict not in (ENDORSED, RETURNED):
            raise ValidationError("verdict", "is required: ENDORSED or RETURNED")
        if verdict == RETURNED and not comments.strip():
            raise ValidationError("comments", "are required when returning a seizure: say what to correct")
        if len(comments) > MAX_COMMENTS:
            raise ValidationError("comments", f"longer than {MAX_COMMENTS} characters")
        check_text(comments, "comments", multiline=True)
        for _ in range(3):
            seizure = self.store.get_record(origin, record_id)
            if seizure is None or seizure.kind != SEIZURE:
                raise NotFoundError(f"no seizure {origin}/{record_id} held here")
            if seizure.retracted or seizure.withdrawn:
                raise ConflictError(f"seizure {origin}/{record_id} is retracted or withdrawn")
            out = self.store.write(lambda conn, s=seizure: self._endorse_txn(conn, s, verdict, comments, actor))
            if out is not None:
                return out
        raise ConflictError(f"seizure {origin}/{record_id} changed during the validation; try again")

    def _own_endorsement(self, conn, origin: str, record_id: str):
        return conn.execute(
            f"SELECT {', '.join('r.' + c.strip() for c in st.RECORD_COLUMNS.split(','))} FROM endorsements e "
            "JOIN records r ON r.origin = e.origin AND r.record_id = e.record_id "
            "WHERE e.seizure_origin = ? AND e.seizure_id = ? AND e.origin = ? ORDER BY e.created_at DESC LIMIT 1",
            (origin, record_id, self.me)).fetchone()

    def _endorse_txn(self, conn, seizure: st.StoredRecord, verdict: int, comments: str, actor: str):
        held = st.held_version_txn(conn, seizure.origin, seizure.record_id)
        if held is None or held[0] != seizure.version:
            return None
        header = record_pb2.RecordHeader.FromString(seizure.header)
        body = request_pb2.Endorsement(
            seizure=record_pb2.RecordKey(origin=seizure.origin, record_id=seizure.record_id, version=seizure.version),
            body_sha256=header.body_sha256, verdict=verdict, comments=comments)
        audience = endorsement_audience(verdict, seizure.origin, self.me, self._holders(header))
        policy = named_policy(audience, header.policy.handling)
        row = self._own_endorsement(conn, seizure.origin, seizure.record_id)
        previous = st.row_to_record(row) if row else None
        body_bytes = body.SerializeToString(deterministic=True)
        if previous is not None and not previous.retracted:
            ph = record_pb2.RecordHeader.FromString(previous.header)
            if previous.body == body_bytes and ph.policy == policy:
                return (record_pb2.RecordKey(origin=self.me, record_id=previous.record_id, version=previous.version),
                        body.seizure)
        rec = self.book.sign(kind=ENDORSEMENT, policy=policy, body=body_bytes,
                             record_id=previous.record_id if previous else None,
                             version=previous.version + 1 if previous else 1)
        now = rfc3339(self.clock.now())
        h = self.book.put_signed_txn(conn, rec, now=now, previous_header=previous.header if previous else None)
        st.audit_txn(conn, at=now, actor=actor or self.me,
                     action="endorse" if verdict == ENDORSED else "return",
                     keys=[[seizure.origin, seizure.record_id, seizure.version]],
                     detail={"endorsement": f"{self.me}/{h.record_id}/v{h.version}", "comments": comments})
        return record_pb2.RecordKey(origin=self.me, record_id=h.record_id, version=h.version), body.seizure

    def refresh(self) -> int:
        """Let own endorsements follow their seizures. When a later version of an endorsed seizure with
        the same body is held here (published after validation, or released), the endorsement gets a
        new version shared with that version's holders. When the body changed, the endorsement (still
        about the old body) keeps only the holders the new version has too; when the seizure was
        retracted, or withdrawn from this RILO, the endorsement is retracted. Returns the changes made."""
        self.store.endorsements_pending = False
        me = self.directory.get(self.me)
        if me is None or me.role != "rilo":
            return 0
        rows = self.store.reader.execute(
            "SELECT e.record_id, e.seizure_origin, e.seizure_id, e.body_sha256, e.comments, e.verdict, "
            "r.withdrawn, r.retracted FROM endorsements e JOIN records r "
            "ON r.origin = e.seizure_origin AND r.record_id = e.seizure_id "
            "WHERE e.origin = ? AND (r.version != e.seizure_version OR r.withdrawn = 1 OR r.retracted = 1)",
            (self.me,)).fetchall()
        done = 0
        for record_id, origin, seizure_id, endorsed_sha, comments, verdict, withdrawn, retracted in rows:
            if withdrawn or retracted:
                done += int(self.book.retract(record_id, actor="validation").created)
                continue
            seizure = self.store.get_record(origin, seizure_id)
            if seizure is None or verdict != "ENDORSED":
                continue
            header = record_pb2.RecordHeader.FromString(seizure.header)
            if endorsed_sha == header.body_sha256:
                txn = (lambda conn, s=seizure, c=comments: self._endorse_txn(conn, s, ENDORSED, c, "validation"))
            else:
                txn = (lambda conn, r=record_id, h=header: self._narrow_txn(conn, r, h))
            if self.store.write(txn) is not None:
                done += 1
        return done

    def _narrow_txn(self, conn, record_id: str, seizure_header: record_pb2.RecordHeader):
        """The endorsement of an earlier body, shared only with nodes that also hold the current version."""
        row = conn.execute(f"SELECT {st.RECORD_COLUMNS} FROM records WHERE origin = ? AND record_id = ?",
                           (self.me, record_id)).fetchone()
        if row is None:
            return None
        previous = st.row_to_record(row)
        if previous.retracted or not previous.body:
            return None
        ph = record_pb2.RecordHeader.FromString(previous.header)
        keep = set(ph.policy.share.nodes) & (set(self._holders(seizure_header)) | {seizure_header.origin, self.me})
        if keep == set(ph.policy.share.nodes):
            return None
        policy = named_policy(keep, ph.policy.handling)
        rec = self.book.sign(kind=ENDORSEMENT, policy=policy, body=previous.body, record_id=record_id,
                             version=previous.version + 1)
        now = rfc3339(self.clock.now())
        self.book.put_signed_txn(conn, rec, now=now, previous_header=previous.header)
        return record_id

    def listing(self, *, pending_only: bool = False, limit: int = 1000) -> list[request_pb2.SeizureValidation]:
        """At a RILO: its members' seizures held here. At a member: its own seizures. With the newest
        verdict on their current body (PENDING when there is none)."""
        me = self.directory.get(self.me)
        if me is not None and me.role == "rilo":
            members = self.directory.members_of(self.me)
            rilo = self.me
        else:
            members = (self.me,)
            rilo = self.book.home_rilo() or ""
        if not members:
            return []
        marks = ", ".join("?" for _ in members)
        rows = self.store.reader.execute(
            "SELECT r.origin, r.record_id, r.version, r.header, s.seizure_date, s.country, e.body_sha256, e.verdict, "
            "e.comments, e.created_at, h.record_id IS NOT NULL "
            "FROM records r JOIN seizures s ON s.origin = r.origin AND s.record_id = r.record_id "
            "LEFT JOIN endorsements e ON e.rowid = (SELECT x.rowid FROM endorsements x WHERE x.seizure_origin = r.origin "
            "AND x.seizure_id = r.record_id AND x.origin = ? ORDER BY x.created_at DESC LIMIT 1) "
            "LEFT JOIN held_for_validation h ON r.origin = ? AND h.record_id = r.record_id "
            "AND h.published_version IS NULL "
            f"WHERE r.origin IN ({marks}) AND r.kind = ? AND r.withdrawn = 0 AND r.retracted = 0 "
            "ORDER BY s.seizure_date DESC, r.record_id",
            (rilo, self.me, *members, SEIZURE)).fetchall()
        out = []
        for origin, record_id, version, header, date, country, sha, verdict, comments, at, held in rows:
            current = record_pb2.RecordHeader.FromString(header).body_sha256
            state = request_pb2.VALIDATION_STATE_PENDING
            if verdict and sha == current:
                state = request_pb2.ValidationState.Value("VALIDATION_STATE_" + verdict)
            if pending_only and state != request_pb2.VALIDATION_STATE_PENDING:
                continue
            out.append(request_pb2.SeizureValidation(
                seizure=record_pb2.RecordKey(origin=origin, record_id=record_id, version=version), state=state,
                rilo=rilo, comments=(comments or "") if state != request_pb2.VALIDATION_STATE_PENDING else "",
                validated_at=(at or "") if state != request_pb2.VALIDATION_STATE_PENDING else "",
                held_in_region=bool(held), seizure_date=date or "", country=country or ""))
            if len(out) >= limit:
                break
        return out
