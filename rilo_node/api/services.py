"""Servicers for national systems: check the caller, convert, call one handler, convert back."""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future

import grpc

from rilo_node.api.errors import FIELD_METADATA_KEY, describe, grpc_errors
from rilo_node.api.limits import (
    EXPORT_PAGE,
    MAX_RESULT_FIELD_BYTES,
    MAX_RESULT_MESSAGE_BYTES,
    MAX_SUBMISSIONS_PER_MESSAGE,
    MAX_SUBMISSIONS_PER_STREAM,
)
from rilo_node.core.convert import key_to_pb
from rilo_node.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from rilo_node.core.events import check_listing
from rilo_node.core.federation import validate_group_by
from rilo_node.core.identity import Identity
from rilo_node.node.clock import rfc3339
from rilo_node.node.query import budget_of, parse_request
from rilo_node.node.quota import Turns
from rilo_node.node.records import RecordBook
from rilo_node.pb.rilo.v1 import node_pb2, node_pb2_grpc, peer_pb2, record_pb2
from rilo_node.store import db as st
from rilo_node.store.events import list_security_events

logger = logging.getLogger(__name__)

# Bound the futures one SubmitSeizures stream keeps in flight (memory stays flat on big imports).
MAX_IN_FLIGHT = 4096


def caller_identity(context: grpc.ServicerContext, insecure: bool) -> Identity:
    if insecure:
        return Identity("insecure", "local")
    auth = context.auth_context()
    names = auth.get("x509_common_name") or []
    ident = Identity.parse(names[0].decode()) if names else None
    if ident is None:
        raise PermissionDeniedError("the client certificate names no RILO identity")
    return ident


def stored_to_pb(rec: st.StoredRecord) -> record_pb2.SignedRecord:
    return record_pb2.SignedRecord(
        header=rec.header, body=rec.body or b"", annex=rec.annex or b"", signature=rec.signature, key_id=rec.key_id
    )


class _ClientServiceBase:
    def __init__(self, book: RecordBook, *, insecure: bool = False):
        self.book = book
        self.store = book.store
        self.node_id = book.node_id
        self.insecure = insecure

    def _client(self, context) -> Identity:
        """Client services answer this node's own national systems (and this node's own tools)."""
        ident = caller_identity(context, self.insecure)
        if ident.kind == "insecure":
            return ident
        if ident.kind == "client" and ident.node_id == self.node_id:
            return ident
        raise PermissionDeniedError(f"{ident} may not call the client services of node {self.node_id!r}")

    def _audit(self, actor: Identity, action: str, keys: list, detail: dict | None = None, query_id: str = ""):
        # Durable before the answer leaves: nothing is shown that the audit does not know of.
        now = rfc3339(self.book.clock.now())
        self.store.audit_durably(at=now, actor=str(actor), action=action, query_id=query_id, detail=detail, keys=keys)


