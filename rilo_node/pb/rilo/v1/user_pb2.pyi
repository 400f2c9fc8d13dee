from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WebRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEB_ROLE_UNSPECIFIED: _ClassVar[WebRole]
    WEB_ROLE_VIEWER: _ClassVar[WebRole]
    WEB_ROLE_ANALYST: _ClassVar[WebRole]
    WEB_ROLE_ADMIN: _ClassVar[WebRole]
WEB_ROLE_UNSPECIFIED: WebRole
WEB_ROLE_VIEWER: WebRole
WEB_ROLE_ANALYST: WebRole
WEB_ROLE_ADMIN: WebRole

class WebUser(_message.Message):
    __slots__ = ("name", "role", "operations", "all_operations", "disabled", "totp", "created_at", "locked_until")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    ALL_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    TOTP_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: WebRole
    operations: _containers.RepeatedScalarFieldContainer[str]
    all_operations: bool
    disabled: bool
    totp: bool
    created_at: str
    locked_until: str
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[WebRole, str]] = ..., operations: _Optional[_Iterable[str]] = ..., all_operations: _Optional[bool] = ..., disabled: _Optional[bool] = ..., totp: _Optional[bool] = ..., created_at: _Optional[str] = ..., locked_until: _Optional[str] = ...) -> None: ...

class AddUserRequest(_message.Message):
    __slots__ = ("name", "role", "operations", "all_operations", "password", "totp")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    ALL_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TOTP_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: WebRole
    operations: _containers.RepeatedScalarFieldContainer[str]
    all_operations: bool
    password: str
    totp: bool
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[WebRole, str]] = ..., operations: _Optional[_Iterable[str]] = ..., all_operations: _Optional[bool] = ..., password: _Optional[str] = ..., totp: _Optional[bool] = ...) -> None: ...

class AddUserResponse(_message.Message):
    __slots__ = ("user", "generated_password", "totp_secret", "totp_uri")
    USER_FIELD_NUMBER: _ClassVar[int]
    GENERATED_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TOTP_SECRET_FIELD_NUMBER: _ClassVar[int]
    TOTP_URI_FIELD_NUMBER: _ClassVar[int]
    user: WebUser
    generated_password: str
    totp_secret: str
    totp_uri: str
    def __init__(self, user: _Optional[_Union[WebUser, _Mapping]] = ..., generated_password: _Optional[str] = ..., totp_secret: _Optional[str] = ..., totp_uri: _Optional[str] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[WebUser]
    def __init__(self, users: _Optional[_Iterable[_Union[WebUser, _Mapping]]] = ...) -> None: ...

class GrantUserRequest(_message.Message):
    __slots__ = ("name", "operations", "all_operations")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    ALL_OPERATIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    operations: _containers.RepeatedScalarFieldContainer[str]
    all_operations: bool
    def __init__(self, name: _Optional[str] = ..., operations: _Optional[_Iterable[str]] = ..., all_operations: _Optional[bool] = ...) -> None: ...

class GrantUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: WebUser
    def __init__(self, user: _Optional[_Union[WebUser, _Mapping]] = ...) -> None: ...

class DisableUserRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DisableUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: WebUser
    def __init__(self, user: _Optional[_Union[WebUser, _Mapping]] = ...) -> None: ...

class SetPasswordRequest(_message.Message):
    __slots__ = ("name", "password")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    name: str
    password: str
    def __init__(self, name: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SetPasswordResponse(_message.Message):
    __slots__ = ("user", "generated_password")
    USER_FIELD_NUMBER: _ClassVar[int]
    GENERATED_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: WebUser
    generated_password: str
    def __init__(self, user: _Optional[_Union[WebUser, _Mapping]] = ..., generated_password: _Optional[str] = ...) -> None: ...
