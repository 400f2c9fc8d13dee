"""`rilo-node request ...` and `rilo-node seizure validate|return|validations`."""

from __future__ import annotations

from rilo_node.cli.argtypes import MAX_LIST, bounded_int, upper
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.inputs import read_json_file
from rilo_node.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    event_json,
    key_json,
    key_str,
    print_json,
    print_request,
    print_request_list,
    print_validations,
    summary_json,
    validation_json,
)
from rilo_node.core.convert import dict_to_pb, pb_to_dict
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2

ASSISTANCE = ("INFORMATION", "VERIFICATION", "SURVEILLANCE", "NOTIFICATION", "CONTROLLED_DELIVERY", "OTHER")
URGENCY = ("ROUTINE", "URGENT", "IMMEDIATE")
RESPONSE_STATUS = ("ACKNOWLEDGED", "IN_PROGRESS", "ANSWERED", "PARTIALLY_ANSWERED", "REFUSED", "POSTPONED")
REQUEST_STATUS = ("SENT", *RESPONSE_STATUS, "CLOSED")
# `request create` flags and the AssistanceRequest field each one sets.
CREATE_FLAGS = {"to": "addressee", "type": "assistance", "basis": "legal_basis", "subject": "subject",
                "facts": "facts", "urgency": "urgency", "due": "due_date", "contact": "contact"}


def record_key(text: str, flag: str, *, need_origin: bool = True) -> record_pb2.RecordKey:
    """ORIGIN/RECORD_ID (a trailing /vN is allowed and ignored), or RECORD_ID alone where allowed."""
    parts = text.strip().split("/")
    if len(parts) == 3 and parts[2].startswith("v"):
        parts = parts[:2]
    if len(parts) == 2 and all(parts):
        return record_pb2.RecordKey(origin=parts[0], record_id=parts[1])
    if len(parts) == 1 and parts[0] and not need_origin:
        return record_pb2.RecordKey(record_id=parts[0])
    raise CliError(f"{flag}: {text!r} is not ORIGIN/RECORD_ID", EXIT_BAD_INPUT)


# -- request create|list|show|respond|close ------------------------------------------

def cmd_request_create(args) -> int:
    data = {}
    if args.file:
        data = read_json_file(args.file)
        if not isinstance(data, dict):
            raise CliError(f"{args.file}: a request must be a JSON object", EXIT_BAD_INPUT)
    for flag, field in CREATE_FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            data[field] = value
    if args.about:
        data["records"] = [{"origin": k.origin, "record_id": k.record_id}
                           for k in (record_key(a, "--about") for a in args.about)]
    record_id = args.id or data.pop("record_id", None) or ""
    data.pop("record_id", None)
    if not isinstance(record_id, str):
        raise CliError(f"{args.file}: record_id: must be text (a ULID or UUID)", EXIT_BAD_INPUT)
    with client_of(args) as c:
        if args.via_rilo:
            status = call(c.admin.GetStatus, node_pb2.GetStatusRequest(), args)
            if status.role != "member" or not status.area:
                raise CliError(f"--via-rilo: node {status.node_id} reports to no RILO", EXIT_BAD_INPUT)
            data["via_rilo"] = status.area
        try:
            msg = dict_to_pb(data, request_pb2.AssistanceRequest(), "request")
        except ValidationError as exc:
            raise CliError(str(exc), EXIT_BAD_INPUT) from None
        except (TypeError, ValueError) as exc:
            raise CliError(f"request: {exc}", EXIT_BAD_INPUT) from None
        resp = call(c.requests.CreateRequest, request_pb2.CreateRequestRequest(record_id=record_id, request=msg), args)
    if args.json:
        print_json(key_json(resp.key, created=resp.created))
    else:
        print(f"{'sent' if resp.created else 'already sent'}: {key_str(resp.key)}")
    return EXIT_OK


