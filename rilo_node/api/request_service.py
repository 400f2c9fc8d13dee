"""Servicers for requests between administrations and for a RILO's validation of seizures."""

from __future__ import annotations

from rilo_node.api.errors import grpc_errors
from rilo_node.api.services import _ClientServiceBase
from rilo_node.core.errors import ValidationError
from rilo_node.node.endorsements import Validations
from rilo_node.node.records import RecordBook
from rilo_node.node.requests import Requests
from rilo_node.pb.rilo.v1 import request_pb2, request_pb2_grpc

_BOXES = {
    request_pb2.REQUEST_BOX_UNSPECIFIED: "ALL", request_pb2.REQUEST_BOX_ALL: "ALL",
    request_pb2.REQUEST_BOX_INBOX: "INBOX", request_pb2.REQUEST_BOX_OUTBOX: "OUTBOX",
}
MAX_LIST = 10_000


def _limit(value: int) -> int:
    if value > MAX_LIST:
        raise ValidationError("limit", f"at most {MAX_LIST}")
    return value or 1000


class RequestService(_ClientServiceBase, request_pb2_grpc.RequestServiceServicer):
    def __init__(self, book: RecordBook, requests: Requests, *, insecure: bool = False):
        super().__init__(book, insecure=insecure)
        self.requests = requests

    @grpc_errors
    def CreateRequest(self, request, context):
        actor = self._client(context)
        if not request.HasField("request"):
            raise ValidationError("request", "is required")
        key, created = self.requests.create(request.request, record_id=request.record_id, actor=str(actor))
        return request_pb2.CreateRequestResponse(key=key, created=created)

    @grpc_errors
    def ListRequests(self, request, context):
        self._client(context)
        if request.box not in _BOXES:
            raise ValidationError("box", f"unknown box {request.box}")
        status = None
        if request.status:
            name = request_pb2.RequestStatus.Name(request.status) if request.status in \
                request_pb2.RequestStatus.DESCRIPTOR.values_by_number else None
            if name is None:
                raise ValidationError("status", f"unknown status {request.status}")
            status = name.removeprefix("REQUEST_STATUS_")
        out = self.requests.summaries(box=_BOXES[request.box], overdue_only=request.overdue_only, status=status,
                                      limit=_limit(request.limit))
        return request_pb2.ListRequestsResponse(requests=out)

    @grpc_errors
    def GetRequest(self, request, context):
        actor = self._client(context)
        out = self.requests.get(request.request)
        self._audit(actor, "show_request", [[out.summary.key.origin, out.summary.key.record_id, 1]])
        return out

    @grpc_errors
    def RespondToRequest(self, request, context):
        actor = self._client(context)
        key, released = self.requests.respond(
            request.request, request.status, text=request.text, reason=request.reason, records=list(request.records),
            release=request.release, release_annex=request.release_annex, actor=str(actor),
            record_id=request.record_id)
        return request_pb2.RespondToRequestResponse(key=key, released=released)

    @grpc_errors
    def CloseRequest(self, request, context):
        actor = self._client(context)
        key = self.requests.close(request.request, text=request.text, actor=str(actor))
        return request_pb2.CloseRequestResponse(key=key)


class ValidationService(_ClientServiceBase, request_pb2_grpc.ValidationServiceServicer):
    def __init__(self, book: RecordBook, validations: Validations, *, insecure: bool = False):
        super().__init__(book, insecure=insecure)
        self.validations = validations

    @grpc_errors
    def ValidateSeizure(self, request, context):
        actor = self._client(context)
        key, seizure = self.validations.validate(request.origin, request.record_id, request.verdict,
                                                 request.comments, actor=str(actor))
        return request_pb2.ValidateSeizureResponse(key=key, seizure=seizure)

    @grpc_errors
    def ListValidations(self, request, context):
        self._client(context)
        out = self.validations.listing(pending_only=request.pending_only, limit=_limit(request.limit))
        return request_pb2.ListValidationsResponse(seizures=out)
