"""`rilo-node status` and `rilo-node audit`: a running node about itself (its Admin service)."""

from __future__ import annotations

from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.output import EXIT_OK, audit_json, audit_line, print_json, print_status, status_json
from rilo_node.pb.rilo.v1 import node_pb2


def cmd_status(args) -> int:
    with client_of(args) as c:
        resp = call(c.admin.GetStatus, node_pb2.GetStatusRequest(), args)
    data = status_json(resp)
    if args.json:
        print_json(data)
    else:
        print_status(data)
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


def add_parsers(sub) -> None:
    """status, audit."""
    p = sub.add_parser("status", help="the node, its records and its peers")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("audit", help="who was shown which records")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--after-id", type=int, default=0)
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_audit)
