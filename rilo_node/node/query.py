"""Federated queries: ask the network, answer for this node, relay along the overlay.

The asker signs the query; each answering node signs its answer and seals it for the asker
(libsodium sealed box to the asker's key), so relays can neither forge the asker nor read or
alter an answer. Decisions (scope, forwarding, merging) come from the pure module federation.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import queue
import sqlite3
import threading
import time
from datetime import timedelta

import grpc
from google.protobuf.message import DecodeError
import nacl.exceptions
import nacl.public

from rilo_node.core import smallcell
from rilo_node.core.convert import enum_to_str, pb_to_dict
from rilo_node.core.errors import SignatureError, ValidationError
from rilo_node.core.federation import (
    MAX_HOPS,
    MAX_NODE_LIMIT,
    merge_below,
    merge_groups,
    plan_routes,
    responsible,
    scope_targets,
    validate_filter,
    validate_limit,
)
from rilo_node.core.replication import Entitlements
from rilo_node.core.signing import Keyring, SigningKey, verify_record
from rilo_node.node.clock import Clock, new_ulid, rfc3339
from rilo_node.node.metrics import NodeMetrics
from rilo_node.node.quota import Quota
from rilo_node.pb.rilo.v1 import node_pb2, peer_pb2, policy_pb2, record_pb2, seizure_pb2
from rilo_node.store import db as st
from rilo_node.store import search as search_sql

logger = logging.getLogger(__name__)

QUERY_DOMAIN = b"RILO-NET/v1/query\x00"
_SECTION = {name[len("SECTION_"):]: value for name, value in seizure_pb2.Section.items()}
_CATEGORY = {name[len("CATEGORY_"):]: value for name, value in seizure_pb2.Category.items()}
ANSWER_DOMAIN = b"RILO-NET/v1/answer\x00"
DEFAULT_DEADLINE_MS = 1500
MAX_DEADLINE_MS = 30_000
PER_PEER_CONCURRENT = 8
# One asking node's queries at once at any relay, whichever peers they come through.
PER_ASKER_CONCURRENT = 8
SEEN_TTL = 120.0
# SQLite virtual machine steps between two looks at a query's deadline (a few microseconds of work).
PROGRESS_STEPS = 2000


class QueryTimeout(Exception):
    """This node's part of a query did not finish before the query's deadline."""
OK, TIMEOUT, UNREACHABLE, REFUSED, ERROR, NOT_ASKED = (
    node_pb2.NODE_ANSWER_STATUS_OK, node_pb2.NODE_ANSWER_STATUS_TIMEOUT, node_pb2.NODE_ANSWER_STATUS_UNREACHABLE,
    node_pb2.NODE_ANSWER_STATUS_REFUSED, node_pb2.NODE_ANSWER_STATUS_ERROR, node_pb2.NODE_ANSWER_STATUS_NOT_ASKED,
)
# A hop still silent at this share of a node's time is routed around for the nodes behind it. Inner relays
# have less time left, so they route around a stalled hop before the nodes above them would.
HEDGE_AT = 0.5
# The share of a search's time the asker's own part may take before the others are asked (QueryEngine._round).
LOCAL_FIRST = 0.25
# An answer this much past its deadline is logged with where its time went.
LATE_AFTER = 0.05
# What a query's calls leave of its time for the asker to finish (open, verify, merge, audit): FINISH_MARGIN
# times the longest such finish of late (each query's estimate decays by FINISH_DECAY), at least FINISH_MIN,
# at most FINISH_SHARE of its time. On a machine with 50 runnable threads per core, checking 100 hits took
# 250 ms where it takes 6 ms alone: answers came back later than their deadline.
FINISH_MIN = 0.02
FINISH_MARGIN = 1.25
FINISH_DECAY = 0.9
FINISH_SHARE = 0.5
SEARCH, STATS = peer_pb2.QUERY_KIND_SEARCH, peer_pb2.QUERY_KIND_STATS
SCOPES = {
    node_pb2.QUERY_SCOPE_UNSPECIFIED: "local", node_pb2.QUERY_SCOPE_LOCAL: "local", node_pb2.QUERY_SCOPE_AREA: "area",
    node_pb2.QUERY_SCOPE_REGION: "region", node_pb2.QUERY_SCOPE_GLOBAL: "global", node_pb2.QUERY_SCOPE_NODES: "nodes",
}


def budget_of(deadline_ms: int, call_remaining: float | None) -> float:
    """A query's time, in seconds: its deadline_ms (0: the default, at most MAX_DEADLINE_MS), and within the
    gRPC call's own deadline when it has one (less 50 ms to answer in)."""
    budget = min(deadline_ms or DEFAULT_DEADLINE_MS, MAX_DEADLINE_MS) / 1000
    if call_remaining is not None:
        budget = min(budget, max(0.05, call_remaining - 0.05))
    return budget


def status_of_error(exc: grpc.RpcError) -> int:
    code = exc.code()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return TIMEOUT
    if code == grpc.StatusCode.UNAVAILABLE:
        return UNREACHABLE
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.RESOURCE_EXHAUSTED,
                grpc.StatusCode.FAILED_PRECONDITION):
        return REFUSED
    return ERROR


