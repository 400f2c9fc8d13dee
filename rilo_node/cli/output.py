"""Everything the commands print: exit codes, JSON lines, record keys, tables and progress.

The JSON shapes the simulator shares (hits, node answers, statistics) live in rilo_node.api.views;
the command modules build them from there and hand them to the printers here. rich is imported only
where a table or a progress bar is drawn, so that `--json` and `--help` stay quick.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sys
import time

from rilo_node.core.convert import annex_from_bytes, enum_to_str, kind_name, pb_to_dict, seizure_from_bytes
from rilo_node.core.products import cases_text, items_text
from rilo_node.core.seizure import UNSAFE_IN_LINE, UNSAFE_IN_TEXT
from rilo_node.pb.rilo.v1 import node_pb2, record_pb2, request_pb2
from rilo_node.store.projections import BODY_TYPES

EXIT_OK, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2


# -- the basics --------------------------------------------------------------------------

def shown(text, *, multiline: bool = False, indent: str = "") -> str:
    """Text from a record, a node or a log, as a terminal may receive it: the characters a node refuses in
    text fields (core.seizure.UNSAFE_IN_LINE: controls, bidirectional controls, ...) escaped repr-style
    (`\\x1b`, `\\u202e`), so that a record stored by an older node cannot move the cursor or reorder a line.
    With `multiline`, newlines and tabs stay, and every further line starts with `indent`."""
    text = str(text)
    out = (UNSAFE_IN_TEXT if multiline else UNSAFE_IN_LINE).sub(_escaped, text)
    return out.replace("\n", "\n" + indent) if multiline and indent else out


_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(match) -> str:
    char = match.group()
    code = ord(char)
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def json_text(obj, indent: int | None = None) -> str:
    """JSON as the commands print it: non-ASCII letters as they are, and what `shown` escapes as JSON
    escapes (`\\u202e`; json already escapes the C0 controls): the same JSON, safe on a terminal."""
    return UNSAFE_IN_TEXT.sub(_json_escaped, json.dumps(obj, ensure_ascii=False, indent=indent))


def _json_escaped(match) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class EscapingFormatter(logging.Formatter):
    """Log lines whose message goes through `shown`: one line each, whatever text a peer or a record put in
    it; a traceback keeps its lines, with the same characters escaped."""

    def format(self, record: logging.LogRecord) -> str:
        msg, args = record.msg, record.args
        record.msg, record.args = shown(record.getMessage()), None
        try:
            return super().format(record)
        finally:
            record.msg, record.args = msg, args

    def formatException(self, ei) -> str:
        return shown(super().formatException(ei), multiline=True)

    def formatStack(self, stack_info: str) -> str:
        return shown(super().formatStack(stack_info), multiline=True)


def print_json(obj) -> None:
    sys.stdout.write(json_text(obj) + "\n")


def key_str(key) -> str:
    return f"{key.origin}/{key.record_id}/v{key.version}"


def key_json(key, **extra) -> dict:
    return {"origin": key.origin, "record_id": key.record_id, "version": key.version, **extra}


def console():
    """A rich console on standard output. A closed pipe (`search | head -1`) raises BrokenPipeError, which
    main() turns into a quiet exit 0 (rich's own handling would exit 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, "standard output was closed")

    return _Console()


def stdout_to_devnull() -> None:
    """After a closed pipe: what is still buffered for standard output, and Python's flush at exit, go to
    /dev/null instead of failing again (the "Note on SIGPIPE" of the Python signal module's documentation)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


# A column that may wrap keeps at least this many characters a line.
_MIN_WRAPPED = 4


def table_widths(widths: list[int], whole: list[bool], room: int) -> list[int]:
    """Content widths for table columns whose natural widths are `widths`, in `room` characters of content:
    a `whole` column (an id) keeps its natural width, whatever `room` says; the others share what is left,
    the widest cut down first, none below _MIN_WRAPPED (or its natural width, if smaller)."""
    floor = [w if keep else min(w, _MIN_WRAPPED) for w, keep in zip(widths, whole)]
    level = max(widths, default=0)
    # The highest level at which the wrapping columns, each cut to at most `level`, fit in `room`.
    while level > _MIN_WRAPPED and sum(w if keep else min(w, level)
                                       for w, keep in zip(widths, whole)) > room:
        level -= 1
    return [w if keep else max(f, min(w, level)) for w, keep, f in zip(widths, whole, floor)]


def print_table(title: str, headers: list[str], rows: list[list[str]], *, whole: tuple[str, ...] = (),
                right: tuple[str, ...] = ()) -> None:
    """A table on standard output. Cells are plain text: escaped by `shown`, never read as rich markup
    (`[bold]`). The columns named in `whole` (ids: origin, record_id) are never cut or wrapped, so that an
    id can be copied: the other columns wrap instead, and a terminal too narrow even for that gets a table
    wider than itself. Into a pipe or a file the table has its natural width: nothing wraps."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    cells = [[shown(cell) for cell in row] for row in rows]
    natural = [max([cell_len(h)] + [cell_len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    keep = [h in whole for h in headers]
    con = console()
    frame = 3 * len(headers) + 1  # a border and a space of padding either side of each column
    room = max(con.width, frame + sum(natural)) if not con.is_terminal else con.width
    widths = table_widths(natural, keep, room - frame)
    con.width = max(room, frame + sum(widths))
    table = Table(title=title)
    for h, width, k in zip(headers, widths, keep):
        table.add_column(h, width=width, no_wrap=k, overflow="fold", justify="right" if h in right else "left")
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    con.print(table)


# -- records -----------------------------------------------------------------------------

def header_of(rec: record_pb2.SignedRecord) -> record_pb2.RecordHeader:
    header = record_pb2.RecordHeader()
    header.ParseFromString(rec.header)
    return header


def record_json(rec: record_pb2.SignedRecord, withdrawn: bool) -> dict:
    """One line of `records export` (docs/api.md#json-shapes-and-how-they-map-to-proto)."""
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


class ImportProgress:
    """`seizure import`: a rich progress bar on a terminal; otherwise a line on stderr at most every few seconds."""

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


def print_import_summary(stats: dict) -> None:
    print(f"{stats['lines']} records read: {stats['stored']} stored ({stats['created']} new, "
          f"{stats['already_present']} already present), {stats['refused']} refused")


# -- search and stats --------------------------------------------------------------------

def print_hits(out: dict, complete: bool) -> None:
    """`search` without --json: the hits as a table, then each node's answer. `out` is the --json object."""
    rows = []
    for h in out["hits"]:
        body = h.get("body") or {}
        route = "→".join(c for c in [body.get("departure_country"), *body.get("transit_countries", []),
                                     body.get("destination_country")] if c)
        rows.append([h["origin"], h["record_id"], str(h["version"]), h["summary"].get("seizure_date", ""),
                     h["summary"].get("country", ""), ", ".join(h["summary"]["categories"]), route,
                     "/".join(x for x in (h.get("tlp"), h.get("handling")) if x),
                     "yes" if h["held"] else "notice"])
    # The record's key is never cut: it is what `records get` and `request create --about` take.
    print_table(f"{len(out['hits'])} hits" + ("" if complete else " (incomplete)"),
                ["origin", "record_id", "v", "date", "country", "categories", "route", "tlp", "held"], rows,
                whole=("origin", "record_id"))
    con = console()
    for n in out["nodes"]:
        con.print(shown(f"  {n['node']}: {n['status']} ({n['hits']} hits, {n['ms']} ms)"), markup=False)
    if out.get("next_page_token"):
        con.print(shown(f"more hits: --page-token {out['next_page_token']}"), markup=False)


def print_stats(out: dict, group_by: list[str], complete: bool) -> None:
    """`stats` without --json: one row per group, then which nodes answered. `out` is stats_json."""
    print_table(f"{sum(g['cases'] for g in out['groups'])} cases" + ("" if complete else " (incomplete)"),
                [*group_by, "cases", "items"],
                [[*(g["key"].get(f, "") for f in group_by), cases_text(g["cases"], g.get("below", 0)),
                  items_text(g["items"], g["cases"], g.get("below", 0))] for g in out["groups"]],
                right=("cases", "items"))
    con = console()
    bad = [n for n in out["nodes"] if n["status"] != "OK"]
    con.print(shown(f"{len(out['nodes']) - len(bad)}/{len(out['nodes'])} nodes answered"
                    + ("" if not bad else ": " + ", ".join(f"{n['node']} {n['status']}" for n in bad))),
              markup=False)


# -- status and audit --------------------------------------------------------------------

def status_json(resp: node_pb2.GetStatusResponse) -> dict:
    return {
        "node_id": resp.node_id, "role": resp.role, "region": resp.region or None, "area": resp.area or None,
        "records_held": resp.records_held, "own_records": resp.own_records, "last_seq": resp.last_seq,
        "security_events": resp.security_events, "started_at": resp.started_at, "version": resp.version,
        "signing_key_id": resp.signing_key_id,
        "peers": [{"peer": p.peer, "state": p.state, "behind": p.behind, "checkpoint": p.checkpoint}
                  for p in resp.peers],
    }


def print_status(data: dict) -> None:
    print(shown(f"node {data['node_id']} ({data['role']}, region {data['region'] or '-'}, area {data['area'] or '-'})"
                f" version {data['version']}, up since {data['started_at']}"))
    print(f"  records held: {data['records_held']} (own {data['own_records']}), last seq {data['last_seq']}, "
          f"security events: {data['security_events']}")
    print(f"  signing key: {data['signing_key_id']}")
    if data["peers"]:
        print("  peers:")
        for p in data["peers"]:
            print(shown(f"    {p['peer']:<10} {p['state']:<12} behind {p['behind']}  checkpoint {p['checkpoint']}"))
    else:
        print("  peers: none")


def audit_json(e: node_pb2.AuditEntry) -> dict:
    return {"id": e.id, "at": e.at, "actor": e.actor, "action": e.action, "query_id": e.query_id or None,
            "keys": [[k.origin, k.record_id, k.version] + ([f] if f else []) for k, f in
                     zip(e.keys, list(e.forms) or [""] * len(e.keys))],
            "detail": json.loads(e.detail or "{}"), **({"user": e.user} if e.user else {})}


def audit_line(e: node_pb2.AuditEntry) -> str:
    return shown(f"{e.id:>6} {e.at} {e.actor:<28} {e.action:<8} {len(e.keys):>5} records  {e.detail}")


def security_event_json(e: node_pb2.SecurityEvent) -> dict:
    """One line of `security-events --json`: the SecurityEvent, an empty peer, origin or record_id as null."""
    return {"id": e.id, "at": e.at, "kind": e.kind, "peer": e.peer or None, "origin": e.origin or None,
            "record_id": e.record_id or None, "detail": e.detail}


def security_event_line(e: node_pb2.SecurityEvent) -> str:
    """One line of `security-events`: id, time, kind, the peer it came from, the record, the detail (all text
    from the network goes through `shown`)."""
    record = f"{e.origin}/{e.record_id}" if e.record_id else "-"
    return shown(f"{e.id:>6} {e.at} {e.kind:<18} {e.peer or '-':<10} {record}  {e.detail}")


# -- requests and validations ------------------------------------------------------------

def _name(enum, number: int) -> str:
    return enum_to_str(enum.DESCRIPTOR, number)


def _keys(keys) -> list[dict]:
    return [{"origin": k.origin, "record_id": k.record_id, "version": k.version} for k in keys]


def summary_json(s: request_pb2.RequestSummary) -> dict:
    return {
        "origin": s.key.origin, "record_id": s.key.record_id, "requester": s.requester, "addressee": s.addressee,
        "via_rilo": s.via_rilo or None, "assistance": _name(request_pb2.AssistanceType, s.assistance),
        "urgency": _name(request_pb2.Urgency, s.urgency), "subject": s.subject, "due_date": s.due_date,
        "created_at": s.created_at, "status": _name(request_pb2.RequestStatus, s.status), "overdue": s.overdue,
        "updated_at": s.updated_at, "responses": s.responses, "notice_only": s.notice_only,
    }


def event_json(e: request_pb2.RequestEvent) -> dict:
    """One response, closure or notice; every key present for its kind, whether set or not."""
    out = {"origin": e.key.origin, "record_id": e.key.record_id, "kind": _name(record_pb2.RecordKind, e.kind),
           "created_at": e.created_at, "counts": e.counts}
    which = e.WhichOneof("body")
    if which == "response":
        r = e.response
        out.update(status=_name(request_pb2.ResponseStatus, r.status), text=r.text, reason=r.reason,
                   records=_keys(r.records), released=_keys(r.released), annex_released=r.annex_released)
    elif which == "closure":
        out.update(text=e.closure.text)
    elif which == "notice":
        n = e.notice
        out.update(type=_name(request_pb2.NoticeType, n.type), addressee=n.addressee, due_date=n.due_date,
                   urgency=_name(request_pb2.Urgency, n.urgency),
                   assistance=_name(request_pb2.AssistanceType, n.assistance))
    return out


def print_request_list(rows: list[dict]) -> None:
    """`request list` without --json; `rows` are summary_json objects."""
    for r in rows:
        route = f"{r['requester']} -> {r['addressee']}" + (f" via {r['via_rilo']}" if r["via_rilo"] else "")
        status = r["status"] + (" OVERDUE" if r["overdue"] else "")
        print(shown(f"{r['origin']}/{r['record_id']}  {route:<22} {r['assistance']:<12} {r['urgency']:<9} "
                    f"due {r['due_date']}  {status:<20} {r['subject'] or '(known here from a notice only)'}"))
    if not rows:
        print("no requests")


def print_request(out: dict) -> None:
    """`request show` without --json; `out` is its --json object. Every text goes through `shown`."""
    s, req = out, out["request"]
    print(shown(f"request {s['origin']}/{s['record_id']}: {s['status']}{' (OVERDUE)' if s['overdue'] else ''}"))
    print(shown(f"  from {s['requester']} to {s['addressee']}" + (f" via {s['via_rilo']}" if s["via_rilo"] else "")))
    print(shown(f"  {s['assistance']}, {s['urgency']}, due {s['due_date']}, sent {s['created_at']}"))
    print(shown(f"  legal basis: {req.get('legal_basis', '')}"))
    print(shown(f"  subject: {s['subject']}"))
    if req.get("facts"):
        print("  facts: " + shown(req["facts"], multiline=True, indent="    "))
    for k in req.get("records", []):
        print(shown(f"  concerns: {k['origin']}/{k['record_id']}"))
    if req.get("contact"):
        print(shown(f"  contact: {req['contact']}"))
    for e in out["events"]:
        what = e.get("status") or e.get("type") or ""
        line = f"  {e['created_at']}  {e['kind']:<8} {e['origin']:<8} {what}"
        if not e["counts"]:
            line += "  (does not count: not from the addressee or requester)"
        print(shown(line))
        for field in ("text", "reason"):
            if e.get(field):
                print(f"      {field}: " + shown(e[field], multiline=True, indent="        "))
        for k in e.get("released", []):
            print(shown(f"      released: {k['origin']}/{k['record_id']}/v{k['version']}"
                        + (" with annex" if e.get("annex_released") else "")))


def validation_json(v: request_pb2.SeizureValidation) -> dict:
    return {"origin": v.seizure.origin, "record_id": v.seizure.record_id, "version": v.seizure.version,
            "state": _name(request_pb2.ValidationState, v.state), "rilo": v.rilo or None,
            "comments": v.comments or None, "validated_at": v.validated_at or None,
            "held_in_region": v.held_in_region, "seizure_date": v.seizure_date, "country": v.country}


def print_validations(rows: list[dict], pending: bool) -> None:
    """`seizure validations` without --json; `rows` are validation_json objects."""
    for r in rows:
        held = "  held in region" if r["held_in_region"] else ""
        comments = f"  {r['comments']}" if r["comments"] else ""
        print(shown(f"{r['origin']}/{r['record_id']}/v{r['version']}  {r['seizure_date']}  {r['state']:<9}{held}"
                    f"{comments}"))
    if not rows:
        print("no seizures" + (" awaiting validation" if pending else ""))


# -- the simulated network ---------------------------------------------------------------

def print_cluster_status(rows: list[dict], workdir: str) -> None:
    print_table(f"cluster {workdir}", ["node", "role", "region", "state", "pid", "records", "own", "peers up",
                                       "behind", "sec. events"],
                [[r["id"], r["role"], r["region"] or "-", r["state"], str(r["pid"] or "-"),
                  *(str(r[k]) if r[k] is not None else "-" for k in ("records", "own", "peers_up", "behind",
                                                                      "security_events"))] for r in rows],
                whole=("node",))
