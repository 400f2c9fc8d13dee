"""Intelligence requests (mutual administrative assistance) between administrations.

A request, each response, a closure and each deadline notice is a signed record of its own, written
by one node only: the requester writes the request, its closure and its notices; the addressee writes
the responses. All of them are shared (NAMED) with the requester, the addressee and, where the
request is routed, the requester's RILO; an overdue notice also goes to the requester's RILO (or the
Secretariat). The status of a request is derived from the records held, never edited in place.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from dataclasses import dataclass, field

from rilo_node.core import replication
from rilo_node.core.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from rilo_node.core.seizure import check_text, normalize_record_id
from rilo_node.core.signing import sha256
from rilo_node.core.topology import SECRETARIAT_ID, Directory
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.node.records import ConflictError, RecordBook
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2, request_pb2
from rilo_node.store import db as st
from rilo_node.store import projections
from rilo_node.store.projections import known_enum

REQUEST, RESPONSE, CLOSURE, NOTICE = (projections.REQUEST, projections.RESPONSE, projections.CLOSURE,
                                      projections.NOTICE)

# The derived status while a request still waits for the addressee (it can become overdue).
OPEN = frozenset({"SENT", "ACKNOWLEDGED", "IN_PROGRESS", "POSTPONED"})
NEEDS_REASON = frozenset({request_pb2.RESPONSE_STATUS_REFUSED, request_pb2.RESPONSE_STATUS_POSTPONED})

MAX_TEXT = {"legal_basis": 500, "subject": 300, "facts": 20_000, "contact": 200}
MULTILINE_TEXT = frozenset({"facts"})  # the other texts are one line each (docs/protocol.md#seizure-checks)
MAX_RECORDS = 100
MAX_RESPONSE_TEXT = 20_000
MAX_REASON = 2_000
# A `requests` row as _summary, get and deadlines read it.
REQUEST_COLUMNS = "origin, record_id, addressee, via_rilo, assistance, urgency, subject, due_date, created_at"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value(enum, prefix: str, name: str) -> int:
    """The number of an enum value by its short name; 0 (unspecified) for a name this version lacks."""
    return enum.DESCRIPTOR.values_by_name[prefix + name].number if prefix + name in enum.DESCRIPTOR.values_by_name else 0


def parse_date(value: str, field_name: str) -> dt.date:
    if not _DATE.fullmatch(value or ""):
        raise ValidationError(field_name, f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(field_name, f"{value!r} is not a calendar date") from None


def check_keys(keys, field_name: str, directory: Directory) -> None:
    if len(keys) > MAX_RECORDS:
        raise ValidationError(field_name, f"at most {MAX_RECORDS} records")
    for i, key in enumerate(keys):
        if key.origin not in directory:
            raise ValidationError(f"{field_name}[{i}].origin", f"unknown node {key.origin!r}")
        if not key.record_id:
            raise ValidationError(f"{field_name}[{i}].record_id", "is required")


def check_request(msg: request_pb2.AssistanceRequest, requester: str, directory: Directory,
                  today: dt.date) -> request_pb2.AssistanceRequest:
    """A request as the requester may send it, or ValidationError naming the field. Pure."""
    if not msg.addressee:
        raise ValidationError("request.addressee", "is required")
    if msg.addressee not in directory:
        raise ValidationError("request.addressee", f"unknown node {msg.addressee!r}")
    if msg.addressee == requester:
        raise ValidationError("request.addressee", "a node does not send requests to itself")
    me = directory.get(requester)
    if msg.via_rilo:
        home = me.area if me is not None and me.role == "member" else None
        if msg.via_rilo != home or home not in directory:
            raise ValidationError("request.via_rilo", f"{msg.via_rilo!r} is not {requester}'s RILO"
                                  + (f" ({home})" if home else f": {requester} has none"))
        if msg.via_rilo == msg.addressee:
            raise ValidationError("request.via_rilo", "the addressee is the RILO itself: send it directly")
    for name, limit in MAX_TEXT.items():
        value = getattr(msg, name)
        if len(value) > limit:
            raise ValidationError(f"request.{name}", f"longer than {limit} characters")
        check_text(value, f"request.{name}", multiline=name in MULTILINE_TEXT)
    if not msg.legal_basis.strip():
        raise ValidationError("request.legal_basis", "is required: the agreement or convention article invoked")
    if not msg.subject.strip():
        raise ValidationError("request.subject", "is required")
    if not known_enum(request_pb2.AssistanceType, msg.assistance):
        raise ValidationError("request.assistance", "is required: one of " + ", ".join(
            projections.name(request_pb2.AssistanceType, v.number)
            for v in request_pb2.AssistanceType.DESCRIPTOR.values if v.number))
    out = request_pb2.AssistanceRequest()
    out.CopyFrom(msg)
    if msg.urgency == 0:
        out.urgency = request_pb2.URGENCY_ROUTINE
    elif not known_enum(request_pb2.Urgency, msg.urgency):
        raise ValidationError("request.urgency", f"unknown urgency {msg.urgency} (ROUTINE, URGENT, IMMEDIATE)")
    if not msg.due_date:
        raise ValidationError("request.due_date", "is required (YYYY-MM-DD)")
    if parse_date(msg.due_date, "request.due_date") < today:
        raise ValidationError("request.due_date", f"{msg.due_date} is in the past (today is {today.isoformat()})")
    check_keys(msg.records, "request.records", directory)
    for key in out.records:
        key.version = 0 if key.version < 0 else key.version
    return out


def parties(requester: str, req: request_pb2.AssistanceRequest) -> list[str]:
    return sorted({requester, req.addressee} | ({req.via_rilo} if req.via_rilo else set()))


def named_policy(nodes, handling: int = policy_pb2.HANDLING_H2) -> policy_pb2.SharingPolicy:
    """replication.named_policy with H2 by default: onward disclosure only with the provider's
    permission, as mutual assistance agreements require."""
    return replication.named_policy(nodes, handling)


def escalation_target(requester: str, directory: Directory) -> str | None:
    """Who hears of an overdue request: the requester's RILO, or the Secretariat for a node with none."""
    me = directory.get(requester)
    if me is not None and me.role == "member" and me.area and me.area in directory:
        return me.area
    if requester != SECRETARIAT_ID and SECRETARIAT_ID in directory:
        return SECRETARIAT_ID
    return None


