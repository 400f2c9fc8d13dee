from rilo_node.pb.rilo.v1 import policy_pb2 as _policy_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RecordKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RECORD_KIND_UNSPECIFIED: _ClassVar[RecordKind]
    RECORD_KIND_SEIZURE: _ClassVar[RecordKind]
    RECORD_KIND_WITHDRAWAL: _ClassVar[RecordKind]
    RECORD_KIND_REQUEST: _ClassVar[RecordKind]
    RECORD_KIND_RESPONSE: _ClassVar[RecordKind]
    RECORD_KIND_CLOSURE: _ClassVar[RecordKind]
    RECORD_KIND_NOTICE: _ClassVar[RecordKind]
    RECORD_KIND_ENDORSEMENT: _ClassVar[RecordKind]
    RECORD_KIND_OPERATION: _ClassVar[RecordKind]
    RECORD_KIND_MESSAGE: _ClassVar[RecordKind]
    RECORD_KIND_HIT_FILTER: _ClassVar[RecordKind]
RECORD_KIND_UNSPECIFIED: RecordKind
RECORD_KIND_SEIZURE: RecordKind
RECORD_KIND_WITHDRAWAL: RecordKind
RECORD_KIND_REQUEST: RecordKind
RECORD_KIND_RESPONSE: RecordKind
RECORD_KIND_CLOSURE: RecordKind
RECORD_KIND_NOTICE: RecordKind
RECORD_KIND_ENDORSEMENT: RecordKind
RECORD_KIND_OPERATION: RecordKind
RECORD_KIND_MESSAGE: RecordKind
RECORD_KIND_HIT_FILTER: RecordKind

class RecordHeader(_message.Message):
    __slots__ = ("origin", "record_id", "version", "kind", "created_at", "policy", "key_id", "body_sha256", "annex_sha256", "retracted")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    BODY_SHA256_FIELD_NUMBER: _ClassVar[int]
    ANNEX_SHA256_FIELD_NUMBER: _ClassVar[int]
    RETRACTED_FIELD_NUMBER: _ClassVar[int]
    origin: str
    record_id: str
    version: int
    kind: RecordKind
    created_at: str
    policy: _policy_pb2.SharingPolicy
    key_id: str
    body_sha256: bytes
    annex_sha256: bytes
    retracted: bool
    def __init__(self, origin: _Optional[str] = ..., record_id: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[_Union[RecordKind, str]] = ..., created_at: _Optional[str] = ..., policy: _Optional[_Union[_policy_pb2.SharingPolicy, _Mapping]] = ..., key_id: _Optional[str] = ..., body_sha256: _Optional[bytes] = ..., annex_sha256: _Optional[bytes] = ..., retracted: _Optional[bool] = ...) -> None: ...

class SignedRecord(_message.Message):
    __slots__ = ("header", "body", "annex", "signature", "key_id")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    ANNEX_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    header: bytes
    body: bytes
    annex: bytes
    signature: bytes
    key_id: str
    def __init__(self, header: _Optional[bytes] = ..., body: _Optional[bytes] = ..., annex: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class Withdrawal(_message.Message):
    __slots__ = ("record_id", "version")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    version: int
    def __init__(self, record_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class RecordKey(_message.Message):
    __slots__ = ("origin", "record_id", "version")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    origin: str
    record_id: str
    version: int
    def __init__(self, origin: _Optional[str] = ..., record_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...