class RecordService(_ClientServiceBase, node_pb2_grpc.RecordServiceServicer):
    @grpc_errors
    def SubmitSeizure(self, request, context):
        self._client(context)
        if not request.HasField("submission"):
            raise ValidationError("submission", "is required")
        out = self.book.submit_seizure(request.submission)
        return node_pb2.SubmitSeizureResponse(key=key_to_pb(out.origin, out.record_id, out.version), created=out.created)

    def SubmitSeizures(self, request_iterator, context):
        # Not @grpc_errors: a malformed message aborts the call inside request_iterator (api/errors.py),
        # and that abort must pass through untouched.
        try:
            self._client(context)
        except PermissionDeniedError as exc:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        results: list[node_pb2.SubmitResult | None] = []
        # One store task per stream message: the writer commits many of them in one transaction.
        pending: list[tuple[list[int], Future]] = []
        in_flight = 0

        def settle(upto: int) -> None:
            nonlocal in_flight
            while pending and in_flight > upto:
                indexes, fut = pending.pop(0)
                in_flight -= len(indexes)
                try:
                    outcomes = fut.result()
                except Exception as exc:  # noqa: BLE001 - the whole message failed; say so per record
                    outcomes = [exc] * len(indexes)
                for i, out in zip(indexes, outcomes):
                    if isinstance(out, BaseException):
                        results[i] = _refused(i, out)
                    else:
                        results[i] = node_pb2.SubmitResult(
                            index=i, key=key_to_pb(out.origin, out.record_id, out.version), created=out.created
                        )

        for message in request_iterator:
            start, count = len(results), len(message.submissions)
            if count > MAX_SUBMISSIONS_PER_MESSAGE or start + count > MAX_SUBMISSIONS_PER_STREAM:
                # Refused whole, before anything of it is checked or stored; what came before commits first.
                settle(0)
                refusal = _over_limit(start, count, results)
                context.set_trailing_metadata(((FIELD_METADATA_KEY, refusal.field),))
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(refusal))
            indexes, preps = [], []
            for sub in message.submissions:
                i = len(results)
                results.append(None)
                try:
                    prep = self.book.prepare(sub)
                except Exception as exc:  # noqa: BLE001 - reported per record
                    results[i] = _refused(i, exc)
                else:
                    indexes.append(i)
                    preps.append(prep)
            if preps:
                pending.append((indexes, self.book.submit_batch(preps)))
                in_flight += len(preps)
            if in_flight > MAX_IN_FLIGHT:
                settle(MAX_IN_FLIGHT // 2)
        settle(0)
        stored = sum(1 for r in results if r.code == 0)
        return node_pb2.SubmitSeizuresResponse(results=results, stored=stored, refused=len(results) - stored)

    @grpc_errors
    def UpdateSeizure(self, request, context):
        self._client(context)
        if not request.record_id:
            raise ValidationError("record_id", "is required")
        out = self.book.update_seizure(request.record_id, request.submission)
        return node_pb2.UpdateSeizureResponse(key=key_to_pb(out.origin, out.record_id, out.version))

    @grpc_errors
    def GetRecord(self, request, context):
        actor = self._client(context)
        if not request.origin:
            raise ValidationError("origin", "is required")
        if not request.record_id:
            raise ValidationError("record_id", "is required")
        rec = self.store.get_record(request.origin, request.record_id)
        if rec is None or (request.version and request.version != rec.version):
            raise NotFoundError(f"no record {request.origin}/{request.record_id}"
                                + (f" version {request.version}" if request.version else ""))
        self._audit(actor, "get", [[rec.origin, rec.record_id, rec.version]])
        return node_pb2.GetRecordResponse(
            record=stored_to_pb(rec), key=key_to_pb(rec.origin, rec.record_id, rec.version), withdrawn=rec.withdrawn or rec.retracted
        )

    @grpc_errors
    def ExportRecords(self, request, context):
        actor = self._client(context)
        last = self.store.last_seq()
        self._audit(actor, "export", [], {"after_seq": request.after_seq, "through_seq": last,
                                          "origin": request.origin})
        # Read a page at a time: what a slow reader makes the node hold is one page (api/limits.py).
        for rec in self.store.iter_records(request.after_seq, request.origin or None, batch=EXPORT_PAGE):
            if rec.seq > last:
                break
            yield node_pb2.ExportRecordsResponse(record=stored_to_pb(rec), seq=rec.seq, withdrawn=rec.withdrawn or rec.retracted)

    @grpc_errors
    def RetractRecord(self, request, context):
        actor = self._client(context)
        if not request.record_id:
            raise ValidationError("record_id", "is required")
        out = self.book.retract(request.record_id, actor=str(actor))
        return node_pb2.RetractRecordResponse(key=key_to_pb(out.origin, out.record_id, out.version))


def _refused(index: int, exc: BaseException) -> node_pb2.SubmitResult:
    code, field, message = describe(exc)
    return node_pb2.SubmitResult(index=index, code=code.value[0], field=_cut(field, MAX_RESULT_FIELD_BYTES),
                                 message=_cut(message, MAX_RESULT_MESSAGE_BYTES))


def _cut(text: str, limit: int) -> str:
    """`text` in at most `limit` bytes of UTF-8; a text that was cut ends with "…"."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[:limit - len("…".encode())].decode("utf-8", "ignore") + "…"


def _over_limit(start: int, count: int, results: list) -> ValidationError:
    """The refusal of a SubmitSeizures message beyond a cap; says what the stream stored before it."""
    if count > MAX_SUBMISSIONS_PER_MESSAGE:
        limit = f"at most {MAX_SUBMISSIONS_PER_MESSAGE} seizures per SubmitSeizuresRequest message"
    else:
        limit = f"at most {MAX_SUBMISSIONS_PER_STREAM} seizures per SubmitSeizures stream"
    stored = sum(1 for r in results if r.code == 0)
    return ValidationError("submissions", (
        f"{limit}; the message from index {start} has {count}. Nothing of it or after it was stored; of the "
        f"{start} seizures before it, the node stored (and committed) {stored} and refused {start - stored}: "
        "send them again with the same record_id to learn their keys"))


# Searches and statistics of one client identity at its node: one runs at a time, and up to
# QUERIES_WAITING_PER_CLIENT more wait their turn (within their own deadline); more are refused at once. A
# query's cost is spread over the whole network, all of whose nodes a storm of one client's queries would
# otherwise fill: with 4 at once, another client's searches took 5 to 6 times as long (docs/benchmarks.md,
# abuse). Taking turns, one client's storm holds one query's share of the network, however many it sends.
QUERIES_PER_CLIENT = 1
QUERIES_WAITING_PER_CLIENT = 3


class SearchService(_ClientServiceBase, node_pb2_grpc.SearchServiceServicer):
    def __init__(self, book: RecordBook, engine, *, insecure: bool = False):
        super().__init__(book, insecure=insecure)
        self.engine = engine
        self.per_client = Turns(QUERIES_PER_CLIENT, QUERIES_WAITING_PER_CLIENT, "searches and statistics")

    def _turn(self, request, context, actor):
        """The client's turn (a context manager giving the seconds waited), waited for within the query's
        deadline; and that deadline, in seconds from now."""
        # The query's time counts from when the call reached the node (SyncContext.elapsed), not from when a
        # worker got to it: on a busy machine that wait was most of a late answer's lateness.
        waited = getattr(context, "elapsed", None)
        budget = max(0.0, budget_of(request.deadline_ms, context.time_remaining()) - (waited() if waited else 0.0))
        return self.per_client.turn(str(actor), budget), budget

    @grpc_errors
    def Search(self, request, context):
        actor = self._client(context)
        flt, scope, nodes, limit = parse_request(request.filter, request.scope, request.nodes, request.limit)
        turn, budget = self._turn(request, context, actor)
        with turn as waited:
            result = self.engine.ask(kind=peer_pb2.QUERY_KIND_SEARCH, flt=flt, scope=scope, nodes=nodes, limit=limit,
                                     group_by=[], deadline_ms=max(1, int((budget - waited) * 1000)),
                                     actor=str(actor), call_remaining=context.time_remaining(),
                                     page_token=request.page_token)
        hits = []
        for h in result["hits"]:
            hit = node_pb2.SearchHit(origin=h["origin"], record_id=h["record_id"], version=h["version"],
                                     kind=h["kind"], held=h["held"], summary=h["summary"], tlp=h["tlp"],
                                     handling=h["handling"])
            if h["held"]:
                hit.record.CopyFrom(h["record"])
            hits.append(hit)
        return node_pb2.SearchResponse(query_id=result["query_id"], complete=result["complete"], hits=hits,
                                       nodes=[node_pb2.NodeAnswer(**n) for n in result["nodes"]],
                                       next_page_token=result["next_page_token"])

    @grpc_errors
    def Stats(self, request, context):
        actor = self._client(context)
        flt, scope, nodes, _ = parse_request(request.filter, request.scope, request.nodes)
        group_by = validate_group_by(list(request.group_by))
        turn, budget = self._turn(request, context, actor)
        with turn as waited:
            result = self.engine.ask(kind=peer_pb2.QUERY_KIND_STATS, flt=flt, scope=scope, nodes=nodes, limit=0,
                                     group_by=group_by, deadline_ms=max(1, int((budget - waited) * 1000)),
                                     actor=str(actor), call_remaining=context.time_remaining())
        below = result.get("below", {})
        groups = [node_pb2.StatsGroup(key=[node_pb2.GroupValue(field=f, value=v) for f, v in zip(group_by, key)],
                                      cases=cases, items=items, below=below.get(key, 0))
                  for key, (cases, items) in result["groups"]]
        shown = {key for key, _ in result["groups"]}
        groups += [node_pb2.StatsGroup(key=[node_pb2.GroupValue(field=f, value=v) for f, v in zip(group_by, key)],
                                       below=k) for key, k in sorted(below.items()) if key not in shown]
        return node_pb2.StatsResponse(query_id=result["query_id"], complete=result["complete"], groups=groups,
                                      nodes=[node_pb2.NodeAnswer(**n) for n in result["nodes"]])


class NodeAdminService(_ClientServiceBase, node_pb2_grpc.NodeAdminServiceServicer):
    def __init__(self, book: RecordBook, *, insecure: bool = False, started_at: str = "", version: str = "",
                 peer_states=None):
        super().__init__(book, insecure=insecure)
        self.started_at = started_at
        self.version = version
        self.peer_states = peer_states or (lambda: [])

    @grpc_errors
    def GetStatus(self, request, context):
        self._client(context)
        counts = self.store.counts(self.node_id)
        info = self.book.directory.get(self.node_id)
        return node_pb2.GetStatusResponse(
            node_id=self.node_id, role=info.role if info else "", region=(info.region or "") if info else "",
            area=(info.area or "") if info else "", records_held=counts["records"], own_records=counts["own"],
            last_seq=self.store.last_seq(), security_events=counts["security_events"],
            started_at=self.started_at, version=self.version, peers=self.peer_states(),
            signing_key_id=self.book.key.key_id,
        )

    @grpc_errors
    def ListAudit(self, request, context):
        self._client(context)
        limit = request.limit or 100
        if limit > 10_000:
            raise ValidationError("limit", "at most 10000")
        entries = []
        for e in self.store.audit_entries(request.after_id, limit):
            entries.append(node_pb2.AuditEntry(
                id=e["id"], at=e["at"], actor=e["actor"], action=e["action"], query_id=e["query_id"],
                keys=[key_to_pb(*k[:3]) for k in e["keys"]], detail=json.dumps(e["detail"], sort_keys=True),
                forms=[k[3] if len(k) > 3 else "" for k in e["keys"]], user=e.get("user", ""),
            ))
        return node_pb2.ListAuditResponse(entries=entries)

    @grpc_errors
    def ListSecurityEvents(self, request, context):
        self._client(context)
        since, kind, limit = check_listing(since=request.since, kind=request.kind, limit=request.limit)
        rows = list_security_events(self.store.reader, since=since, kind=kind, after_id=request.after_id,
                                    limit=limit)
        return node_pb2.ListSecurityEventsResponse(events=[node_pb2.SecurityEvent(**row) for row in rows])
