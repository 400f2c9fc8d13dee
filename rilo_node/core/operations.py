"""Operations (closed user groups, docs/protocol.md#operations): the operation record, its membership
over time, messages, and the report. Pure: data (and `now`) in, decisions out."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from rilo_node.core.errors import PolicyError, ValidationError
from rilo_node.core.policy import Policy, groups_named, is_operation_id
from rilo_node.core.topology import Directory
from rilo_node.pb.rilo.v1 import operation_pb2, policy_pb2

OPEN = operation_pb2.OPERATION_STATUS_OPEN
CLOSED = operation_pb2.OPERATION_STATUS_CLOSED
MAX_TEXT = 4000
MAX_NAME = 200
MAX_PURPOSE = 2000
MAX_MEMBERS = 500
MAX_REFS = 50
_REF = re.compile(r"([a-z0-9-]{2,32})/([A-Za-z0-9._:-]{1,128})")


def status_name(status: int) -> str:
    return "CLOSED" if status == CLOSED else "OPEN"


# --- membership ------------------------------------------------------------------

def membership(op: operation_pb2.Operation) -> frozenset[str]:
    """members(op) as the policy rule reads it: the owner and the members while it is open; after the
    close the owner alone (it keeps the archive)."""
    if op.status == CLOSED:
        return frozenset({op.owner})
    return frozenset({op.owner, *op.members})


def groups_of(ops: Iterable[operation_pb2.Operation]) -> dict[str, frozenset[str]]:
    """The `groups` input of the policy rule from the operation records a node holds."""
    return {op.operation_id: membership(op) for op in ops}


def is_member(op: operation_pb2.Operation | None, node: str) -> bool:
    """Whether `node` may use the operation (see it, post, share to it): a member while it is open;
    the owner always (its archive)."""
    if op is None:
        return False
    return node == op.owner or (op.status != CLOSED and node in op.members)


def check_group_origin(policy: Policy, origin: str, ops: Mapping[str, operation_pb2.Operation], *,
                       received: bool = False) -> None:
    """A record whose origin is not a member of a group its policy names, or that names an operation
    the evaluating node does not hold, is refused (PolicyError naming the field). A received record
    from a removed member was shared while it was one (`received`): it stays with the group."""
    for group in sorted(groups_named(policy)):
        op = ops.get(group)
        if op is None:
            raise PolicyError("policy.share.group", f"{origin} is not a member of an operation {group!r}")
        if op.status == CLOSED and not received:
            raise PolicyError("policy.share.group", f"operation {group!r} is closed: nothing more is shared to it")
        allowed = set(membership(op))
        if received:
            allowed |= set(op.members) | set(op.removed) | {op.owner}
        if origin not in allowed:
            raise PolicyError("policy.share.group", f"{origin} is not a member of an operation {group!r}")


def lost_by(node: str, op: operation_pb2.Operation | None) -> bool:
    """True when `node` no longer has the group's records: not a member of this version (or no
    version held, the operation withdrawn from it), or the operation is closed and it is not the owner."""
    return op is None or node not in membership(op)


def to_withdraw(node: str, keys: Iterable[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """The withdrawals a node that lost a group applies: every group record but its own, each above
    the version held (so that none of those versions is taken again)."""
    return [(o, r, v + 1) for o, r, v in keys if o != node]


# --- the operation record ------------------------------------------------------------

def parse_when(text: str, field: str) -> datetime:
    """An ISO 8601 date (the end of that day, UTC) or date and time (UTC when no offset is given)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(field, "expected an ISO 8601 date or time")
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(23, 59, 59, 999999), UTC)
        dt = datetime.fromisoformat(text)  # 3.11 reads a trailing Z
    except ValueError:
        raise ValidationError(field, f"{text!r} is not an ISO 8601 date or time (2026-12-31 or "
                                     "2026-12-31T18:00:00Z)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_ends(ends: str, now: datetime) -> str:
    if not ends:
        return ""
    when = parse_when(ends, "ends")
    if when <= now:
        raise ValidationError("ends", f"{ends} is in the past")
    return _iso(when)


def _check_members(ids: Iterable[str], directory: Directory, field: str) -> list[str]:
    out = []
    for i, node in enumerate(ids):
        if not isinstance(node, str) or node not in directory:
            raise ValidationError(f"{field}[{i}]", f"unknown node {node!r}")
        out.append(node)
    return out


def new_operation(*, operation_id: str, name: str, purpose: str, owner: str, members: Iterable[str],
                  ends: str, now: datetime, directory: Directory) -> operation_pb2.Operation:
    """The first version of an operation; ValidationError naming the field for bad input."""
    if not is_operation_id(operation_id):
        raise ValidationError("operation_id", f"{operation_id!r} is not an operation id (op- then lower-case "
                                              "letters, digits and dashes)")
    name = (name or "").strip()
    if not name:
        raise ValidationError("name", "an operation needs a name")
    if len(name) > MAX_NAME:
        raise ValidationError("name", f"longer than {MAX_NAME} characters")
    if len(purpose or "") > MAX_PURPOSE:
        raise ValidationError("purpose", f"longer than {MAX_PURPOSE} characters")
    listed = _check_members(list(members), directory, "members")
    others = sorted(set(listed) - {owner})
    if not others:
        raise ValidationError("members", "an operation needs at least one member besides its owner")
    if len(others) + 1 > MAX_MEMBERS:
        raise ValidationError("members", f"at most {MAX_MEMBERS} members")
    return operation_pb2.Operation(
        operation_id=operation_id, name=name, purpose=purpose or "", owner=owner, members=sorted({owner, *others}),
        starts=_iso(now), ends=_check_ends(ends, now), status=OPEN)


def changed(op: operation_pb2.Operation, *, add: Iterable[str] = (), remove: Iterable[str] = (), ends: str = "",
            now: datetime, directory: Directory) -> operation_pb2.Operation:
    """The next version: members added or removed, `ends` moved. Only an open operation changes."""
    if op.status == CLOSED:
        raise ValidationError("operation_id", f"operation {op.operation_id} is closed")
    add, remove = _check_members(list(add), directory, "add"), _check_members(list(remove), directory, "remove")
    if not (add or remove or ends):
        raise ValidationError("add", "nothing to change: name members to add or remove, or a new end")
    if op.owner in remove:
        raise ValidationError("remove", f"{op.owner} owns the operation; it cannot be removed")
    members = set(op.members)
    for i, node in enumerate(remove):
        if node not in members:
            raise ValidationError(f"remove[{i}]", f"{node} is not a member")
    new_members = (members | set(add)) - set(remove)
    if len(new_members) > MAX_MEMBERS:
        raise ValidationError("add", f"at most {MAX_MEMBERS} members")
    out = operation_pb2.Operation()
    out.CopyFrom(op)
    del out.members[:]
    out.members.extend(sorted(new_members))
    removed = (set(op.removed) | set(remove)) - set(add)
    del out.removed[:]
    out.removed.extend(sorted(removed))
    if ends:
        out.ends = _check_ends(ends, now)
    return out


def closed(op: operation_pb2.Operation) -> operation_pb2.Operation:
    out = operation_pb2.Operation()
    out.CopyFrom(op)
    out.status = CLOSED
    return out


def due_to_close(op: operation_pb2.Operation, now: datetime) -> bool:
    """Past `ends`, the owner's node closes it."""
    return op.status != CLOSED and bool(op.ends) and parse_when(op.ends, "ends") <= now


def check_operation_body(op: operation_pb2.Operation, signer: str, directory_has) -> None:
    """A received operation record: signed by its owner, ids well formed (ValidationError otherwise)."""
    if not is_operation_id(op.operation_id):
        raise ValidationError("operation_id", f"{op.operation_id!r} is not an operation id")
    if op.owner != signer:
        raise ValidationError("owner", f"{op.owner} owns the operation; {signer} may not sign it")
    if op.status not in (OPEN, CLOSED):
        raise ValidationError("status", "must be OPEN or CLOSED")
    for i, node in enumerate(op.members):
        if not directory_has(node):
            raise ValidationError(f"members[{i}]", f"unknown node {node!r}")


def operation_policy(op: operation_pb2.Operation) -> policy_pb2.SharingPolicy:
    """Only its members hold the operation record (the closed version too, so that they learn of the
    close); no one else can discover it."""
    return policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_NAMED, nodes=sorted(set(op.members) - {op.owner})),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=policy_pb2.HANDLING_H0,
    )


