"""`rilo-node report`: a regional intelligence product from federated statistics
(docs/analyst-guide.md#reports). One self-contained HTML file, its charts inline SVG drawn with
matplotlib, and the same figures as CSV beside it (report.csv for report.html)."""

from __future__ import annotations

import csv
import datetime
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from rilo_node.api.views import stats_json
from rilo_node.cli.argtypes import MAX_DEADLINE_MS, bounded_int, upper
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, validation_json
from rilo_node.cli.search import scope_of
from rilo_node.core.convert import dict_to_pb
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.products import cases_text, items_text
from rilo_node.pb.rilo.v1 import node_pb2, request_pb2

TOP_ROUTES = 15

# (name, title, group_by, chart kind) of each table of the report, in its order.
TABLES = (
    ("month_section", "Cases and seized items by month and section", ("month", "section"), "months"),
    ("routes", f"Top {TOP_ROUTES} routes: departure → destination", ("departure_country", "destination_country"),
     "bars"),
    ("detection", "Detection method", ("detection",), "bars"),
    ("concealment", "Concealment", ("concealment",), "bars"),
    ("conveyance", "Conveyance", ("conveyance",), "bars"),
    ("countries", "Reporting countries", ("country",), None),
)


@dataclass
class Table:
    name: str
    title: str
    group_by: tuple[str, ...]
    rows: list[dict] = field(default_factory=list)  # key fields, cases, items, below
    nodes: list[dict] = field(default_factory=list)
    complete: bool = True


def _rows(stats: dict, group_by: tuple[str, ...]) -> list[dict]:
    rows = []
    for g in stats["groups"]:
        row = {f: g["key"].get(f, "") or "(none)" for f in group_by}
        row.update(cases=g["cases"], items=g["items"], below=g.get("below", 0))
        rows.append(row)
    return rows


