"""What the pages show in words: enum names, TLP and handling, policies. Display only, no decisions."""

from __future__ import annotations

from rilo_node.core.convert import enum_to_str
from rilo_node.pb.rilo.v1 import policy_pb2, request_pb2, seizure_pb2

TLP_WORDS = {
    "CLEAR": "TLP:CLEAR (no limit on disclosure)",
    "GREEN": "TLP:GREEN (the community, not public)",
    "AMBER": "TLP:AMBER (the recipients' organisations, need to know)",
    "AMBER_STRICT": "TLP:AMBER+STRICT (the recipients' organisation only)",
    "RED": "TLP:RED (the named recipients only)",
}
HANDLING_WORDS = {
    "H0": "H0: use for enforcement purposes only",
    "H1": "H1: not for judicial use without the origin's permission",
    "H2": "H2: no onward dissemination without permission",
    "H3": "H3: other restrictions (see the note)",
}
SCOPE_WORDS = {
    "ORIGIN": "the origin only", "NAMED": "the origin and the nodes named", "AREA": "the origin's RILO area",
    "REGION": "the origin's region", "RILOS": "the origin and every RILO", "GLOBAL": "every node of the network",
    "GROUP": "the members of the operation",
}


def enum_name(enum_descriptor, number: int) -> str:
    return enum_to_str(enum_descriptor, number) if number else ""


def tlp_name(number: int) -> str:
    return enum_name(policy_pb2.Tlp.DESCRIPTOR, number) or "UNSET"


def handling_name(number: int) -> str:
    return enum_name(policy_pb2.Handling.DESCRIPTOR, number) or "H0"


def section_name(number: int) -> str:
    return enum_name(seizure_pb2.Section.DESCRIPTOR, number)


def category_name(number: int) -> str:
    return enum_name(seizure_pb2.Category.DESCRIPTOR, number)


def request_status(number: int) -> str:
    return enum_name(request_pb2.RequestStatus.DESCRIPTOR, number)


def assistance(number: int) -> str:
    return enum_name(request_pb2.AssistanceType.DESCRIPTOR, number)


def urgency(number: int) -> str:
    return enum_name(request_pb2.Urgency.DESCRIPTOR, number)


def scope_words(spec: dict | None, default: str) -> str:
    """`{"scope": "REGION", "nodes": [...], "exclude": [...], "group": ...}` in words."""
    spec = spec or {}
    scope = spec.get("scope") or default
    text = SCOPE_WORDS.get(scope, scope)
    if scope == "GROUP" and spec.get("group"):
        text += f" {spec['group']}"
    if spec.get("nodes"):
        text += ", and " + ", ".join(spec["nodes"])
    if spec.get("exclude"):
        text += ", but not " + ", ".join(spec["exclude"])
    return text
