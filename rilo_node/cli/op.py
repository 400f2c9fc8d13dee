"""`rilo-node op ...`: operations (closed user groups), their members, messages and report."""

from __future__ import annotations

import sys

import grpc

from rilo_node.cli.argtypes import lower
from rilo_node.cli.connect import add_connection_args, call, client_of, rpc_error
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_json, shown
from rilo_node.core.errors import CliError
from rilo_node.core.operations import status_name
from rilo_node.pb.rilo.v1 import operation_pb2

# A command for an operation this node is not a member of (NOT_FOUND), or an owner-only command from a
# member (PERMISSION_DENIED), is the caller's mistake: exit 2, as bad input.
_CALLER_MISTAKES = {"NOT_FOUND", "PERMISSION_DENIED"}


def _call(method, request, args):
    try:
        return call(method, request, args)
    except CliError as exc:
        code, _, detail = str(exc).partition(": ")
        if code in _CALLER_MISTAKES:
            raise CliError(detail, EXIT_BAD_INPUT) from None
        raise


def _ids(text: str, flag: str) -> list[str]:
    ids = [v.strip().lower() for v in (text or "").split(",") if v.strip()]
    if not ids:
        raise CliError(f"{flag}: node ids separated by commas", EXIT_BAD_INPUT)
    return ids


def operation_json(info: operation_pb2.OperationInfo) -> dict:
    op = info.operation
    return {"operation_id": op.operation_id, "name": op.name, "purpose": op.purpose, "owner": op.owner,
            "members": list(op.members), "starts": op.starts, "ends": op.ends or None,
            "status": status_name(op.status), "records": info.records, "messages": info.messages}


def message_json(m: operation_pb2.MessageInfo) -> dict:
    return {"operation_id": m.operation_id, "origin": m.origin, "record_id": m.record_id,
            "created_at": m.created_at, "text": m.text, "refs": list(m.refs)}


def _print_operation(info: operation_pb2.OperationInfo, as_json: bool) -> None:
    if as_json:
        print_json(operation_json(info))
        return
    d = operation_json(info)
    print(f"{d['operation_id']}  {shown(d['name'])}  [{d['status']}]")
    print(f"  owner    {d['owner']}")
    print(f"  members  {', '.join(d['members'])}")
    if d["purpose"]:
        print(f"  purpose  {shown(d['purpose'])}")
    print(f"  starts   {d['starts']}" + (f"   ends {d['ends']}" if d["ends"] else ""))
    print(f"  records  {d['records']}   messages {d['messages']}")


def _print_message(m: operation_pb2.MessageInfo, as_json: bool) -> None:
    if as_json:
        print_json(message_json(m))
    else:
        refs = f"  (refs: {', '.join(m.refs)})" if m.refs else ""
        print(f"{m.created_at}  {m.origin}: {shown(m.text)}{refs}")
    sys.stdout.flush()


# -- commands ----------------------------------------------------------------------------------

def cmd_create(args) -> int:
    req = operation_pb2.CreateOperationRequest(name=args.name, purpose=args.purpose or "",
                                               members=_ids(args.members, "--members"), ends=args.ends or "",
                                               operation_id=args.id or "")
    with client_of(args) as c:
        _print_operation(_call(c.operations.CreateOperation, req, args).operation, args.json)
    return EXIT_OK


def cmd_list(args) -> int:
    with client_of(args) as c:
        infos = _call(c.operations.ListOperations, operation_pb2.ListOperationsRequest(), args).operations
    if args.json:
        for info in infos:
            print_json(operation_json(info))
    else:
        for info in infos:
            d = operation_json(info)
            print(f"{d['operation_id']}  [{d['status']}]  owner {d['owner']}  {len(d['members'])} members  "
                  f"{d['records']} records  {d['messages']} messages  {shown(d['name'])}")
    return EXIT_OK


def cmd_show(args) -> int:
    with client_of(args) as c:
        info = _call(c.operations.GetOperation, operation_pb2.GetOperationRequest(operation_id=args.op_id),
                     args).operation
    _print_operation(info, args.json)
    return EXIT_OK


def _change(args, **kw) -> int:
    req = operation_pb2.ChangeOperationRequest(operation_id=args.op_id, **kw)
    with client_of(args) as c:
        _print_operation(_call(c.operations.ChangeOperation, req, args).operation, getattr(args, "json", False))
    return EXIT_OK


def cmd_add(args) -> int:
    return _change(args, add=_ids(args.ids, "ID"))


def cmd_remove(args) -> int:
    return _change(args, remove=_ids(args.ids, "ID"))


def cmd_extend(args) -> int:
    return _change(args, ends=args.ends)


def cmd_close(args) -> int:
    with client_of(args) as c:
        info = _call(c.operations.CloseOperation, operation_pb2.CloseOperationRequest(operation_id=args.op_id),
                     args).operation
    _print_operation(info, args.json)
    return EXIT_OK


