"""`rilo-node hitcheck`: has any administration seen this container, vessel, phone, passport, plate or company?
(docs/api.md#hitservice-hitno-hit-on-identifiers; the protocol in
docs/design.md#hitno-hit-on-identifiers)."""

from __future__ import annotations

import json
import shlex
import sys

from rilo_node.api.hit_service import identifier_check_json
from rilo_node.cli.argtypes import upper
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.inputs import read_text
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_FAIL, EXIT_OK, print_json, shown
from rilo_node.core import identifiers
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.pb.rilo.v1 import hit_pb2, seizure_pb2


def _type_number(name: str) -> int:
    return seizure_pb2.IdentifierType.Value(f"IDENTIFIER_TYPE_{name}")


def _parse_line(text: str) -> tuple[str, str]:
    """One line of --file: {"type", "value"}, the value normalised here (bad input is never sent)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("", f"not JSON: {exc.msg}") from None
    if not isinstance(data, dict) or set(data) - {"type", "value"}:
        raise ValidationError("", 'a line is an object {"type": …, "value": …}')
    type_name = data.get("type")
    if not isinstance(type_name, str) or type_name.upper() not in identifiers.TYPES:
        raise ValidationError("type", f"{type_name!r} is not an identifier type "
                                      f"(expected one of {', '.join(identifiers.TYPES)})")
    value = data.get("value")
    if not isinstance(value, str):
        raise ValidationError("value", "must be text")
    type_name = type_name.upper()
    return type_name, identifiers.normalise(type_name, value, "value")


def _quota_nodes(result: hit_pb2.IdentifierCheck) -> list[str]:
    return [a.node for a in result.nodes if "quota" in a.error]


def _print_human(r: hit_pb2.IdentifierCheck, case_ref: str) -> None:
    d = identifier_check_json(r)
    answered = sum(1 for n in d["nodes"] if n["status"] == "OK")
    hits = ", ".join(d["hits"]) if d["hits"] else "none"
    print(f"{d['type']} {shown(d['value'])}: held by {hits}")
    missing = [f"{n['node']} ({n['status']})" for n in d["nodes"] if n["status"] != "OK"]
    print(f"  {answered} of {len(d['nodes'])} nodes answered" + (f"; not: {', '.join(missing)}" if missing else ""))
    for node in d["hits"]:
        subject = f"hit/no-hit: {d['type']} (case {case_ref})"
        print(f"  to ask {node} for the details: rilo-node request create --to {node} --type INFORMATION "
              f"--subject {shlex.quote(subject)} --basis 'ARTICLE' --facts 'FACTS' --due YYYY-MM-DD")


def _check_one(args, client, type_name: str, value: str):
    req = hit_pb2.CheckRequest(identifiers=[seizure_pb2.Identifier(type=_type_number(type_name), value=value)],
                               case_ref=args.case_ref)
    return call(client.hits.Check, req, args).results[0]


def cmd_hitcheck(args) -> int:
    if not (args.case_ref or "").strip():
        raise CliError("--case-ref: required (the case this check is for)", EXIT_BAD_INPUT)
    if bool(args.file) == bool(args.type or args.value):
        raise CliError("give --type and --value, or --file F.jsonl", EXIT_BAD_INPUT)
    if not args.file:
        if not args.type or args.value is None:
            raise CliError("--type and --value go together", EXIT_BAD_INPUT)
        try:
            value = identifiers.normalise(args.type, args.value, "--value")
        except ValidationError as exc:
            raise CliError(str(exc), EXIT_BAD_INPUT) from None
        with client_of(args) as c:
            r = _check_one(args, c, args.type, value)
        print_json(identifier_check_json(r)) if args.json else _print_human(r, args.case_ref)
        spent = _quota_nodes(r)
        if spent:
            print(f"hitcheck: quota spent at {', '.join(spent)}: their answers are missing", file=sys.stderr)
            return EXIT_FAIL
        return EXIT_OK
    text = sys.stdin.read() if args.file == "-" else read_text(args.file)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    bad_input = failed = False
    with client_of(args) as c:
        for n, line in lines:
            try:
                type_name, value = _parse_line(line)
            except ValidationError as exc:
                bad_input = True
                _line_error(args, n, str(exc))
                continue
            try:
                r = _check_one(args, c, type_name, value)
            except CliError as exc:
                failed = True
                _line_error(args, n, str(exc))
                continue
            spent = _quota_nodes(r)
            if spent:
                failed = True
                _line_error(args, n, f"quota spent at {', '.join(spent)}")
                continue
            print_json(identifier_check_json(r)) if args.json else _print_human(r, args.case_ref)
            sys.stdout.flush()
    return EXIT_BAD_INPUT if bad_input else EXIT_FAIL if failed else EXIT_OK


def _line_error(args, n: int, message: str) -> None:
    if args.json:
        print_json({"line": n, "error": message})
    else:
        print(f"{args.file}:{n}: {message}", file=sys.stderr)


def add_parsers(sub) -> None:
    """hitcheck."""
    p = sub.add_parser("hitcheck", help="has any node seen this identifier? (only which nodes hold it)")
    p.add_argument("--type", type=upper, choices=identifiers.TYPES, help="the identifier's type")
    p.add_argument("--value", metavar="VALUE", help="as written: spaces, dashes and dots are ignored")
    p.add_argument("--file", metavar="F.jsonl", help='one {"type", "value"} a line, or - for standard input')
    p.add_argument("--case-ref", metavar="REF", required=True, help="the case this check is for (required)")
    p.add_argument("--json", action="store_true", help="one JSON object per identifier")
    add_connection_args(p)
    p.set_defaults(func=cmd_hitcheck)