class QueryEngine:
    def __init__(self, store: st.Store, key: SigningKey, keyring: Keyring, clock: Clock, network, replicator, *,
                 metrics: NodeMetrics | None = None):
        self.store = store
        self.metrics = metrics or NodeMetrics()
        self.key = key
        self.me = key.node_id
        self.keyring = keyring
        self.clock = clock
        self.network = network        # PeerNetwork: stubs to peers (and the partition rules)
        self.replicator = replicator  # its Entitlements follow the directory
        self._unseal = nacl.public.SealedBox(key._nacl.to_curve25519_private_key())
        self._seen: dict[str, float] = {}
        self._seen_lock = threading.Lock()
        self.per_peer = Quota(PER_PEER_CONCURRENT, "queries")
        self.per_asker = Quota(PER_ASKER_CONCURRENT, "queries")
        self._boxes: dict[str, nacl.public.SealedBox] = {}
        self._policies: dict[int, tuple[str, bytes, int, int]] = {}
        self._policies_top = 0
        self._policies_lock = threading.Lock()
        self._plans: dict[tuple, tuple] = {}
        self._plans_lock = threading.Lock()
        self.answer_delay = 0.0  # tests: a slow node
        self._finish_estimate = 0.0  # s: what finishing a query after its calls takes of late (ask)
        self.list_counts = search_sql.ListCounts()  # how long the store's index lists are, for choosing a plan
        self.min_cell = 0  # stats.min_cell (node.py sets it): docs/protocol.md#small-cell-protection

    @property
    def ent(self) -> Entitlements:
        return self.replicator.ent

    @property
    def directory(self):
        return self.replicator.directory

    # -- signing and sealing -----------------------------------------------------------------

    def sign_query(self, query: peer_pb2.Query) -> peer_pb2.SignedQuery:
        data = query.SerializeToString(deterministic=True)
        return peer_pb2.SignedQuery(query=data, signature=self.key.sign(QUERY_DOMAIN + data), key_id=self.key.key_id)

    def verify_query(self, signed: peer_pb2.SignedQuery) -> peer_pb2.Query:
        vk = self.keyring.verify_key(signed.key_id)
        if vk is None:
            raise SignatureError(f"query signed by unknown key {signed.key_id!r}")
        try:
            vk.verify(QUERY_DOMAIN + signed.query, signed.signature)
        except nacl.exceptions.BadSignatureError:
            raise SignatureError("bad query signature") from None
        query = peer_pb2.Query.FromString(signed.query)
        if query.asker != self.keyring.owner(signed.key_id):
            raise SignatureError(f"query of {query.asker!r} signed by a key of {self.keyring.owner(signed.key_id)!r}")
        return query

    def seal(self, answer: peer_pb2.Answer, asker: str) -> peer_pb2.SealedAnswer:
        data = answer.SerializeToString(deterministic=True)
        signed = peer_pb2.SignedAnswer(answer=data, signature=self.key.sign(ANSWER_DOMAIN + data),
                                       key_id=self.key.key_id)
        key_id = self.keyring.key_id_of(asker) or ""
        box = self._boxes.get(key_id)
        if box is None:
            vk = self.keyring.verify_key(key_id)
            if vk is None:
                raise SignatureError(f"no key for asker {asker!r}")
            box = self._boxes[key_id] = nacl.public.SealedBox(vk.to_curve25519_public_key())
        return peer_pb2.SealedAnswer(node=self.me, sealed=box.encrypt(signed.SerializeToString()))

    def open_answer(self, sealed: peer_pb2.SealedAnswer, query: peer_pb2.Query) -> peer_pb2.Answer:
        """Decrypt, check the answering node's signature, check it answers this query. None comes in this
        node's own name: its own answer never leaves it, and its hits are not verified again (_checked)."""
        if sealed.node == self.me:
            raise SignatureError("an answer in this node's own name came from another node")
        try:
            signed = peer_pb2.SignedAnswer.FromString(self._unseal.decrypt(sealed.sealed))
        except (nacl.exceptions.CryptoError, ValueError, DecodeError) as exc:
            raise SignatureError(f"answer of {sealed.node} cannot be opened: {exc}") from None
        owner = self.keyring.owner(signed.key_id)
        vk = self.keyring.verify_key(signed.key_id)
        if vk is None or owner != sealed.node:
            raise SignatureError(f"answer of {sealed.node} signed by {owner or 'an unknown key'}")
        try:
            vk.verify(ANSWER_DOMAIN + signed.answer, signed.signature)
        except nacl.exceptions.BadSignatureError:
            raise SignatureError(f"bad signature on the answer of {sealed.node}") from None
        try:
            answer = peer_pb2.Answer.FromString(signed.answer)
        except DecodeError as exc:
            raise SignatureError(f"answer of {sealed.node} does not parse: {exc}") from None
        if answer.query_id != query.query_id or answer.node != sealed.node or answer.asker != self.me:
            raise SignatureError(f"answer of {sealed.node} is for another query")
        return answer

    # -- answering for this node ---------------------------------------------------------------

    def answer(self, query: peer_pb2.Query, deadline: float | None = None) -> peer_pb2.Answer:
        """This node's own answer: only what the asker may discover (full records where it may hold them).
        Its SQL stops at `deadline` (time.monotonic()): QueryTimeout, which the asker sees as TIMEOUT."""
        started = time.monotonic()
        if self.answer_delay:
            time.sleep(self.answer_delay)
        flt = validate_filter(pb_to_dict(query.filter))
        answer = peer_pb2.Answer(query_id=query.query_id, node=self.me, asker=query.asker)
        disclosed: list[list] = []
        deadline = deadline if deadline is not None else started + DEFAULT_DEADLINE_MS / 1000
        with self._bounded(deadline):
            if query.kind == STATS:
                shown, small = self.local_stats_answer(flt, list(query.group_by), query.asker)
                for key, cases, items in shown:
                    answer.groups.add(key=[node_pb2.GroupValue(field=f, value=v)
                                           for f, v in zip(query.group_by, key)], cases=cases, items=items)
                for key in small:  # docs/protocol.md#small-cell-protection: named, with no figure
                    answer.groups.add(key=[node_pb2.GroupValue(field=f, value=v)
                                           for f, v in zip(query.group_by, key)], below=self.min_cell)
            else:
                limit = min(query.limit or 100, MAX_NODE_LIMIT)
                targets = frozenset(query.targets) if len(query.targets) > 1 else None
                after = (search_sql.Cursor(query.after.seizure_date, query.after.origin, query.after.record_id)
                         if query.HasField("after") else None)
                before = (search_sql.Cursor(query.before.seizure_date, query.before.origin, query.before.record_id)
                          if query.HasField("before") and query.before.seizure_date else None)
                hits = self.local_hits(flt, limit, query.asker, targets, after, before, into=answer.hits)
                if query.asker != self.me:  # what this node disclosed to another (audited below)
                    disclosed = [[h.origin, h.record_id, h.version, "record" if h.held else "notice"] for h in hits]
        answer.ms = int((time.monotonic() - started) * 1000)
        if query.asker != self.me:
            now = rfc3339(self.clock.now())
            detail = {"filter": flt, "kind": enum_to_str(peer_pb2.QueryKind.DESCRIPTOR, query.kind),
                      "group_by": list(query.group_by), "groups": len(answer.groups)}
            # Group-committed by the store's writer while the answer travels: the answer does not wait
            # for an fsync (docs/protocol.md#what-is-durable-when-a-call-returns says what that costs in a crash).
            self.store.submit(lambda conn: st.audit_txn(
                conn, at=now, actor=f"node:{query.asker}", action="disclose", query_id=query.query_id,
                detail=detail, keys=disclosed), quiet=True)
        return answer

    @contextlib.contextmanager
    def _bounded(self, deadline: float):
        """Interrupt this thread's reads of the store once `deadline` passes (QueryTimeout)."""
        conn = self.store.reader
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, PROGRESS_STEPS)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupt" in str(exc):
                raise QueryTimeout(f"this node's part of the query passed its deadline ({exc})") from None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def policies(self) -> dict[int, tuple[str, bytes, int, int]]:
        """Every (origin, policy) pair of the seizures held, by its number: (origin, policy bytes, tlp,
        handling). The table only grows; new pairs are read as they appear."""
        with self._policies_lock:
            top = self.store.reader.execute("SELECT COALESCE(MAX(pid), 0) FROM policies").fetchone()[0]
            if top > self._policies_top:
                grown = dict(self._policies)  # a new dict: callers iterate the one they were given
                for pid, origin, policy in self.store.reader.execute(
                        "SELECT pid, origin, policy FROM policies WHERE pid > ?", (self._policies_top,)):
                    pb = policy_pb2.SharingPolicy.FromString(policy or b"")
                    grown[pid] = (origin, policy or b"", pb.tlp, pb.handling)
                self._policies, self._policies_top = grown, top
            return self._policies

    def search_plan(self, asker: str, targets: frozenset[str] | None) -> dict[int, tuple[bool, bool]]:
        """The pairs this node answers for in a search of `asker` over `targets` (None: this node alone):
        those the asker may discover and, in a wider scope, that this node is responsible for; with
        whether the asker may hold the records, and their annexes."""
        def decide(origin: str, e, _policy: bytes) -> tuple[bool, bool] | None:
            if asker not in e.discover:
                return None
            if targets is not None and responsible(e.hold, origin, targets, asker) != self.me:
                return None  # another node in scope answers for these records
            return (asker in e.hold, asker in e.annex)

        return self._plan(("search", asker, targets), decide)

    def stats_plan(self, asker: str) -> dict[int, bool]:
        """The pairs a statistic of `asker` counts here: this node's own, that the asker may discover; for
        another asker, none marked H2 (no onward dissemination: a statistic is the stuff of reports) unless
        this node released them to that asker by name (core/products.py may_disseminate)."""
        def decide(origin: str, e, policy: bytes) -> bool | None:
            if origin != self.me or asker not in e.discover:
                return None
            if asker != self.me:
                pb = policy_pb2.SharingPolicy.FromString(policy)
                if pb.handling == policy_pb2.HANDLING_H2 and asker not in pb.share.nodes:
                    return None
            return True

        return self._plan(("stats", asker), decide)

    def _plan(self, key: tuple, decide) -> dict:
        """decide(origin, entitlements, policy bytes) for every (origin, policy) pair, kept per key and extended as
        new pairs appear (pairs never change); a new directory (new Entitlements) or a change of what
        they say (`Entitlements.generation`: a group's membership) starts afresh."""
        policies = self.policies()
        top = max(policies, default=0)
        with self._plans_lock:
            ent = self.ent
            stamp = (ent, ent.generation)  # a new directory, or a group's new membership: start afresh
            cached = self._plans.get(key)
            if cached is None or cached[0] != stamp:
                if len(self._plans) > 512:
                    self._plans.clear()
                cached = (stamp, 0, {})
            _stamp, upto, plan = cached
            if upto == top:
                return plan
            plan = dict(plan)
            for pid, (origin, policy, _tlp, _handling) in policies.items():
                if pid > upto:
                    verdict = decide(origin, ent.of_policy(origin, policy), policy)
                    if verdict is not None:
                        plan[pid] = verdict
            self._plans[key] = (stamp, top, plan)
            return plan

    def local_hits(self, flt: dict, limit: int, asker: str, targets: frozenset[str] | None = None,
                   after: search_sql.Cursor | None = None, before: search_sql.Cursor | None = None, *,
                   into=None) -> list[node_pb2.SearchHit]:
        """The first `limit` matching records (after `after`, before `before`) this node answers for, as the
        asker may see them. Which records is decided once per (origin, policy) pair; the SQL returns exactly
        those rows. `into`: a repeated SearchHit field to add them to (no copy of each record's bytes)."""
        plan = self.search_plan(asker, targets)
        policies = self.policies()
        out = []
        make = into.add if into is not None else node_pb2.SearchHit
        for origin, record_id, version, kind, header, body, annex, signature, key_id, date, country, sections, \
                categories, pid in search_sql.matching_seizures(self.store.reader, flt, plan, limit, after, before,
                                                             self.list_counts):
            held, annex_ok = plan[pid]
            _origin, _policy, tlp, handling = policies[pid]
            hit = make(origin=origin, record_id=record_id, version=version, kind=kind, held=held, tlp=tlp,
                       handling=handling, summary=node_pb2.HitSummary(
                           seizure_date=date or "", country=country or "",
                           sections=[_SECTION[x] for x in (sections or "").split()],
                           categories=[_CATEGORY[x] for x in (categories or "").split()]),
                       record=record_pb2.SignedRecord(
                           header=header, body=body, annex=(annex or b"") if annex_ok else b"",
                           signature=signature, key_id=key_id) if held else None)
            out.append(hit)
        return out

    def local_stats(self, flt: dict, group_by: list[str], asker: str) -> list[tuple[tuple, int, int]]:
        """Counts over this node's OWN records (each record counts once, at its origin) that the
        asker may discover, grouped by `group_by`: the groups shown to the asker."""
        return self.local_stats_answer(flt, group_by, asker)[0]

    def local_stats_answer(self, flt: dict, group_by: list[str], asker: str
                           ) -> tuple[list[tuple[tuple, int, int]], list[tuple]]:
        """local_stats, and the keys of the groups hidden from the asker for holding fewer than
        `min_cell` cases (smallcell.answer_for)."""
        rows = search_sql.counts(self.store.reader, flt, group_by, self.stats_plan(asker), self.list_counts)
        region = {n.id: n.region or "" for n in self.directory}
        parts = []
        for *key, cases, items in rows:
            key = [region.get(v, "") if f == "region" else ("" if v is None else str(v)) for f, v in zip(group_by, key)]
            parts.append((tuple(key), cases, items))
        # docs/protocol.md#small-cell-protection: stats.min_cell, for askers outside this node's area.
        return smallcell.answer_for([(k, c, i) for k, (c, i) in merge_groups(parts).items()],
                                    k=self.min_cell, me=self.me, asker=asker, directory=self.directory)

    # -- relaying (PeerService.Query) ----------------------------------------------------------------

    def _first_time(self, query_id: str) -> bool:
        now = time.monotonic()
        with self._seen_lock:
            if len(self._seen) > 20_000:
                self._seen = {q: t for q, t in self._seen.items() if t > now}
            if self._seen.get(query_id, 0) > now:
                return False
            self._seen[query_id] = now + SEEN_TTL
            return True

    def relay(self, request: peer_pb2.QueryRequest, caller: str, remaining: float | None) -> peer_pb2.QueryResponse:
        """Answer (if in scope) and pass the query on; at most PER_PEER_CONCURRENT at once per calling peer,
        and PER_ASKER_CONCURRENT per asking node, however many peers its queries come through."""
        with self.per_peer.hold(f"node:{caller}"):
            query = self.verify_query(request.query)
            with self.per_asker.hold(f"asker:{query.asker}"):
                return self._relay(request, query, caller, remaining)

    def _relay(self, request: peer_pb2.QueryRequest, query: peer_pb2.Query, caller: str,
               remaining: float | None) -> peer_pb2.QueryResponse:
        if not self._first_time(query.query_id):
            return peer_pb2.QueryResponse(failures=[node_pb2.NodeAnswer(node=self.me, status=REFUSED)])
        hops = min(request.hops_left, MAX_HOPS)
        deadline = time.monotonic() + (remaining if remaining is not None else DEFAULT_DEADLINE_MS / 1000)
        targets = set(query.targets)
        # The plan upstream says whom to reach; an older sender sends none: every target not yet asked.
        reach = set(request.reach) & targets if request.reach else targets - set(request.covered) - {caller}
        return self._fan_out(query, request.query, hops, reach - {self.me}, deadline,
                             answer_here=self.me in targets)

    def _fan_out(self, query: peer_pb2.Query, signed: peer_pb2.SignedQuery, hops: int, reach: set[str],
                 deadline: float, *, answer_here, marks: dict[str, float] | None = None) -> peer_pb2.QueryResponse:
        """Answer here (if in scope) and have every node of `reach` asked along the planned tree, within
        the deadline (docs/protocol.md#routing). The nodes behind a hop that cannot be reached, or that
        is still silent at HEDGE_AT of the time, are asked again by another path; each node of `reach`
        ends up with an answer, or the status of the last path tried, or NOT_ASKED."""
        return _FanOut(self, signed, max(hops - 1, 0), reach, deadline).run(
            plan_routes(self.me, reach, self.ent.peers) if hops > 1 else {t: [t] for t in sorted(reach)},
            answer_here if callable(answer_here)
            else (lambda: self.seal(self.answer(query, deadline), query.asker)) if answer_here else None,
            query.query_id, marks)

    # -- asking (SearchService) ---------------------------------------------------------------------

    def ask(self, *, kind: int, flt: dict, scope: str, nodes: list[str], limit: int, group_by: list[str],
            deadline_ms: int, actor: str, call_remaining: float | None = None, page_token: str = "") -> dict:
        """Ask every node in scope; verify and merge the answers; say how each node fared. A search gives
        exactly the first `limit` hits the asker may discover (after the page token's place), newest
        first, and `next_page_token` when more follow (docs/protocol.md#pages-of-hits)."""
        started = time.monotonic()
        targets = scope_targets(scope, nodes, self.me, self.directory)
        budget = budget_of(deadline_ms, call_remaining)
        deadline = started + budget
        # The calls end early enough to leave what opening, checking, merging and auditing their answers took
        # of late (the node's own part and the other nodes' too: the query expires then).
        calls_deadline = deadline - min(FINISH_SHARE * budget, max(FINISH_MIN, self._finish_estimate))
        digest = search_digest(flt, scope, nodes)
        after = parse_page_token(page_token, digest) if page_token and kind != STATS else None
        rounds = []
        marks: dict[str, float] = {}  # when each step of the last round ended (a late answer's log line)
        hits: list[dict] = []
        more = False
        while True:
            # Each node sends one hit more than the page: whether more follow is then known exactly.
            page = min(limit - len(hits), MAX_NODE_LIMIT - 1)
            query, answers, status = self._round(kind, flt, targets, page + 1, group_by, after, calls_deadline,
                                                 marks)
            rounds.append(status)
            if kind == STATS:
                break
            got, more = self._verified_hits(answers, page)
            hits += got
            if not more or not got or len(hits) >= limit or time.monotonic() >= calls_deadline:
                break
            after = search_sql.Cursor(got[-1]["date"], got[-1]["origin"], got[-1]["record_id"])
        marks["rounds"] = time.monotonic()
        status = rounds[0] if len(rounds) == 1 else _merge_statuses(rounds, targets)
        complete = all(s["status"] == OK for s in status.values())
        result = {"query_id": query.query_id, "complete": complete, "targets": targets,
                  "nodes": [status[t] for t in targets], "ms": int((time.monotonic() - started) * 1000)}
        if kind == STATS:
            parts = [(tuple(v.value for v in g.key), g.cases, g.items) for a in answers for g in a.groups]
            result["groups"] = sorted(merge_groups(parts).items(), key=lambda kv: (-kv[1][0], kv[0]))
            # Groups a node hid as smaller than its stats.min_cell: key -> the sum of those nodes' k
            # (the group holds fewer than that many cases more than its figures say).
            result["below"] = merge_below((tuple(v.value for v in g.key), g.below)
                                          for a in answers for g in a.groups if g.below)
        else:
            result["hits"] = hits
            result["next_page_token"] = page_token_of(hits[-1], digest) if more and hits else ""
            keys = [[h["origin"], h["record_id"], h["version"], "record" if h["held"] else "notice"] for h in hits]
            marks["merged"] = time.monotonic()
            now = rfc3339(self.clock.now())
            # What a national system is shown is audited durably before it is shown
            # (docs/protocol.md#what-is-durable-when-a-call-returns, item 4).
            self.store.audit_durably(at=now, actor=actor, action="search", query_id=query.query_id,
                                     detail={"filter": flt, "scope": scope, "targets": len(targets),
                                             "complete": complete}, keys=keys)
        finished = time.monotonic()
        # Quick to rise, slow to fall: a busy spell's slow finishes keep the next calls shorter for a while.
        self._finish_estimate = max(FINISH_MARGIN * (finished - marks["calls"]), FINISH_DECAY * self._finish_estimate)
        if finished > deadline + LATE_AFTER:
            steps = ", ".join(f"{name} {(at - deadline) * 1000:+.0f}" for name, at in
                              [*marks.items(), ("done", finished)])
            logger.warning("[query=%s] answered %d ms after its deadline (%d round(s); each step's end, in ms from the "
                           "deadline: %s)", query.query_id, (finished - deadline) * 1000, len(rounds), steps)
        self.metrics.query("stats" if kind == STATS else "search", scope, time.monotonic() - started,
                           complete=complete)
        return result

    def _round(self, kind: int, flt: dict, targets: list[str], limit: int, group_by: list[str],
               after: search_sql.Cursor | None, deadline: float, marks: dict[str, float]
               ) -> tuple[peer_pb2.Query, list[peer_pb2.Answer], dict[str, dict]]:
        """One signed query to every node in scope (this node answering while the calls are out): the
        answers that verify, and each target's status."""
        expires = self.clock.now() + timedelta(seconds=max(0.0, deadline - time.monotonic()))
        query = peer_pb2.Query(query_id=new_ulid(self.clock), asker=self.me, kind=kind, targets=targets,
                               limit=limit, group_by=group_by, expires_at=rfc3339(expires))
        query.filter.CopyFrom(filter_to_pb(flt))
        if after is not None:
            query.after.CopyFrom(peer_pb2.SearchCursor(seizure_date=after.seizure_date, origin=after.origin,
                                                       record_id=after.record_id))
        self._first_time(query.query_id)
        local: list[peer_pb2.Answer] = []

        def answer_here():
            local.append(self.answer(query, deadline))

        here = self.me in targets  # this node's part still to run beside the calls
        if here and kind != STATS:
            # This node's own hits first, within LOCAL_FIRST of the time: with a full page of them, no other
            # node need send a hit that comes after its last one (`before`), which cuts what the others
            # build, seal and send, and what this node opens, to the hits that can still be among the
            # first `limit`. Past that share, its part runs beside the calls, as a statistic's does.
            try:
                local.append(self.answer(query, time.monotonic() + LOCAL_FIRST * max(0.0, deadline - time.monotonic())))
            except QueryTimeout as exc:
                logger.info("[query=%s] own part first: %s; asking the others meanwhile", query.query_id, exc)
            marks["own part"] = time.monotonic()
            if local:
                here = False
                if len(local[0].hits) >= limit and local[0].hits[-1].summary.seizure_date:
                    last = local[0].hits[-1]
                    query.before.CopyFrom(peer_pb2.SearchCursor(seizure_date=last.summary.seizure_date,
                                                                origin=last.origin, record_id=last.record_id))
        signed = self.sign_query(query)

        resp = self._fan_out(query, signed, MAX_HOPS, set(targets) - {self.me}, deadline,
                             answer_here=answer_here if here else False, marks=marks)
        marks["calls"] = time.monotonic()
        status: dict[str, dict] = {}
        answers: list[peer_pb2.Answer] = []
        for answer in local:
            answers.append(answer)
            status[self.me] = {"node": self.me, "status": OK, "hits": len(answer.hits), "ms": answer.ms}
        for sealed in resp.answers:
            try:
                answer = self.open_answer(sealed, query)
            except SignatureError as exc:
                logger.warning("[peer=%s] answer refused: %s", sealed.node, exc)
                self.store.submit(lambda conn, exc=exc, node=sealed.node: st.security_event_txn(
                    conn, at=rfc3339(self.clock.now()), kind="bad_answer", peer=node, detail=str(exc)))
                self.metrics.security_event("bad_answer")
                status[sealed.node] = {"node": sealed.node, "status": ERROR, "hits": 0, "ms": 0}
                continue
            if answer.node not in targets:
                continue
            answers.append(answer)
            status[answer.node] = {"node": answer.node, "status": OK, "hits": len(answer.hits), "ms": answer.ms}
        marks["answers opened"] = time.monotonic()
        for f in resp.failures:
            if f.node in targets and status.get(f.node, {}).get("status") != OK:
                status[f.node] = {"node": f.node, "status": f.status, "hits": 0, "ms": 0}
        for t in targets:
            status.setdefault(t, {"node": t, "status": NOT_ASKED, "hits": 0, "ms": 0})
        return query, answers, status

    def _verified_hits(self, answers: list[peer_pb2.Answer], limit: int) -> tuple[list[dict], bool]:
        """Merge first, verify after: of every record only the best candidate (newest version, held
        before notice) is checked, and only as many records as the answer shows; a candidate that
        fails verification gives way to the next one for the same record. The first `limit` records
        in hit order (seizure date descending, then origin and record_id ascending), and whether
        more records matched."""
        candidates: dict[tuple[str, str], list[tuple[tuple, str, node_pb2.SearchHit]]] = {}
        for answer in answers:
            for hit in answer.hits:
                rank = (hit.version, 1 if hit.held else 0)
                candidates.setdefault((hit.origin, hit.record_id), []).append((rank, answer.node, hit))
        ordered = sorted(candidates.items())  # origin, record_id ascending ...
        ordered.sort(key=lambda kv: max(c[2].summary.seizure_date for c in kv[1]), reverse=True)  # ... within a date
        out: list[dict] = []
        for (origin, record_id), cands in ordered:
            if len(out) >= limit:
                return out, True
            cands.sort(key=lambda c: c[0], reverse=True)
            for _, node, hit in cands:
                entry = self._checked(hit, node)
                if entry is not None:
                    out.append(entry)
                    break
        return out, False

    def _checked(self, hit: node_pb2.SearchHit, node: str) -> dict | None:
        entry = {"origin": hit.origin, "record_id": hit.record_id, "version": hit.version, "kind": hit.kind,
                 "held": False, "summary": hit.summary, "record": None, "date": hit.summary.seizure_date,
                 "tlp": hit.tlp, "handling": hit.handling}
        if not hit.held:
            return entry
        if node == self.me:
            # This node's own answer (local_hits): read from its own store, where every record was verified when
            # it came in (or signed here), with what the asker may see of it decided by the record's (origin,
            # policy) pair as signed, and its labels taken from that policy: nothing to check again.
            entry.update(held=True, record=hit.record)
            return entry
        try:
            h = verify_record(hit.record, self.keyring).header
        except SignatureError as exc:
            logger.warning("[peer=%s] hit %s/%s refused: %s", node, hit.origin, hit.record_id, exc)
            return None
        if (h.origin, h.record_id, h.version) != (hit.origin, hit.record_id, hit.version):
            return None
        ent = self.ent.of(h)
        if self.me not in ent.hold:
            return None  # more than the policy allows: never shown
        record = hit.record
        if record.annex and self.me not in ent.annex:
            record = record_pb2.SignedRecord(header=record.header, body=record.body,
                                             signature=record.signature, key_id=record.key_id)
        # A held record's labels are those its origin signed.
        entry.update(held=True, record=record, tlp=h.policy.tlp, handling=h.policy.handling)
        return entry


