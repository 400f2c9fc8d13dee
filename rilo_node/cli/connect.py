"""Which node a command talks to (the connection flags), and its gRPC errors as command-line errors."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import grpc

from rilo_node.api.client import (
    NodeClient,
    Target,
    target_from_cluster,
    target_from_node_dir,
)
from rilo_node.cli.argtypes import bounded_float
from rilo_node.cli.output import EXIT_BAD_INPUT, EXIT_FAIL
from rilo_node.core.errors import CliError


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
    g.add_argument("--timeout", type=bounded_float(0.1, 86_400), default=60.0,
                   help="seconds per call, at most 86400 (default 60)")


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


def rpc_error(exc: grpc.RpcError) -> CliError:
    code = exc.code()
    field = dict(exc.trailing_metadata() or ()).get("rilo-field", "") if hasattr(exc, "trailing_metadata") else ""
    detail = exc.details() or code.name
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.ALREADY_EXISTS):
        # Bad input is 2; ALREADY_EXISTS (a record_id reused with other content) is a conflict, not bad input: 1.
        return CliError(detail if (not field or detail.startswith(field)) else f"{field}: {detail}",
                        EXIT_BAD_INPUT if code == grpc.StatusCode.INVALID_ARGUMENT else EXIT_FAIL)
    if code == grpc.StatusCode.UNAVAILABLE:
        return CliError(f"node unavailable: {detail}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        # The node may be slow, or not there at all: with a short --timeout, a connection that is refused
        # can come back later than the deadline.
        return CliError(f"no answer within --timeout (node slow or unavailable): {detail}")
    return CliError(f"{code.name}: {detail}")


# A node that says it is busy (RESOURCE_EXHAUSTED) says for how long, in this trailer; the command waits
# that long and tries again, a few times, within its --timeout.
RETRY_PUSHBACK_KEY = "grpc-retry-pushback-ms"
BUSY_RETRIES = 5


def retry_after(exc: grpc.RpcError) -> float | None:
    """Seconds to wait before trying again, when the node said it is busy and for how long."""
    if exc.code() != grpc.StatusCode.RESOURCE_EXHAUSTED or not hasattr(exc, "trailing_metadata"):
        return None
    value = dict(exc.trailing_metadata() or ()).get(RETRY_PUSHBACK_KEY)
    try:
        return min(max(int(value), 0), 10_000) / 1000 if value is not None else None
    except ValueError:
        return None


def call(method, request, args):
    """One unary (or client-streaming) call with the --timeout; a gRPC error becomes a CliError. A busy
    node's retry-after is honoured (a streamed request is not repeated: its iterator is spent)."""
    deadline = time.monotonic() + args.timeout if args.timeout else None
    for attempt in range(BUSY_RETRIES + 1):
        try:
            remaining = None if deadline is None else max(0.1, deadline - time.monotonic())
            return method(request, timeout=remaining)
        except grpc.RpcError as exc:
            wait = retry_after(exc)
            retryable = wait is not None and attempt < BUSY_RETRIES and not hasattr(request, "__next__")
            if not retryable or (deadline is not None and time.monotonic() + wait >= deadline):
                raise rpc_error(exc) from None
            time.sleep(wait)
