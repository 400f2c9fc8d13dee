"""Converters between the JSON shapes (docs/api.md#json-shapes-and-how-they-map-to-proto) and protobuf messages.

Enum values are written in JSON without their buf-style prefix (`DRUGS`, not
`SECTION_DRUGS`); the prefix is the enum's name in UPPER_SNAKE_CASE.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache

from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message

from rilo_node.core.errors import ValidationError
from rilo_node.core.policy import Policy, ScopeSpec, policy_from_dict_trusted
from rilo_node.pb.rilo.v1 import policy_pb2, record_pb2, seizure_pb2


@lru_cache(maxsize=None)
def enum_prefix(enum: EnumDescriptor) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_to_str(enum: EnumDescriptor, number: int) -> str:
    value = enum.values_by_number.get(number)
    if value is None:
        return str(number)
    return value.name[len(enum_prefix(enum)):]


def pb_to_dict(msg: Message) -> dict:
    """Set fields only, JSON names as in docs/api.md#json-shapes-and-how-they-map-to-proto (bytes as base64)."""
    out = {}
    for fd, value in msg.ListFields():
        if fd.is_repeated:
            out[fd.name] = [_value_to_json(fd, v) for v in value]
        else:
            out[fd.name] = _value_to_json(fd, value)
    return out


def _value_to_json(fd: FieldDescriptor, value):
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        return pb_to_dict(value)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        return enum_to_str(fd.enum_type, value)
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode()
    return value


_SCALAR, _ENUM, _MESSAGE = 0, 1, 2


@lru_cache(maxsize=None)
def _plan(desc: Descriptor) -> dict:
    """Per message type: field name -> (kind, repeated, enum name->number or message class)."""
    from google.protobuf import message_factory

    plan = {}
    for fd in desc.fields:
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            plan[fd.name] = (_MESSAGE, fd.is_repeated, message_factory.GetMessageClass(fd.message_type))
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            prefix = enum_prefix(fd.enum_type)
            names = {v.name[len(prefix):]: v.number for v in fd.enum_type.values if v.number != 0}
            plan[fd.name] = (_ENUM, fd.is_repeated, (fd.enum_type, names))
        else:
            plan[fd.name] = (_SCALAR, fd.is_repeated, None)
    return plan


def _enum(info, value, field: str) -> int:
    enum, names = info
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # evaluation information may be written 2 as well as "2"
    number = names.get(value) if isinstance(value, str) else None
    if number is None:
        raise ValidationError(field, f"{value!r} is not one of {', '.join(names)}")
    return number


def _kwargs(data: dict, desc: Descriptor, path: str) -> dict:
    if not isinstance(data, dict):
        raise ValidationError(path, "must be an object")
    plan = _plan(desc)
    kwargs = {}
    for key, value in data.items():
        entry = plan.get(key)
        field = f"{path}.{key}" if path else key
        if entry is None:
            raise ValidationError(field, "unknown field")
        if value is None:
            continue
        kind, repeated, info = entry
        if repeated:
            if not isinstance(value, list):
                raise ValidationError(field, "must be a list")
            if kind == _MESSAGE:
                value = [info(**_kwargs(v, info.DESCRIPTOR, f"{field}[{i}]")) for i, v in enumerate(value)]
            elif kind == _ENUM:
                value = [_enum(info, v, f"{field}[{i}]") for i, v in enumerate(value)]
        elif kind == _MESSAGE:
            value = info(**_kwargs(value, info.DESCRIPTOR, field))
        elif kind == _ENUM:
            value = _enum(info, value, field)
        kwargs[key] = value
    return kwargs


def dict_to_pb(data: dict, msg: Message, path: str = "") -> Message:
    """Fill msg from a JSON-shaped dict; unknown keys, unknown enum values and wrong types raise
    ValidationError naming the field."""
    try:
        built = type(msg)(**_kwargs(data, msg.DESCRIPTOR, path))
    except (TypeError, ValueError) as exc:
        raise ValidationError(_first_bad_field(data, msg.DESCRIPTOR, path) or path, f"wrong type: {exc}") from None
    msg.MergeFrom(built)
    return msg


def _first_bad_field(data: dict, desc: Descriptor, path: str) -> str:
    """Name the field a constructor refused (the slow path, taken for errors only)."""
    from google.protobuf import message_factory

    plan = _plan(desc)
    cls = message_factory.GetMessageClass(desc)
    for key, value in data.items():
        field = f"{path}.{key}" if path else key
        kind, repeated, info = plan[key]
        if kind == _MESSAGE and isinstance(value, (list, dict)):
            items = list(enumerate(value)) if repeated and isinstance(value, list) else [(None, value)]
            for i, v in items:
                if isinstance(v, dict):
                    bad = _first_bad_field(v, info.DESCRIPTOR, f"{field}[{i}]" if i is not None else field)
                    if bad:
                        return bad
            continue
        try:
            cls(**_kwargs({key: value}, desc, path))
        except (TypeError, ValueError):
            return field
    return ""


# -- seizures ---------------------------------------------------------------------

def seizure_to_pb(body: dict) -> seizure_pb2.SeizureCase:
    return dict_to_pb(body, seizure_pb2.SeizureCase())


def seizure_from_bytes(body: bytes) -> dict:
    msg = seizure_pb2.SeizureCase()
    msg.ParseFromString(body)
    return pb_to_dict(msg)


def annex_to_pb(annex: dict) -> seizure_pb2.SeizureAnnex:
    return dict_to_pb(annex, seizure_pb2.SeizureAnnex())


def annex_from_bytes(annex: bytes) -> dict:
    msg = seizure_pb2.SeizureAnnex()
    msg.ParseFromString(annex)
    return pb_to_dict(msg)


# -- policy -----------------------------------------------------------------------

def _spec_to_pb(spec: ScopeSpec) -> policy_pb2.ScopeSpec:
    return policy_pb2.ScopeSpec(
        scope=policy_pb2.Scope.Value("SCOPE_" + spec.scope), nodes=list(spec.nodes), exclude=list(spec.exclude),
        group=spec.group,
    )


def policy_to_pb(policy: Policy) -> policy_pb2.SharingPolicy:
    """An explicit policy (every scope resolved) as it goes into a signed header."""
    msg = policy_pb2.SharingPolicy(
        share=_spec_to_pb(policy.share),
        discover=_spec_to_pb(policy.discover),
        annex=_spec_to_pb(policy.annex),
        handling=policy_pb2.Handling.Value("HANDLING_" + policy.handling),
        handling_note=policy.handling_note,
    )
    if policy.tlp:
        msg.tlp = policy_pb2.Tlp.Value("TLP_" + policy.tlp)
    return msg


def policy_from_pb(msg: policy_pb2.SharingPolicy) -> Policy:
    """A policy from a verified header (its node ids need not be in this node's directory)."""
    return policy_from_dict_trusted(pb_to_dict(msg))


# -- records ----------------------------------------------------------------------

def key_to_pb(origin: str, record_id: str, version: int) -> record_pb2.RecordKey:
    return record_pb2.RecordKey(origin=origin, record_id=record_id, version=version)


def kind_name(kind: int) -> str:
    return enum_to_str(record_pb2.RecordKind.DESCRIPTOR, kind)
