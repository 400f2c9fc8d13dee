from rilo_node.pb.rilo.v1 import record_pb2 as _record_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PullRequest(_message.Message):
    __slots__ = ("after_seq", "live", "max_batch")
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    MAX_BATCH_FIELD_NUMBER: _ClassVar[int]
    after_seq: int
    live: bool
    max_batch: int
    def __init__(self, after_seq: _Optional[int] = ..., live: _Optional[bool] = ..., max_batch: _Optional[int] = ...) -> None: ...

class FeedItem(_message.Message):
    __slots__ = ("record", "seq")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    record: _record_pb2.SignedRecord
    seq: int
    def __init__(self, record: _Optional[_Union[_record_pb2.SignedRecord, _Mapping]] = ..., seq: _Optional[int] = ...) -> None: ...

class PullResponse(_message.Message):
    __slots__ = ("items", "scanned_seq", "head_seq")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SCANNED_SEQ_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[FeedItem]
    scanned_seq: int
    head_seq: int
    def __init__(self, items: _Optional[_Iterable[_Union[FeedItem, _Mapping]]] = ..., scanned_seq: _Optional[int] = ..., head_seq: _Optional[int] = ...) -> None: ...

class DeliverRequest(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.SignedRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_record_pb2.SignedRecord, _Mapping]]] = ...) -> None: ...

class DeliverResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, outcomes: _Optional[_Iterable[str]] = ...) -> None: ...

class BucketDigest(_message.Message):
    __slots__ = ("bucket", "count", "xor")
    BUCKET_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    XOR_FIELD_NUMBER: _ClassVar[int]
    bucket: int
    count: int
    xor: bytes
    def __init__(self, bucket: _Optional[int] = ..., count: _Optional[int] = ..., xor: _Optional[bytes] = ...) -> None: ...

class DigestRequest(_message.Message):
    __slots__ = ("detail_buckets",)
    DETAIL_BUCKETS_FIELD_NUMBER: _ClassVar[int]
    detail_buckets: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, detail_buckets: _Optional[_Iterable[int]] = ...) -> None: ...

class DigestResponse(_message.Message):
    __slots__ = ("bucket_count", "buckets", "keys")
    BUCKET_COUNT_FIELD_NUMBER: _ClassVar[int]
    BUCKETS_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    bucket_count: int
    buckets: _containers.RepeatedCompositeFieldContainer[BucketDigest]
    keys: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    def __init__(self, bucket_count: _Optional[int] = ..., buckets: _Optional[_Iterable[_Union[BucketDigest, _Mapping]]] = ..., keys: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ...) -> None: ...

class FetchRequest(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ...) -> None: ...

class FetchResponse(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.SignedRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[_record_pb2.SignedRecord, _Mapping]]] = ...) -> None: ...
