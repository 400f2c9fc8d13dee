from rilo_node.pb.rilo.v1 import node_pb2 as _node_pb2
from rilo_node.pb.rilo.v1 import record_pb2 as _record_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_KIND_UNSPECIFIED: _ClassVar[QueryKind]
    QUERY_KIND_SEARCH: _ClassVar[QueryKind]
    QUERY_KIND_STATS: _ClassVar[QueryKind]
QUERY_KIND_UNSPECIFIED: QueryKind
QUERY_KIND_SEARCH: QueryKind
QUERY_KIND_STATS: QueryKind

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

class Query(_message.Message):
    __slots__ = ("query_id", "asker", "kind", "filter", "targets", "limit", "group_by", "expires_at", "after", "before")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    ASKER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    TARGETS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    asker: str
    kind: QueryKind
    filter: _node_pb2.SearchFilter
    targets: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    group_by: _containers.RepeatedScalarFieldContainer[str]
    expires_at: str
    after: SearchCursor
    before: SearchCursor
    def __init__(self, query_id: _Optional[str] = ..., asker: _Optional[str] = ..., kind: _Optional[_Union[QueryKind, str]] = ..., filter: _Optional[_Union[_node_pb2.SearchFilter, _Mapping]] = ..., targets: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., group_by: _Optional[_Iterable[str]] = ..., expires_at: _Optional[str] = ..., after: _Optional[_Union[SearchCursor, _Mapping]] = ..., before: _Optional[_Union[SearchCursor, _Mapping]] = ...) -> None: ...

class SearchCursor(_message.Message):
    __slots__ = ("seizure_date", "origin", "record_id", "search_digest")
    SEIZURE_DATE_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    SEARCH_DIGEST_FIELD_NUMBER: _ClassVar[int]
    seizure_date: str
    origin: str
    record_id: str
    search_digest: bytes
    def __init__(self, seizure_date: _Optional[str] = ..., origin: _Optional[str] = ..., record_id: _Optional[str] = ..., search_digest: _Optional[bytes] = ...) -> None: ...

class SignedQuery(_message.Message):
    __slots__ = ("query", "signature", "key_id")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    query: bytes
    signature: bytes
    key_id: str
    def __init__(self, query: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class QueryRequest(_message.Message):
    __slots__ = ("query", "hops_left", "covered", "reach")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    HOPS_LEFT_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    REACH_FIELD_NUMBER: _ClassVar[int]
    query: SignedQuery
    hops_left: int
    covered: _containers.RepeatedScalarFieldContainer[str]
    reach: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, query: _Optional[_Union[SignedQuery, _Mapping]] = ..., hops_left: _Optional[int] = ..., covered: _Optional[_Iterable[str]] = ..., reach: _Optional[_Iterable[str]] = ...) -> None: ...

class Answer(_message.Message):
    __slots__ = ("query_id", "node", "asker", "hits", "groups", "ms")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    ASKER_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    MS_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    node: str
    asker: str
    hits: _containers.RepeatedCompositeFieldContainer[_node_pb2.SearchHit]
    groups: _containers.RepeatedCompositeFieldContainer[_node_pb2.StatsGroup]
    ms: int
    def __init__(self, query_id: _Optional[str] = ..., node: _Optional[str] = ..., asker: _Optional[str] = ..., hits: _Optional[_Iterable[_Union[_node_pb2.SearchHit, _Mapping]]] = ..., groups: _Optional[_Iterable[_Union[_node_pb2.StatsGroup, _Mapping]]] = ..., ms: _Optional[int] = ...) -> None: ...

class SignedAnswer(_message.Message):
    __slots__ = ("answer", "signature", "key_id")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    answer: bytes
    signature: bytes
    key_id: str
    def __init__(self, answer: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class SealedAnswer(_message.Message):
    __slots__ = ("node", "sealed")
    NODE_FIELD_NUMBER: _ClassVar[int]
    SEALED_FIELD_NUMBER: _ClassVar[int]
    node: str
    sealed: bytes
    def __init__(self, node: _Optional[str] = ..., sealed: _Optional[bytes] = ...) -> None: ...

class QueryResponse(_message.Message):
    __slots__ = ("answers", "failures")
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    answers: _containers.RepeatedCompositeFieldContainer[SealedAnswer]
    failures: _containers.RepeatedCompositeFieldContainer[_node_pb2.NodeAnswer]
    def __init__(self, answers: _Optional[_Iterable[_Union[SealedAnswer, _Mapping]]] = ..., failures: _Optional[_Iterable[_Union[_node_pb2.NodeAnswer, _Mapping]]] = ...) -> None: ...

class DisclosuresRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class Disclosure(_message.Message):
    __slots__ = ("at", "asker", "query_id", "action", "keys")
    AT_FIELD_NUMBER: _ClassVar[int]
    ASKER_FIELD_NUMBER: _ClassVar[int]
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    at: str
    asker: str
    query_id: str
    action: str
    keys: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    def __init__(self, at: _Optional[str] = ..., asker: _Optional[str] = ..., query_id: _Optional[str] = ..., action: _Optional[str] = ..., keys: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ...) -> None: ...

class DisclosuresResponse(_message.Message):
    __slots__ = ("disclosures",)
    DISCLOSURES_FIELD_NUMBER: _ClassVar[int]
    disclosures: _containers.RepeatedCompositeFieldContainer[Disclosure]
    def __init__(self, disclosures: _Optional[_Iterable[_Union[Disclosure, _Mapping]]] = ...) -> None: ...
