"""`records export`, `search` and `stats` in the exchange formats (docs/analyst-guide.md#exports-and-reports):
CSV and XLSX tables, and STIX 2.1 bundles. H2 records of other origins are left out unless released
to this node (core.products.may_disseminate); the annex goes out only with --with-annex."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import grpc

from rilo_node.cli.connect import call, client_of, rpc_error
from rilo_node.cli.formats import write_table
from rilo_node.cli.output import EXIT_OK, header_of, record_json
from rilo_node.core import products
from rilo_node.core.convert import pb_to_dict
from rilo_node.pb.rilo.v1 import node_pb2

EXPORT_FORMATS = ("jsonl", "csv", "xlsx", "stix")
SEARCH_FORMATS = ("json", "csv", "xlsx", "stix")
STATS_FORMATS = ("json", "csv", "xlsx")


def add_format_args(p, formats: tuple[str, ...]) -> None:
    p.add_argument("--format", type=str.lower, choices=formats, default="json",
                   help="json (as --json says), or " + ", ".join(f for f in formats if f != "json")
                        + " (H2 records of other origins only if released)")
    p.add_argument("--out", metavar="FILE", help="write to FILE (needed for xlsx; default standard output)")


def node_id_of(client, args) -> str:
    return call(client.admin.GetStatus, node_pb2.GetStatusRequest(), args).node_id


def _write_text(text: str, out: str | None) -> None:
    if not out or out == "-":
        sys.stdout.write(text + "\n")
    else:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text + "\n")


class Withheld:
    """Counts what handling codes kept out, for a line on standard error."""

    def __init__(self) -> None:
        self.count = 0

    def note(self) -> None:
        if self.count:
            print(f"rilo-node: {self.count} H2 record(s) of other origins left out (no onward dissemination "
                  "without the origin's permission)", file=sys.stderr)


def _exportable(stream, me: str, withheld: Withheld) -> Iterator[dict]:
    for resp in stream:
        record = record_json(resp.record, resp.withdrawn)
        if not products.is_live_seizure(record):
            continue
        if not products.may_disseminate(record["origin"], record["policy"], me):
            withheld.count += 1
            continue
        yield record


def export_records(args) -> int:
    """records export --format csv|xlsx|stix."""
    withheld = Withheld()
    with client_of(args) as c:
        me = node_id_of(c, args)
        stream = c.records.ExportRecords(node_pb2.ExportRecordsRequest(after_seq=args.after_seq,
                                                                       origin=args.origin or ""), timeout=args.timeout)
        try:
            records = _exportable(stream, me, withheld)
            if args.format == "stix":
                from rilo_node.core.stix import bundle_json

                _write_text(bundle_json(records, with_annex=args.with_annex), args.out)
            else:
                rows = (row for r in records for row in products.seizure_rows(r, with_annex=args.with_annex))
                write_table(rows, products.seizure_columns(args.with_annex), args.format, args.out, title="seizures")
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    withheld.note()
    return EXIT_OK


def write_hits(args, client, pb_hits: list, hits: list[dict]) -> int:
    """search --format csv|xlsx|stix: the hits of the answer (STIX: those held, with their records)."""
    me = node_id_of(client, args)
    withheld = Withheld()
    kept = []
    for pb, hit in zip(pb_hits, hits):
        policy = pb_to_dict(header_of(pb.record).policy) if pb.held and pb.record.header else {}
        if not products.hit_may_disseminate({**hit, "policy": policy}, me):
            withheld.count += 1
            continue
        kept.append((pb, hit))
    if args.format == "stix":
        from rilo_node.core.stix import bundle_json

        records = [record_json(pb.record, False) for pb, _ in kept if pb.held and pb.record.body]
        _write_text(bundle_json([r for r in records if products.is_live_seizure(r)], with_annex=False), args.out)
    else:
        write_table((products.hit_row(h) for _, h in kept), products.HIT_COLUMNS, args.format, args.out, title="hits")
    withheld.note()
    return EXIT_OK


def write_stats(args, out: dict, group_by: list[str]) -> int:
    """stats --format csv|xlsx."""
    write_table(products.stats_rows(out, group_by), products.stats_columns(group_by), args.format, args.out,
                title="statistics")
    return EXIT_OK
