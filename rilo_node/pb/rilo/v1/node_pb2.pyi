from rilo_node.pb.rilo.v1 import policy_pb2 as _policy_pb2
from rilo_node.pb.rilo.v1 import record_pb2 as _record_pb2
from rilo_node.pb.rilo.v1 import seizure_pb2 as _seizure_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class QueryScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUERY_SCOPE_UNSPECIFIED: _ClassVar[QueryScope]
    QUERY_SCOPE_LOCAL: _ClassVar[QueryScope]
    QUERY_SCOPE_AREA: _ClassVar[QueryScope]
    QUERY_SCOPE_REGION: _ClassVar[QueryScope]
    QUERY_SCOPE_GLOBAL: _ClassVar[QueryScope]
    QUERY_SCOPE_NODES: _ClassVar[QueryScope]

class NodeAnswerStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_ANSWER_STATUS_UNSPECIFIED: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_OK: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_TIMEOUT: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_UNREACHABLE: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_REFUSED: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_ERROR: _ClassVar[NodeAnswerStatus]
    NODE_ANSWER_STATUS_NOT_ASKED: _ClassVar[NodeAnswerStatus]
QUERY_SCOPE_UNSPECIFIED: QueryScope
QUERY_SCOPE_LOCAL: QueryScope
QUERY_SCOPE_AREA: QueryScope
QUERY_SCOPE_REGION: QueryScope
QUERY_SCOPE_GLOBAL: QueryScope
QUERY_SCOPE_NODES: QueryScope
NODE_ANSWER_STATUS_UNSPECIFIED: NodeAnswerStatus
NODE_ANSWER_STATUS_OK: NodeAnswerStatus
NODE_ANSWER_STATUS_TIMEOUT: NodeAnswerStatus
NODE_ANSWER_STATUS_UNREACHABLE: NodeAnswerStatus
NODE_ANSWER_STATUS_REFUSED: NodeAnswerStatus
NODE_ANSWER_STATUS_ERROR: NodeAnswerStatus
NODE_ANSWER_STATUS_NOT_ASKED: NodeAnswerStatus

class SeizureSubmission(_message.Message):
    __slots__ = ("record_id", "seizure", "policy", "annex")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    SEIZURE_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    ANNEX_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    seizure: _seizure_pb2.SeizureCase
    policy: _policy_pb2.SharingPolicy
    annex: _seizure_pb2.SeizureAnnex
    def __init__(self, record_id: _Optional[str] = ..., seizure: _Optional[_Union[_seizure_pb2.SeizureCase, _Mapping]] = ..., policy: _Optional[_Union[_policy_pb2.SharingPolicy, _Mapping]] = ..., annex: _Optional[_Union[_seizure_pb2.SeizureAnnex, _Mapping]] = ...) -> None: ...

class SubmitSeizureRequest(_message.Message):
    __slots__ = ("submission",)
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    submission: SeizureSubmission
    def __init__(self, submission: _Optional[_Union[SeizureSubmission, _Mapping]] = ...) -> None: ...

class SubmitSeizureResponse(_message.Message):
    __slots__ = ("key", "created")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    created: bool
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class SubmitSeizuresRequest(_message.Message):
    __slots__ = ("submissions",)
    SUBMISSIONS_FIELD_NUMBER: _ClassVar[int]
    submissions: _containers.RepeatedCompositeFieldContainer[SeizureSubmission]
    def __init__(self, submissions: _Optional[_Iterable[_Union[SeizureSubmission, _Mapping]]] = ...) -> None: ...

