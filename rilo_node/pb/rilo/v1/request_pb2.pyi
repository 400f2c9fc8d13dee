from rilo_node.pb.rilo.v1 import record_pb2 as _record_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssistanceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSISTANCE_TYPE_UNSPECIFIED: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_INFORMATION: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_VERIFICATION: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_SURVEILLANCE: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_NOTIFICATION: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_CONTROLLED_DELIVERY: _ClassVar[AssistanceType]
    ASSISTANCE_TYPE_OTHER: _ClassVar[AssistanceType]

class Urgency(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    URGENCY_UNSPECIFIED: _ClassVar[Urgency]
    URGENCY_ROUTINE: _ClassVar[Urgency]
    URGENCY_URGENT: _ClassVar[Urgency]
    URGENCY_IMMEDIATE: _ClassVar[Urgency]

class ResponseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_STATUS_UNSPECIFIED: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_ACKNOWLEDGED: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_IN_PROGRESS: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_ANSWERED: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_PARTIALLY_ANSWERED: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_REFUSED: _ClassVar[ResponseStatus]
    RESPONSE_STATUS_POSTPONED: _ClassVar[ResponseStatus]

class RequestStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUEST_STATUS_UNSPECIFIED: _ClassVar[RequestStatus]
    REQUEST_STATUS_SENT: _ClassVar[RequestStatus]
    REQUEST_STATUS_ACKNOWLEDGED: _ClassVar[RequestStatus]
    REQUEST_STATUS_IN_PROGRESS: _ClassVar[RequestStatus]
    REQUEST_STATUS_ANSWERED: _ClassVar[RequestStatus]
    REQUEST_STATUS_PARTIALLY_ANSWERED: _ClassVar[RequestStatus]
    REQUEST_STATUS_REFUSED: _ClassVar[RequestStatus]
    REQUEST_STATUS_POSTPONED: _ClassVar[RequestStatus]
    REQUEST_STATUS_CLOSED: _ClassVar[RequestStatus]
    REQUEST_STATUS_UNKNOWN: _ClassVar[RequestStatus]

class NoticeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOTICE_TYPE_UNSPECIFIED: _ClassVar[NoticeType]
    NOTICE_TYPE_REMINDER: _ClassVar[NoticeType]
    NOTICE_TYPE_OVERDUE: _ClassVar[NoticeType]

class EndorsementVerdict(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENDORSEMENT_VERDICT_UNSPECIFIED: _ClassVar[EndorsementVerdict]
    ENDORSEMENT_VERDICT_ENDORSED: _ClassVar[EndorsementVerdict]
    ENDORSEMENT_VERDICT_RETURNED: _ClassVar[EndorsementVerdict]

class RequestBox(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REQUEST_BOX_UNSPECIFIED: _ClassVar[RequestBox]
    REQUEST_BOX_ALL: _ClassVar[RequestBox]
    REQUEST_BOX_INBOX: _ClassVar[RequestBox]
    REQUEST_BOX_OUTBOX: _ClassVar[RequestBox]

class ValidationState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALIDATION_STATE_UNSPECIFIED: _ClassVar[ValidationState]
    VALIDATION_STATE_PENDING: _ClassVar[ValidationState]
    VALIDATION_STATE_ENDORSED: _ClassVar[ValidationState]
    VALIDATION_STATE_RETURNED: _ClassVar[ValidationState]
ASSISTANCE_TYPE_UNSPECIFIED: AssistanceType
ASSISTANCE_TYPE_INFORMATION: AssistanceType
ASSISTANCE_TYPE_VERIFICATION: AssistanceType
ASSISTANCE_TYPE_SURVEILLANCE: AssistanceType
ASSISTANCE_TYPE_NOTIFICATION: AssistanceType
ASSISTANCE_TYPE_CONTROLLED_DELIVERY: AssistanceType
ASSISTANCE_TYPE_OTHER: AssistanceType
URGENCY_UNSPECIFIED: Urgency
URGENCY_ROUTINE: Urgency
URGENCY_URGENT: Urgency
URGENCY_IMMEDIATE: Urgency
RESPONSE_STATUS_UNSPECIFIED: ResponseStatus
RESPONSE_STATUS_ACKNOWLEDGED: ResponseStatus
RESPONSE_STATUS_IN_PROGRESS: ResponseStatus
RESPONSE_STATUS_ANSWERED: ResponseStatus
RESPONSE_STATUS_PARTIALLY_ANSWERED: ResponseStatus
RESPONSE_STATUS_REFUSED: ResponseStatus
RESPONSE_STATUS_POSTPONED: ResponseStatus
REQUEST_STATUS_UNSPECIFIED: RequestStatus
REQUEST_STATUS_SENT: RequestStatus
REQUEST_STATUS_ACKNOWLEDGED: RequestStatus
REQUEST_STATUS_IN_PROGRESS: RequestStatus
REQUEST_STATUS_ANSWERED: RequestStatus
REQUEST_STATUS_PARTIALLY_ANSWERED: RequestStatus
REQUEST_STATUS_REFUSED: RequestStatus
REQUEST_STATUS_POSTPONED: RequestStatus
REQUEST_STATUS_CLOSED: RequestStatus
REQUEST_STATUS_UNKNOWN: RequestStatus
NOTICE_TYPE_UNSPECIFIED: NoticeType
NOTICE_TYPE_REMINDER: NoticeType
NOTICE_TYPE_OVERDUE: NoticeType
ENDORSEMENT_VERDICT_UNSPECIFIED: EndorsementVerdict
ENDORSEMENT_VERDICT_ENDORSED: EndorsementVerdict
ENDORSEMENT_VERDICT_RETURNED: EndorsementVerdict
REQUEST_BOX_UNSPECIFIED: RequestBox
REQUEST_BOX_ALL: RequestBox
REQUEST_BOX_INBOX: RequestBox
REQUEST_BOX_OUTBOX: RequestBox
VALIDATION_STATE_UNSPECIFIED: ValidationState
VALIDATION_STATE_PENDING: ValidationState
VALIDATION_STATE_ENDORSED: ValidationState
VALIDATION_STATE_RETURNED: ValidationState

class AssistanceRequest(_message.Message):
    __slots__ = ("addressee", "via_rilo", "legal_basis", "assistance", "subject", "facts", "urgency", "due_date", "records", "contact")
    ADDRESSEE_FIELD_NUMBER: _ClassVar[int]
    VIA_RILO_FIELD_NUMBER: _ClassVar[int]
    LEGAL_BASIS_FIELD_NUMBER: _ClassVar[int]
    ASSISTANCE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    CONTACT_FIELD_NUMBER: _ClassVar[int]
    addressee: str
    via_rilo: str
    legal_basis: str
    assistance: AssistanceType
    subject: str
    facts: str
    urgency: Urgency
    due_date: str
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    contact: str
    def __init__(self, addressee: _Optional[str] = ..., via_rilo: _Optional[str] = ..., legal_basis: _Optional[str] = ..., assistance: _Optional[_Union[AssistanceType, str]] = ..., subject: _Optional[str] = ..., facts: _Optional[str] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., due_date: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ..., contact: _Optional[str] = ...) -> None: ...

class RequestResponse(_message.Message):
    __slots__ = ("request", "status", "text", "reason", "records", "released", "annex_released")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    ANNEX_RELEASED_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    status: ResponseStatus
    text: str
    reason: str
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    released: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    annex_released: bool
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., status: _Optional[_Union[ResponseStatus, str]] = ..., text: _Optional[str] = ..., reason: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ..., released: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ..., annex_released: _Optional[bool] = ...) -> None: ...

class RequestClosure(_message.Message):
    __slots__ = ("request", "text")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    text: str
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class RequestNotice(_message.Message):
    __slots__ = ("request", "type", "addressee", "due_date", "urgency", "assistance")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ADDRESSEE_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    ASSISTANCE_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    type: NoticeType
    addressee: str
    due_date: str
    urgency: Urgency
    assistance: AssistanceType
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., type: _Optional[_Union[NoticeType, str]] = ..., addressee: _Optional[str] = ..., due_date: _Optional[str] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., assistance: _Optional[_Union[AssistanceType, str]] = ...) -> None: ...

class Endorsement(_message.Message):
    __slots__ = ("seizure", "body_sha256", "verdict", "comments")
    SEIZURE_FIELD_NUMBER: _ClassVar[int]
    BODY_SHA256_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    seizure: _record_pb2.RecordKey
    body_sha256: bytes
    verdict: EndorsementVerdict
    comments: str
    def __init__(self, seizure: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., body_sha256: _Optional[bytes] = ..., verdict: _Optional[_Union[EndorsementVerdict, str]] = ..., comments: _Optional[str] = ...) -> None: ...

class CreateRequestRequest(_message.Message):
    __slots__ = ("record_id", "request")
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    record_id: str
    request: AssistanceRequest
    def __init__(self, record_id: _Optional[str] = ..., request: _Optional[_Union[AssistanceRequest, _Mapping]] = ...) -> None: ...

class CreateRequestResponse(_message.Message):
    __slots__ = ("key", "created")
    KEY_FIELD_NUMBER: _ClassVar[int]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    created: bool
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., created: _Optional[bool] = ...) -> None: ...