def cmd_request_list(args) -> int:
    box = request_pb2.REQUEST_BOX_ALL
    if args.inbox:
        box = request_pb2.REQUEST_BOX_INBOX
    elif args.outbox:
        box = request_pb2.REQUEST_BOX_OUTBOX
    status = request_pb2.RequestStatus.Value("REQUEST_STATUS_" + args.status) if args.status else 0
    with client_of(args) as c:
        resp = call(c.requests.ListRequests, request_pb2.ListRequestsRequest(
            box=box, overdue_only=args.overdue, status=status, limit=args.limit), args)
    rows = [summary_json(s) for s in resp.requests]
    if args.json:
        print_json({"requests": rows})
    else:
        print_request_list(rows)
    return EXIT_OK


def cmd_request_show(args) -> int:
    with client_of(args) as c:
        resp = call(c.requests.GetRequest, request_pb2.GetRequestRequest(
            request=record_key(args.request, "REQUEST", need_origin=False)), args)
    out = {**summary_json(resp.summary), "request": pb_to_dict(resp.request),
           "events": [event_json(e) for e in resp.events]}
    if args.json:
        print_json(out)
    else:
        print_request(out)
    return EXIT_OK


def cmd_request_respond(args) -> int:
    records = [record_key(r, "--records") for r in (args.records.split(",") if args.records else [])]
    request = request_pb2.RespondToRequestRequest(
        request=record_key(args.request, "REQUEST", need_origin=False),
        status=request_pb2.ResponseStatus.Value("RESPONSE_STATUS_" + args.status), text=args.text or "",
        reason=args.reason or "", records=records, release=args.release or args.with_annex,
        release_annex=args.with_annex, record_id=args.id or "")
    with client_of(args) as c:
        resp = call(c.requests.RespondToRequest, request, args)
    if args.json:
        print_json({**key_json(resp.key), "released": [key_json(k) for k in resp.released]})
    else:
        print(f"responded: {key_str(resp.key)}")
        for k in resp.released:
            print(f"released: {key_str(k)}")
    return EXIT_OK


def cmd_request_close(args) -> int:
    with client_of(args) as c:
        resp = call(c.requests.CloseRequest, request_pb2.CloseRequestRequest(
            request=record_key(args.request, "REQUEST", need_origin=False), text=args.text or ""), args)
    print_json(key_json(resp.key)) if args.json else print(f"closed: {key_str(resp.key)}")
    return EXIT_OK


# -- seizure validate|return|validations -------------------------------------------------

def _validate(args, verdict: int) -> int:
    with client_of(args) as c:
        resp = call(c.validation.ValidateSeizure, request_pb2.ValidateSeizureRequest(
            origin=args.origin, record_id=args.record_id, verdict=verdict, comments=args.comment or ""), args)
    if args.json:
        print_json({"endorsement": key_json(resp.key), "seizure": key_json(resp.seizure)})
    else:
        what = "validated" if verdict == request_pb2.ENDORSEMENT_VERDICT_ENDORSED else "returned"
        print(f"{what}: {key_str(resp.seizure)} (endorsement {key_str(resp.key)})")
    return EXIT_OK


def cmd_seizure_validate(args) -> int:
    return _validate(args, request_pb2.ENDORSEMENT_VERDICT_ENDORSED)


def cmd_seizure_return(args) -> int:
    return _validate(args, request_pb2.ENDORSEMENT_VERDICT_RETURNED)


def cmd_seizure_validations(args) -> int:
    with client_of(args) as c:
        resp = call(c.validation.ListValidations, request_pb2.ListValidationsRequest(
            pending_only=args.pending, limit=args.limit), args)
    rows = [validation_json(v) for v in resp.seizures]
    if args.json:
        print_json({"seizures": rows})
    else:
        print_validations(rows, args.pending)
    return EXIT_OK


# -- parsers ---------------------------------------------------------------------------

