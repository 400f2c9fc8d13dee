from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCOPE_UNSPECIFIED: _ClassVar[Scope]
    SCOPE_ORIGIN: _ClassVar[Scope]
    SCOPE_NAMED: _ClassVar[Scope]
    SCOPE_AREA: _ClassVar[Scope]
    SCOPE_REGION: _ClassVar[Scope]
    SCOPE_RILOS: _ClassVar[Scope]
    SCOPE_GLOBAL: _ClassVar[Scope]
    SCOPE_GROUP: _ClassVar[Scope]

class Tlp(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TLP_UNSPECIFIED: _ClassVar[Tlp]
    TLP_CLEAR: _ClassVar[Tlp]
    TLP_GREEN: _ClassVar[Tlp]
    TLP_AMBER: _ClassVar[Tlp]
    TLP_AMBER_STRICT: _ClassVar[Tlp]
    TLP_RED: _ClassVar[Tlp]

class Handling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HANDLING_UNSPECIFIED: _ClassVar[Handling]
    HANDLING_H0: _ClassVar[Handling]
    HANDLING_H1: _ClassVar[Handling]
    HANDLING_H2: _ClassVar[Handling]
    HANDLING_H3: _ClassVar[Handling]
SCOPE_UNSPECIFIED: Scope
SCOPE_ORIGIN: Scope
SCOPE_NAMED: Scope
SCOPE_AREA: Scope
SCOPE_REGION: Scope
SCOPE_RILOS: Scope
SCOPE_GLOBAL: Scope
SCOPE_GROUP: Scope
TLP_UNSPECIFIED: Tlp
TLP_CLEAR: Tlp
TLP_GREEN: Tlp
TLP_AMBER: Tlp
TLP_AMBER_STRICT: Tlp
TLP_RED: Tlp
HANDLING_UNSPECIFIED: Handling
HANDLING_H0: Handling
HANDLING_H1: Handling
HANDLING_H2: Handling
HANDLING_H3: Handling

class ScopeSpec(_message.Message):
    __slots__ = ("scope", "nodes", "exclude", "group")
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    scope: Scope
    nodes: _containers.RepeatedScalarFieldContainer[str]
    exclude: _containers.RepeatedScalarFieldContainer[str]
    group: str
    def __init__(self, scope: _Optional[_Union[Scope, str]] = ..., nodes: _Optional[_Iterable[str]] = ..., exclude: _Optional[_Iterable[str]] = ..., group: _Optional[str] = ...) -> None: ...

class SharingPolicy(_message.Message):
    __slots__ = ("share", "discover", "annex", "tlp", "handling", "handling_note")
    SHARE_FIELD_NUMBER: _ClassVar[int]
    DISCOVER_FIELD_NUMBER: _ClassVar[int]
    ANNEX_FIELD_NUMBER: _ClassVar[int]
    TLP_FIELD_NUMBER: _ClassVar[int]
    HANDLING_FIELD_NUMBER: _ClassVar[int]
    HANDLING_NOTE_FIELD_NUMBER: _ClassVar[int]
    share: ScopeSpec
    discover: ScopeSpec
    annex: ScopeSpec
    tlp: Tlp
    handling: Handling
    handling_note: str
    def __init__(self, share: _Optional[_Union[ScopeSpec, _Mapping]] = ..., discover: _Optional[_Union[ScopeSpec, _Mapping]] = ..., annex: _Optional[_Union[ScopeSpec, _Mapping]] = ..., tlp: _Optional[_Union[Tlp, str]] = ..., handling: _Optional[_Union[Handling, str]] = ..., handling_note: _Optional[str] = ...) -> None: ...