class ListRequestsRequest(_message.Message):
    __slots__ = ("box", "overdue_only", "status", "limit")
    BOX_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    box: RequestBox
    overdue_only: bool
    status: RequestStatus
    limit: int
    def __init__(self, box: _Optional[_Union[RequestBox, str]] = ..., overdue_only: _Optional[bool] = ..., status: _Optional[_Union[RequestStatus, str]] = ..., limit: _Optional[int] = ...) -> None: ...

class RequestSummary(_message.Message):
    __slots__ = ("key", "requester", "addressee", "via_rilo", "assistance", "urgency", "subject", "due_date", "created_at", "status", "overdue", "updated_at", "responses", "notice_only")
    KEY_FIELD_NUMBER: _ClassVar[int]
    REQUESTER_FIELD_NUMBER: _ClassVar[int]
    ADDRESSEE_FIELD_NUMBER: _ClassVar[int]
    VIA_RILO_FIELD_NUMBER: _ClassVar[int]
    ASSISTANCE_FIELD_NUMBER: _ClassVar[int]
    URGENCY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    NOTICE_ONLY_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    requester: str
    addressee: str
    via_rilo: str
    assistance: AssistanceType
    urgency: Urgency
    subject: str
    due_date: str
    created_at: str
    status: RequestStatus
    overdue: bool
    updated_at: str
    responses: int
    notice_only: bool
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., requester: _Optional[str] = ..., addressee: _Optional[str] = ..., via_rilo: _Optional[str] = ..., assistance: _Optional[_Union[AssistanceType, str]] = ..., urgency: _Optional[_Union[Urgency, str]] = ..., subject: _Optional[str] = ..., due_date: _Optional[str] = ..., created_at: _Optional[str] = ..., status: _Optional[_Union[RequestStatus, str]] = ..., overdue: _Optional[bool] = ..., updated_at: _Optional[str] = ..., responses: _Optional[int] = ..., notice_only: _Optional[bool] = ...) -> None: ...

