"""Search rows of seizures, and of request, response, closure, notice and endorsement records.

They are derived from the signed bytes only (`rilo-node reindex` rebuilds
them) and written in the same transaction as the record they come from.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from rilo_node.core.convert import enum_prefix, enum_to_str
from rilo_node.core.replication import named_policy
from rilo_node.pb.rilo.v1 import record_pb2, request_pb2, seizure_pb2

REQUEST = record_pb2.RECORD_KIND_REQUEST
RESPONSE = record_pb2.RECORD_KIND_RESPONSE
CLOSURE = record_pb2.RECORD_KIND_CLOSURE
NOTICE = record_pb2.RECORD_KIND_NOTICE
ENDORSEMENT = record_pb2.RECORD_KIND_ENDORSEMENT
EVENT_KINDS = (RESPONSE, CLOSURE, NOTICE)
KINDS = (REQUEST, *EVENT_KINDS, ENDORSEMENT)

BODY_TYPES = {
    REQUEST: request_pb2.AssistanceRequest,
    RESPONSE: request_pb2.RequestResponse,
    CLOSURE: request_pb2.RequestClosure,
    NOTICE: request_pb2.RequestNotice,
    ENDORSEMENT: request_pb2.Endorsement,
}


def name(enum, number: int) -> str:
    return enum_to_str(enum.DESCRIPTOR, number)


def known_enum(enum, value: int) -> bool:
    """A value the enum names, other than its UNSPECIFIED zero (proto3 enums accept any number)."""
    return value != 0 and value in enum.DESCRIPTOR.values_by_number



def _date(value: str) -> bool:
    try:
        return len(value) == 10 and dt.date.fromisoformat(value) is not None
    except ValueError:
        return False


def parse_body(kind: int, body: bytes, header: record_pb2.RecordHeader | None = None,
               known_node=lambda node_id: True):
    """The body message of a received record of one of KINDS, or ValueError saying why it is refused:
    an unknown enum value, a bad date, an unknown node, or (for a request) a policy that is not
    NAMED to exactly its parties, so that no node answers into a wider audience than the request's."""
    msg = BODY_TYPES[kind].FromString(body)
    if kind == REQUEST:
        if not known_node(msg.addressee) or (msg.via_rilo and not known_node(msg.via_rilo)):
            raise ValueError(f"a request to an unknown node {msg.addressee!r}")
        if not known_enum(request_pb2.AssistanceType, msg.assistance) or not known_enum(request_pb2.Urgency, msg.urgency):
            raise ValueError("a request with an unknown type of assistance or urgency")
        if not _date(msg.due_date):
            raise ValueError(f"a request with a bad due date {msg.due_date!r}")
        if header is not None:
            parties = sorted({header.origin, msg.addressee} | ({msg.via_rilo} if msg.via_rilo else set()))
            if header.policy != named_policy(parties, header.policy.handling):
                raise ValueError("a request whose policy is not NAMED to exactly its parties")
    elif kind == ENDORSEMENT:
        if not msg.seizure.origin or not msg.seizure.record_id or not known_enum(request_pb2.EndorsementVerdict,
                                                                               msg.verdict):
            raise ValueError("an endorsement names no seizure or no known verdict")
    else:
        if not msg.request.origin or not msg.request.record_id:
            raise ValueError("names no request")
        if kind == RESPONSE and not known_enum(request_pb2.ResponseStatus, msg.status):
            raise ValueError(f"a response with an unknown status {msg.status}")
        if kind == NOTICE and (not known_enum(request_pb2.NoticeType, msg.type) or not _date(msg.due_date)
                               or not known_enum(request_pb2.Urgency, msg.urgency)
                               or not known_enum(request_pb2.AssistanceType, msg.assistance)):
            raise ValueError("a notice with an unknown type, urgency, assistance or a bad due date")
    return msg


def unproject_txn(conn: sqlite3.Connection, origin: str, record_id: str) -> None:
    for table in ("requests", "request_events", "endorsements"):
        conn.execute(f"DELETE FROM {table} WHERE origin = ? AND record_id = ?", (origin, record_id))