def add_parsers(sub) -> None:
    """request create, list, show, respond, close."""
    request = sub.add_parser("request", help="requests for assistance between administrations").add_subparsers(
        dest="action", required=True)

    p = request.add_parser("create", help="sign and send a request; prints its key")
    p.add_argument("--to", metavar="NODE", help="the addressee (a node id, e.g. jp)")
    p.add_argument("--via-rilo", action="store_true", help="route it through this node's RILO")
    p.add_argument("--type", type=upper, choices=ASSISTANCE, help="the type of assistance")
    p.add_argument("--basis", metavar="TEXT", help="legal basis: the agreement or convention article invoked")
    p.add_argument("--subject", metavar="TEXT")
    p.add_argument("--facts", metavar="TEXT", help="summary of the facts and of the enquiries already made")
    p.add_argument("--urgency", type=upper, choices=URGENCY, help="default ROUTINE")
    p.add_argument("--due", metavar="DATE", help="due date, YYYY-MM-DD")
    p.add_argument("--about", metavar="ORIGIN/RECORD_ID", action="append", help="a record it concerns (repeatable)")
    p.add_argument("--contact", metavar="TEXT", help="the designated contact officer")
    p.add_argument("--file", help="the request as JSON (flags override it), or - for standard input")
    p.add_argument("--id", metavar="RECORD_ID", help="a ULID or UUID: sending again with it never duplicates")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_request_create)

    p = request.add_parser("list", help="requests this node sent or received, with their derived status")
    box = p.add_mutually_exclusive_group()
    box.add_argument("--inbox", action="store_true", help="addressed to this node")
    box.add_argument("--outbox", action="store_true", help="sent by this node")
    p.add_argument("--overdue", action="store_true", help="only open requests past their due date")
    p.add_argument("--status", type=upper, choices=REQUEST_STATUS)
    p.add_argument("--limit", type=bounded_int(1, MAX_LIST), default=1000, help=f"at most {MAX_LIST} (default 1000)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_request_list)

    p = request.add_parser("show", help="one request with its responses, closure and notices")
    p.add_argument("request", metavar="REQUEST", help="ORIGIN/RECORD_ID, or RECORD_ID")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_request_show)

    p = request.add_parser("respond", help="the addressee's response (a signed record of its own)")
    p.add_argument("request", metavar="REQUEST", help="ORIGIN/RECORD_ID, or RECORD_ID")
    p.add_argument("--status", required=True, type=upper, choices=RESPONSE_STATUS)
    p.add_argument("--text", help="the answer")
    p.add_argument("--reason", help="required with REFUSED and POSTPONED")
    p.add_argument("--records", metavar="ORIGIN/ID,...", help="records the answer refers to")
    p.add_argument("--release", action="store_true",
                   help="release this node's records the request concerns to the requester (a new version each)")
    p.add_argument("--with-annex", action="store_true", help="release their annex too (implies --release)")
    p.add_argument("--id", metavar="RECORD_ID", help="a ULID or UUID: responding again with it never duplicates")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_request_respond)

    p = request.add_parser("close", help="the requester closes its request")
    p.add_argument("request", metavar="REQUEST", help="ORIGIN/RECORD_ID, or RECORD_ID")
    p.add_argument("--text", help="a closing note")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_request_close)


def add_seizure_parsers(seizure) -> None:
    """validate, return, validations under `seizure` (after records.py's add, import, update)."""
    for name, func, help_text in (
        ("validate", cmd_seizure_validate, "(a RILO) validate a member's seizure: it may go beyond the region"),
        ("return", cmd_seizure_return, "(a RILO) return a member's seizure for correction, with comments"),
    ):
        p = seizure.add_parser(name, help=help_text)
        p.add_argument("origin", metavar="ORIGIN")
        p.add_argument("record_id", metavar="RECORD_ID")
        p.add_argument("--comment", required=name == "return", help="what to correct" if name == "return" else None)
        p.add_argument("--json", action="store_true")
        add_connection_args(p)
        p.set_defaults(func=func)

    p = seizure.add_parser("validations", help="seizures and their validation state (members' at a RILO, own at a member)")
    p.add_argument("--pending", action="store_true", help="only those without a verdict on their current body")
    p.add_argument("--limit", type=bounded_int(1, MAX_LIST), default=1000, help=f"at most {MAX_LIST} (default 1000)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_seizure_validations)