@dataclass(frozen=True)
class Event:
    origin: str
    record_id: str
    kind: int
    status: str
    created_at: str


@dataclass
class Derived:
    status: str
    overdue: bool
    updated_at: str
    responses: int
    counted: set = field(default_factory=set)


def derive(requester: str, addressee: str, due_date: str, created_at: str, events: list[Event],
           today: dt.date) -> Derived:
    """The status of a request from the records held about it. Pure.

    SENT; then the status of the addressee's newest response; CLOSED once the requester closed it.
    Responses not written by the addressee and closures not written by the requester do not count.
    Open (SENT, ACKNOWLEDGED, IN_PROGRESS, POSTPONED) past its due date is overdue.
    """
    status, updated, responses, closed = "SENT", created_at, 0, False
    counted = set()
    for e in sorted(events, key=lambda e: (e.created_at, e.record_id)):
        if e.kind == RESPONSE and e.origin == addressee and not closed:
            status, updated = e.status, e.created_at
            responses += 1
            counted.add((e.origin, e.record_id))
        elif e.kind == CLOSURE and e.origin == requester:
            if not closed:
                status, updated, closed = "CLOSED", e.created_at, True
            counted.add((e.origin, e.record_id))
        elif e.kind == NOTICE and e.origin == requester:
            counted.add((e.origin, e.record_id))
    overdue = status in OPEN and bool(due_date) and dt.date.fromisoformat(due_date) < today
    return Derived(status, overdue, updated, responses, counted)


def deadline_actions(status: str, due_date: str, today: dt.date, reminder_days: int, sent: set[str],
                     created: dt.date | None = None) -> list[str]:
    """Which notices a requester's node owes for one of its requests today. Pure.

    REMINDER (to the addressee) once the due date is `reminder_days` away or less, unless the
    request was sent (`created`) inside that window already; OVERDUE (to the requester's RILO) once
    the due date has passed. Each is sent once, and only while the request is open.
    """
    if status not in OPEN:
        return []
    due = dt.date.fromisoformat(due_date)
    out = []
    # Day counts, not dates: any reminder_days is fine (no date arithmetic that could overflow).
    if ("REMINDER" not in sent and 0 <= (due - today).days <= reminder_days
            and (created is None or (due - created).days > reminder_days)):
        out.append("REMINDER")
    if "OVERDUE" not in sent and today > due:
        out.append("OVERDUE")
    return out