def project_txn(conn: sqlite3.Connection, header: record_pb2.RecordHeader, body: bytes | None, msg=None) -> None:
    """(Re)write the row of one held record of KINDS; a retracted or withdrawn one has none."""
    unproject_txn(conn, header.origin, header.record_id)
    if header.retracted or not body:
        return
    msg = msg if msg is not None else BODY_TYPES[header.kind].FromString(body)
    key = (header.origin, header.record_id)
    if header.kind == REQUEST:
        conn.execute(
            "INSERT INTO requests (origin, record_id, addressee, via_rilo, assistance, urgency, subject, due_date, "
            "created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (*key, msg.addressee, msg.via_rilo, name(request_pb2.AssistanceType, msg.assistance),
             name(request_pb2.Urgency, msg.urgency), msg.subject, msg.due_date, header.created_at),
        )
    elif header.kind == ENDORSEMENT:
        conn.execute(
            "INSERT INTO endorsements (origin, record_id, seizure_origin, seizure_id, seizure_version, body_sha256, "
            "verdict, comments, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (*key, msg.seizure.origin, msg.seizure.record_id, msg.seizure.version, msg.body_sha256,
             name(request_pb2.EndorsementVerdict, msg.verdict), msg.comments, header.created_at),
        )
    else:
        if header.kind == RESPONSE:
            status = name(request_pb2.ResponseStatus, msg.status)
        elif header.kind == NOTICE:
            status = name(request_pb2.NoticeType, msg.type)
        else:
            status = "CLOSED"
        conn.execute(
            "INSERT INTO request_events (origin, record_id, kind, request_origin, request_id, status, created_at) "
            "VALUES (?,?,?,?,?,?,?)",
            (*key, header.kind, msg.request.origin, msg.request.record_id, status, header.created_at),
        )


# -- seizure rows ------------------------------------------------------------------------------------

def _names(enum) -> dict[int, str]:
    prefix = enum_prefix(enum.DESCRIPTOR)
    return {v.number: v.name[len(prefix):] for v in enum.DESCRIPTOR.values if v.number}


_ENUM_NAMES = {
    "location_type": _names(seizure_pb2.LocationType), "direction": _names(seizure_pb2.Direction),
    "detection": _names(seizure_pb2.Detection), "conveyance": _names(seizure_pb2.Conveyance),
    "concealment": _names(seizure_pb2.Concealment),
}
_SECTION_NAMES = _names(seizure_pb2.Section)
_CATEGORY_NAMES = _names(seizure_pb2.Category)
_UNIT_NAMES = _names(seizure_pb2.Unit)


def seizure_rows(origin: str, record_id: str, version: int, msg: seizure_pb2.SeizureCase,
                 policy: bytes | None = None) -> tuple[dict, list[dict]]:
    """The search rows of one seizure (a `seizures` row and its `seizure_items` rows), read from the
    SeizureCase as signed: rebuildable from the signed bytes. `policy` is the serialized
    SharingPolicy of its header."""
    items = []
    for n, it in enumerate(msg.items):
        item = {"idx": n, "section": _SECTION_NAMES.get(it.section), "category": _CATEGORY_NAMES.get(it.category)}
        if it.commodity:
            item["commodity"] = it.commodity
        if it.hs_code:
            item["hs_code"] = it.hs_code
        if it.HasField("quantity"):
            item["quantity"] = it.quantity
        if it.unit:
            item["unit"] = _UNIT_NAMES.get(it.unit)
        if it.currency:
            item["currency"] = it.currency
        if it.HasField("value_usd"):
            item["value_usd"] = it.value_usd
        items.append(item)
    route = [msg.departure_country, *msg.transit_countries, msg.destination_country]
    row = {
        "origin": origin,
        "record_id": record_id,
        "version": version,
        "seizure_date": msg.seizure_date or None,
        "month": msg.seizure_date[:7] or None,
        "country": msg.country or None,
        **{field: names.get(getattr(msg, field)) for field, names in _ENUM_NAMES.items()},
        "departure_country": msg.departure_country or None,
        "destination_country": msg.destination_country or None,
        # Padded with spaces so that LIKE '% XX %' matches whole codes only.
        "route_countries": " " + " ".join(c for c in route if c) + " ",
        "ecommerce": int(msg.ecommerce) if msg.HasField("ecommerce") else None,
        "sections": " " + " ".join(sorted({i["section"] for i in items})) + " ",
        "categories": " " + " ".join(sorted({i["category"] for i in items})) + " ",
        "items": len(items),
        "description": msg.description,
        "commodities": " ".join(i["commodity"] for i in items if "commodity" in i),
        "policy": policy,
    }
    return row, items
