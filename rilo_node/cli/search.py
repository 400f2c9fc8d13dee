"""`rilo-node search` and `rilo-node stats`: the filters and the scope, here or across the network."""

from __future__ import annotations

import argparse

from rilo_node.api.views import hit_json, node_answer_json, stats_json
from rilo_node.cli.argtypes import MAX_DEADLINE_MS, bounded_int, lower, upper
from rilo_node.cli.connect import add_connection_args, call, client_of
from rilo_node.cli.products import SEARCH_FORMATS, STATS_FORMATS, add_format_args, write_hits, write_stats
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_hits, print_json, print_stats
from rilo_node.core.convert import dict_to_pb
from rilo_node.core.errors import CliError, ValidationError
from rilo_node.core.federation import FILTER_FIELDS, MAX_LIMIT
from rilo_node.pb.rilo.v1 import node_pb2

# filter flag (its argparse dest) -> SearchFilter field
FILTER_FLAGS = {
    "section": "section", "category": "category", "country": "country", "departure": "departure_country",
    "destination": "destination_country", "route_country": "route_country", "from_": "date_from",
    "to": "date_to", "text": "text", "origin": "origin", "group": "group",
}

SCOPES = {"local": node_pb2.QUERY_SCOPE_LOCAL, "area": node_pb2.QUERY_SCOPE_AREA,
          "region": node_pb2.QUERY_SCOPE_REGION, "global": node_pb2.QUERY_SCOPE_GLOBAL}


def add_filter_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    # Enum values in any case, as --country takes `de`: --section drugs is DRUGS.
    g.add_argument("--section", type=upper, help="DRUGS, REVENUE, ... (any case)")
    g.add_argument("--category", type=upper, help="COCAINE, TOBACCO_PRODUCTS, ... (any case)")
    g.add_argument("--country", help="reporting country (ISO 3166 alpha-2)")
    g.add_argument("--departure", help="country of departure")
    g.add_argument("--destination", help="country of destination")
    g.add_argument("--route-country", help="departure, any transit, or destination")
    g.add_argument("--from", dest="from_", metavar="DATE", help="seizure date from (inclusive)")
    g.add_argument("--to", metavar="DATE", help="seizure date to (inclusive)")
    g.add_argument("--text", metavar="WORDS", help="words in the description or commodity")
    g.add_argument("--origin", metavar="ID", type=lower, help="the reporting node")
    g.add_argument("--group", metavar="OP_ID", type=lower, help="only records shared to this operation")


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


def scope_of(value: str) -> tuple[int, list[str]]:
    value = value.lower()  # scope names and node ids are lower case: --scope Global is global
    if value in SCOPES:
        return SCOPES[value], []
    nodes = [v.strip() for v in value.split(",") if v.strip()]
    if not nodes:
        raise CliError("--scope: local, area, region, global, or node ids separated by commas", EXIT_BAD_INPUT)
    return node_pb2.QUERY_SCOPE_NODES, nodes


def cmd_search(args) -> int:
    scope, nodes = scope_of(args.scope)
    request = node_pb2.SearchRequest(filter=filter_of(args), scope=scope, nodes=nodes, limit=args.limit,
                                     deadline_ms=args.deadline_ms, page_token=args.page_token or "")
    out: dict = {"query_id": "", "complete": True, "hits": [], "nodes": []}
    pb_hits: list = []  # for --format: the records of held hits
    with client_of(args) as c:
        while True:
            resp = call(c.search.Search, request, args)
            pb_hits += resp.hits
            # With --all, one JSON answer of every page: complete only if every page was; the nodes of
            # the last page.
            out.update(query_id=resp.query_id, complete=out["complete"] and resp.complete,
                       nodes=[node_answer_json(n) for n in resp.nodes])
            out["hits"] += [hit_json(h) for h in resp.hits]
            if not (args.all and resp.next_page_token):
                break
            request.page_token = resp.next_page_token
        if args.format != "json":
            return write_hits(args, c, pb_hits, out["hits"])
    if resp.next_page_token and not args.all:
        out["next_page_token"] = resp.next_page_token
    if args.json:
        print_json(out)
    else:
        print_hits(out, out["complete"])
    return EXIT_OK


def cmd_stats(args) -> int:
    scope, nodes = scope_of(args.scope)
    group_by = [g.strip().lower() for g in args.group_by.split(",") if g.strip()]
    request = node_pb2.StatsRequest(filter=filter_of(args), scope=scope, nodes=nodes, group_by=group_by,
                                    deadline_ms=args.deadline_ms)
    with client_of(args) as c:
        resp = call(c.search.Stats, request, args)
    out = stats_json(resp)
    if args.format != "json":
        return write_stats(args, out, group_by)
    if args.json:
        print_json(out)
    else:
        print_stats(out, group_by, resp.complete)
    return EXIT_OK


def add_parsers(sub) -> None:
    """search, stats."""
    p = sub.add_parser("search", help="search records (local, or across the network)")
    add_filter_args(p)
    p.add_argument("--scope", default="local", help="local, area, region, global, or ID,ID (default local)")
    p.add_argument("--limit", type=bounded_int(1, MAX_LIMIT), default=100,
                   help=f"hits per page, at most {MAX_LIMIT} (default 100)")
    pages = p.add_mutually_exclusive_group()
    pages.add_argument("--page-token", metavar="T", help="continue after the page that gave this next_page_token")
    pages.add_argument("--all", action="store_true", help="read every page")
    p.add_argument("--deadline-ms", type=bounded_int(1, MAX_DEADLINE_MS), default=0,
                   help=f"how long to wait for the network, at most {MAX_DEADLINE_MS} (default 1500)")
    p.add_argument("--json", action="store_true")
    add_format_args(p, SEARCH_FORMATS)
    add_connection_args(p)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("stats", help="count cases and seized items across the network, grouped")
    add_filter_args(p)
    p.add_argument("--group-by", required=True, metavar="FIELD[,FIELD]",
                   help="section, category, country, departure_country, destination_country, conveyance, "
                        "concealment, detection, location_type, month, region")
    p.add_argument("--scope", default="local", help="local, area, region, global, or ID,ID (default local)")
    p.add_argument("--deadline-ms", type=bounded_int(1, MAX_DEADLINE_MS), default=0,
                   help=f"how long to wait for the network, at most {MAX_DEADLINE_MS} (default 1500)")
    p.add_argument("--json", action="store_true")
    add_format_args(p, STATS_FORMATS)
    add_connection_args(p)
    p.set_defaults(func=cmd_stats)