class Requests:
    """The request desk of one node."""

    def __init__(self, book: RecordBook, clock: Clock):
        self.book = book
        self.store = book.store
        self.clock = clock
        self.me = book.node_id

    @property
    def directory(self) -> Directory:
        return self.book.directory

    # -- writing ---------------------------------------------------------------------

    def create(self, msg: request_pb2.AssistanceRequest, *, record_id: str = "", actor: str = ""):
        """Sign and store a request; returns (RecordKey, created)."""
        today = self.clock.now().date()
        if record_id:
            record_id = normalize_record_id(record_id)
            earlier = self.store.get_record(self.me, record_id)
            if earlier is not None and earlier.kind == REQUEST:
                # A retry: judged as of the day it was first sent (its due date may have passed since).
                today = min(today, dt.date.fromisoformat(earlier.created_at[:10]))
        req = check_request(msg, self.me, self.directory, today)
        body = req.SerializeToString(deterministic=True)
        rec = self.book.sign(kind=REQUEST, policy=named_policy(parties(self.me, req)), body=body,
                             record_id=record_id or None)
        h = record_pb2.RecordHeader.FromString(rec.header)

        def txn(conn):
            row = conn.execute("SELECT kind, header FROM records WHERE origin = ? AND record_id = ?",
                               (self.me, h.record_id)).fetchone()
            if row is not None:
                old = record_pb2.RecordHeader.FromString(row[1])
                if row[0] == REQUEST and old.body_sha256 == sha256(body):
                    return record_pb2.RecordKey(origin=self.me, record_id=h.record_id, version=old.version), False
                raise AlreadyExistsError(f"record_id {h.record_id!r} already exists with other content")
            now = rfc3339(self.clock.now())
            self.book.put_signed_txn(conn, rec, now=now)
            st.audit_txn(conn, at=now, actor=actor or self.me, action="request",
                         keys=[[self.me, h.record_id, 1]], detail={"to": req.addressee, "via": req.via_rilo})
            return record_pb2.RecordKey(origin=self.me, record_id=h.record_id, version=1), True

        return self.store.write(txn)

    def _request(self, key: record_pb2.RecordKey) -> tuple[st.StoredRecord, request_pb2.AssistanceRequest]:
        origin = key.origin
        if not key.record_id:
            raise ValidationError("request.record_id", "is required")
        if not origin:
            rows = self.store.reader.execute("SELECT origin FROM requests WHERE record_id = ?",
                                             (key.record_id,)).fetchall()
            if len(rows) > 1:
                raise ValidationError("request.origin", f"{len(rows)} requests have id {key.record_id!r}: name the origin")
            origin = rows[0][0] if rows else ""
        rec = self.store.get_record(origin, key.record_id) if origin else None
        if rec is None or rec.kind != REQUEST:
            raise NotFoundError(f"no request {origin + '/' if origin else ''}{key.record_id} held here")
        if rec.retracted or rec.withdrawn or not rec.body:
            raise ConflictError(f"request {origin}/{key.record_id} was retracted")
        return rec, request_pb2.AssistanceRequest.FromString(rec.body)

    def respond(self, key: record_pb2.RecordKey, status: int, *, text: str = "", reason: str = "", records=(),
                release: bool = False, release_annex: bool = False, actor: str = "", record_id: str = ""):
        """The addressee's response; returns (RecordKey of the response, [released RecordKey]).
        With `record_id`, a retry returns the response first written under that id."""
        rec, req = self._request(key)
        if record_id:
            record_id = normalize_record_id(record_id)
            earlier = self.store.get_record(self.me, record_id)
            if earlier is not None:
                first = request_pb2.RequestResponse.FromString(earlier.body or b"") if earlier.kind == RESPONSE else None
                if first is None or (first.request.origin, first.request.record_id, first.status) != (
                        rec.origin, rec.record_id, status):
                    raise AlreadyExistsError(f"record_id {record_id!r} already exists with other content")
                return (record_pb2.RecordKey(origin=self.me, record_id=record_id, version=earlier.version),
                        list(first.released))
        if req.addressee != self.me:
            raise PermissionDeniedError(f"only the addressee ({req.addressee}) responds to this request")
        if not known_enum(request_pb2.ResponseStatus, status):
            raise ValidationError("status", "is required: one of " + ", ".join(
                projections.name(request_pb2.ResponseStatus, v.number)
                for v in request_pb2.ResponseStatus.DESCRIPTOR.values if v.number))
        if status in NEEDS_REASON and not reason.strip():
            raise ValidationError("reason", f"is required when the status is "
                                            f"{projections.name(request_pb2.ResponseStatus, status)}")
        if len(text) > MAX_RESPONSE_TEXT:
            raise ValidationError("text", f"longer than {MAX_RESPONSE_TEXT} characters")
        if len(reason) > MAX_REASON:
            raise ValidationError("reason", f"longer than {MAX_REASON} characters")
        check_text(text, "text", multiline=True)
        check_text(reason, "reason", multiline=True)
        check_keys(records, "records", self.directory)
        if release_annex and not release:
            raise ValidationError("release_annex", "needs release")
        to_release = [k.record_id for k in req.records if k.origin == self.me] if release else []
        if release and not to_release:
            raise ValidationError("release", "the request concerns no record of this node")
        if release and status not in (request_pb2.RESPONSE_STATUS_ANSWERED,
                                      request_pb2.RESPONSE_STATUS_PARTIALLY_ANSWERED):
            raise ValidationError("release", "records are released with an ANSWERED or PARTIALLY_ANSWERED response")
        requester = rec.origin
        # The parties of the request, from its body: never a wider audience than the request's own.
        policy = named_policy(parties(requester, req))

        def txn(conn):
            if self._closed(rec.origin, rec.record_id, conn):
                raise ConflictError(f"request {rec.origin}/{rec.record_id} is closed")
            now = rfc3339(self.clock.now())
            released = []
            for own_id in dict.fromkeys(to_release):
                k = self.book.release_txn(conn, own_id, requester, annex=release_annex, now=now)
                if k is not None:
                    released.append(k)
            body = request_pb2.RequestResponse(
                request=record_pb2.RecordKey(origin=rec.origin, record_id=rec.record_id), status=status,
                text=text, reason=reason, records=list(records), released=released,
                annex_released=bool(released) and release_annex)
            out = self.book.sign(kind=RESPONSE, policy=policy, body=body.SerializeToString(deterministic=True),
                                 record_id=record_id or None)
            h = self.book.put_signed_txn(conn, out, now=now)
            st.audit_txn(conn, at=now, actor=actor or self.me, action="respond",
                         keys=[[self.me, h.record_id, 1]],
                         detail={"request": f"{rec.origin}/{rec.record_id}",
                                 "status": projections.name(request_pb2.ResponseStatus, status)})
            if released:
                st.audit_txn(conn, at=now, actor=actor or self.me, action="release",
                             keys=[[k.origin, k.record_id, k.version] for k in released],
                             detail={"to": requester, "request": f"{rec.origin}/{rec.record_id}",
                                     "annex": release_annex})
            return record_pb2.RecordKey(origin=self.me, record_id=h.record_id, version=1), released

        return self.store.write(txn)

    def close(self, key: record_pb2.RecordKey, *, text: str = "", actor: str = "") -> record_pb2.RecordKey:
        rec, req = self._request(key)
        if rec.origin != self.me:
            raise PermissionDeniedError(f"only the requester ({rec.origin}) closes this request")
        if len(text) > MAX_RESPONSE_TEXT:
            raise ValidationError("text", f"longer than {MAX_RESPONSE_TEXT} characters")
        check_text(text, "text", multiline=True)
        policy = named_policy(parties(rec.origin, req))
        body = request_pb2.RequestClosure(request=record_pb2.RecordKey(origin=rec.origin, record_id=rec.record_id),
                                          text=text)
        out = self.book.sign(kind=CLOSURE, policy=policy, body=body.SerializeToString(deterministic=True))

        def txn(conn):
            if self._closed(rec.origin, rec.record_id, conn):
                raise ConflictError(f"request {rec.origin}/{rec.record_id} is closed already")
            now = rfc3339(self.clock.now())
            h = self.book.put_signed_txn(conn, out, now=now)
            st.audit_txn(conn, at=now, actor=actor or self.me, action="close", keys=[[self.me, h.record_id, 1]],
                         detail={"request": f"{rec.origin}/{rec.record_id}"})
            return record_pb2.RecordKey(origin=self.me, record_id=h.record_id, version=1)

        return self.store.write(txn)

    def _closed(self, origin: str, record_id: str, conn=None) -> bool:
        return (conn or self.store.reader).execute(
            "SELECT 1 FROM request_events WHERE request_origin = ? AND request_id = ? AND kind = ? AND origin = ?",
            (origin, record_id, CLOSURE, origin)).fetchone() is not None

    # -- reading ---------------------------------------------------------------------

    def _events(self, conn: sqlite3.Connection, origin: str, record_id: str) -> list[Event]:
        return [Event(*r) for r in conn.execute(
            "SELECT origin, record_id, kind, status, created_at FROM request_events "
            "WHERE request_origin = ? AND request_id = ?", (origin, record_id))]

    def summaries(self, *, box: str = "ALL", overdue_only: bool = False, status: str | None = None,
                  limit: int = 1000) -> list[request_pb2.RequestSummary]:
        """Requests held, newest first: ALL, INBOX (to this node) or OUTBOX (from it)."""
        where, args = "", []
        if box == "INBOX":
            where, args = "WHERE addressee = ?", [self.me]
        elif box == "OUTBOX":
            where, args = "WHERE origin = ?", [self.me]
        conn = self.store.reader
        rows = conn.execute(
            f"SELECT {REQUEST_COLUMNS} "
            f"FROM requests {where} ORDER BY created_at DESC, record_id DESC", args).fetchall()
        today = self.clock.now().date()
        summaries = [self._summary(conn, row, today) for row in rows]
        if box == "ALL":
            summaries = sorted(summaries + self._notice_only(conn, today), key=lambda s: (s.created_at, s.key.record_id),
                               reverse=True)
        out = []
        for s in summaries:
            if overdue_only and not s.overdue:
                continue
            if status and request_pb2.RequestStatus.Name(s.status) != "REQUEST_STATUS_" + status:
                continue
            out.append(s)
            if len(out) >= limit:
                break
        return out

    def _notice_only(self, conn, today: dt.date) -> list[request_pb2.RequestSummary]:
        """Requests this node knows of only from a notice (an overdue notice to the requester's RILO):
        who asked whom, by when, and whether it is overdue; not the subject, not the status."""
        rows = conn.execute(
            "SELECT r.body, e.created_at FROM request_events e JOIN records r ON r.origin = e.origin "
            "AND r.record_id = e.record_id LEFT JOIN requests q ON q.origin = e.request_origin "
            "AND q.record_id = e.request_id WHERE e.kind = ? AND q.record_id IS NULL AND r.body IS NOT NULL "
            "ORDER BY e.created_at", (NOTICE,)).fetchall()
        by_request: dict[tuple[str, str], request_pb2.RequestSummary] = {}
        for body, created in rows:
            n = request_pb2.RequestNotice.FromString(body)
            k = (n.request.origin, n.request.record_id)
            s = by_request.get(k)
            if s is None:
                s = by_request[k] = request_pb2.RequestSummary(
                    key=record_pb2.RecordKey(origin=k[0], record_id=k[1], version=1), requester=k[0],
                    addressee=n.addressee, assistance=n.assistance, urgency=n.urgency, due_date=n.due_date,
                    created_at=created, status=request_pb2.REQUEST_STATUS_UNKNOWN, notice_only=True)
            s.updated_at = created
            if n.type == request_pb2.NOTICE_TYPE_OVERDUE:
                s.overdue = True
        return list(by_request.values())

    def _summary(self, conn, row, today: dt.date) -> request_pb2.RequestSummary:
        origin, record_id, addressee, via, assistance, urgency, subject, due, created = row
        d = derive(origin, addressee, due, created, self._events(conn, origin, record_id), today)
        return request_pb2.RequestSummary(
            key=record_pb2.RecordKey(origin=origin, record_id=record_id, version=1), requester=origin,
            addressee=addressee, via_rilo=via,
            assistance=_value(request_pb2.AssistanceType, "ASSISTANCE_TYPE_", assistance),
            urgency=_value(request_pb2.Urgency, "URGENCY_", urgency), subject=subject, due_date=due,
            created_at=created, status=_value(request_pb2.RequestStatus, "REQUEST_STATUS_", d.status),
            overdue=d.overdue, updated_at=d.updated_at, responses=d.responses)

    def get(self, key: record_pb2.RecordKey) -> request_pb2.GetRequestResponse:
        rec, req = self._request(key)
        conn = self.store.reader
        row = conn.execute(
            f"SELECT {REQUEST_COLUMNS} "
            "FROM requests WHERE origin = ? AND record_id = ?", (rec.origin, rec.record_id)).fetchone()
        today = self.clock.now().date()
        summary = self._summary(conn, row, today)
        events = self._events(conn, rec.origin, rec.record_id)
        counted = derive(rec.origin, req.addressee, req.due_date, rec.created_at, events, today).counted
        out = request_pb2.GetRequestResponse(summary=summary, request=req)
        for e in sorted(events, key=lambda e: (e.created_at, e.record_id)):
            held = self.store.get_record(e.origin, e.record_id)
            if held is None or not held.body:
                continue
            ev = request_pb2.RequestEvent(key=record_pb2.RecordKey(origin=e.origin, record_id=e.record_id,
                                                                  version=held.version),
                                          kind=e.kind, author=e.origin, created_at=e.created_at,
                                          counts=(e.origin, e.record_id) in counted)
            if e.kind == RESPONSE:
                ev.response.ParseFromString(held.body)
            elif e.kind == CLOSURE:
                ev.closure.ParseFromString(held.body)
            else:
                ev.notice.ParseFromString(held.body)
            out.events.append(ev)
        return out

    # -- the deadline job ------------------------------------------------------------------

    def deadlines(self, reminder_days: int = 3) -> int:
        """Send the reminders and overdue notices own open requests owe today. Returns how many.

        A plain function of the store and the clock: tests move the clock and call it.
        """
        today = self.clock.now().date()
        conn = self.store.reader
        rows = conn.execute(
            f"SELECT {REQUEST_COLUMNS} "
            "FROM requests WHERE origin = ?", (self.me,)).fetchall()
        owed = []
        for row in rows:
            origin, record_id, addressee, via, assistance, urgency, _, due, created = row
            events = self._events(conn, origin, record_id)
            d = derive(origin, addressee, due, created, events, today)
            sent = {e.status for e in events if e.kind == NOTICE and e.origin == self.me}
            for notice in deadline_actions(d.status, due, today, reminder_days, sent,
                                           dt.date.fromisoformat(created[:10])):
                owed.append((row, notice))
        done = 0
        for row, notice in owed:
            if self._send_notice(row, notice):
                done += 1
        return done

    def _send_notice(self, row, notice: str) -> bool:
        origin, record_id, addressee, via, assistance, urgency, _, due, _ = row
        nodes = {origin, addressee} | ({via} if via else set())
        if notice == "OVERDUE":
            target = escalation_target(origin, self.directory)
            if target:
                nodes.add(target)
        body = request_pb2.RequestNotice(
            request=record_pb2.RecordKey(origin=origin, record_id=record_id),
            type=request_pb2.NoticeType.Value("NOTICE_TYPE_" + notice), addressee=addressee, due_date=due,
            urgency=request_pb2.Urgency.Value("URGENCY_" + urgency),
            assistance=request_pb2.AssistanceType.Value("ASSISTANCE_TYPE_" + assistance))
        rec = self.book.sign(kind=NOTICE, policy=named_policy(nodes), body=body.SerializeToString(deterministic=True))

        def txn(conn) -> bool:
            # Checked again inside the write: a notice is sent once, whatever runs the job, and not
            # after an answer or a closure that came in meanwhile.
            today = self.clock.now().date()
            if derive(origin, addressee, due, row[8], self._events(conn, origin, record_id), today).status not in OPEN:
                return False
            if conn.execute("SELECT 1 FROM request_events WHERE request_origin = ? AND request_id = ? AND kind = ? "
                            "AND status = ? AND origin = ?", (origin, record_id, NOTICE, notice, self.me)).fetchone():
                return False
            now = rfc3339(self.clock.now())
            h = self.book.put_signed_txn(conn, rec, now=now)
            st.audit_txn(conn, at=now, actor="deadlines", action=notice.lower(), keys=[[self.me, h.record_id, 1]],
                         detail={"request": f"{origin}/{record_id}", "to": sorted(nodes - {self.me})})
            return True

        return self.store.write(txn)