class ListRequestsResponse(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[RequestSummary]
    def __init__(self, requests: _Optional[_Iterable[_Union[RequestSummary, _Mapping]]] = ...) -> None: ...

class GetRequestRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ...) -> None: ...

class RequestEvent(_message.Message):
    __slots__ = ("key", "kind", "author", "created_at", "response", "closure", "notice", "counts")
    KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    CLOSURE_FIELD_NUMBER: _ClassVar[int]
    NOTICE_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    kind: _record_pb2.RecordKind
    author: str
    created_at: str
    response: RequestResponse
    closure: RequestClosure
    notice: RequestNotice
    counts: bool
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., kind: _Optional[_Union[_record_pb2.RecordKind, str]] = ..., author: _Optional[str] = ..., created_at: _Optional[str] = ..., response: _Optional[_Union[RequestResponse, _Mapping]] = ..., closure: _Optional[_Union[RequestClosure, _Mapping]] = ..., notice: _Optional[_Union[RequestNotice, _Mapping]] = ..., counts: _Optional[bool] = ...) -> None: ...

class GetRequestResponse(_message.Message):
    __slots__ = ("summary", "request", "events")
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    summary: RequestSummary
    request: AssistanceRequest
    events: _containers.RepeatedCompositeFieldContainer[RequestEvent]
    def __init__(self, summary: _Optional[_Union[RequestSummary, _Mapping]] = ..., request: _Optional[_Union[AssistanceRequest, _Mapping]] = ..., events: _Optional[_Iterable[_Union[RequestEvent, _Mapping]]] = ...) -> None: ...

