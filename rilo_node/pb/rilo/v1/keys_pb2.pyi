from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeyStatement(_message.Message):
    __slots__ = ("node", "key_id", "public_key", "valid_from", "previous_key_id", "previous_not_after")
    NODE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    node: str
    key_id: str
    public_key: bytes
    valid_from: str
    previous_key_id: str
    previous_not_after: str
    def __init__(self, node: _Optional[str] = ..., key_id: _Optional[str] = ..., public_key: _Optional[bytes] = ..., valid_from: _Optional[str] = ..., previous_key_id: _Optional[str] = ..., previous_not_after: _Optional[str] = ...) -> None: ...

class SignedKeyStatement(_message.Message):
    __slots__ = ("statement", "signature", "key_id")
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    statement: bytes
    signature: bytes
    key_id: str
    def __init__(self, statement: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class KeyRevocation(_message.Message):
    __slots__ = ("key_id", "since", "revoked_by", "issued_at")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_BY_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    since: str
    revoked_by: str
    issued_at: str
    def __init__(self, key_id: _Optional[str] = ..., since: _Optional[str] = ..., revoked_by: _Optional[str] = ..., issued_at: _Optional[str] = ...) -> None: ...

class SignedKeyRevocation(_message.Message):
    __slots__ = ("revocation", "signature", "key_id")
    REVOCATION_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    revocation: bytes
    signature: bytes
    key_id: str
    def __init__(self, revocation: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class DirectoryDocument(_message.Message):
    __slots__ = ("version", "issued_at", "topology")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    TOPOLOGY_FIELD_NUMBER: _ClassVar[int]
    version: int
    issued_at: str
    topology: str
    def __init__(self, version: _Optional[int] = ..., issued_at: _Optional[str] = ..., topology: _Optional[str] = ...) -> None: ...

class SignedDirectory(_message.Message):
    __slots__ = ("document", "signature", "key_id")
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    document: bytes
    signature: bytes
    key_id: str
    def __init__(self, document: _Optional[bytes] = ..., signature: _Optional[bytes] = ..., key_id: _Optional[str] = ...) -> None: ...

class KeyBundle(_message.Message):
    __slots__ = ("statements", "revocations", "directory")
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    REVOCATIONS_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_FIELD_NUMBER: _ClassVar[int]
    statements: _containers.RepeatedCompositeFieldContainer[SignedKeyStatement]
    revocations: _containers.RepeatedCompositeFieldContainer[SignedKeyRevocation]
    directory: SignedDirectory
    def __init__(self, statements: _Optional[_Iterable[_Union[SignedKeyStatement, _Mapping]]] = ..., revocations: _Optional[_Iterable[_Union[SignedKeyRevocation, _Mapping]]] = ..., directory: _Optional[_Union[SignedDirectory, _Mapping]] = ...) -> None: ...

class SyncKeysRequest(_message.Message):
    __slots__ = ("digest", "directory_version")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_VERSION_FIELD_NUMBER: _ClassVar[int]
    digest: bytes
    directory_version: int
    def __init__(self, digest: _Optional[bytes] = ..., directory_version: _Optional[int] = ...) -> None: ...

class SyncKeysResponse(_message.Message):
    __slots__ = ("bundle",)
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    bundle: KeyBundle
    def __init__(self, bundle: _Optional[_Union[KeyBundle, _Mapping]] = ...) -> None: ...

class PushKeysRequest(_message.Message):
    __slots__ = ("bundle",)
    BUNDLE_FIELD_NUMBER: _ClassVar[int]
    bundle: KeyBundle
    def __init__(self, bundle: _Optional[_Union[KeyBundle, _Mapping]] = ...) -> None: ...

class PushKeysResponse(_message.Message):
    __slots__ = ("accepted",)
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    accepted: int
    def __init__(self, accepted: _Optional[int] = ...) -> None: ...

class KeyInfo(_message.Message):
    __slots__ = ("key_id", "node", "public_key", "source", "valid_from", "not_after", "revoked_since", "current")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    REVOKED_SINCE_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    node: str
    public_key: str
    source: str
    valid_from: str
    not_after: str
    revoked_since: str
    current: bool
    def __init__(self, key_id: _Optional[str] = ..., node: _Optional[str] = ..., public_key: _Optional[str] = ..., source: _Optional[str] = ..., valid_from: _Optional[str] = ..., not_after: _Optional[str] = ..., revoked_since: _Optional[str] = ..., current: _Optional[bool] = ...) -> None: ...

class ListKeysRequest(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: str
    def __init__(self, node: _Optional[str] = ...) -> None: ...

class ListKeysResponse(_message.Message):
    __slots__ = ("keys", "signing_key_id", "certificate_not_after", "directory_version", "quarantined")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    DIRECTORY_VERSION_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[KeyInfo]
    signing_key_id: str
    certificate_not_after: str
    directory_version: int
    quarantined: int
    def __init__(self, keys: _Optional[_Iterable[_Union[KeyInfo, _Mapping]]] = ..., signing_key_id: _Optional[str] = ..., certificate_not_after: _Optional[str] = ..., directory_version: _Optional[int] = ..., quarantined: _Optional[int] = ...) -> None: ...

class RotateKeyRequest(_message.Message):
    __slots__ = ("hitcheck_only",)
    HITCHECK_ONLY_FIELD_NUMBER: _ClassVar[int]
    hitcheck_only: bool
    def __init__(self, hitcheck_only: _Optional[bool] = ...) -> None: ...

class RotateKeyResponse(_message.Message):
    __slots__ = ("key_id", "public_key", "valid_from", "previous_key_id", "previous_not_after", "hitcheck_epoch")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    HITCHECK_EPOCH_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    public_key: str
    valid_from: str
    previous_key_id: str
    previous_not_after: str
    hitcheck_epoch: str
    def __init__(self, key_id: _Optional[str] = ..., public_key: _Optional[str] = ..., valid_from: _Optional[str] = ..., previous_key_id: _Optional[str] = ..., previous_not_after: _Optional[str] = ..., hitcheck_epoch: _Optional[str] = ...) -> None: ...

class RevokeKeyRequest(_message.Message):
    __slots__ = ("key_id", "since")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    since: str
    def __init__(self, key_id: _Optional[str] = ..., since: _Optional[str] = ...) -> None: ...

class RevokeKeyResponse(_message.Message):
    __slots__ = ("key_id", "since", "quarantined")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    QUARANTINED_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    since: str
    quarantined: int
    def __init__(self, key_id: _Optional[str] = ..., since: _Optional[str] = ..., quarantined: _Optional[int] = ...) -> None: ...

class PublishDirectoryRequest(_message.Message):
    __slots__ = ("topology", "version")
    TOPOLOGY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    topology: str
    version: int
    def __init__(self, topology: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class PublishDirectoryResponse(_message.Message):
    __slots__ = ("version", "issued_at", "nodes")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    version: int
    issued_at: str
    nodes: int
    def __init__(self, version: _Optional[int] = ..., issued_at: _Optional[str] = ..., nodes: _Optional[int] = ...) -> None: ...

class GetDirectoryRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetDirectoryResponse(_message.Message):
    __slots__ = ("version", "issued_at", "topology", "nodes")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    TOPOLOGY_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    version: int
    issued_at: str
    topology: str
    nodes: int
    def __init__(self, version: _Optional[int] = ..., issued_at: _Optional[str] = ..., topology: _Optional[str] = ..., nodes: _Optional[int] = ...) -> None: ...
