"""`rilo-node seizure add|import|update` and `rilo-node records export|get|retract`."""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from rilo_node.api.client import NodeClient
from rilo_node.api.limits import MAX_SUBMISSIONS_PER_STREAM
from rilo_node.core.seizure import parse_submission
from rilo_node.cli.argtypes import INT64_MAX, bounded_int, lower
from rilo_node.cli.connect import add_connection_args, call, client_of, rpc_error
from rilo_node.cli.inputs import IMPORT_FORMATS, count_lines, import_format_of, iter_import_lines, read_json_file
from rilo_node.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAIL,
    EXIT_OK,
    ImportProgress,
    json_text,
    key_json,
    key_str,
    print_import_summary,
    print_json,
    record_json,
    shown,
)
from rilo_node.cli.products import EXPORT_FORMATS, export_records
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.pb.rilo.v1 import node_pb2


def _submission(path: str) -> node_pb2.SeizureSubmission:
    data = read_json_file(path)
    try:
        return parse_submission(data)
    except ValidationError as exc:
        raise CliError(f"{path}: {exc}", EXIT_BAD_INPUT) from None


# -- seizure add|update|import -----------------------------------------------------------

def cmd_seizure_add(args) -> int:
    sub = _submission(args.file)
    with client_of(args) as c:
        resp = call(c.records.SubmitSeizure, node_pb2.SubmitSeizureRequest(submission=sub), args)
    if args.json:
        print_json(key_json(resp.key, created=resp.created))
    else:
        print(key_str(resp.key) + ("" if resp.created else " (already stored)"))
    return EXIT_OK


def cmd_seizure_update(args) -> int:
    sub = _submission(args.file)
    sub.record_id = ""
    with client_of(args) as c:
        resp = call(c.records.UpdateSeizure, node_pb2.UpdateSeizureRequest(record_id=args.record_id, submission=sub),
                    args)
    print_json(key_json(resp.key)) if args.json else print(key_str(resp.key))
    return EXIT_OK


def cmd_seizure_import(args) -> int:
    path = args.file
    fmt = args.format or import_format_of(path)
    if path != "-" and not Path(path).exists():
        raise CliError(f"{path}: no such file", EXIT_BAD_INPUT)
    acked_log = open(args.acked, "a", encoding="utf-8") if args.acked else None  # noqa: SIM115
    stats = {"lines": 0, "stored": 0, "created": 0, "already_present": 0, "refused": 0}
    refused: list[dict] = []
    bad_input = 0  # refused lines that were bad input; the others were refused for a conflict (ALREADY_EXISTS)
    # One chunk is one SubmitSeizures stream: never more than the node takes on one (api/limits.py).
    batch = max(1, min(args.batch, MAX_SUBMISSIONS_PER_STREAM))
    progress = ImportProgress(count_lines(path) if fmt == "jsonl" else None, enabled=not args.quiet)

    lock = threading.Lock()  # the sending thread and this one both count and report

    def report(line: int, field: str, message: str, *, bad: bool = True) -> None:
        nonlocal bad_input
        with lock:
            stats["refused"] += 1
            bad_input += bad
            refused.append({"line": line, "field": field, "message": message})
            text = message if (not field or message.startswith(field)) else f"{field}: {message}"
            print(shown(f"{path}:{line}: {text}"), file=sys.stderr, flush=True)

    def send(client: NodeClient, chunk: list[tuple[int, node_pb2.SeizureSubmission]]) -> None:
        per_message = 100
        requests = (
            node_pb2.SubmitSeizuresRequest(submissions=[s for _, s in chunk[i:i + per_message]])
            for i in range(0, len(chunk), per_message)
        )
        resp = call(client.records.SubmitSeizures, requests, args)
        for result in resp.results:
            line = chunk[result.index][0]
            if result.code == 0:
                with lock:
                    stats["stored"] += 1
                    stats["created" if result.created else "already_present"] += 1
                if acked_log:
                    acked_log.write(json.dumps({"line": line, **key_json(result.key)}) + "\n")
            else:
                report(line, result.field, result.message,
                       bad=result.code == grpc.StatusCode.INVALID_ARGUMENT.value[0])
        if acked_log:
            acked_log.flush()
            os.fsync(acked_log.fileno())
        with lock:
            progress.advance(len(chunk))

    try:
        # Pipelined: while one chunk is on its way to the node (a thread of its own), this thread reads
        # and checks the next; at most one chunk waits, so memory stays at two chunks.
        with client_of(args) as client, ThreadPoolExecutor(max_workers=1) as sender:
            pending = None
            chunk: list[tuple[int, node_pb2.SeizureSubmission]] = []
            for line, item in iter_import_lines(path, fmt):
                stats["lines"] += 1
                if isinstance(item, ValidationError):
                    report(line, item.field, str(item))
                    with lock:
                        progress.advance(1)
                    continue
                chunk.append((line, item))
                if len(chunk) >= batch:
                    if pending is not None:
                        pending.result()  # an error of the chunk before stops the import here
                    pending = sender.submit(send, client, chunk)
                    chunk = []
            if pending is not None:
                pending.result()
            if chunk:
                send(client, chunk)
    finally:
        progress.close()
        if acked_log:
            acked_log.close()
    refused.sort(key=lambda e: e["line"])
    if args.json:
        print_json({**stats, "errors": refused})
    else:
        print_import_summary(stats)
    # 2 if any line was bad input, else 1 if any was refused (a conflict), else 0.
    return EXIT_BAD_INPUT if bad_input else EXIT_FAIL if stats["refused"] else EXIT_OK


