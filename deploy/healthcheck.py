#!/usr/bin/env python3
"""The container's and Kubernetes' health check of a RILO Net node: grpc.health.v1.Health/Check over
the node's mutual TLS, as a client of the node itself.

    python healthcheck.py --config /var/lib/rilo-node/node.toml [--timeout 3]

Exit 0 when the node answers SERVING, 1 otherwise (not serving, not answering, refused). It reads
node.toml for the port, the CA and the certificate to present: the node's own (it carries clientAuth
and CN=node:<id>), unless --cert/--key name a client certificate. Kubernetes' built-in `grpc:` probe
speaks plaintext only, and every port of a node is mutual TLS, so the probes exec this instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from rilo_node.api.client import Target
    from rilo_node.core.errors import ConfigError
    from rilo_node.core.identity import node_dns
    from rilo_node.node.config import load_config

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", required=True, help="the node's node.toml")
    ap.add_argument("--cert", help="a client certificate to present (default: the node's own, tls.cert)")
    ap.add_argument("--key", help="its private key (default: the node's own, tls.key)")
    ap.add_argument("--timeout", type=float, default=3.0, help="seconds (default 3)")
    args = ap.parse_args(argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    port = config.listen.rsplit(":", 1)[1]
    target = Target(address=f"127.0.0.1:{port}", insecure=config.insecure, server_name=node_dns(config.node_id),
                    ca=config.tls_ca, cert=Path(args.cert) if args.cert else config.tls_cert,
                    key=Path(args.key) if args.key else config.tls_key)
    channel = target.channel()
    try:
        resp = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=args.timeout)
    except grpc.RpcError as exc:
        print(f"unhealthy: {exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    finally:
        channel.close()
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
    if resp.status != health_pb2.HealthCheckResponse.SERVING:
        print(f"unhealthy: {status}", file=sys.stderr)
        return 1
    print(status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
