"""`rilo-node status`, `audit` and `security-events`: a running node about itself (its Admin service)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone

from rilo_node.cli.argtypes import INT64_MAX, MAX_LIST, bounded_int, lower
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.output import (
    EXIT_OK,
    audit_json,
    audit_line,
    print_json,
    print_status,
    security_event_json,
    security_event_line,
    status_json,
)
from rilo_node.cli.keys import certificate_warning
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.events import SECURITY_EVENT_KINDS, parse_rfc3339
from rilo_node.pb.rilo.v1 import keys_pb2, keys_pb2_grpc, node_pb2


def cmd_status(args) -> int:
    with client_of(args) as c:
        resp = call(c.admin.GetStatus, node_pb2.GetStatusRequest(), args)
        try:  # the certificate's expiry and the directory version (KeyAdminService)
            keys = call(keys_pb2_grpc.KeyAdminServiceStub(c.channel).ListKeys, keys_pb2.ListKeysRequest(), args)
        except CliError:
            keys = None
    data = status_json(resp)
    if keys is not None:
        data["certificate_not_after"] = keys.certificate_not_after or None
        data["directory_version"] = keys.directory_version
        data["quarantined"] = keys.quarantined
    if args.json:
        print_json(data)
    else:
        print_status(data)
        if keys is not None:
            print(f"  directory version {keys.directory_version}, certificate valid until "
                  f"{keys.certificate_not_after or '-'}, quarantined records: {keys.quarantined}")
    warning = certificate_warning(keys.certificate_not_after, datetime.now(timezone.utc)) if keys else None
    if warning:
        print(f"rilo-node: {warning}", file=sys.stderr)
    return EXIT_OK


def cmd_audit(args) -> int:
    with client_of(args) as c:
        resp = call(c.admin.ListAudit, node_pb2.ListAuditRequest(limit=args.limit, after_id=args.after_id), args)
    for e in resp.entries:
        if args.json:
            print_json(audit_json(e))
        else:
            print(audit_line(e))
    return EXIT_OK


def cmd_security_events(args) -> int:
    request = node_pb2.ListSecurityEventsRequest(since=args.since or "", kind=args.kind or "", limit=args.limit,
                                                 after_id=args.after_id)
    with client_of(args) as c:
        resp = call(c.admin.ListSecurityEvents, request, args)
    for e in resp.events:
        if args.json:
            print_json(security_event_json(e))
        else:
            print(security_event_line(e))
    if not resp.events and not args.json:
        print("no security events")
    return EXIT_OK


def _since(text: str) -> str:
    """An argparse type: an RFC 3339 date and time with its offset, else exit 2 naming the flag."""
    try:
        parse_rfc3339(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text


def add_parsers(sub) -> None:
    """status, audit, security-events."""
    p = sub.add_parser("status", help="the node, its records and its peers")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("audit", help="who was shown which records")
    p.add_argument("--limit", type=bounded_int(0, MAX_LIST), default=100, metavar="N",
                   help=f"at most {MAX_LIST} (default 100)")
    p.add_argument("--after-id", type=bounded_int(0, INT64_MAX), default=0, metavar="ID",
                   help="only entries with a larger id (to page on)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("security-events", help="what this node refused from peers: records, annexes, answers")
    p.add_argument("--since", type=_since, metavar="TIME",
                   help="only events at or after TIME, RFC 3339 with an offset (e.g. 2026-11-28T02:00:00Z)")
    p.add_argument("--kind", type=lower, choices=tuple(SECURITY_EVENT_KINDS), metavar="KIND",
                   help=f"only events of this kind: {', '.join(SECURITY_EVENT_KINDS)}")
    p.add_argument("--limit", type=bounded_int(0, MAX_LIST), default=100, metavar="N",
                   help=f"at most {MAX_LIST} (default 100)")
    p.add_argument("--after-id", type=bounded_int(0, INT64_MAX), default=0, metavar="ID",
                   help="only events with a larger id (to page on)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    add_connection_args(p)
    p.set_defaults(func=cmd_security_events)
