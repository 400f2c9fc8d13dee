"""The peer service: only directory nodes, over mutual TLS with their node certificates."""

from __future__ import annotations

import logging

import grpc

from rilo_node.api.errors import grpc_errors
from rilo_node.api.services import caller_identity
from rilo_node.core.errors import PermissionDeniedError, UnavailableError, ValidationError
from rilo_node.node.peers import FEED_BATCH, FEED_BATCH_MAX, Links, Replicator
from rilo_node.pb.rilo.v1 import peer_pb2, peer_pb2_grpc, record_pb2

logger = logging.getLogger(__name__)

MAX_DELIVER = 5000


class PeerService(peer_pb2_grpc.PeerServiceServicer):
    def __init__(self, replicator: Replicator, links: Links, engine, *, insecure: bool = False):
        self.r = replicator
        self.links = links
        self.engine = engine
        self.insecure = insecure

    def _peer(self, context) -> str:
        """The calling node: its certificate must name a directory node (never a client certificate)."""
        ident = caller_identity(context, self.insecure)
        if ident.kind == "node":
            node = ident.node_id
        else:
            # Client certificates (and plaintext development nodes) never reach the peer services.
            raise PermissionDeniedError(f"{ident} may not call the peer services")
        if node not in self.r.directory:
            raise PermissionDeniedError(f"node {node!r} is not in this node's directory")
        if node == self.r.me:
            raise PermissionDeniedError("a node does not replicate with itself")
        if self.links.is_cut(node, self.r.me):
            # A typed error, not context.abort: grpc_errors would read an abort's bare Exception as INTERNAL.
            raise UnavailableError(f"link {node}–{self.r.me} is cut")
        return node

    def Pull(self, request, context):
        try:
            peer = self._peer(context)
        except PermissionDeniedError as exc:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, str(exc))
        except UnavailableError as exc:
            context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        context.add_callback(self.r.wake_all)

        def active() -> bool:
            return context.is_active() and not self.links.is_cut(peer, self.r.me)

        max_batch = min(request.max_batch or FEED_BATCH, FEED_BATCH_MAX)
        yield from self.r.feed(peer, request.after_seq, live=request.live, active=active, max_batch=max_batch)

    @grpc_errors
    def Deliver(self, request, context):
        peer = self._peer(context)
        if len(request.records) > MAX_DELIVER:
            raise ValidationError("records", f"at most {MAX_DELIVER} per call")
        outcomes = self.r.receive(list(request.records), peer=peer, via="deliver")
        return peer_pb2.DeliverResponse(outcomes=outcomes)

    @grpc_errors
    def Digest(self, request, context):
        peer = self._peer(context)
        return self.r.digest_response(peer, request.detail_buckets)

    @grpc_errors
    def Fetch(self, request, context):
        peer = self._peer(context)
        return self.r.fetch_response(peer, list(request.keys))

    @grpc_errors
    def Query(self, request, context):
        peer = self._peer(context)
        return self.engine.relay(request, peer, context.time_remaining())

    @grpc_errors
    def Disclosures(self, request, context):
        """The caller's records this node has disclosed (to anyone), from the audit."""
        peer = self._peer(context)
        limit = min(request.limit or 1000, 10_000)
        out = peer_pb2.DisclosuresResponse()
        for e in self.r.store.audit_entries(0, 1_000_000):
            keys = [k for k in e["keys"] if k and k[0] == peer]
            if not keys:
                continue
            out.disclosures.add(at=e["at"], asker=e["actor"], query_id=e["query_id"], action=e["action"],
                                keys=[record_pb2.RecordKey(origin=k[0], record_id=k[1], version=k[2]) for k in keys])
            if len(out.disclosures) >= limit:
                break
        return out
