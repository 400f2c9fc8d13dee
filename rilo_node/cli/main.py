"""The `rilo-node` command line: thin over the library and the gRPC client."""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

from rilo_node import __version__
from rilo_node.api.client import (
    NodeClient,
    Target,
    target_from_cluster,
    target_from_node_dir,
)
from rilo_node.api.views import (
    hit_json,
    node_answer_json,
    stats_json,
    submission_from_dict,
)
from rilo_node.core.convert import (
    annex_from_bytes,
    dict_to_pb,
    kind_name,
    pb_to_dict,
    seizure_from_bytes,
)
from rilo_node.core.errors import CliError, ConfigError, RiloError, ValidationError
from rilo_node.core.federation import FILTER_FIELDS
from rilo_node.core.seizure import csv_header_problems, csv_row_to_seizure
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2
from rilo_node.sim.progress import terminal_progress
from rilo_node.store.projections import BODY_TYPES

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2




# -- connection --------------------------------------------------------------------

def add_connection_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("connection (one of)")
    g.add_argument("--cluster", metavar="DIR", help="a simulated network's workdir (with --node)")
    g.add_argument("--node", metavar="ID", help="the node of --cluster to talk to")
    g.add_argument("--node-dir", metavar="DIR", help="a folder made by `rilo-node init`, served by `rilo-node serve`")
    g.add_argument("--target", metavar="HOST:PORT", help="a node's address (with --ca, --cert, --key)")
    g.add_argument("--ca", type=Path, help="the network CA certificate (PEM)")
    g.add_argument("--cert", type=Path, help="your client certificate (PEM)")
    g.add_argument("--key", type=Path, help="your client key (PEM)")
    g.add_argument("--server-name", help="the name the node's certificate must carry (e.g. de.node.rilo)")
    g.add_argument("--insecure", action="store_true", help="plaintext (only to a node served with --insecure)")
    g.add_argument("--timeout", type=float, default=60.0, help="seconds per call (default 60)")


def target_of(args) -> Target:
    if args.cluster or args.node:
        if not args.node:
            raise CliError("--cluster needs --node ID", EXIT_BAD_INPUT)
        return target_from_cluster(Path(args.cluster or ".rilo-cluster"), args.node)
    if args.node_dir:
        return target_from_node_dir(Path(args.node_dir))
    if args.target:
        return Target(args.target, args.ca, args.cert, args.key, args.server_name, args.insecure)
    env_dir = os.environ.get("RILO_NODE_DIR")
    if env_dir:
        return target_from_node_dir(Path(env_dir))
    raise CliError("say which node: --cluster DIR --node ID, --node-dir DIR, or --target HOST:PORT --ca --cert --key",
                   EXIT_BAD_INPUT)


def client_of(args) -> NodeClient:
    return NodeClient(target_of(args))


# -- JSON shapes ---------------------------------------------------------------------

def header_of(rec: record_pb2.SignedRecord) -> record_pb2.RecordHeader:
    header = record_pb2.RecordHeader()
    header.ParseFromString(rec.header)
    return header


def record_json(rec: record_pb2.SignedRecord, withdrawn: bool) -> dict:
    """One line of `records export` (INTERFACES.md)."""
    header = header_of(rec)
    gone = withdrawn or header.retracted
    body = None
    if not gone and header.kind == record_pb2.RECORD_KIND_SEIZURE:
        body = seizure_from_bytes(rec.body)
    elif not gone and header.kind in BODY_TYPES and rec.body:
        body = pb_to_dict(BODY_TYPES[header.kind].FromString(rec.body))
    return {
        "origin": header.origin,
        "record_id": header.record_id,
        "version": header.version,
        "kind": kind_name(header.kind),
        "created_at": header.created_at,
        "policy": pb_to_dict(header.policy),
        "body": body,
        "annex": annex_from_bytes(rec.annex) if (rec.annex and not gone) else None,
        "withdrawn": gone,
    }


def key_str(key) -> str:
    return f"{key.origin}/{key.record_id}/v{key.version}"


