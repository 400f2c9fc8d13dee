"""gRPC client to a node, for the command line, tests and national systems written in Python."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import grpc

from rilo_node.core.errors import ConfigError
from rilo_node.core.identity import node_dns
from rilo_node.node.config import load_config
from rilo_node.pb.rilo.v1 import hit_pb2_grpc, node_pb2_grpc, operation_pb2_grpc, request_pb2_grpc

MAX_MESSAGE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    address: str
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    # The name the server's certificate must carry ("<id>.node.rilo"); None checks the address itself.
    server_name: str | None = None
    insecure: bool = False

    def channel(self) -> grpc.Channel:
        options = [
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
        if self.insecure:
            return grpc.insecure_channel(self.address, options=options)
        for name in ("ca", "cert", "key"):
            if getattr(self, name) is None:
                raise ConfigError(f"--{name} is required for a TLS connection (or use --insecure)")
        creds = grpc.ssl_channel_credentials(
            root_certificates=self.ca.read_bytes(),
            private_key=self.key.read_bytes(),
            certificate_chain=self.cert.read_bytes(),
        )
        if self.server_name:
            options.append(("grpc.ssl_target_name_override", self.server_name))
        return grpc.secure_channel(self.address, creds, options=options)


def target_from_node_dir(node_dir: Path) -> Target:
    """The node a `rilo-node init` folder describes, as started by `rilo-node serve` (serve.json)."""
    node_dir = Path(node_dir)
    config = load_config(node_dir / "node.toml")
    try:
        runtime = json.loads(config.runtime_path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{config.runtime_path} not found: is `rilo-node serve --config {config.path}` running?") from None
    tls = node_dir / "tls"
    return Target(
        address=runtime["address"],
        ca=tls / "ca.pem", cert=tls / "client.pem", key=tls / "client.key",
        server_name=node_dns(config.node_id), insecure=config.insecure,
    )


def target_from_cluster(workdir: Path, node_id: str) -> Target:
    """A node of a simulated network, from DIR/cluster.json."""
    path = Path(workdir) / "cluster.json"
    try:
        cluster = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: start the network with `rilo-node cluster up --detach`") from None
    for node in cluster.get("nodes", []):
        if node["id"] == node_id:
            return Target(
                address=node["address"], ca=Path(node["ca"]), cert=Path(node["client_cert"]),
                key=Path(node["client_key"]), server_name=node_dns(node_id),
            )
    raise ConfigError(f"node {node_id!r} is not in {path}")


class NodeClient:
    """Stubs of the client services of one node over one channel."""

    def __init__(self, target: Target):
        self.target = target
        self.channel = target.channel()
        self.records = node_pb2_grpc.RecordServiceStub(self.channel)
        self.search = node_pb2_grpc.SearchServiceStub(self.channel)
        self.admin = node_pb2_grpc.NodeAdminServiceStub(self.channel)
        self.requests = request_pb2_grpc.RequestServiceStub(self.channel)
        self.validation = request_pb2_grpc.ValidationServiceStub(self.channel)
        self.operations = operation_pb2_grpc.OperationServiceStub(self.channel)
        self.hits = hit_pb2_grpc.HitServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "NodeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