class SubmitResult(_message.Message):
    __slots__ = ("index", "key", "created", "code", "field", "message")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    index: int
    key: _record_pb2.RecordKey
    created: bool
    code: int
    field: str
    message: str
    def __init__(self, index: _Optional[int] = ..., key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., created: _Optional[bool] = ..., code: _Optional[int] = ..., field: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class SubmitSeizuresResponse(_message.Message):
    __slots__ = ("results", "stored", "refused")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    STORED_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[SubmitResult]
    stored: int
    refused: int
    def __init__(self, results: _Optional[_Iterable[_Union[SubmitResult, _Mapping]]] = ..., stored: _Optional[int] = ..., refused: _Optional[int] = ...) -> None: ...

class UpdateSeizureRequest(_message.Message):
    __slots__ = ("record_id", "submission")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    SUBMISSION_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    submission: SeizureSubmission
    def __init__(self, record_id: _Optional[str] = ..., submission: _Optional[_Union[SeizureSubmission, _Mapping]] = ...) -> None: ...

class UpdateSeizureResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ...) -> None: ...

class GetRecordRequest(_message.Message):
    __slots__ = ("origin", "record_id", "version")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    origin: str
    record_id: str
    version: int
    def __init__(self, origin: _Optional[str] = ..., record_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class GetRecordResponse(_message.Message):
    __slots__ = ("record", "key", "withdrawn")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_FIELD_NUMBER: _ClassVar[int]
    record: _record_pb2.SignedRecord
    key: _record_pb2.RecordKey
    withdrawn: bool
    def __init__(self, record: _Optional[_Union[_record_pb2.SignedRecord, _Mapping]] = ..., key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., withdrawn: _Optional[bool] = ...) -> None: ...

class ExportRecordsRequest(_message.Message):
    __slots__ = ("after_seq", "origin")
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    after_seq: int
    origin: str
    def __init__(self, after_seq: _Optional[int] = ..., origin: _Optional[str] = ...) -> None: ...

class ExportRecordsResponse(_message.Message):
    __slots__ = ("record", "seq", "withdrawn")
    RECORD_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    WITHDRAWN_FIELD_NUMBER: _ClassVar[int]
    record: _record_pb2.SignedRecord
    seq: int
    withdrawn: bool
    def __init__(self, record: _Optional[_Union[_record_pb2.SignedRecord, _Mapping]] = ..., seq: _Optional[int] = ..., withdrawn: _Optional[bool] = ...) -> None: ...

class RetractRecordRequest(_message.Message):
    __slots__ = ("record_id",)
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    def __init__(self, record_id: _Optional[str] = ...) -> None: ...

class RetractRecordResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ...) -> None: ...