def gather(args) -> dict:
    """Every figure of the report, asked of the node (and through it, of the network)."""
    scope, nodes = scope_of(args.scope)
    for flag, value in (("--from", args.from_), ("--to", args.to)):
        try:
            if value:
                datetime.date.fromisoformat(value)
        except ValueError:
            raise CliError(f"{flag}: {value!r} is not a date (YYYY-MM-DD)", EXIT_BAD_INPUT) from None
    flt = {k: v for k, v in (("date_from", args.from_), ("date_to", args.to), ("section", args.section)) if v}
    try:
        pb_filter = dict_to_pb(flt, node_pb2.SearchFilter())
    except ValidationError as exc:
        raise CliError(f"--{exc.field.replace('date_', '').replace('_', '-')}: {exc.message}", EXIT_BAD_INPUT) from None
    tables = []
    with client_of(args) as c:
        status = call(c.admin.GetStatus, node_pb2.GetStatusRequest(), args)
        for name, title, group_by, _chart in TABLES:
            resp = call(c.search.Stats, node_pb2.StatsRequest(filter=pb_filter, scope=scope, nodes=nodes,
                                                              group_by=list(group_by), deadline_ms=args.deadline_ms),
                        args)
            stats = stats_json(resp)
            table = Table(name, title, group_by, _rows(stats, group_by), stats["nodes"], stats["complete"])
            if name == "routes":
                table.rows = sorted(table.rows, key=lambda r: (-r["cases"], r["departure_country"],
                                                               r["destination_country"]))[:TOP_ROUTES]
            else:
                table.rows.sort(key=lambda r: tuple(r[f] for f in group_by) if name == "month_section"
                                else (-r["cases"], r[group_by[0]]))
            tables.append(table)
        pending = call(c.validation.ListValidations, request_pb2.ListValidationsRequest(pending_only=True, limit=1000),
                       args)
    provisional = [validation_json(v) for v in pending.seizures]
    silent = {}
    for t in tables:
        for n in t.nodes:
            if n["status"] != "OK":
                silent.setdefault(n["node"], n["status"])
    return {"node": status.node_id, "scope": args.scope, "filter": flt, "tables": tables,
            "provisional": provisional, "silent": silent,
            "made_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


# -- charts -------------------------------------------------------------------------------------------

def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    # Inline: drop the XML prolog and DOCTYPE, keep the <svg> element (without its RDF metadata).
    return re.sub(r"<metadata>.*?</metadata>\s*", "", text[text.index("<svg"):], flags=re.DOTALL)


def chart(table: Table, kind: str) -> str:
    """The chart of a table as inline SVG (matplotlib, no external fonts or scripts)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (smaller, searchable)
    matplotlib.rcParams["svg.hashsalt"] = "rilo-net"  # the same figures draw the same file
    fig = Figure(figsize=(8, 3.6))
    ax = fig.subplots()
    shown = [r for r in table.rows if r["cases"]]  # a group named only as "<k" has no figure to draw
    if kind == "months":
        months = sorted({r["month"] for r in shown})
        sections = sorted({r["section"] for r in shown})
        bottom = [0] * len(months)
        for section in sections:
            values = [sum(r["cases"] for r in shown if r["month"] == m and r["section"] == section) for m in months]
            ax.bar(months, values, bottom=bottom, label=section)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_ylabel("cases")
        if sections:
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    else:
        labels = [" → ".join(r[f] for f in table.group_by) for r in shown][::-1]
        ax.barh(labels, [r["cases"] for r in shown][::-1], color="#1f5f99")
        ax.set_xlabel("cases")
        ax.tick_params(axis="y", labelsize=7)
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if kind == "months" else ax.xaxis).set_major_locator(MaxNLocator(integer=True))  # cases are whole
    ax.set_title("Cases by month and section" if kind == "months" else table.title, fontsize=10)
    return _svg(fig)


# -- the HTML and the CSV -------------------------------------------------------------------------------

def _cell(row: dict, what: str) -> str:
    if what == "cases":
        return html.escape(cases_text(row["cases"], row["below"]))
    return items_text(row["items"], row["cases"], row["below"])


def render_html(data: dict) -> str:
    e = html.escape
    flt = data["filter"]
    period = f"{flt.get('date_from', 'the first record')} to {flt.get('date_to', 'the last record')}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>RILO Net intelligence report: {e(data['node'])}, scope {e(data['scope'])}</title>",
        ("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
         "td.n{text-align:right}figure.chart svg{max-width:100%;height:auto}.note{color:#555}</style>"),
        "</head><body>",
        "<h1>Regional intelligence report</h1>",
        (f"<p>Made by node <b>{e(data['node'])}</b> at {e(data['made_at'])} from federated statistics, scope "
        f"<b>{e(data['scope'])}</b>, seizures from {e(period)}"
        + (f", section {e(flt['section'])}" if flt.get("section") else "") + ".</p>"),
        ('<p class="note">Each case counts once, at the node that reported it. A node may hide its groups of '
        "fewer than <i>k</i> cases from askers outside its area (its <code>stats.min_cell</code>): "
        "such a group shows as &lt;<i>k</i> with no figure (<i>N</i> + &lt;<i>k</i> beside other nodes' "
        "figures), and the smallest groups that would let it be recovered by subtraction are left out "
        "(docs/protocol.md#small-cell-protection); every total here is of what is shown. No record is "
        "listed, and another origin's H2 (no onward dissemination) records are counted only where released "
        "to this node, so none leaves the node through this report.</p>"),
    ]
    silent = data["silent"]
    parts.append('<h2 id="nodes">Nodes that did not answer</h2>')
    if silent:
        parts.append("<p>These figures are incomplete: " + ", ".join(
            f"<b>{e(n)}</b> ({e(s)})" for n, s in sorted(silent.items())) + " did not answer.</p>")
    else:
        parts.append("<p>Every node in scope answered.</p>")
    for table, (_name, _title, _gb, kind) in zip(data["tables"], TABLES):
        parts.append(f'<h2 id="{table.name}">{e(table.title)}</h2>')
        if kind and any(r["cases"] for r in table.rows):
            parts.append(f'<figure class="chart" data-chart="{table.name}">{chart(table, kind)}'
                         f"<figcaption>{e(table.title)}</figcaption></figure>")
        heads = "".join(f"<th>{e(f.replace('_', ' '))}</th>" for f in table.group_by)
        parts.append(f'<table data-table="{table.name}"><thead><tr>{heads}<th>cases</th><th>items</th></tr></thead><tbody>')
        for r in table.rows:
            keys = "".join(f"<td>{e(str(r[f]))}</td>" for f in table.group_by)
            parts.append(f'<tr>{keys}<td class="n">{_cell(r, "cases")}</td><td class="n">{_cell(r, "items")}</td></tr>')
        shown = table.rows  # a "<k" part adds nothing to the total of what is shown
        if table.name != "routes":
            parts.append(f'<tr><th colspan="{len(table.group_by)}">total shown</th>'
                         f'<td class="n">{sum(r["cases"] for r in shown)}</td>'
                         f'<td class="n">{sum(r["items"] for r in shown)}</td></tr>')
        parts.append("</tbody></table>")
    parts.append('<h2 id="provisional">Provisional: not yet validated by the RILO</h2>')
    provisional = provisional_counts(data["provisional"])
    if provisional:
        parts.append(f"<p>{len(data['provisional'])} seizure(s) wait for validation at this node (counts by "
                     "reporting node; no record is listed):</p>"
                     '<table data-table="provisional"><thead><tr><th>origin</th><th>state</th><th>cases</th></tr>'
                     "</thead><tbody>")
        for (origin, state), n in provisional.items():
            parts.append(f'<tr><td>{e(origin)}</td><td>{e(state)}</td><td class="n">{n}</td></tr>')
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No seizure waits for validation at this node.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def provisional_counts(validations: list[dict]) -> dict[tuple[str, str], int]:
    """Seizures waiting for validation, counted by origin and state: the report lists no record of
    them (one may be H2, which a report does not disseminate)."""
    counts: dict[tuple[str, str], int] = {}
    for v in validations:
        counts[(v["origin"], v["state"])] = counts.get((v["origin"], v["state"]), 0) + 1
    return dict(sorted(counts.items()))


CSV_COLUMNS = ("table", "key1", "key2", "cases", "items")


def render_csv(data: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for table in data["tables"]:
        for r in table.rows:
            keys = [r[f] for f in table.group_by] + [""] * (2 - len(table.group_by))
            w.writerow([table.name, *keys, cases_text(r["cases"], r["below"]) if r["below"] else r["cases"],
                        items_text(r["items"], r["cases"], r["below"]) if r["below"] else r["items"]])
    for (origin, state), n in provisional_counts(data["provisional"]).items():
        w.writerow(["provisional", origin, state, n, ""])
    for node, status in sorted(data["silent"].items()):
        w.writerow(["not_answered", node, status, "", ""])
    return buf.getvalue()


def cmd_report(args) -> int:
    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise CliError("--out: name an .html file (the CSV is written beside it)", EXIT_BAD_INPUT)
    if not out.parent.is_dir():
        raise CliError(f"--out: {out.parent} is not a folder", EXIT_BAD_INPUT)
    data = gather(args)
    out.write_text(render_html(data), encoding="utf-8")
    csv_path = out.with_suffix(".csv")
    csv_path.write_text(render_csv(data), encoding="utf-8")
    print(out)
    return EXIT_OK


def add_parsers(sub) -> None:
    p = sub.add_parser("report", help="a regional intelligence report (HTML with charts, and CSV) from statistics")
    p.add_argument("--scope", default="region", help="local, area, region, global, or ID,ID (default region)")
    p.add_argument("--from", dest="from_", metavar="DATE", help="seizure date from (inclusive)")
    p.add_argument("--to", metavar="DATE", help="seizure date to (inclusive)")
    p.add_argument("--section", type=upper, help="only this section (DRUGS, REVENUE, ...)")
    p.add_argument("--out", default="report.html", metavar="FILE.html",
                   help="the report (default report.html); the CSV goes beside it as FILE.csv")
    p.add_argument("--deadline-ms", type=bounded_int(1, MAX_DEADLINE_MS), default=0,
                   help=f"how long to wait for the network, at most {MAX_DEADLINE_MS} (default 1500)")
    add_connection_args(p)
    p.set_defaults(func=cmd_report)
