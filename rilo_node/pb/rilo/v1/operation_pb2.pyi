from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OperationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_STATUS_UNSPECIFIED: _ClassVar[OperationStatus]
    OPERATION_STATUS_OPEN: _ClassVar[OperationStatus]
    OPERATION_STATUS_CLOSED: _ClassVar[OperationStatus]
OPERATION_STATUS_UNSPECIFIED: OperationStatus
OPERATION_STATUS_OPEN: OperationStatus
OPERATION_STATUS_CLOSED: OperationStatus

class Operation(_message.Message):
    __slots__ = ("operation_id", "name", "purpose", "owner", "members", "starts", "ends", "status", "removed")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    STARTS_FIELD_NUMBER: _ClassVar[int]
    ENDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    name: str
    purpose: str
    owner: str
    members: _containers.RepeatedScalarFieldContainer[str]
    starts: str
    ends: str
    status: OperationStatus
    removed: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation_id: _Optional[str] = ..., name: _Optional[str] = ..., purpose: _Optional[str] = ..., owner: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ..., starts: _Optional[str] = ..., ends: _Optional[str] = ..., status: _Optional[_Union[OperationStatus, str]] = ..., removed: _Optional[_Iterable[str]] = ...) -> None: ...

class OperationMessage(_message.Message):
    __slots__ = ("operation_id", "text", "refs")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    text: str
    refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation_id: _Optional[str] = ..., text: _Optional[str] = ..., refs: _Optional[_Iterable[str]] = ...) -> None: ...

class OperationInfo(_message.Message):
    __slots__ = ("operation", "version", "records", "messages")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    version: int
    records: int
    messages: int
    def __init__(self, operation: _Optional[_Union[Operation, _Mapping]] = ..., version: _Optional[int] = ..., records: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class MessageInfo(_message.Message):
    __slots__ = ("operation_id", "origin", "record_id", "created_at", "text", "refs")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    origin: str
    record_id: str
    created_at: str
    text: str
    refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation_id: _Optional[str] = ..., origin: _Optional[str] = ..., record_id: _Optional[str] = ..., created_at: _Optional[str] = ..., text: _Optional[str] = ..., refs: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateOperationRequest(_message.Message):
    __slots__ = ("name", "purpose", "members", "ends", "operation_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ENDS_FIELD_NUMBER: _ClassVar[int]
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    purpose: str
    members: _containers.RepeatedScalarFieldContainer[str]
    ends: str
    operation_id: str
    def __init__(self, name: _Optional[str] = ..., purpose: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ..., ends: _Optional[str] = ..., operation_id: _Optional[str] = ...) -> None: ...

class CreateOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: OperationInfo
    def __init__(self, operation: _Optional[_Union[OperationInfo, _Mapping]] = ...) -> None: ...

class ChangeOperationRequest(_message.Message):
    __slots__ = ("operation_id", "add", "remove", "ends")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    ADD_FIELD_NUMBER: _ClassVar[int]
    REMOVE_FIELD_NUMBER: _ClassVar[int]
    ENDS_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    add: _containers.RepeatedScalarFieldContainer[str]
    remove: _containers.RepeatedScalarFieldContainer[str]
    ends: str
    def __init__(self, operation_id: _Optional[str] = ..., add: _Optional[_Iterable[str]] = ..., remove: _Optional[_Iterable[str]] = ..., ends: _Optional[str] = ...) -> None: ...

class ChangeOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: OperationInfo
    def __init__(self, operation: _Optional[_Union[OperationInfo, _Mapping]] = ...) -> None: ...

class CloseOperationRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class CloseOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: OperationInfo
    def __init__(self, operation: _Optional[_Union[OperationInfo, _Mapping]] = ...) -> None: ...

class GetOperationRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class GetOperationResponse(_message.Message):
    __slots__ = ("operation",)
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    operation: OperationInfo
    def __init__(self, operation: _Optional[_Union[OperationInfo, _Mapping]] = ...) -> None: ...

class ListOperationsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListOperationsResponse(_message.Message):
    __slots__ = ("operations",)
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    operations: _containers.RepeatedCompositeFieldContainer[OperationInfo]
    def __init__(self, operations: _Optional[_Iterable[_Union[OperationInfo, _Mapping]]] = ...) -> None: ...

class PostMessageRequest(_message.Message):
    __slots__ = ("operation_id", "text", "refs")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REFS_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    text: str
    refs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation_id: _Optional[str] = ..., text: _Optional[str] = ..., refs: _Optional[_Iterable[str]] = ...) -> None: ...

class PostMessageResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: MessageInfo
    def __init__(self, message: _Optional[_Union[MessageInfo, _Mapping]] = ...) -> None: ...

class ListMessagesRequest(_message.Message):
    __slots__ = ("operation_id", "since")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    since: str
    def __init__(self, operation_id: _Optional[str] = ..., since: _Optional[str] = ...) -> None: ...

class ListMessagesResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[MessageInfo]
    def __init__(self, messages: _Optional[_Iterable[_Union[MessageInfo, _Mapping]]] = ...) -> None: ...

class WatchMessagesRequest(_message.Message):
    __slots__ = ("operation_id", "since")
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    since: str
    def __init__(self, operation_id: _Optional[str] = ..., since: _Optional[str] = ...) -> None: ...

class WatchMessagesResponse(_message.Message):
    __slots__ = ("message",)
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    message: MessageInfo
    def __init__(self, message: _Optional[_Union[MessageInfo, _Mapping]] = ...) -> None: ...

class OperationReportRequest(_message.Message):
    __slots__ = ("operation_id",)
    OPERATION_ID_FIELD_NUMBER: _ClassVar[int]
    operation_id: str
    def __init__(self, operation_id: _Optional[str] = ...) -> None: ...

class MemberActivity(_message.Message):
    __slots__ = ("node", "records", "messages")
    NODE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    node: str
    records: int
    messages: int
    def __init__(self, node: _Optional[str] = ..., records: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class SeizureCount(_message.Message):
    __slots__ = ("section", "category", "count")
    SECTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    section: str
    category: str
    count: int
    def __init__(self, section: _Optional[str] = ..., category: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class DayActivity(_message.Message):
    __slots__ = ("day", "records", "messages")
    DAY_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    day: str
    records: int
    messages: int
    def __init__(self, day: _Optional[str] = ..., records: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class OperationReportResponse(_message.Message):
    __slots__ = ("operation", "members", "seizures", "timeline")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    SEIZURES_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    operation: OperationInfo
    members: _containers.RepeatedCompositeFieldContainer[MemberActivity]
    seizures: _containers.RepeatedCompositeFieldContainer[SeizureCount]
    timeline: _containers.RepeatedCompositeFieldContainer[DayActivity]
    def __init__(self, operation: _Optional[_Union[OperationInfo, _Mapping]] = ..., members: _Optional[_Iterable[_Union[MemberActivity, _Mapping]]] = ..., seizures: _Optional[_Iterable[_Union[SeizureCount, _Mapping]]] = ..., timeline: _Optional[_Iterable[_Union[DayActivity, _Mapping]]] = ...) -> None: ...