class SearchFilter(_message.Message):
    __slots__ = ("section", "category", "country", "departure_country", "destination_country", "route_country", "date_from", "date_to", "text", "origin", "group")
    SECTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ROUTE_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    DATE_FROM_FIELD_NUMBER: _ClassVar[int]
    DATE_TO_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    section: _seizure_pb2.Section
    category: _seizure_pb2.Category
    country: str
    departure_country: str
    destination_country: str
    route_country: str
    date_from: str
    date_to: str
    text: str
    origin: str
    group: str
    def __init__(self, section: _Optional[_Union[_seizure_pb2.Section, str]] = ..., category: _Optional[_Union[_seizure_pb2.Category, str]] = ..., country: _Optional[str] = ..., departure_country: _Optional[str] = ..., destination_country: _Optional[str] = ..., route_country: _Optional[str] = ..., date_from: _Optional[str] = ..., date_to: _Optional[str] = ..., text: _Optional[str] = ..., origin: _Optional[str] = ..., group: _Optional[str] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("filter", "scope", "nodes", "limit", "deadline_ms", "page_token")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    filter: SearchFilter
    scope: QueryScope
    nodes: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    deadline_ms: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[SearchFilter, _Mapping]] = ..., scope: _Optional[_Union[QueryScope, str]] = ..., nodes: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., deadline_ms: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class HitSummary(_message.Message):
    __slots__ = ("seizure_date", "country", "sections", "categories")
    SEIZURE_DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    seizure_date: str
    country: str
    sections: _containers.RepeatedScalarFieldContainer[_seizure_pb2.Section]
    categories: _containers.RepeatedScalarFieldContainer[_seizure_pb2.Category]
    def __init__(self, seizure_date: _Optional[str] = ..., country: _Optional[str] = ..., sections: _Optional[_Iterable[_Union[_seizure_pb2.Section, str]]] = ..., categories: _Optional[_Iterable[_Union[_seizure_pb2.Category, str]]] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("origin", "record_id", "version", "kind", "held", "summary", "record", "tlp", "handling")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HELD_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    TLP_FIELD_NUMBER: _ClassVar[int]
    HANDLING_FIELD_NUMBER: _ClassVar[int]
    origin: str
    record_id: str
    version: int
    kind: _record_pb2.RecordKind
    held: bool
    summary: HitSummary
    record: _record_pb2.SignedRecord
    tlp: _policy_pb2.Tlp
    handling: _policy_pb2.Handling
    def __init__(self, origin: _Optional[str] = ..., record_id: _Optional[str] = ..., version: _Optional[int] = ..., kind: _Optional[_Union[_record_pb2.RecordKind, str]] = ..., held: _Optional[bool] = ..., summary: _Optional[_Union[HitSummary, _Mapping]] = ..., record: _Optional[_Union[_record_pb2.SignedRecord, _Mapping]] = ..., tlp: _Optional[_Union[_policy_pb2.Tlp, str]] = ..., handling: _Optional[_Union[_policy_pb2.Handling, str]] = ...) -> None: ...

class NodeAnswer(_message.Message):
    __slots__ = ("node", "status", "hits", "ms")
    NODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    MS_FIELD_NUMBER: _ClassVar[int]
    node: str
    status: NodeAnswerStatus
    hits: int
    ms: int
    def __init__(self, node: _Optional[str] = ..., status: _Optional[_Union[NodeAnswerStatus, str]] = ..., hits: _Optional[int] = ..., ms: _Optional[int] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("query_id", "complete", "hits", "nodes", "next_page_token")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    complete: bool
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    nodes: _containers.RepeatedCompositeFieldContainer[NodeAnswer]
    next_page_token: str
    def __init__(self, query_id: _Optional[str] = ..., complete: _Optional[bool] = ..., hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., nodes: _Optional[_Iterable[_Union[NodeAnswer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StatsRequest(_message.Message):
    __slots__ = ("filter", "scope", "nodes", "group_by", "deadline_ms")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    DEADLINE_MS_FIELD_NUMBER: _ClassVar[int]
    filter: SearchFilter
    scope: QueryScope
    nodes: _containers.RepeatedScalarFieldContainer[str]
    group_by: _containers.RepeatedScalarFieldContainer[str]
    deadline_ms: int
    def __init__(self, filter: _Optional[_Union[SearchFilter, _Mapping]] = ..., scope: _Optional[_Union[QueryScope, str]] = ..., nodes: _Optional[_Iterable[str]] = ..., group_by: _Optional[_Iterable[str]] = ..., deadline_ms: _Optional[int] = ...) -> None: ...

class GroupValue(_message.Message):
    __slots__ = ("field", "value")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    value: str
    def __init__(self, field: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class StatsGroup(_message.Message):
    __slots__ = ("key", "cases", "items", "below")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CASES_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    BELOW_FIELD_NUMBER: _ClassVar[int]
    key: _containers.RepeatedCompositeFieldContainer[GroupValue]
    cases: int
    items: int
    below: int
    def __init__(self, key: _Optional[_Iterable[_Union[GroupValue, _Mapping]]] = ..., cases: _Optional[int] = ..., items: _Optional[int] = ..., below: _Optional[int] = ...) -> None: ...

class StatsResponse(_message.Message):
    __slots__ = ("query_id", "complete", "groups", "nodes")
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_FIELD_NUMBER: _ClassVar[int]
    GROUPS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    query_id: str
    complete: bool
    groups: _containers.RepeatedCompositeFieldContainer[StatsGroup]
    nodes: _containers.RepeatedCompositeFieldContainer[NodeAnswer]
    def __init__(self, query_id: _Optional[str] = ..., complete: _Optional[bool] = ..., groups: _Optional[_Iterable[_Union[StatsGroup, _Mapping]]] = ..., nodes: _Optional[_Iterable[_Union[NodeAnswer, _Mapping]]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PeerState(_message.Message):
    __slots__ = ("peer", "state", "behind", "checkpoint")
    PEER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    BEHIND_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINT_FIELD_NUMBER: _ClassVar[int]
    peer: str
    state: str
    behind: int
    checkpoint: int
    def __init__(self, peer: _Optional[str] = ..., state: _Optional[str] = ..., behind: _Optional[int] = ..., checkpoint: _Optional[int] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("node_id", "role", "region", "area", "records_held", "own_records", "last_seq", "security_events", "started_at", "version", "peers", "signing_key_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    AREA_FIELD_NUMBER: _ClassVar[int]
    RECORDS_HELD_FIELD_NUMBER: _ClassVar[int]
    OWN_RECORDS_FIELD_NUMBER: _ClassVar[int]
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    SECURITY_EVENTS_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PEERS_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    role: str
    region: str
    area: str
    records_held: int
    own_records: int
    last_seq: int
    security_events: int
    started_at: str
    version: str
    peers: _containers.RepeatedCompositeFieldContainer[PeerState]
    signing_key_id: str
    def __init__(self, node_id: _Optional[str] = ..., role: _Optional[str] = ..., region: _Optional[str] = ..., area: _Optional[str] = ..., records_held: _Optional[int] = ..., own_records: _Optional[int] = ..., last_seq: _Optional[int] = ..., security_events: _Optional[int] = ..., started_at: _Optional[str] = ..., version: _Optional[str] = ..., peers: _Optional[_Iterable[_Union[PeerState, _Mapping]]] = ..., signing_key_id: _Optional[str] = ...) -> None: ...

class ListAuditRequest(_message.Message):
    __slots__ = ("limit", "after_id")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    after_id: int
    def __init__(self, limit: _Optional[int] = ..., after_id: _Optional[int] = ...) -> None: ...

class AuditEntry(_message.Message):
    __slots__ = ("id", "at", "actor", "action", "query_id", "keys", "detail", "forms", "user")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    QUERY_ID_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    FORMS_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    id: int
    at: str
    actor: str
    action: str
    query_id: str
    keys: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    detail: str
    forms: _containers.RepeatedScalarFieldContainer[str]
    user: str
    def __init__(self, id: _Optional[int] = ..., at: _Optional[str] = ..., actor: _Optional[str] = ..., action: _Optional[str] = ..., query_id: _Optional[str] = ..., keys: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ..., detail: _Optional[str] = ..., forms: _Optional[_Iterable[str]] = ..., user: _Optional[str] = ...) -> None: ...

class ListAuditResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[AuditEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[AuditEntry, _Mapping]]] = ...) -> None: ...

class ListSecurityEventsRequest(_message.Message):
    __slots__ = ("since", "kind", "limit", "after_id")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    AFTER_ID_FIELD_NUMBER: _ClassVar[int]
    since: str
    kind: str
    limit: int
    after_id: int
    def __init__(self, since: _Optional[str] = ..., kind: _Optional[str] = ..., limit: _Optional[int] = ..., after_id: _Optional[int] = ...) -> None: ...

class SecurityEvent(_message.Message):
    __slots__ = ("id", "at", "kind", "peer", "origin", "record_id", "detail")
    ID_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PEER_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    id: int
    at: str
    kind: str
    peer: str
    origin: str
    record_id: str
    detail: str
    def __init__(self, id: _Optional[int] = ..., at: _Optional[str] = ..., kind: _Optional[str] = ..., peer: _Optional[str] = ..., origin: _Optional[str] = ..., record_id: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class ListSecurityEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[SecurityEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[SecurityEvent, _Mapping]]] = ...) -> None: ...