# -- records export|get|retract ----------------------------------------------------------

def cmd_records_export(args) -> int:
    if args.format != "jsonl":
        return export_records(args)
    with client_of(args) as c:
        try:
            for resp in c.records.ExportRecords(
                node_pb2.ExportRecordsRequest(after_seq=args.after_seq, origin=args.origin or ""), timeout=args.timeout
            ):
                line = record_json(resp.record, resp.withdrawn)
                if args.with_seq:
                    line["seq"] = resp.seq
                print_json(line)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    return EXIT_OK


def cmd_records_get(args) -> int:
    with client_of(args) as c:
        resp = call(c.records.GetRecord, node_pb2.GetRecordRequest(origin=args.origin, record_id=args.record_id,
                                                                    version=args.version or 0), args)
    obj = record_json(resp.record, resp.withdrawn)
    obj["tlp"], obj["handling"] = obj["policy"].get("tlp"), obj["policy"].get("handling", "H0")
    print(json_text(obj, indent=None if args.json else 2))
    return EXIT_OK


def cmd_records_retract(args) -> int:
    with client_of(args) as c:
        resp = call(c.records.RetractRecord, node_pb2.RetractRecordRequest(record_id=args.record_id), args)
    print_json(key_json(resp.key)) if args.json else print(f"retracted: {key_str(resp.key)}")
    return EXIT_OK


# -- parsers -----------------------------------------------------------------------------

def add_seizure_parsers(seizure) -> None:
    """add, import, update under `seizure` (requests.py adds validate, return, validations)."""
    p = seizure.add_parser("add", help="submit one JSON seizure; prints its key")
    p.add_argument("--file", required=True, help="a JSON file, or - for standard input")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_seizure_add)

    p = seizure.add_parser("import", help="submit many seizures from JSON lines or CSV")
    p.add_argument("file", help="FILE.jsonl, FILE.csv, FILE.xlsx (CEN-style upload) or a STIX bundle "
                                "(or - for JSON lines on standard input)")
    p.add_argument("--format", type=lower, choices=IMPORT_FORMATS, help="default: from the file name")
    # More than a stream takes is sent as streams of MAX_SUBMISSIONS_PER_STREAM.
    p.add_argument("--batch", type=bounded_int(1, 1_000_000), default=1000,
                   help=f"seizures acknowledged together (default 1000; one stream carries at most "
                        f"{MAX_SUBMISSIONS_PER_STREAM})")
    p.add_argument("--acked", metavar="FILE", help="append the key of every acknowledged seizure to FILE")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_connection_args(p)
    p.set_defaults(func=cmd_seizure_import)

    p = seizure.add_parser("update", help="a correction: the next version of an own seizure")
    p.add_argument("record_id")
    p.add_argument("--file", required=True, help="the corrected seizure (JSON), or - for standard input")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_seizure_update)


def add_parsers(sub) -> None:
    """records export, get, retract."""
    records = sub.add_parser("records", help="read, export and retract records").add_subparsers(dest="action",
                                                                                             required=True)
    p = records.add_parser("export", help="every record this node holds, newest version, as JSON lines")
    p.add_argument("--format", type=lower, choices=EXPORT_FORMATS, default="jsonl",
                   help="jsonl (every record), or csv, xlsx, stix (seizures; H2 of other origins only if released)")
    p.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx; default standard output)")
    p.add_argument("--with-annex", action="store_true", help="csv, xlsx, stix: include the annex where held")
    p.add_argument("--origin", help="only records of this origin")
    p.add_argument("--after-seq", type=bounded_int(0, INT64_MAX), default=0,
                   help="only records stored after this local sequence number")
    p.add_argument("--with-seq", action="store_true", help="add each record's local sequence number")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_export)

    p = records.add_parser("get", help="one record as JSON")
    p.add_argument("origin")
    p.add_argument("record_id")
    p.add_argument("--version", type=bounded_int(1, INT64_MAX), help="a specific version (default: the newest held)")
    p.add_argument("--json", action="store_true", help="one line instead of indented")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_get)

    p = records.add_parser("retract", help="retract an own record everywhere (a signed tombstone)")
    p.add_argument("record_id")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_retract)
