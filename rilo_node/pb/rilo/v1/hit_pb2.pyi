from rilo_node.pb.rilo.v1 import node_pb2 as _node_pb2
from rilo_node.pb.rilo.v1 import seizure_pb2 as _seizure_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HitFilterChunk(_message.Message):
    __slots__ = ("key_epoch", "bits", "index", "entry_bytes", "entries")
    KEY_EPOCH_FIELD_NUMBER: _ClassVar[int]
    BITS_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    ENTRY_BYTES_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    key_epoch: str
    bits: int
    index: int
    entry_bytes: int
    entries: bytes
    def __init__(self, key_epoch: _Optional[str] = ..., bits: _Optional[int] = ..., index: _Optional[int] = ..., entry_bytes: _Optional[int] = ..., entries: _Optional[bytes] = ...) -> None: ...

class EvaluateStreamRequest(_message.Message):
    __slots__ = ("id", "request")
    ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    id: int
    request: EvaluateRequest
    def __init__(self, id: _Optional[int] = ..., request: _Optional[_Union[EvaluateRequest, _Mapping]] = ...) -> None: ...

class EvaluateStreamResponse(_message.Message):
    __slots__ = ("id", "response", "code", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: int
    response: EvaluateResponse
    code: int
    message: str
    def __init__(self, id: _Optional[int] = ..., response: _Optional[_Union[EvaluateResponse, _Mapping]] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("blinded_elements", "case_ref", "types")
    BLINDED_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    CASE_REF_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    blinded_elements: _containers.RepeatedScalarFieldContainer[bytes]
    case_ref: str
    types: _containers.RepeatedScalarFieldContainer[_seizure_pb2.IdentifierType]
    def __init__(self, blinded_elements: _Optional[_Iterable[bytes]] = ..., case_ref: _Optional[str] = ..., types: _Optional[_Iterable[_Union[_seizure_pb2.IdentifierType, str]]] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("evaluated_elements", "key_epoch", "bits")
    EVALUATED_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    KEY_EPOCH_FIELD_NUMBER: _ClassVar[int]
    BITS_FIELD_NUMBER: _ClassVar[int]
    evaluated_elements: _containers.RepeatedScalarFieldContainer[bytes]
    key_epoch: str
    bits: int
    def __init__(self, evaluated_elements: _Optional[_Iterable[bytes]] = ..., key_epoch: _Optional[str] = ..., bits: _Optional[int] = ...) -> None: ...

class CheckRequest(_message.Message):
    __slots__ = ("identifiers", "case_ref", "deadline_ms")
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    CASE_REF_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    identifiers: _containers.RepeatedCompositeFieldContainer[_seizure_pb2.Identifier]
    case_ref: str
    deadline_ms: int
    def __init__(self, identifiers: _Optional[_Iterable[_Union[_seizure_pb2.Identifier, _Mapping]]] = ..., case_ref: _Optional[str] = ..., deadline_ms: _Optional[int] = ...) -> None: ...

class HitNodeAnswer(_message.Message):
    __slots__ = ("node", "status", "ms", "error")
    NODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    node: str
    status: _node_pb2.NodeAnswerStatus
    ms: int
    error: str
    def __init__(self, node: _Optional[str] = ..., status: _Optional[_Union[_node_pb2.NodeAnswerStatus, str]] = ..., ms: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class IdentifierCheck(_message.Message):
    __slots__ = ("query_id", "type", "value", "hits", "complete", "nodes")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    type: _seizure_pb2.IdentifierType
    value: str
    hits: _containers.RepeatedScalarFieldContainer[str]
    complete: bool
    nodes: _containers.RepeatedCompositeFieldContainer[HitNodeAnswer]
    def __init__(self, query_id: _Optional[str] = ..., type: _Optional[_Union[_seizure_pb2.IdentifierType, str]] = ..., value: _Optional[str] = ..., hits: _Optional[_Iterable[str]] = ..., complete: _Optional[bool] = ..., nodes: _Optional[_Iterable[_Union[HitNodeAnswer, _Mapping]]] = ...) -> None: ...

class CheckResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[IdentifierCheck]
    def __init__(self, results: _Optional[_Iterable[_Union[IdentifierCheck, _Mapping]]] = ...) -> None: ...
