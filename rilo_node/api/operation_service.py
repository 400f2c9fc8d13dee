"""OperationService: closed user groups (docs/api.md#operationservice-closed-user-groups) for this node's own systems."""

from __future__ import annotations

from rilo_node.api.errors import grpc_errors
from rilo_node.api.services import _ClientServiceBase
from rilo_node.core.errors import ValidationError
from rilo_node.core.policy import is_operation_id
from rilo_node.node.operations import NotMemberError, Operations
from rilo_node.node.records import RecordBook
from rilo_node.pb.rilo.v1 import operation_pb2, operation_pb2_grpc


def _op_id(value: str) -> str:
    if not value:
        raise ValidationError("operation_id", "is required")
    if not is_operation_id(value):
        # Not an operation id at all: the same answer as for one this node is not a member of.
        raise NotMemberError(value)
    return value


class OperationService(_ClientServiceBase, operation_pb2_grpc.OperationServiceServicer):
    def __init__(self, book: RecordBook, operations: Operations, *, insecure: bool = False):
        super().__init__(book, insecure=insecure)
        self.ops = operations

    @grpc_errors
    def CreateOperation(self, request, context):
        actor = self._client(context)
        info = self.ops.create(name=request.name, purpose=request.purpose, members=list(request.members),
                               ends=request.ends, operation_id=request.operation_id)
        self._audit(actor, "operation_create", [[self.node_id, info.operation.operation_id, info.version]])
        return operation_pb2.CreateOperationResponse(operation=info)

    @grpc_errors
    def ChangeOperation(self, request, context):
        actor = self._client(context)
        info = self.ops.change(_op_id(request.operation_id), add=list(request.add), remove=list(request.remove),
                               ends=request.ends)
        self._audit(actor, "operation_change", [[self.node_id, info.operation.operation_id, info.version]],
                    detail={"add": list(request.add), "remove": list(request.remove), "ends": request.ends})
        return operation_pb2.ChangeOperationResponse(operation=info)

    @grpc_errors
    def CloseOperation(self, request, context):
        actor = self._client(context)
        info = self.ops.close(_op_id(request.operation_id))
        self._audit(actor, "operation_close", [[self.node_id, info.operation.operation_id, info.version]])
        return operation_pb2.CloseOperationResponse(operation=info)

    @grpc_errors
    def ListOperations(self, request, context):
        self._client(context)
        return operation_pb2.ListOperationsResponse(operations=self.ops.list())

    @grpc_errors
    def GetOperation(self, request, context):
        self._client(context)
        return operation_pb2.GetOperationResponse(operation=self.ops.info(_op_id(request.operation_id)))

    @grpc_errors
    def PostMessage(self, request, context):
        self._client(context)
        return operation_pb2.PostMessageResponse(
            message=self.ops.post(_op_id(request.operation_id), request.text, list(request.refs)))

    @grpc_errors
    def ListMessages(self, request, context):
        self._client(context)
        msgs = self.ops.messages(_op_id(request.operation_id), request.since)
        return operation_pb2.ListMessagesResponse(messages=[m for _seq, m in msgs])

    @grpc_errors
    def WatchMessages(self, request, context):
        self._client(context)
        op_id = _op_id(request.operation_id)
        self.ops.info(op_id)  # a non-member is refused before the stream starts
        context.add_callback(self.ops.wake)
        return (operation_pb2.WatchMessagesResponse(message=m)
                for m in self.ops.watch(op_id, request.since, active=context.is_active))

    @grpc_errors
    def OperationReport(self, request, context):
        actor = self._client(context)
        out = self.ops.report(_op_id(request.operation_id))
        self._audit(actor, "operation_report", [[out.operation.operation.owner, request.operation_id,
                                                 out.operation.version]])
        return out