def search_digest(flt: dict, scope: str, nodes: list[str]) -> bytes:
    """What a page token is bound to: the filter and the scope of the search it continues."""
    h = hashlib.sha256(filter_to_pb(flt).SerializeToString(deterministic=True))
    h.update(("\x00" + scope + "\x00" + ",".join(nodes)).encode())
    return h.digest()


def page_token_of(hit: dict, digest: bytes) -> str:
    """The token that continues a search after `hit`: a SearchCursor, base64url without padding."""
    data = peer_pb2.SearchCursor(seizure_date=hit["date"], origin=hit["origin"], record_id=hit["record_id"],
                                 search_digest=digest).SerializeToString(deterministic=True)
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def parse_page_token(token: str, digest: bytes) -> search_sql.Cursor:
    """The place a page token continues from; ValidationError when it is no token of this search."""
    try:
        cursor = peer_pb2.SearchCursor.FromString(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, DecodeError):
        raise ValidationError("page_token", "is not a page token (pass next_page_token as it came)") from None
    if cursor.search_digest != digest or not cursor.origin or not cursor.record_id:
        raise ValidationError("page_token", "was made for another search: the filter and scope must stay the same "
                                            "from page to page")
    return search_sql.Cursor(cursor.seizure_date, cursor.origin, cursor.record_id)