def group_policy(operation_id: str) -> policy_pb2.SharingPolicy:
    """What messages are shared with: the group, discovered by the group only."""
    return policy_pb2.SharingPolicy(
        share=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GROUP, group=operation_id),
        discover=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_GROUP, group=operation_id),
        annex=policy_pb2.ScopeSpec(scope=policy_pb2.SCOPE_ORIGIN),
        handling=policy_pb2.HANDLING_H0,
    )


# --- messages ---------------------------------------------------------------------------

def check_message(operation_id: str, text: str, refs: Iterable[str]) -> operation_pb2.OperationMessage:
    """A message as its member posts it: 1 to 4,000 characters; refs "origin/record_id"."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("text", "a message needs text")
    if len(text) > MAX_TEXT:
        raise ValidationError("text", f"{len(text)} characters; at most {MAX_TEXT}")
    refs = list(refs)
    if len(refs) > MAX_REFS:
        raise ValidationError("refs", f"at most {MAX_REFS} references")
    for i, ref in enumerate(refs):
        if not isinstance(ref, str) or not _REF.fullmatch(ref):
            raise ValidationError(f"refs[{i}]", f"{ref!r} is not ORIGIN/RECORD_ID")
    return operation_pb2.OperationMessage(operation_id=operation_id, text=text, refs=refs)


def split_ref(ref: str) -> tuple[str, str]:
    origin, record_id = ref.split("/", 1)
    return origin, record_id


# --- the report --------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupRow:
    """One record shared to the group, as the report reads it."""

    origin: str
    kind: str  # "MESSAGE" or another record kind
    created_at: str
    items: tuple[tuple[str, str], ...] = ()  # (section, category) of a seizure's items


def report(members: Iterable[str], rows: Iterable[GroupRow]) -> dict:
    """Per member, records and messages shared; seizures by section and category; a timeline by day."""
    per = {m: Counter() for m in sorted(set(members))}
    sections: Counter = Counter()
    days: dict[str, Counter] = {}
    for row in rows:
        what = "messages" if row.kind == "MESSAGE" else "records"
        per.setdefault(row.origin, Counter())[what] += 1
        days.setdefault(row.created_at[:10], Counter())[what] += 1
        for section, category in set(row.items):
            sections[(section, category)] += 1
    return {
        "members": [{"node": m, "records": c["records"], "messages": c["messages"]} for m, c in sorted(per.items())],
        "seizures": [{"section": s, "category": c, "count": n}
                     for (s, c), n in sorted(sections.items(), key=lambda x: (-x[1], x[0]))],
        "timeline": [{"day": d, "records": c["records"], "messages": c["messages"]} for d, c in sorted(days.items())],
    }
