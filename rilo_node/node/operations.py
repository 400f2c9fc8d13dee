"""Operations (closed user groups, docs/protocol.md#operations) at one node: the operation records it
holds and the membership the policy rule reads; create, change, close (the owner); messages and their
watchers; what a member applies when it leaves the group; the report. Decisions are in
rilo_node/core/operations.py."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from rilo_node.core import operations as ops_rule
from rilo_node.core.convert import policy_from_pb
from rilo_node.core.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PolicyError,
    SignatureError,
    ValidationError,
)
from rilo_node.core.policy import Policy
from rilo_node.core.replication import Entitlements
from rilo_node.node.clock import Clock, new_ulid, rfc3339
from rilo_node.node.records import record_row
from rilo_node.pb.rilo.v1 import operation_pb2, policy_pb2, record_pb2, seizure_pb2
from rilo_node.store import db as st

logger = logging.getLogger(__name__)

OPERATION = record_pb2.RECORD_KIND_OPERATION
MESSAGE = record_pb2.RECORD_KIND_MESSAGE
SEIZURE = record_pb2.RECORD_KIND_SEIZURE
WITHDRAWAL = record_pb2.RECORD_KIND_WITHDRAWAL
GROUP = policy_pb2.SCOPE_GROUP


class NotMemberError(NotFoundError):
    """An operation this node is not a member of: the same answer whether or not it exists."""

    def __init__(self, operation_id: str):
        super().__init__(f"this node is not a member of an operation {operation_id!r}")


def message_info(origin: str, record_id: str, created_at: str, body: bytes) -> operation_pb2.MessageInfo:
    msg = operation_pb2.OperationMessage.FromString(body or b"")
    return operation_pb2.MessageInfo(operation_id=msg.operation_id, origin=origin, record_id=record_id,
                                     created_at=created_at, text=msg.text, refs=list(msg.refs))


class Operations:
    """The operations one node holds. Thread-safe; writes go through the store's writer."""

    def __init__(self, book, replicator, clock: Clock):
        self.book = book
        self.r = replicator
        self.store = book.store
        self.clock = clock
        self.me = book.node_id
        self._lock = threading.RLock()
        # operation id -> (newest version held of the operation record, its body)
        self.ops: dict[str, tuple[int, operation_pb2.Operation]] = {}
        self._judged: dict[tuple[str, bytes], str] = {}  # (origin, policy) of group records -> refusal or ""
        self._cond = threading.Condition()
        self._closing = False
        self._head = self.store.last_seq()  # the store's last committed sequence number, from its commits
        self.load()
        # The hooks: the record book checks a GROUP policy of an own submission; the replicator asks
        # about received operation and group records, and tells of each one it stores.
        book.group_check = self.check_share
        replicator.operations = self
        self.store.on_commit(self._committed)

    # -- membership ------------------------------------------------------------------

    def load(self) -> None:
        rows = self.store.reader.execute(
            "SELECT origin, version, body FROM records WHERE kind = ? AND withdrawn = 0 AND retracted = 0 "
            "AND body IS NOT NULL", (OPERATION,)).fetchall()
        with self._lock:
            self.ops = {}
            for origin, version, body in rows:
                op = operation_pb2.Operation.FromString(body)
                if op.owner == origin:
                    self.ops[op.operation_id] = (version, op)
            self._publish()

    def _publish(self) -> None:
        """Give the policy rule the membership now held: new Entitlements, so that every cache keyed on
        them (feeds, digests, query plans) starts afresh."""
        self._judged = {}
        groups = ops_rule.groups_of(op for _v, op in self.ops.values())
        if groups == self.r.ent.groups:
            return
        ent = Entitlements(self.r.directory, groups)
        self.r.ent = ent
        if self.book.entitlements is not None:
            self.book.entitlements = ent

    def get(self, operation_id: str) -> operation_pb2.Operation | None:
        held = self.ops.get(operation_id)
        return held[1] if held else None

    def _member_op(self, operation_id: str) -> tuple[int, operation_pb2.Operation]:
        held = self.ops.get(operation_id)
        if held is None or not ops_rule.is_member(held[1], self.me):
            raise NotMemberError(operation_id)
        return held

    def _owned(self, operation_id: str) -> tuple[int, operation_pb2.Operation]:
        version, op = self._member_op(operation_id)
        if op.owner != self.me:
            raise PermissionDeniedError(f"only {op.owner}, the owner, may change operation {operation_id}")
        return version, op

    def check_share(self, policy: Policy) -> None:
        """An own record with a GROUP policy: this node must be a member of the operation it names
        (PolicyError naming the field)."""
        if "GROUP" not in (policy.share.scope, policy.discover.scope, policy.annex.scope):
            return
        ops = {k: op for k, (_v, op) in self.ops.items() if ops_rule.is_member(op, self.me)}
        ops_rule.check_group_origin(policy, self.me, ops)

    # -- the replicator's hooks ------------------------------------------------------------------

    def verify(self, h: record_pb2.RecordHeader, rec: record_pb2.SignedRecord):
        """A received, verified record: refuse (SignatureError or PolicyError) an operation record not
        signed by its owner, and a group record whose origin is not a member of the operation held.
        A newer operation record is taken at once, so that the group's records in the same batch are
        judged with the membership it gives. Returns the parsed body of an operation or message."""
        body = None
        if h.kind == OPERATION:
            op = operation_pb2.Operation.FromString(rec.body) if not h.retracted else operation_pb2.Operation()
            if not h.retracted:
                try:
                    ops_rule.check_operation_body(op, h.origin, self.r.directory.__contains__)
                except ValidationError as exc:
                    raise SignatureError(f"operation record: {exc}") from None
                if op.operation_id != h.record_id:
                    raise SignatureError("operation record: its record id is not its operation id")
                with self._lock:
                    held = self.ops.get(op.operation_id)
                    if (held is None or held[0] < h.version) and self.me in ops_rule.membership(op) | set(op.members):
                        self.ops[op.operation_id] = (h.version, op)
                        self._publish()
            body = op
        elif h.kind == MESSAGE:
            body = operation_pb2.OperationMessage.FromString(rec.body) if not h.retracted else \
                operation_pb2.OperationMessage()
            if not h.retracted:
                if h.policy.share.scope != GROUP or body.operation_id != h.policy.share.group:
                    raise SignatureError("message: not shared to its operation")
                if len(body.text) > ops_rule.MAX_TEXT:
                    raise SignatureError(f"message: longer than {ops_rule.MAX_TEXT} characters")
        if h.policy.share.scope == GROUP and not h.retracted and h.origin != self.me:
            # Judged once per (origin, policy) while the membership held stays the same.
            key = (h.origin, h.policy.SerializeToString(deterministic=True))
            verdict = self._judged.get(key)
            if verdict is None:
                verdict = self._judge_origin(h)
                self._judged[key] = verdict
            if verdict:
                raise PolicyError("policy.share.group", verdict)
        return body

    def _judge_origin(self, h: record_pb2.RecordHeader) -> str:
        """Why a group record of this origin and policy is refused here, or ""."""
        policy = policy_from_pb(h.policy)
        ops = {k: op for k, (_v, op) in self.ops.items()}
        try:
            ops_rule.check_group_origin(policy, h.origin, ops, received=True)
        except PolicyError as exc:
            if h.policy.share.group in ops:
                return exc.message
            # An operation this node does not hold: the rule gives it no part of the record anyway.
        return ""

    def stored_txn(self, conn, h: record_pb2.RecordHeader, rec: record_pb2.SignedRecord) -> None:
        """After the replicator stored a record: a newer operation record, or the withdrawal of one
        (a member removed), may end this node's part in the group."""
        if h.kind == OPERATION and h.retracted:
            # Owners close operations rather than retract them (RecordBook.retract refuses); one retracted
            # all the same ends the group here as a close would, for every member but the owner.
            with self._lock:
                held = self.ops.get(h.record_id)
                gone = held is not None and held[1].owner == h.origin and held[0] < h.version
                if gone:
                    self.ops.pop(h.record_id)
                    self._publish()
            if gone and h.origin != self.me:
                self._leave_txn(conn, h.record_id)
            with self._cond:
                self._cond.notify_all()
        elif h.kind == OPERATION:
            op = operation_pb2.Operation.FromString(rec.body)
            with self._lock:
                held = self.ops.get(op.operation_id)
                if held is None or held[0] <= h.version:
                    self.ops[op.operation_id] = (h.version, op)
                    self._publish()
            if ops_rule.lost_by(self.me, op):
                self._leave_txn(conn, op.operation_id)
            elif ops_rule.is_member(op, self.me) and op.status != ops_rule.CLOSED:
                self._rejoin_txn(conn, op.operation_id)
            with self._cond:
                self._cond.notify_all()
        elif h.kind == WITHDRAWAL:
            w = record_pb2.Withdrawal.FromString(rec.body)
            with self._lock:
                held = self.ops.get(w.record_id)
                lost = held is not None and held[1].owner == h.origin and held[0] < w.version
                if lost:
                    self.ops.pop(w.record_id)
                    self._publish()
            if lost:
                self._leave_txn(conn, w.record_id)

    def _leave_txn(self, conn, operation_id: str) -> int:
        """This node is no longer in the group (removed, or the operation closed): withdraw every group
        record but its own, as a withdrawal would. The owner never leaves: it keeps the archive."""
        rows = conn.execute(
            "SELECT r.origin, r.record_id, r.version FROM records r JOIN policy_groups g ON g.pid = r.pid "
            "WHERE g.operation_id = ? AND r.withdrawn = 0", (operation_id,)).fetchall()
        done = 0
        for origin, record_id, version in ops_rule.to_withdraw(self.me, rows):
            done += st.apply_withdrawal_txn(conn, origin, record_id, version)
            conn.execute("INSERT OR REPLACE INTO group_leaves (operation_id, origin, record_id, version) "
                         "VALUES (?, ?, ?, ?)", (operation_id, origin, record_id, version))
        if done:
            logger.info("[node=%s] left operation %s: %d group records withdrawn", self.me, operation_id, done)
        return done

    def _rejoin_txn(self, conn, operation_id: str) -> int:
        """This node is a member again of a group it left: take back the withdrawals its leaving made
        (not one that came from a record's origin since), and drop their tombstones, so that the group's
        records, which the owner delivers again to an added member, are stored anew."""
        back = 0
        for origin, record_id, version in conn.execute(
                "SELECT origin, record_id, version FROM group_leaves WHERE operation_id = ?", (operation_id,)).fetchall():
            if conn.execute("DELETE FROM withdrawals WHERE origin = ? AND record_id = ? AND version = ?",
                            (origin, record_id, version)).rowcount:
                back += conn.execute("DELETE FROM records WHERE origin = ? AND record_id = ? AND withdrawn = 1 "
                                     "AND version < ?", (origin, record_id, version)).rowcount
        conn.execute("DELETE FROM group_leaves WHERE operation_id = ?", (operation_id,))
        if back:
            logger.info("[node=%s] rejoined operation %s: %d group records to be fetched again", self.me,
                        operation_id, back)
        return back

    # -- the owner -------------------------------------------------------------------------------

    def create(self, *, name: str, purpose: str = "", members=(), ends: str = "",
               operation_id: str = "") -> operation_pb2.OperationInfo:
        op_id = operation_id or "op-" + new_ulid(self.clock).lower()
        op = ops_rule.new_operation(operation_id=op_id, name=name, purpose=purpose, owner=self.me,
                                    members=list(members), ends=ends, now=self.clock.now(),
                                    directory=self.r.directory)
        if op_id in self.ops or self.store.get_record(self.me, op_id) is not None:
            raise AlreadyExistsError(f"operation {op_id} exists already")
        self._write_version(op, 0, None)
        return self.info(op_id)

    # The lock is never held while waiting for the store's writer: the writer takes it (stored_txn). Two
    # changes at once are kept apart by the version check in the write transaction.

    def change(self, operation_id: str, *, add=(), remove=(), ends: str = "") -> operation_pb2.OperationInfo:
        with self._lock:
            version, op = self._owned(operation_id)
        new = ops_rule.changed(op, add=list(add), remove=list(remove), ends=ends, now=self.clock.now(),
                               directory=self.r.directory)
        self._write_version(new, version, op)
        return self.info(operation_id)

    def close(self, operation_id: str) -> operation_pb2.OperationInfo:
        with self._lock:
            version, op = self._owned(operation_id)
        if op.status != ops_rule.CLOSED:
            self._write_version(ops_rule.closed(op), version, op)
        return self.info(operation_id)

    def close_due(self) -> int:
        """The job: close the own operations past their end."""
        now = self.clock.now()
        due = [k for k, (_v, op) in list(self.ops.items()) if op.owner == self.me and ops_rule.due_to_close(op, now)]
        for op_id in due:
            self.close(op_id)
            logger.info("[node=%s] operation %s closed: past its end", self.me, op_id)
        return len(due)

    def _write_version(self, new: operation_pb2.Operation, version: int, old: operation_pb2.Operation | None) -> None:
        """Sign and store the next version of an own operation. The membership it gives is in force
        before the commit, so that the direct deliveries it owes are offered under it. A member added
        gets the operation record first, then every live group record held (the owner holds them all)."""
        rec = self.book.sign(kind=OPERATION, policy=ops_rule.operation_policy(new),
                             body=new.SerializeToString(deterministic=True), record_id=new.operation_id,
                             version=version + 1)
        added = sorted(set(new.members) - set(old.members) - {self.me}) if old is not None else []
        with self._lock:
            before = self.ops.get(new.operation_id)
            if (before[0] if before else 0) != version:
                raise AlreadyExistsError(f"operation {new.operation_id} changed meanwhile; try again")
            self.ops[new.operation_id] = (version + 1, new)
            self._publish()

        def txn(conn):
            held = st.held_version_txn(conn, self.me, new.operation_id)
            if (held[0] if held else 0) != version:
                raise AlreadyExistsError(f"operation {new.operation_id} changed meanwhile; try again")
            previous = None
            if held is not None:
                previous = conn.execute("SELECT header FROM records WHERE origin = ? AND record_id = ?",
                                        (self.me, new.operation_id)).fetchone()[0]
            self._put_txn(conn, rec, previous)
            if added:
                st.enqueue_delivery_txn(conn, added, self.me, new.operation_id, version + 1)
                for origin, record_id, v in conn.execute(
                        "SELECT r.origin, r.record_id, r.version FROM records r JOIN policy_groups g ON g.pid = r.pid "
                        "WHERE g.operation_id = ? AND r.withdrawn = 0 ORDER BY r.seq", (new.operation_id,)).fetchall():
                    st.enqueue_delivery_txn(conn, added, origin, record_id, v)

        try:
            self.store.write(txn)
        except BaseException:
            with self._lock:
                if before is None:
                    self.ops.pop(new.operation_id, None)
                else:
                    self.ops[new.operation_id] = before
                self._publish()
            raise
        with self._cond:
            self._cond.notify_all()

    def _put_txn(self, conn, rec: record_pb2.SignedRecord, previous_header: bytes | None) -> record_pb2.RecordHeader:
        """Store an own operation record or message and owe its direct deliveries; nodes a new version
        of the operation record no longer entitles (members removed) get a withdrawal of it."""
        h = record_pb2.RecordHeader.FromString(rec.header)
        st.upsert_record_txn(conn, record_row(rec, origin=self.me, record_id=h.record_id, version=h.version,
                                              kind=h.kind, created_at=h.created_at), None, rfc3339(self.clock.now()),
                             new=previous_header is None)
        self.book._owe_deliveries_txn(conn, rec)
        if previous_header is not None:
            self.book._withdraw_txn(conn, previous_header, rec)
        return h

    # -- reading ---------------------------------------------------------------------------------

    def _counts(self, operation_id: str) -> tuple[int, int]:
        row = self.store.reader.execute(
            "SELECT SUM(r.kind != ?), SUM(r.kind = ?) FROM records r JOIN policy_groups g ON g.pid = r.pid "
            "WHERE g.operation_id = ? AND r.withdrawn = 0 AND r.retracted = 0",
            (MESSAGE, MESSAGE, operation_id)).fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def info(self, operation_id: str) -> operation_pb2.OperationInfo:
        version, op = self._member_op(operation_id)
        records, messages = self._counts(operation_id)
        return operation_pb2.OperationInfo(operation=op, version=version, records=records, messages=messages)

    def list(self) -> list[operation_pb2.OperationInfo]:
        return [self.info(k) for k in sorted(self.ops) if ops_rule.is_member(self.ops[k][1], self.me)]

    # -- messages --------------------------------------------------------------------------------

    def post(self, operation_id: str, text: str, refs=()) -> operation_pb2.MessageInfo:
        _version, op = self._member_op(operation_id)
        if op.status == ops_rule.CLOSED:
            raise ValidationError("operation_id", f"operation {operation_id} is closed")
        msg = ops_rule.check_message(operation_id, text, refs)
        for i, ref in enumerate(msg.refs):
            origin, record_id = ops_rule.split_ref(ref)
            if not self.store.reader.execute(
                    "SELECT 1 FROM records r JOIN policy_groups g ON g.pid = r.pid WHERE r.origin = ? AND "
                    "r.record_id = ? AND g.operation_id = ? AND r.withdrawn = 0", (origin, record_id,
                                                                                    operation_id)).fetchone():
                raise ValidationError(f"refs[{i}]", f"{ref} is not a record shared to {operation_id} held here")
        body = msg.SerializeToString(deterministic=True)
        rec = self.book.sign(kind=MESSAGE, policy=ops_rule.group_policy(operation_id), body=body)
        h = self.store.write(lambda conn: self._put_txn(conn, rec, None))
        return message_info(self.me, h.record_id, h.created_at, body)

    def messages(self, operation_id: str, since: str = "", after_seq: int = 0,
                 ) -> list[tuple[int, operation_pb2.MessageInfo]]:
        """(seq, message) of the live messages of the group held here, oldest first."""
        self._member_op(operation_id)
        rows = self.store.reader.execute(
            "SELECT r.seq, r.origin, r.record_id, r.created_at, r.body FROM records r "
            "JOIN policy_groups g ON g.pid = r.pid WHERE g.operation_id = ? AND r.kind = ? AND r.withdrawn = 0 "
            "AND r.retracted = 0 AND r.created_at > ? AND r.seq > ? ORDER BY r.created_at, r.origin, r.record_id",
            (operation_id, MESSAGE, since or "", after_seq)).fetchall()
        return [(seq, message_info(o, rid, at, body)) for seq, o, rid, at, body in rows]

    def _committed(self, last_seq: int) -> None:
        # Called by the store's writer after each commit: no query here, nothing that waits.
        with self._cond:
            self._head = last_seq
            self._cond.notify_all()

    def watch(self, operation_id: str, since: str = "", active=lambda: True,
              heartbeat: float = 5.0) -> Iterator[operation_pb2.MessageInfo]:
        """The messages after `since`, then each new one as soon as it is stored here; ends when
        `active()` turns false, the node stops, or this node leaves the operation."""
        seen: set[tuple[str, str]] = set()
        top = 0
        while active() and not self._closing:
            with self._cond:
                head = self._head
            try:
                batch = self.messages(operation_id, since, after_seq=top)
            except NotMemberError:
                if top:
                    return  # left the group while watching
                raise
            for seq, info in sorted(batch, key=lambda x: x[0]):
                top = max(top, seq)
                if (info.origin, info.record_id) not in seen:
                    seen.add((info.origin, info.record_id))
                    yield info
            with self._cond:
                if self._head == head and not self._closing:
                    self._cond.wait(timeout=heartbeat)

    def wake(self) -> None:
        """Wake the watchers (one of them may have been cancelled)."""
        with self._cond:
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()

    # -- the report ------------------------------------------------------------------------------

    def report(self, operation_id: str) -> operation_pb2.OperationReportResponse:
        version, op = self._member_op(operation_id)
        if op.owner != self.me:
            raise PermissionDeniedError(f"only {op.owner}, the owner, reports on operation {operation_id}")
        rows = []
        for origin, kind, created_at, body in self.store.reader.execute(
                "SELECT r.origin, r.kind, r.created_at, r.body FROM records r JOIN policy_groups g ON g.pid = r.pid "
                "WHERE g.operation_id = ? AND r.withdrawn = 0 AND r.retracted = 0 ORDER BY r.created_at",
                (operation_id,)):
            items: tuple = ()
            if kind == SEIZURE and body:
                case = seizure_pb2.SeizureCase.FromString(body)
                items = tuple((seizure_pb2.Section.Name(i.section).removeprefix("SECTION_"),
                               seizure_pb2.Category.Name(i.category).removeprefix("CATEGORY_")) for i in case.items)
            rows.append(ops_rule.GroupRow(origin, "MESSAGE" if kind == MESSAGE else "RECORD", created_at, items))
        out = ops_rule.report(list(op.members) + list(op.removed), rows)
        records, messages = self._counts(operation_id)
        resp = operation_pb2.OperationReportResponse(
            operation=operation_pb2.OperationInfo(operation=op, version=version, records=records, messages=messages))
        for m in out["members"]:
            resp.members.add(**m)
        for s in out["seizures"]:
            resp.seizures.add(**s)
        for d in out["timeline"]:
            resp.timeline.add(**d)
        return resp


def now_text(clock: Clock) -> str:
    return rfc3339(clock.now())