class RespondToRequestRequest(_message.Message):
    __slots__ = ("request", "status", "text", "reason", "records", "release", "release_annex", "record_id")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_ANNEX_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    status: ResponseStatus
    text: str
    reason: str
    records: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    release: bool
    release_annex: bool
    record_id: str
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., status: _Optional[_Union[ResponseStatus, str]] = ..., text: _Optional[str] = ..., reason: _Optional[str] = ..., records: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ..., release: _Optional[bool] = ..., release_annex: _Optional[bool] = ..., record_id: _Optional[str] = ...) -> None: ...

class RespondToRequestResponse(_message.Message):
    __slots__ = ("key", "released")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    released: _containers.RepeatedCompositeFieldContainer[_record_pb2.RecordKey]
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., released: _Optional[_Iterable[_Union[_record_pb2.RecordKey, _Mapping]]] = ...) -> None: ...

class CloseRequestRequest(_message.Message):
    __slots__ = ("request", "text")
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    request: _record_pb2.RecordKey
    text: str
    def __init__(self, request: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., text: _Optional[str] = ...) -> None: ...

class CloseRequestResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ...) -> None: ...

class ValidateSeizureRequest(_message.Message):
    __slots__ = ("origin", "record_id", "verdict", "comments")
    ORIGIN_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    origin: str
    record_id: str
    verdict: EndorsementVerdict
    comments: str
    def __init__(self, origin: _Optional[str] = ..., record_id: _Optional[str] = ..., verdict: _Optional[_Union[EndorsementVerdict, str]] = ..., comments: _Optional[str] = ...) -> None: ...

class ValidateSeizureResponse(_message.Message):
    __slots__ = ("key", "seizure")
    KEY_FIELD_NUMBER: _ClassVar[int]
    SEIZURE_FIELD_NUMBER: _ClassVar[int]
    key: _record_pb2.RecordKey
    seizure: _record_pb2.RecordKey
    def __init__(self, key: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., seizure: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ...) -> None: ...

class ListValidationsRequest(_message.Message):
    __slots__ = ("pending_only", "limit")
    PENDING_ONLY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    pending_only: bool
    limit: int
    def __init__(self, pending_only: _Optional[bool] = ..., limit: _Optional[int] = ...) -> None: ...

class SeizureValidation(_message.Message):
    __slots__ = ("seizure", "state", "rilo", "comments", "validated_at", "held_in_region", "seizure_date", "country")
    SEIZURE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RILO_FIELD_NUMBER: _ClassVar[int]
    COMMENTS_FIELD_NUMBER: _ClassVar[int]
    VALIDATED_AT_FIELD_NUMBER: _ClassVar[int]
    HELD_IN_REGION_FIELD_NUMBER: _ClassVar[int]
    SEIZURE_DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    seizure: _record_pb2.RecordKey
    state: ValidationState
    rilo: str
    comments: str
    validated_at: str
    held_in_region: bool
    seizure_date: str
    country: str
    def __init__(self, seizure: _Optional[_Union[_record_pb2.RecordKey, _Mapping]] = ..., state: _Optional[_Union[ValidationState, str]] = ..., rilo: _Optional[str] = ..., comments: _Optional[str] = ..., validated_at: _Optional[str] = ..., held_in_region: _Optional[bool] = ..., seizure_date: _Optional[str] = ..., country: _Optional[str] = ...) -> None: ...

class ListValidationsResponse(_message.Message):
    __slots__ = ("seizures",)
    SEIZURES_FIELD_NUMBER: _ClassVar[int]
    seizures: _containers.RepeatedCompositeFieldContainer[SeizureValidation]
    def __init__(self, seizures: _Optional[_Iterable[_Union[SeizureValidation, _Mapping]]] = ...) -> None: ...
