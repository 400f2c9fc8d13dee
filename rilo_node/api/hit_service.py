"""HitService (client: has any node seen this identifier?) and HitEvaluationService (between nodes: the blind
evaluation), docs/api.md#hitservice-hitno-hit-on-identifiers. Thin: the work is in rilo_node/node/hitcheck.py."""

from __future__ import annotations

from rilo_node.api.errors import describe, grpc_errors
from rilo_node.api.services import _ClientServiceBase, caller_identity
from rilo_node.core.convert import enum_to_str
from rilo_node.core.errors import PermissionDeniedError, UnavailableError
from rilo_node.node.hitcheck import HitCheck
from rilo_node.node.records import RecordBook
from rilo_node.pb.rilo.v1 import hit_pb2, hit_pb2_grpc, node_pb2, seizure_pb2


class HitEvaluationService(hit_pb2_grpc.HitEvaluationServiceServicer):
    """Only other directory nodes, with their node certificates, over links that are not cut."""

    def __init__(self, hitcheck: HitCheck, *, insecure: bool = False):
        self.hitcheck = hitcheck
        self.insecure = insecure

    def _peer(self, context) -> str:
        ident = caller_identity(context, self.insecure)
        if ident.kind != "node":
            raise PermissionDeniedError(f"{ident} may not ask another node for a blind evaluation")
        return self._still_allowed(ident.node_id)

    def _still_allowed(self, node_id: str) -> str:
        """The checks of the calling node that can change while its stream is open."""
        if node_id not in self.hitcheck.directory():
            raise PermissionDeniedError(f"node {node_id!r} is not in this node's directory")
        if node_id == self.hitcheck.me:
            raise PermissionDeniedError("a node does not call itself")
        links = self.hitcheck.links
        if links is not None and links.is_cut(node_id, self.hitcheck.me):
            raise UnavailableError(f"link {node_id}–{self.hitcheck.me} is cut")
        return node_id

    @grpc_errors
    def Evaluate(self, request, context):
        asker = self._peer(context)
        return self.hitcheck.evaluate(asker, list(request.blinded_elements), request.case_ref, list(request.types))

    @grpc_errors
    def EvaluateStream(self, request_iterator, context):
        """Evaluate, once per request of a stream the asker keeps open (api/callers.CallPools bounds how many
        this node holds). The caller's certificate is read once; what can change while the stream is
        open (the directory, a cut link) is checked again for each request, and a refused request is
        answered with its status while the stream goes on."""
        asker = self._peer(context)
        for msg in request_iterator:
            req = msg.request
            try:
                self._still_allowed(asker)
                resp = self.hitcheck.evaluate(asker, list(req.blinded_elements), req.case_ref, list(req.types))
            except UnavailableError:
                raise  # the link is cut: the stream ends with it
            except Exception as exc:  # noqa: BLE001 - this request's status; the stream goes on
                code, _field, message = describe(exc)
                yield hit_pb2.EvaluateStreamResponse(id=msg.id, code=code.value[0], message=message)
                continue
            yield hit_pb2.EvaluateStreamResponse(id=msg.id, response=resp)


class HitService(_ClientServiceBase, hit_pb2_grpc.HitServiceServicer):
    def __init__(self, book: RecordBook, hitcheck: HitCheck, *, insecure: bool = False):
        super().__init__(book, insecure=insecure)
        self.hitcheck = hitcheck

    @grpc_errors
    def Check(self, request, context):
        actor = self._client(context)
        results = self.hitcheck.check([(i.type, i.value) for i in request.identifiers], request.case_ref,
                                      deadline_ms=request.deadline_ms, actor=str(actor))
        return hit_pb2.CheckResponse(results=results)


def identifier_check_json(r: hit_pb2.IdentifierCheck) -> dict:
    """One line of `hitcheck --json` (docs/api.md#hitservice-hitno-hit-on-identifiers)."""
    nodes = []
    for a in r.nodes:
        n = {"node": a.node, "status": enum_to_str(node_pb2.NodeAnswerStatus.DESCRIPTOR, a.status), "ms": a.ms}
        if a.error:
            n["error"] = a.error
        nodes.append(n)
    return {"query_id": r.query_id, "type": enum_to_str(seizure_pb2.IdentifierType.DESCRIPTOR, r.type),
            "value": r.value, "hits": list(r.hits), "complete": r.complete, "nodes": nodes}