def _merge_statuses(rounds: list[dict[str, dict]], targets: list[str]) -> dict[str, dict]:
    """A node's status over several rounds of one search: OK only if it answered every round."""
    out = {}
    for t in targets:
        failed = [r[t] for r in rounds if r[t]["status"] != OK]
        out[t] = {"node": t, "status": failed[-1]["status"] if failed else OK,
                  "hits": sum(r[t]["hits"] for r in rounds), "ms": max(r[t]["ms"] for r in rounds)}
    return out


def filter_to_pb(flt: dict) -> node_pb2.SearchFilter:
    from rilo_node.core.convert import dict_to_pb

    return dict_to_pb(flt, node_pb2.SearchFilter())


def parse_request(flt_pb, scope_enum: int, nodes, limit: int | None = None):
    flt = validate_filter(pb_to_dict(flt_pb))
    scope = SCOPES.get(scope_enum)
    if scope is None:
        raise ValidationError("scope", f"unknown scope {scope_enum}")
    return flt, scope, list(nodes), validate_limit(limit) if limit is not None else None


class _FanOut:
    """One node's part of carrying a query: the calls to its next hops, collected as they finish."""

    def __init__(self, engine: QueryEngine, signed: peer_pb2.SignedQuery, hops_left: int, reach: set[str],
                 deadline: float):
        self.engine, self.signed, self.hops_left, self.reach, self.deadline = engine, signed, hops_left, reach, deadline
        self.resp = peer_pb2.QueryResponse()
        self.done: queue.SimpleQueue = queue.SimpleQueue()
        self.pending: dict[int, tuple[str, list[str], object]] = {}
        self.answered: set[str] = set()   # nodes whose answer is in resp
        self.failed: dict[str, int] = {}  # nodes with a failure status (an answer still wins)
        self.avoid: set[str] = set()      # hops that failed or stalled: no new path goes through them
        self.rerouted: set[int] = set()   # calls whose nodes behind were asked again by another path
        self.called: set[str] = set()     # hops sent the query: a new path goes around them too
        self._ids = 0

    def run(self, routes: dict[str, list[str]], answer_here, query_id: str,
            marks: dict[str, float] | None = None) -> peer_pb2.QueryResponse:
        started = time.monotonic()
        hedge_at = started + HEDGE_AT * max(0.0, self.deadline - started)
        self.launch(routes)
        if marks is not None:
            marks["calls sent"] = time.monotonic()
        if answer_here is not None:
            # This node's own part runs while the calls are out; it returns a sealed answer to pass on,
            # or None (the asker keeps its own answer).
            try:
                sealed = answer_here()
                if sealed is not None:
                    self.resp.answers.append(sealed)
            except QueryTimeout as exc:
                logger.warning("[query=%s] %s", query_id, exc)
                self.fail(self.engine.me, TIMEOUT)
            except Exception as exc:  # noqa: BLE001 - one node's failure is a status, not a crash
                logger.warning("[query=%s] answering failed: %s", query_id, exc)
                self.fail(self.engine.me, ERROR)
            if marks is not None:
                marks["own part"] = time.monotonic()
        hedged = False
        while self.pending and not self.reach <= self.answered:
            now = time.monotonic()
            if now >= self.deadline:
                # Calls that finished while this node was busy (its own part) still count.
                while True:
                    try:
                        self.settle(self.done.get_nowait())
                    except queue.Empty:
                        break
                break
            if not hedged and now >= hedge_at:
                hedged = True
                self.route_around_silent_hops()
                continue
            try:
                call = self.done.get(timeout=max(0.0, (self.deadline if hedged else hedge_at) - now))
            except queue.Empty:
                continue
            self.settle(call)
        for call, (hop, subtree, fut) in list(self.pending.items()):
            fut.cancel()  # a relay outside the scope whose nodes all answered by other paths, or the deadline
            self.fail(hop, TIMEOUT)
            if call not in self.rerouted:
                for t in subtree:
                    self.fail(t, TIMEOUT)
        for t in sorted(self.reach - self.answered - set(self.failed)):
            self.fail(t, NOT_ASKED)
        for node, status in sorted(self.failed.items()):
            if node not in self.answered and (node in self.reach or node == self.engine.me):
                self.resp.failures.add(node=node, status=status)
        return self.resp

    def launch(self, routes: dict[str, list[str]]) -> None:
        """One call per hop, each to reach its part of the tree."""
        for hop, subtree in routes.items():
            timeout = max(0.0, self.deadline - time.monotonic()) * 0.9 - 0.02
            if timeout <= 0:
                for t in subtree:
                    self.fail(t, NOT_ASKED)
                continue
            req = peer_pb2.QueryRequest(query=self.signed, hops_left=self.hops_left, reach=subtree)
            try:
                # On the node's event loop: no thread per call (node/channels.py).
                fut = self.engine.network.call_async(hop, "Query", req, timeout=timeout)
            except ConnectionError:
                self.hop_failed(hop, subtree, UNREACHABLE, rerouted=False)
                continue
            self.called.add(hop)  # it has the query now: a second request to it would be refused as a repeat
            self._ids += 1
            call = self._ids
            self.pending[call] = (hop, subtree, fut)
            fut.add_done_callback(lambda _f, call=call: self.done.put(call))

    def settle(self, call: int) -> None:
        hop, subtree, fut = self.pending.pop(call)
        try:
            sub = fut.result(timeout=0)
        except grpc.RpcError as exc:
            self.hop_failed(hop, subtree, status_of_error(exc), rerouted=call in self.rerouted)
            return
        except Exception:  # noqa: BLE001 - cancelled, or an error grpc did not wrap
            self.hop_failed(hop, subtree, ERROR, rerouted=call in self.rerouted)
            return
        # A hop speaks only for the nodes it was sent to reach: anything else it returns is dropped, so a
        # bad relay cannot crowd out the genuine answers of nodes behind other hops.
        mine = set(subtree)
        for sealed in sub.answers:
            if sealed.node in mine and sealed.node not in self.answered:
                self.answered.add(sealed.node)
                self.resp.answers.append(sealed)
        for f in sub.failures:
            if f.node in mine:
                self.fail(f.node, f.status)

    def hop_failed(self, hop: str, subtree: list[str], status: int, *, rerouted: bool) -> None:
        """The call to `hop` failed: the hop gets the status; the nodes behind it are asked by another path
        when the hop was unreachable (once), keep the path they were already rerouted on, or were never
        asked (a refusal)."""
        self.fail(hop, status)
        behind = [t for t in subtree if t != hop and t not in self.answered]
        if rerouted or not behind:
            return
        if status == UNREACHABLE and hop not in self.avoid:
            self.avoid.add(hop)
            self.launch(plan_routes(self.engine.me, behind, self.engine.ent.peers, avoid=self.avoid | self.called))
            return
        for t in behind:
            self.fail(t, NOT_ASKED if status == REFUSED else status)

    def route_around_silent_hops(self) -> None:
        """The nodes behind each hop still silent are asked again by another path (a node asked twice
        answers once and refuses the repeat)."""
        for call, (hop, subtree, _fut) in list(self.pending.items()):
            behind = [t for t in subtree if t != hop and t not in self.answered]
            if behind:
                self.avoid.add(hop)
                self.rerouted.add(call)
                self.launch(plan_routes(self.engine.me, behind, self.engine.ent.peers, avoid=self.avoid | self.called))

    def fail(self, node: str, status: int) -> None:
        if node not in self.answered:
            self.failed[node] = status
