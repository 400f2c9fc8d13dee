"""`rilo-node init`, `serve`, `reindex` and `config check`: a node on this machine, worked on through its
folder."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rilo_node.cli.argtypes import listen_arg, lower
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_OK, print_json
from rilo_node.core.errors import CliError


def cmd_init(args) -> int:
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.node.pki import CertificateAuthority
    from rilo_node.node.provision import init_node_dir

    topo_path = Path(args.topology) if args.topology else default_topology_path()
    directory = load_topology(topo_path)
    if args.id not in directory:
        raise CliError(f"--id {args.id!r} is not a node of {topo_path}", EXIT_BAD_INPUT)
    node_dir = Path(args.dir or f"rilo-{args.id}")
    if args.new_signing_key and not args.force:
        raise CliError("--new-signing-key replaces the signing key of an existing node: it needs --force",
                       EXIT_BAD_INPUT)
    if (node_dir / "node.toml").exists() and not args.force:
        raise CliError(f"{node_dir}/node.toml exists; pass --force to replace its certificates and config "
                       "(the signing key is kept; --new-signing-key makes a new one)")
    if args.insecure and not args.listen.startswith("127.0.0.1:"):
        raise CliError("--insecure serves plaintext and so binds 127.0.0.1 only", EXIT_BAD_INPUT)
    if bool(args.ca_cert) != bool(args.ca_key):
        raise CliError("--ca-cert and --ca-key go together", EXIT_BAD_INPUT)
    ca = CertificateAuthority.load(Path(args.ca_cert), Path(args.ca_key)) if args.ca_cert else None
    if args.web and args.insecure:
        raise CliError("--web needs TLS: it is not served by an --insecure node", EXIT_BAD_INPUT)
    folder = init_node_dir(node_dir, args.id, topo_path, listen=args.listen, ca=ca, insecure=args.insecure,
                           client_name=args.client_name, new_signing_key=args.new_signing_key)
    if args.web:
        from rilo_node.node.config import update_config

        update_config(folder.config, {"web": {"listen": args.web, "admin_totp": True}})
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
        config = dataclasses.replace(config, listen=args.listen)
    if args.insecure or (args.listen and config.insecure):
        if not config.listen.startswith("127.0.0.1:"):
            which = "--insecure" if args.insecure else "node.insecure"
            raise CliError(f"{which} serves plaintext and so binds 127.0.0.1 only", EXIT_BAD_INPUT)
        config = dataclasses.replace(config, insecure=True)
    return serve(config, log_format=args.log_format, web=web_starter(config))


def web_starter(config):
    """What starts the web interface where `[web] listen` is set: imported only then."""
    if not config.web_listen or config.insecure:
        return None
    from rilo_node.web.server import start_web

    return start_web


def cmd_reindex(args) -> int:
    from rilo_node.api.server import Node, serving_pid
    from rilo_node.node.config import load_config

    config = load_config(args.config)
    pid = serving_pid(config)
    if pid is not None:  # two processes writing the search tables at once: refuse (exit 1)
        raise CliError(f"node {config.node_id} is serving (pid {pid}, per {config.runtime_path}): stop it first; "
                       f"if no node runs, remove that file")
    node = Node(config)
    try:
        n = node.book.reindex()
    finally:
        node.stop()
    print(f"rebuilt the search projections of {n} seizures")
    return EXIT_OK


def cmd_config_check(args) -> int:
    import sys

    from rilo_node.cli.output import shown
    from rilo_node.node.check import check_config

    report = check_config(args.config)
    if report.ok:
        print(shown(report.summary()))
        return EXIT_OK
    where = report.config.path if report.config else Path(args.config).resolve()
    if len(report.problems) == 1:
        print(f"rilo-node: {shown(where)}: {shown(report.problems[0])}", file=sys.stderr)
    else:
        print(f"rilo-node: {shown(where)}: {len(report.problems)} problems", file=sys.stderr)
        for problem in report.problems:
            print(f"  {shown(problem)}", file=sys.stderr)
    return EXIT_BAD_INPUT


def add_parsers(sub) -> None:
    """init, serve, reindex, config check."""
    p = sub.add_parser("init", help="keys, certificates, data folder and config for a new node")
    p.add_argument("--id", required=True, help="the node id from the directory (e.g. de, rilo-we, wco)")
    p.add_argument("--dir", help="the node folder (default ./rilo-ID)")
    p.add_argument("--topology", help="the directory file (default: config/topology.toml)")
    p.add_argument("--listen", type=listen_arg, default="127.0.0.1:7400",
                   help="host:port to serve on, as node.listen takes it (default 127.0.0.1:7400)")
    p.add_argument("--ca-cert", help="the network CA certificate (else a development CA is made)")
    p.add_argument("--ca-key", help="the network CA key, with --ca-cert")
    p.add_argument("--client-name", default="national-system", help="name in the client certificate")
    p.add_argument("--insecure", action="store_true", help="configure plaintext on 127.0.0.1 (development only)")
    p.add_argument("--web", type=listen_arg, metavar="ADDR",
                   help="serve the web interface on host:port, HTTPS with the node's certificate ([web] listen)")
    p.add_argument("--force", action="store_true",
                   help="replace an existing node's certificates and config (the signing key is kept)")
    p.add_argument("--new-signing-key", action="store_true",
                   help="with --force: make a new signing key too (see the operator guide on rotation)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("serve", help="run a node")
    p.add_argument("--config", required=True, help="the node.toml written by init")
    p.add_argument("--listen", type=listen_arg, help="override node.listen (host:port)")
    p.add_argument("--insecure", action="store_true", help="plaintext on 127.0.0.1 only (development)")
    p.add_argument("--log-format", type=lower, choices=("text", "json"), default="text",
                   help="log lines as text (default) or as one JSON object each")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("reindex", help="rebuild the search tables from the signed records (node stopped)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_reindex)

    config = sub.add_parser("config", help="check a node's configuration").add_subparsers(
        dest="action", required=True, metavar="ACTION")
    p = config.add_parser("check", help="check node.toml, its directory and its key and certificate files")
    p.add_argument("--config", required=True, help="the node.toml to check")
    p.set_defaults(func=cmd_config_check)
