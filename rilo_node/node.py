"""Composition root: builds the store, keys, servicers and the gRPC server of one node."""

from __future__ import annotations

import logging
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

import rilo_node
from rilo_node.clock import Clock, SystemClock, rfc3339
from rilo_node.config import NodeConfig
from rilo_node.errors import ConfigError
from rilo_node.jobs import Jobs, index_text
from rilo_node.grpc_api.services import NodeAdminService, RecordService, SearchService
from rilo_node.pb.rilo.v1 import node_pb2, node_pb2_grpc
from rilo_node.records import RecordBook
from rilo_node.signing import Keyring, SigningKey
from rilo_node.store import Store
from rilo_node.topology import Directory, load_topology

logger = logging.getLogger(__name__)

SERVICE_NAMES = tuple(
    node_pb2.DESCRIPTOR.services_by_name[name].full_name
    for name in ("RecordService", "SearchService", "NodeAdminService")
)

# Large enough for a batch of seizures or a page of search hits, small enough to refuse abuse.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def server_credentials(config: NodeConfig) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
        root_certificates=config.tls_ca.read_bytes(),
        require_client_auth=True,
    )


class Node:
    """One RILO Net node: its store, its signing key, and the gRPC server in front of them."""

    def __init__(self, config: NodeConfig, *, clock: Clock | None = None, directory: Directory | None = None,
                 max_workers: int = 32):
        self.config = config
        self.clock = clock or SystemClock()
        self.directory = directory or load_topology(config.topology)
        info = self.directory.get(config.node_id)
        if info is None:
            raise ConfigError(f"node id {config.node_id!r} is not in the directory {config.topology}")
        self.info = info
        self.key = SigningKey.load(config.node_id, config.signing_key)
        self.keyring = Keyring()
        for n in self.directory:
            if n.signing_key:
                self.keyring.add_b64(n.id, n.signing_key)
        self.keyring.add(self.key.node_id, self.key.public_raw)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(config.db_path, synchronous=config.synchronous)
        self.book = RecordBook(
            self.store, self.key, self.directory, self.clock,
            defaults=config.defaults, node_country=info.country if info.role == "member" else None,
        )
        self.started_at = rfc3339(self.clock.now())
        self.health = health.HealthServicer()
        self._max_workers = max_workers
        self.server: grpc.Server | None = None
        self.port: int | None = None
        self.jobs = Jobs()
        self.jobs.every(1.0, index_text, "index-text", store=self.store)

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self) -> int:
        server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=self._max_workers, thread_name_prefix=f"grpc-{self.config.node_id}"),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
        )
        insecure = self.config.insecure
        node_pb2_grpc.add_RecordServiceServicer_to_server(RecordService(self.book, insecure=insecure), server)
        node_pb2_grpc.add_SearchServiceServicer_to_server(SearchService(self.book, insecure=insecure), server)
        node_pb2_grpc.add_NodeAdminServiceServicer_to_server(
            NodeAdminService(self.book, insecure=insecure, started_at=self.started_at, version=rilo_node.__version__),
            server,
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        reflection.enable_server_reflection(SERVICE_NAMES + (health.SERVICE_NAME, reflection.SERVICE_NAME), server)
        if insecure:
            if not self.config.listen.startswith("127.0.0.1:"):
                raise ConfigError("--insecure binds 127.0.0.1 only")
            port = server.add_insecure_port(self.config.listen)
        else:
            port = server.add_secure_port(self.config.listen, server_credentials(self.config))
        if port == 0:
            raise ConfigError(f"could not bind {self.config.listen}")
        server.start()
        self.jobs.start()
        self.server, self.port = server, port
        for name in SERVICE_NAMES + ("",):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        logger.info("[node=%s] serving on %s (%s)", self.config.node_id, self.address,
                    "plaintext" if insecure else "mutual TLS")
        return port

    def stop(self, grace: float | None = 2.0) -> None:
        self.jobs.stop()
        if self.server is not None:
            self.health.enter_graceful_shutdown()
            self.server.stop(grace).wait()
            self.server = None
        self.store.close()

    def wait(self) -> None:
        if self.server is not None:
            self.server.wait_for_termination()


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
