"""`rilo-node cluster ...` (a simulated network of nodes on this machine) and `rilo-node demo` (one node)."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from rilo_node.cli.argtypes import MAX_SEED, bounded_float, bounded_int, lower
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_cluster_status, print_json
from rilo_node.core.errors import CliError
from rilo_node.sim.progress import terminal_progress


def _members_per_area(value: str) -> int | None:
    if value.strip().lower() == "all":
        return None
    try:
        n = int(value)
    except ValueError:
        raise CliError("--members-per-area: a number or 'all'", EXIT_BAD_INPUT) from None
    if n < 0:
        raise CliError("--members-per-area: at least 0", EXIT_BAD_INPUT)
    return n


def _net_options(args):
    """--hosts, --latency, --latency-table, --loss, --bandwidth as NetOptions; exit 2 when they cannot be had."""
    from rilo_node.sim import netns
    from rilo_node.sim.simnet import NetOptions, NetworkError

    if args.hosts and netns.unavailable():
        raise CliError(netns.unavailable(), EXIT_BAD_INPUT)
    if args.latency_table and not Path(args.latency_table).is_file():
        raise CliError(f"--latency-table: no file {args.latency_table}", EXIT_BAD_INPUT)
    try:
        return NetOptions(hosts=args.hosts, latency=None if args.latency == "none" else args.latency,
                          latency_table=Path(args.latency_table) if args.latency_table else None,
                          loss=args.loss / 100, bandwidth_bps=args.bandwidth * 1e6 if args.bandwidth else None)
    except NetworkError as exc:
        raise CliError(str(exc), EXIT_BAD_INPUT) from None


def add_net_args(p) -> None:
    """The flags that place the nodes on hosts of their own and put the WAN between them."""
    p.add_argument("--hosts", action="store_true",
                   help="each node in its own network namespace with its own address (needs root and ip)")
    p.add_argument("--latency", choices=["none", "wan"], default="none", type=lower,
                   help="wan: delay every link by the one-way time of its two regions (config/latency.toml)")
    p.add_argument("--latency-table", help="the region-pair table for --latency wan (default: config/latency.toml)")
    p.add_argument("--loss", type=bounded_float(0, 50), default=0.0,
                   help="with --latency wan: %% of TCP segments lost (0-50)")
    p.add_argument("--bandwidth", type=bounded_float(0.01, 100_000), default=None,
                   help="with --latency wan: each link's cap in Mbit/s, each direction")


def print_web_hint(data: dict) -> None:
    """Where one node's web interface is, and how to sign in (on standard error, as the progress is)."""
    entry = next((n for n in data["nodes"] if n.get("web") and n["role"] == "rilo"),
                 next((n for n in data["nodes"] if n.get("web")), None))
    if entry is None:
        return
    files = entry["web_users"]
    totp = str(Path(files["admin"]).with_name("admin.totp"))
    print(f"web interface of {entry['id']}: {entry['web']}/  (every node's is in cluster.json, \"web\")\n"
          f"  sign in as analyst with the password in {files['analyst']}; viewer and admin likewise, the admin "
          f"with a TOTP code from the secret in {totp}\n"
          f"  the browser must trust the network CA: {entry['ca']} (docs/operator-guide.md#the-web-interface)",
          file=sys.stderr)


def cmd_cluster_up(args) -> int:
    from rilo_node.sim.cluster import Cluster
    from rilo_node.sim.seeding import seed_records

    net = _net_options(args)
    cluster = Cluster(args.workdir)
    progress = terminal_progress()
    data = cluster.up(topology=Path(args.topology) if args.topology else None,
                      members_per_area=_members_per_area(args.members_per_area), progress=progress, net=net,
                      hitcheck_quota=args.hitcheck_quota, web=args.web)
    print(f"{len(data['nodes'])} nodes healthy after {data['healthy_after_s']} s; cluster.json in {cluster.workdir}",
          file=sys.stderr)
    print_web_hint(data)
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
    else:
        print_cluster_status(rows, str(Path(args.workdir).resolve()))
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

    return run_cluster_demo(records=args.records, seed=args.seed, workdir=args.workdir, net=_net_options(args))


def cmd_demo(args) -> int:
    from rilo_node.sim.demo import run

    return run(args.count, args.seed)


def add_parsers(sub) -> None:
    """cluster up|status|down|demo|stop|start|partition|heal, then the one-node demo."""
    cluster = sub.add_parser("cluster", help="a simulated network of nodes on this machine").add_subparsers(
        dest="action", required=True)

    def workdir_arg(p):
        p.add_argument("--workdir", default=".rilo-cluster", help="the cluster's folder (default .rilo-cluster)")

    p = cluster.add_parser("up", help="start the network (each node its own process)")
    p.add_argument("--topology", help="the directory file (default: config/topology.toml)")
    workdir_arg(p)
    p.add_argument("--members-per-area", default="2", help="members per RILO area, or all (default 2)")
    p.add_argument("--seed-records", type=bounded_int(0, 1_000_000), default=0,
                   help="spread N synthetic seizures over the members")
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=1, help="random seed for --seed-records")
    p.add_argument("--detach", action="store_true", help="return once every node is healthy")
    p.add_argument("--hitcheck-quota", type=bounded_int(0, 10_000_000), default=None, metavar="N",
                   help="hitcheck.quota_per_day of every node: blind evaluations per asking node per UTC day")
    p.add_argument("--web", default="all", metavar="all|none|ID,…",
                   help="the nodes that serve the web interface, with users viewer, analyst and admin (default all)")
    add_net_args(p)
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
    p.add_argument("--records", type=bounded_int(1, 1_000_000), default=2000, help="seizures to seed (default 2000)")
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=1)
    p.add_argument("--workdir", default=None, help="keep the network in this folder (default: a temporary one)")
    add_net_args(p)
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
    p.add_argument("--count", type=bounded_int(1, 1_000_000), default=300, help="seizures to submit (default 300)")
    p.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=7)
    p.set_defaults(func=cmd_demo)