def key_json(key, **extra) -> dict:
    return {"origin": key.origin, "record_id": key.record_id, "version": key.version, **extra}


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def read_json_file(path: str):
    text = sys.stdin.read() if path == "-" else _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}:{exc.lineno}: not JSON: {exc.msg}", EXIT_BAD_INPUT) from None


def _read_text(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"{path}: no such file", EXIT_BAD_INPUT) from None


def rpc_error(exc: grpc.RpcError) -> CliError:
    code = exc.code()
    field = dict(exc.trailing_metadata() or ()).get("rilo-field", "") if hasattr(exc, "trailing_metadata") else ""
    detail = exc.details() or code.name
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS):
        return CliError(detail if (not field or detail.startswith(field)) else f"{field}: {detail}", EXIT_BAD_INPUT)
    if code == grpc.StatusCode.UNAVAILABLE:
        return CliError(f"node unavailable: {detail}")
    return CliError(f"{code.name}: {detail}")


# -- commands: node ------------------------------------------------------------------

def cmd_init(args) -> int:
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.node.pki import CertificateAuthority
    from rilo_node.node.provision import init_node_dir

    topo_path = Path(args.topology) if args.topology else default_topology_path()
    directory = load_topology(topo_path)
    if args.id not in directory:
        raise CliError(f"--id {args.id!r} is not a node of {topo_path}", EXIT_BAD_INPUT)
    node_dir = Path(args.dir or f"rilo-{args.id}")
    if (node_dir / "node.toml").exists() and not args.force:
        raise CliError(f"{node_dir}/node.toml exists; pass --force to replace the node's keys and certificates")
    if args.insecure and not args.listen.startswith("127.0.0.1:"):
        raise CliError("--insecure serves plaintext and so binds 127.0.0.1 only", EXIT_BAD_INPUT)
    if bool(args.ca_cert) != bool(args.ca_key):
        raise CliError("--ca-cert and --ca-key go together", EXIT_BAD_INPUT)
    ca = CertificateAuthority.load(Path(args.ca_cert), Path(args.ca_key)) if args.ca_cert else None
    folder = init_node_dir(node_dir, args.id, topo_path, listen=args.listen, ca=ca, insecure=args.insecure,
                           client_name=args.client_name)
    signing = folder.signing_key
    info = {"node": args.id, "dir": str(node_dir), "config": str(folder.config),
            "signing_key_id": signing.key_id, "signing_public_key": signing.public_b64}
    if args.json:
        print_json(info)
    else:
        print(f"initialised node {args.id} in {node_dir}")
        print(f"  config:       {folder.config}")
        print(f"  signing key:  {signing.key_id} (public {signing.public_b64})")
        print(f"  client cert:  {folder.client_cert} (for your national system)")
        print(f"next: rilo-node serve --config {folder.config}")
    return EXIT_OK


def cmd_serve(args) -> int:
    from rilo_node.api.server import serve
    from rilo_node.node.config import load_config

    config = load_config(args.config)
    if args.listen:
        config = _replace(config, listen=args.listen)
    if args.insecure:
        if not config.listen.startswith("127.0.0.1:"):
            raise CliError("--insecure serves plaintext and so binds 127.0.0.1 only", EXIT_BAD_INPUT)
        config = _replace(config, insecure=True)
    return serve(config)


def _replace(config, **changes):
    import dataclasses

    return dataclasses.replace(config, **changes)


def cmd_reindex(args) -> int:
    from rilo_node.api.server import Node
    from rilo_node.node.config import load_config

    node = Node(load_config(args.config))
    try:
        n = node.book.reindex()
    finally:
        node.stop()
    print(f"rebuilt the search projections of {n} seizures")
    return EXIT_OK


# -- commands: seizures ------------------------------------------------------------

