"""`rilo-node top`: a live view of a node, or of every node of a simulated network: records, rates, peers
and their lag, and the newest security events."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from rilo_node.api.client import NodeClient, Target, target_from_cluster
from rilo_node.cli.argtypes import bounded_float, bounded_int
from rilo_node.cli.connect import add_connection_args, target_of
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, shown
from rilo_node.core.errors import CliError
from rilo_node.pb.rilo.v1 import node_pb2


@dataclass
class Sample:
    """One node at one moment, as its admin service answered (or why it did not)."""

    node: str
    at: float
    status: node_pb2.GetStatusResponse | None = None
    events: list = field(default_factory=list)
    error: str = ""


def sample(node: str, target: Target, events: int, timeout: float) -> Sample:
    out = Sample(node, time.monotonic())
    try:
        with NodeClient(target) as c:
            out.status = c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=timeout)
            if events and out.status.security_events:
                # The events come oldest first: page to the newest.
                after = max(0, out.status.security_events - events)
                listed = c.admin.ListSecurityEvents(node_pb2.ListSecurityEventsRequest(after_id=after, limit=events),
                                                    timeout=timeout)
                out.events = list(listed.events)
    except grpc.RpcError as exc:
        out.error = f"{exc.code().name}: {exc.details() or ''}"
    return out


def frame(now: list[Sample], before: dict[str, Sample]) -> Group:
    """The nodes' table, their peers' table and the newest security events."""
    nodes = Table(title="nodes", expand=False)
    for col, justify in (("node", "left"), ("records", "right"), ("own", "right"), ("new/s", "right"),
                         ("peers up", "right"), ("behind", "right"), ("events", "right"), ("state", "left")):
        nodes.add_column(col, justify=justify, no_wrap=True)
    peers = Table(title="peers")
    for col in ("node", "peer", "state", "behind", "checkpoint"):
        peers.add_column(col, justify="right" if col in ("behind", "checkpoint") else "left")
    events = Table(title="newest security events")
    for col in ("node", "at", "kind", "from", "detail"):
        events.add_column(col)
    for s in now:
        if s.status is None:
            nodes.add_row(s.node, "", "", "", "", "", "", Text(shown(s.error), style="red"))
            continue
        st = s.status
        prev = before.get(s.node)
        rate = ""
        if prev is not None and prev.status is not None and s.at > prev.at:
            rate = f"{(st.records_held - prev.status.records_held) / (s.at - prev.at):,.0f}"
        up = sum(1 for p in st.peers if p.state == "connected")
        nodes.add_row(s.node, f"{st.records_held:,}", f"{st.own_records:,}", rate, f"{up}/{len(st.peers)}",
                      f"{sum(p.behind for p in st.peers):,}", f"{st.security_events:,}", "serving")
        for p in st.peers:
            peers.add_row(s.node, p.peer, Text(shown(p.state), style="" if p.state == "connected" else "yellow"),
                          f"{p.behind:,}", f"{p.checkpoint:,}")
        for e in s.events:
            events.add_row(s.node, e.at, e.kind, shown(e.peer), shown(e.detail)[:80])
    return Group(nodes, peers, events)


def _targets(args) -> list[tuple[str, Target]]:
    if args.cluster and not args.node:
        path = Path(args.cluster) / "cluster.json"
        try:
            ids = [n["id"] for n in json.loads(path.read_text())["nodes"]]
        except (OSError, ValueError, KeyError) as exc:
            raise CliError(f"{path}: cannot read the network ({exc})", EXIT_BAD_INPUT) from None
        return [(i, target_from_cluster(Path(args.cluster), i)) for i in ids]
    target = target_of(args)
    name = args.node or (target.server_name or "").removesuffix(".node.rilo") or target.address
    return [(name, target)]


def cmd_top(args) -> int:
    targets = _targets(args)
    before: dict[str, Sample] = {}

    def take() -> list[Sample]:
        return [sample(n, t, args.events, min(args.timeout, 5.0)) for n, t in targets]

    first = take()
    if all(s.status is None for s in first):
        # Nothing to watch: said once, like every command that cannot reach its node.
        raise CliError("node unavailable: " + "; ".join(f"{s.node}: {s.error}" for s in first))
    if args.once:
        before = {s.node: s for s in first}
        time.sleep(args.interval)
        Console().print(frame(take(), before))
        return EXIT_OK
    with Live(frame(first, before), refresh_per_second=4, screen=False) as live:
        try:
            while True:
                now = take()
                live.update(frame(now, before))
                before = {s.node: s for s in now}
                time.sleep(args.interval)
        except KeyboardInterrupt:
            return EXIT_OK


def add_parsers(sub) -> None:
    p = sub.add_parser("top", help="a live view of a node, or with --cluster alone of every node of a network")
    p.add_argument("--interval", type=bounded_float(0.2, 3600), default=2.0, help="seconds between views (default 2)")
    p.add_argument("--events", type=bounded_int(0, 100), default=5,
                   help="newest security events to show per node (default 5)")
    p.add_argument("--once", action="store_true", help="print one view (two samples, --interval apart) and exit")
    add_connection_args(p)
    p.set_defaults(func=cmd_top)