def cmd_post(args) -> int:
    req = operation_pb2.PostMessageRequest(operation_id=args.op_id, text=args.text, refs=args.ref or [])
    with client_of(args) as c:
        _print_message(_call(c.operations.PostMessage, req, args).message, args.json)
    return EXIT_OK


def cmd_messages(args) -> int:
    req = operation_pb2.ListMessagesRequest(operation_id=args.op_id, since=args.since or "")
    with client_of(args) as c:
        if not args.follow:
            for m in _call(c.operations.ListMessages, req, args).messages:
                _print_message(m, args.json)
            return EXIT_OK
        # --follow: the server stream shows each message as soon as this node stores it, until Ctrl-C.
        stream = c.operations.WatchMessages(operation_pb2.WatchMessagesRequest(operation_id=req.operation_id,
                                                                              since=req.since))
        try:
            for m in stream:
                _print_message(m.message, args.json)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.CANCELLED:
                return EXIT_OK
            err = rpc_error(exc)
            code, _, detail = str(err).partition(": ")
            if code in _CALLER_MISTAKES:
                raise CliError(detail, EXIT_BAD_INPUT) from None
            raise err from None
        finally:
            stream.cancel()
    return EXIT_OK


def report_json(resp: operation_pb2.OperationReportResponse) -> dict:
    return {**operation_json(resp.operation),
            "per_member": [{"node": m.node, "records": m.records, "messages": m.messages} for m in resp.members],
            "seizures": [{"section": s.section, "category": s.category, "count": s.count} for s in resp.seizures],
            "timeline": [{"day": d.day, "records": d.records, "messages": d.messages} for d in resp.timeline]}


def cmd_report(args) -> int:
    with client_of(args) as c:
        resp = _call(c.operations.OperationReport, operation_pb2.OperationReportRequest(operation_id=args.op_id),
                     args)
    out = report_json(resp)
    if args.json:
        print_json(out)
        return EXIT_OK
    print(f"operation {out['operation_id']}  {shown(out['name'])}  [{out['status']}]  owner {out['owner']}")
    print(f"{out['records']} records, {out['messages']} messages\n")
    print(f"{'member':<12} {'records':>8} {'messages':>9}")
    for m in out["per_member"]:
        print(f"{m['node']:<12} {m['records']:>8} {m['messages']:>9}")
    print(f"\n{'section':<14} {'category':<24} {'seizures':>8}")
    for s in out["seizures"]:
        print(f"{s['section']:<14} {s['category']:<24} {s['count']:>8}")
    print(f"\n{'day':<12} {'records':>8} {'messages':>9}")
    for d in out["timeline"]:
        print(f"{d['day']:<12} {d['records']:>8} {d['messages']:>9}")
    return EXIT_OK


def add_parsers(sub) -> None:
    """op create, list, show, add, remove, extend, close, post, messages, report."""
    op = sub.add_parser("op", help="operations: closed user groups, their messages and report").add_subparsers(
        dest="action", required=True)

    def parser(name: str, help_: str, func, *, op_id: bool = True, json_flag: bool = True):
        p = op.add_parser(name, help=help_)
        if op_id:
            p.add_argument("op_id", metavar="OP_ID", type=lower)
        if json_flag:
            p.add_argument("--json", action="store_true")
        add_connection_args(p)
        p.set_defaults(func=func)
        return p

    p = parser("create", "create an operation owned by this node; prints it", cmd_create, op_id=False)
    p.add_argument("--name", required=True)
    p.add_argument("--members", required=True, metavar="ID[,ID…]", help="the other members (node ids)")
    p.add_argument("--purpose", metavar="TEXT")
    p.add_argument("--ends", metavar="DATE", help="ISO 8601 date or time; past it the owner's node closes it")
    p.add_argument("--id", metavar="OP_ID", type=lower, help="op-… (default: op-<ulid>)")
    parser("list", "the operations this node is a member of", cmd_list, op_id=False)
    parser("show", "one operation, with its records and messages counted", cmd_show)
    p = parser("add", "add members (owner only)", cmd_add)
    p.add_argument("ids", metavar="ID[,ID…]")
    p = parser("remove", "remove members (owner only); they lose the group's records but their own", cmd_remove)
    p.add_argument("ids", metavar="ID[,ID…]")
    p = parser("extend", "move the end (owner only)", cmd_extend)
    p.add_argument("--ends", required=True, metavar="DATE")
    parser("close", "close the operation (owner only): the members lose its records but their own", cmd_close)
    p = parser("post", "post a message to the group", cmd_post)
    p.add_argument("--text", required=True)
    p.add_argument("--ref", action="append", metavar="ORIGIN/RECORD_ID", help="a record shared to the group")
    p = parser("messages", "the group's messages, oldest first", cmd_messages)
    p.add_argument("--since", metavar="TIME", help="only messages signed after this RFC 3339 time")
    p.add_argument("--follow", action="store_true", help="then stream each new message as it arrives")
    parser("report", "the owner's report: per member, by section and category, by day", cmd_report)