def cmd_seizure_add(args) -> int:
    data = read_json_file(args.file)
    try:
        sub = submission_from_dict(data)
    except ValidationError as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_BAD_INPUT) from None
    with client_of(args) as c:
        try:
            resp = c.records.SubmitSeizure(node_pb2.SubmitSeizureRequest(submission=sub), timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    if args.json:
        print_json(key_json(resp.key, created=resp.created))
    else:
        print(key_str(resp.key) + ("" if resp.created else " (already stored)"))
    return EXIT_OK


def cmd_seizure_update(args) -> int:
    data = read_json_file(args.file)
    try:
        sub = submission_from_dict(data)
    except ValidationError as exc:
        raise CliError(f"{args.file}: {exc}", EXIT_BAD_INPUT) from None
    sub.record_id = ""
    with client_of(args) as c:
        try:
            resp = c.records.UpdateSeizure(node_pb2.UpdateSeizureRequest(record_id=args.record_id, submission=sub),
                                           timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    print_json(key_json(resp.key)) if args.json else print(key_str(resp.key))
    return EXIT_OK


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def stable_record_id(data: dict) -> str:
    """A ULID for a line without a record_id: its time is the seizure date, its random part a hash of
    the content. Re-running an interrupted import therefore never stores a seizure twice."""
    import datetime
    import hashlib

    try:
        day = datetime.date.fromisoformat(str(data.get("seizure_date")))
        ms = int(datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc).timestamp() * 1000)
    except ValueError:
        ms = 0
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).digest()
    value = (max(ms, 0) << 80) | int.from_bytes(digest[:10], "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def with_record_id(data):
    if isinstance(data, dict) and not data.get("record_id"):
        return {**data, "record_id": stable_record_id(data)}
    return data


def iter_import_lines(path: str, fmt: str) -> Iterator[tuple[int, object]]:
    """(line number, SeizureSubmission or ValidationError) for each record of a JSONL or CSV file."""
    if fmt == "csv":
        text = _read_text(path) if path != "-" else sys.stdin.read()
        reader = csv.DictReader(io.StringIO(text, newline=""))
        problem = csv_header_problems(reader.fieldnames)
        if problem:
            raise CliError(f"{path}:1: {problem}", EXIT_BAD_INPUT)
        for row in reader:
            line = reader.line_num
            try:
                yield line, submission_from_dict(with_record_id(csv_row_to_seizure(row)))
            except ValidationError as exc:
                yield line, exc
        return
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    try:
        for n, raw in enumerate(stream, 1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                yield n, ValidationError("", f"not JSON: {exc.msg} (column {exc.colno})")
                continue
            try:
                yield n, submission_from_dict(with_record_id(data))
            except ValidationError as exc:
                yield n, exc
    finally:
        if stream is not sys.stdin:
            stream.close()


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


class _Progress:
    """A rich progress bar on a terminal; otherwise a line on stderr at most every few seconds."""

    def __init__(self, total: int | None, enabled: bool):
        self.total, self.done, self.enabled = total, 0, enabled
        self._bar = None
        self._last = time.monotonic()
        if enabled and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeRemainingColumn,
            )

            self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), transient=True)
            self._bar.start()
            self._task = self._bar.add_task("importing", total=total)

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(self._task, advance=n)
        elif self.enabled and time.monotonic() - self._last > 5:
            self._last = time.monotonic()
            of = f"/{self.total}" if self.total else ""
            print(f"progress: {self.done}{of} records acknowledged", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def cmd_seizure_import(args) -> int:
    path = args.file
    fmt = args.format or ("csv" if path.lower().endswith(".csv") else "jsonl")
    if path != "-" and not Path(path).exists():
        raise CliError(f"{path}: no such file", EXIT_BAD_INPUT)
    acked_log = open(args.acked, "a", encoding="utf-8") if args.acked else None  # noqa: SIM115
    stats = {"lines": 0, "stored": 0, "created": 0, "already_present": 0, "refused": 0}
    refused: list[dict] = []
    progress = _Progress(_count_lines(path) if fmt == "jsonl" else None, enabled=not args.quiet)

    def report(line: int, field: str, message: str) -> None:
        stats["refused"] += 1
        refused.append({"line": line, "field": field, "message": message})
        text = message if (not field or message.startswith(field)) else f"{field}: {message}"
        print(f"{path}:{line}: {text}", file=sys.stderr, flush=True)

    def send(client: NodeClient, chunk: list[tuple[int, node_pb2.SeizureSubmission]]) -> None:
        per_message = 100
        requests = (
            node_pb2.SubmitSeizuresRequest(submissions=[s for _, s in chunk[i:i + per_message]])
            for i in range(0, len(chunk), per_message)
        )
        try:
            resp = client.records.SubmitSeizures(requests, timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
        for result in resp.results:
            line = chunk[result.index][0]
            if result.code == 0:
                stats["stored"] += 1
                stats["created" if result.created else "already_present"] += 1
                if acked_log:
                    acked_log.write(json.dumps({"line": line, **key_json(result.key)}) + "\n")
            else:
                report(line, result.field, result.message)
        if acked_log:
            acked_log.flush()
            os.fsync(acked_log.fileno())
        progress.advance(len(chunk))

    try:
        with client_of(args) as client:
            chunk: list[tuple[int, node_pb2.SeizureSubmission]] = []
            for line, item in iter_import_lines(path, fmt):
                stats["lines"] += 1
                if isinstance(item, ValidationError):
                    report(line, item.field, str(item))
                    progress.advance(1)
                    continue
                chunk.append((line, item))
                if len(chunk) >= args.batch:
                    send(client, chunk)
                    chunk = []
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
        print(f"{stats['lines']} records read: {stats['stored']} stored ({stats['created']} new, "
              f"{stats['already_present']} already present), {stats['refused']} refused")
    return EXIT_BAD_INPUT if stats["refused"] else EXIT_OK


# -- commands: records -------------------------------------------------------------

def cmd_records_export(args) -> int:
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
        try:
            resp = c.records.GetRecord(node_pb2.GetRecordRequest(origin=args.origin, record_id=args.record_id,
                                                                 version=args.version or 0), timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    obj = record_json(resp.record, resp.withdrawn)
    print(json.dumps(obj, ensure_ascii=False, indent=None if args.json else 2))
    return EXIT_OK


def cmd_records_retract(args) -> int:
    with client_of(args) as c:
        try:
            resp = c.records.RetractRecord(node_pb2.RetractRecordRequest(record_id=args.record_id), timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    print_json(key_json(resp.key)) if args.json else print(f"retracted: {key_str(resp.key)}")
    return EXIT_OK


# -- commands: search, status, audit -----------------------------------------------

FILTER_FLAGS = {
    "section": "section", "category": "category", "country": "country", "departure": "departure_country",
    "destination": "destination_country", "route_country": "route_country", "from_": "date_from",
    "to": "date_to", "text": "text", "origin": "origin",
}


def add_filter_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--section")
    g.add_argument("--category")
    g.add_argument("--country", help="reporting country (ISO 3166 alpha-2)")
    g.add_argument("--departure", help="country of departure")
    g.add_argument("--destination", help="country of destination")
    g.add_argument("--route-country", help="departure, any transit, or destination")
    g.add_argument("--from", dest="from_", metavar="DATE", help="seizure date from (inclusive)")
    g.add_argument("--to", metavar="DATE", help="seizure date to (inclusive)")
    g.add_argument("--text", metavar="WORDS", help="words in the description or commodity")
    g.add_argument("--origin", metavar="ID", help="the reporting node")


def filter_of(args) -> node_pb2.SearchFilter:
    data = {FILTER_FLAGS[k]: getattr(args, k) for k in FILTER_FLAGS if getattr(args, k, None)}
    assert set(data) <= set(FILTER_FIELDS)
    for key in ("country", "departure_country", "destination_country", "route_country"):
        if key in data:
            data[key] = data[key].upper()
    try:
        return dict_to_pb(data, node_pb2.SearchFilter())
    except ValidationError as exc:
        raise CliError(f"--{exc.field.replace('_', '-')}: {exc.message}", EXIT_BAD_INPUT) from None


SCOPES = {"local": node_pb2.QUERY_SCOPE_LOCAL, "area": node_pb2.QUERY_SCOPE_AREA,
          "region": node_pb2.QUERY_SCOPE_REGION, "global": node_pb2.QUERY_SCOPE_GLOBAL}


def scope_of(value: str) -> tuple[int, list[str]]:
    if value in SCOPES:
        return SCOPES[value], []
    nodes = [v.strip() for v in value.split(",") if v.strip()]
    if not nodes:
        raise CliError("--scope: local, area, region, global, or node ids separated by commas", EXIT_BAD_INPUT)
    return node_pb2.QUERY_SCOPE_NODES, nodes


def cmd_search(args) -> int:
    scope, nodes = scope_of(args.scope)
    request = node_pb2.SearchRequest(filter=filter_of(args), scope=scope, nodes=nodes, limit=args.limit,
                                     deadline_ms=args.deadline_ms)
    with client_of(args) as c:
        try:
            resp = c.search.Search(request, timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    out = {"query_id": resp.query_id, "complete": resp.complete, "hits": [hit_json(h) for h in resp.hits],
           "nodes": [node_answer_json(n) for n in resp.nodes]}
    if args.json:
        print_json(out)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(out['hits'])} hits" + ("" if resp.complete else " (incomplete)"))
    for col in ("origin", "record_id", "v", "date", "country", "categories", "route", "held"):
        table.add_column(col)
    for h in out["hits"]:
        body = h.get("body") or {}
        route = "→".join(c for c in [body.get("departure_country"), *body.get("transit_countries", []),
                                     body.get("destination_country")] if c)
        table.add_row(h["origin"], h["record_id"], str(h["version"]), h["summary"].get("seizure_date", ""),
                      h["summary"].get("country", ""), ",".join(h["summary"]["categories"]), route,
                      "yes" if h["held"] else "notice")
    console = Console()
    console.print(table)
    for n in out["nodes"]:
        console.print(f"  {n['node']}: {n['status']} ({n['hits']} hits, {n['ms']} ms)")
    return EXIT_OK


def cmd_stats(args) -> int:
    scope, nodes = scope_of(args.scope)
    group_by = [g.strip() for g in args.group_by.split(",") if g.strip()]
    request = node_pb2.StatsRequest(filter=filter_of(args), scope=scope, nodes=nodes, group_by=group_by,
                                    deadline_ms=args.deadline_ms)
    with client_of(args) as c:
        try:
            resp = c.search.Stats(request, timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    out = stats_json(resp)
    if args.json:
        print_json(out)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{sum(g['cases'] for g in out['groups'])} cases" + ("" if resp.complete else " (incomplete)"))
    for f in group_by:
        table.add_column(f)
    table.add_column("cases", justify="right")
    table.add_column("items", justify="right")
    for g in out["groups"]:
        table.add_row(*(g["key"].get(f, "") for f in group_by), str(g["cases"]), str(g["items"]))
    console = Console()
    console.print(table)
    bad = [n for n in out["nodes"] if n["status"] != "OK"]
    console.print(f"{len(out['nodes']) - len(bad)}/{len(out['nodes'])} nodes answered"
                  + ("" if not bad else ": " + ", ".join(f"{n['node']} {n['status']}" for n in bad)))
    return EXIT_OK


def cmd_status(args) -> int:
    with client_of(args) as c:
        try:
            resp = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    data = {
        "node_id": resp.node_id, "role": resp.role, "region": resp.region or None, "area": resp.area or None,
        "records_held": resp.records_held, "own_records": resp.own_records, "last_seq": resp.last_seq,
        "security_events": resp.security_events, "started_at": resp.started_at, "version": resp.version,
        "signing_key_id": resp.signing_key_id,
        "peers": [{"peer": p.peer, "state": p.state, "behind": p.behind, "checkpoint": p.checkpoint}
                  for p in resp.peers],
    }
    if args.json:
        print_json(data)
        return EXIT_OK
    print(f"node {data['node_id']} ({data['role']}, region {data['region'] or '-'}, area {data['area'] or '-'})"
          f" version {data['version']}, up since {data['started_at']}")
    print(f"  records held: {data['records_held']} (own {data['own_records']}), last seq {data['last_seq']}, "
          f"security events: {data['security_events']}")
    print(f"  signing key: {data['signing_key_id']}")
    if data["peers"]:
        print("  peers:")
        for p in data["peers"]:
            print(f"    {p['peer']:<10} {p['state']:<12} behind {p['behind']}  checkpoint {p['checkpoint']}")
    else:
        print("  peers: none")
    return EXIT_OK


def cmd_audit(args) -> int:
    with client_of(args) as c:
        try:
            resp = c.admin.ListAudit(node_pb2.ListAuditRequest(limit=args.limit, after_id=args.after_id),
                                     timeout=args.timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc) from None
    for e in resp.entries:
        entry = {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "query_id": e.query_id or None,
                 "keys": [[k.origin, k.record_id, k.version] + ([f] if f else []) for k, f in
                          zip(e.keys, list(e.forms) or [""] * len(e.keys))],
                 "detail": json.loads(e.detail or "{}")}
        if args.json:
            print_json(entry)
        else:
            print(f"{e.id:>6} {e.at} {e.actor:<28} {e.action:<8} {len(e.keys):>5} records  {e.detail}")
    return EXIT_OK


# -- commands: the simulated network ------------------------------------------------

def _members_per_area(value: str) -> int | None:
    if value == "all":
        return None
    try:
        n = int(value)
    except ValueError:
        raise CliError("--members-per-area: a number or 'all'", EXIT_BAD_INPUT) from None
    if n < 0:
        raise CliError("--members-per-area: at least 0", EXIT_BAD_INPUT)
    return n


def cmd_cluster_up(args) -> int:
    from rilo_node.sim.cluster import Cluster
    from rilo_node.sim.seeding import seed_records

    cluster = Cluster(args.workdir)
    progress = terminal_progress()
    data = cluster.up(topology=Path(args.topology) if args.topology else None,
                      members_per_area=_members_per_area(args.members_per_area), progress=progress)
    print(f"{len(data['nodes'])} nodes healthy after {data['healthy_after_s']} s; cluster.json in {cluster.workdir}",
          file=sys.stderr)
    if args.seed_records:
        seed_records(cluster, args.seed_records, seed=args.seed, progress=progress)
    if args.detach:
        print(str(cluster.file))
        return EXIT_OK
    print("running; Ctrl-C stops every node", file=sys.stderr)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    n = cluster.down()
    print(f"stopped {n} nodes; data left in {cluster.workdir}", file=sys.stderr)
    return EXIT_OK


def cmd_cluster_status(args) -> int:
    from rilo_node.sim.cluster import Cluster

    rows = Cluster(args.workdir).status()
    if args.json:
        print_json({"nodes": rows})
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"cluster {Path(args.workdir).resolve()}")
    for col in ("node", "role", "region", "state", "pid", "records", "own", "peers up", "behind", "sec. events"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["role"], r["region"] or "-", r["state"], str(r["pid"] or "-"),
                      *(str(r[k]) if r[k] is not None else "-" for k in ("records", "own", "peers_up", "behind",
                                                                          "security_events")))
    Console().print(table)
    return EXIT_OK


def cmd_cluster_down(args) -> int:
    from rilo_node.sim.cluster import Cluster

    cluster = Cluster(args.workdir)
    n = cluster.down(delete=args.delete)
    print(f"stopped {n} nodes" + ("; workdir deleted" if args.delete else f"; data left in {cluster.workdir}"))
    return EXIT_OK


def cmd_cluster_stop(args) -> int:
    from rilo_node.sim.cluster import Cluster

    Cluster(args.workdir).stop(args.node_id, kill=args.kill)
    print(f"{'killed' if args.kill else 'stopped'} {args.node_id}")
    return EXIT_OK


def cmd_cluster_start(args) -> int:
    from rilo_node.sim.cluster import Cluster

    Cluster(args.workdir).start(args.node_id, progress=terminal_progress(quiet=True))
    print(f"started {args.node_id}")
    return EXIT_OK


def cmd_cluster_partition(args) -> int:
    from rilo_node.sim.cluster import Cluster

    Cluster(args.workdir).partition(args.a, args.b)
    print(f"partitioned {args.a} from {args.b}")
    return EXIT_OK


def cmd_cluster_heal(args) -> int:
    from rilo_node.sim.cluster import Cluster

    if bool(args.a) != bool(args.b):
        raise CliError("heal takes two nodes, or none to heal every partition", EXIT_BAD_INPUT)
    n = Cluster(args.workdir).heal(args.a, args.b)
    print(f"healed {n} partition{'s' if n != 1 else ''}")
    return EXIT_OK


def cmd_cluster_demo(args) -> int:
    from rilo_node.sim.demo import run_cluster_demo

    return run_cluster_demo(records=args.records, seed=args.seed, workdir=args.workdir)


# -- parser ------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rilo-node", description="RILO Net node and client")
    parser.add_argument("--version", action="version", version=f"rilo-node {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="keys, certificates, data folder and config for a new node")
    p.add_argument("--id", required=True, help="the node id from the directory (e.g. de, rilo-we, wco)")
    p.add_argument("--dir", help="the node folder (default ./rilo-ID)")
    p.add_argument("--topology", help="the directory file (default: config/topology.toml)")
    p.add_argument("--listen", default="127.0.0.1:7400", help="host:port to serve on (default 127.0.0.1:7400)")
    p.add_argument("--ca-cert", help="the network CA certificate (else a development CA is made)")
    p.add_argument("--ca-key", help="the network CA key, with --ca-cert")
    p.add_argument("--client-name", default="national-system", help="name in the client certificate")
    p.add_argument("--insecure", action="store_true", help="configure plaintext on 127.0.0.1 (development only)")
    p.add_argument("--force", action="store_true", help="replace an existing node's keys and certificates")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="run a node")
    p.add_argument("--config", required=True, help="the node.toml written by init")
    p.add_argument("--listen", help="override node.listen (host:port)")
    p.add_argument("--insecure", action="store_true", help="plaintext on 127.0.0.1 only (development)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reindex", help="rebuild the search tables from the signed records (node stopped)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_reindex)

    seizure = sub.add_parser("seizure", help="submit, correct and validate seizures").add_subparsers(dest="action", required=True)
    p = seizure.add_parser("add", help="submit one JSON seizure; prints its key")
    p.add_argument("--file", required=True, help="a JSON file, or - for standard input")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_seizure_add)
    p = seizure.add_parser("import", help="submit many seizures from JSON lines or CSV")
    p.add_argument("file", help="FILE.jsonl or FILE.csv (or - for JSON lines on standard input)")
    p.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file name")
    p.add_argument("--batch", type=int, default=1000, help="seizures acknowledged together (default 1000)")
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

    from rilo_node.cli import requests as cli_requests

    cli_requests.add_parsers(sub, seizure)

    records = sub.add_parser("records", help="read, export and retract records").add_subparsers(dest="action",
                                                                                             required=True)
    p = records.add_parser("export", help="every record this node holds, newest version, as JSON lines")
    p.add_argument("--format", choices=("jsonl",), default="jsonl")
    p.add_argument("--origin", help="only records of this origin")
    p.add_argument("--after-seq", type=int, default=0, help="only records stored after this local sequence number")
    p.add_argument("--with-seq", action="store_true", help="add each record's local sequence number")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_export)
    p = records.add_parser("get", help="one record as JSON")
    p.add_argument("origin")
    p.add_argument("record_id")
    p.add_argument("--version", type=int, help="a specific version (default: the newest held)")
    p.add_argument("--json", action="store_true", help="one line instead of indented")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_get)
    p = records.add_parser("retract", help="retract an own record everywhere (a signed tombstone)")
    p.add_argument("record_id")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_records_retract)

    p = sub.add_parser("search", help="search records (local, or across the network)")
    add_filter_args(p)
    p.add_argument("--scope", default="local", help="local, area, region, global, or ID,ID (default local)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--deadline-ms", type=int, default=0, help="how long to wait for the network (default 1500)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="count cases and seized items across the network, grouped")
    add_filter_args(p)
    p.add_argument("--group-by", required=True, metavar="FIELD[,FIELD]",
                   help="section, category, country, departure_country, destination_country, conveyance, "
                        "concealment, detection, location_type, month, region")
    p.add_argument("--scope", default="local", help="local, area, region, global, or ID,ID (default local)")
    p.add_argument("--deadline-ms", type=int, default=0, help="how long to wait for the network (default 1500)")
    p.add_argument("--json", action="store_true")
    add_connection_args(p)
    p.set_defaults(func=cmd_stats)

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
    cluster = sub.add_parser("cluster", help="a simulated network of nodes on this machine").add_subparsers(
        dest="action", required=True)

    def workdir_arg(p):
        p.add_argument("--workdir", default=".rilo-cluster", help="the cluster's folder (default .rilo-cluster)")

    p = cluster.add_parser("up", help="start the network (each node its own process)")
    p.add_argument("--topology", help="the directory file (default: config/topology.toml)")
    workdir_arg(p)
    p.add_argument("--members-per-area", default="2", help="members per RILO area, or all (default 2)")
    p.add_argument("--seed-records", type=int, default=0, help="spread N synthetic seizures over the members")
    p.add_argument("--seed", type=int, default=1, help="random seed for --seed-records")
    p.add_argument("--detach", action="store_true", help="return once every node is healthy")
    p.set_defaults(func=cmd_cluster_up)
    p = cluster.add_parser("status", help="nodes, their records and replication lag")
    workdir_arg(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_cluster_status)
    p = cluster.add_parser("down", help="stop every node the cluster started")
    workdir_arg(p)
    p.add_argument("--delete", action="store_true", help="also delete the workdir and its data")
    p.set_defaults(func=cmd_cluster_down)
    p = cluster.add_parser("demo", help="the main job: up, seed, replicate, search, count, check, down")
    p.add_argument("--records", type=int, default=2000, help="seizures to seed (default 2000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workdir", default=None, help="keep the network in this folder (default: a temporary one)")
    p.set_defaults(func=cmd_cluster_demo)
    p = cluster.add_parser("stop", help="stop one node (SIGTERM, or SIGKILL with --kill)")
    p.add_argument("node_id")
    p.add_argument("--kill", action="store_true")
    workdir_arg(p)
    p.set_defaults(func=cmd_cluster_stop)
    p = cluster.add_parser("start", help="start a stopped node again, same data")
    p.add_argument("node_id")
    workdir_arg(p)
    p.set_defaults(func=cmd_cluster_start)
    p = cluster.add_parser("partition", help="from now on the two nodes cannot reach each other")
    p.add_argument("a")
    p.add_argument("b")
    workdir_arg(p)
    p.set_defaults(func=cmd_cluster_partition)
    p = cluster.add_parser("heal", help="undo one partition, or all")
    p.add_argument("a", nargs="?")
    p.add_argument("b", nargs="?")
    workdir_arg(p)
    p.set_defaults(func=cmd_cluster_heal)

    p = sub.add_parser("demo", help="the demo on one node: start it, submit seizures, search them, stop")
    p.add_argument("--count", type=int, default=300, help="seizures to submit (default 300)")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(func=lambda a: __import__("rilo_node.sim.demo", fromlist=["run"]).run(a.count, a.seed))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except CliError as exc:
        print(f"rilo-node: {exc}", file=sys.stderr)
        return exc.code
    except ValidationError as exc:
        print(f"rilo-node: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RiloError, ConfigError) as exc:
        print(f"rilo-node: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
