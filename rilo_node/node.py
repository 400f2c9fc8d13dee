"""Composition root: builds the store, keys, servicers and the gRPC server of one node."""

from __future__ import annotations

import logging
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

import rilo_node
from rilo_node.clock import Clock, SystemClock, rfc3339
from rilo_node.config import NodeConfig
from rilo_node.errors import ConfigError
from rilo_node.jobs import Jobs, index_text
from rilo_node.grpc_api.services import NodeAdminService, RecordService, SearchService
from rilo_node.grpc_api.peer_service import PeerService
from rilo_node.grpc_api.request_service import RequestService, ValidationService
from rilo_node.assistance import Requests
from rilo_node.validation import Validations
from rilo_node.pb.rilo.v1 import node_pb2, node_pb2_grpc, peer_pb2_grpc, request_pb2, request_pb2_grpc
from rilo_node.peers import Links, PeerNetwork, Replicator
from rilo_node.query import QueryEngine
from rilo_node.records import RecordBook
from rilo_node.signing import Keyring, SigningKey
from rilo_node.store import Store
from rilo_node.topology import Directory, load_topology

logger = logging.getLogger(__name__)

SERVICE_NAMES = tuple(
    node_pb2.DESCRIPTOR.services_by_name[name].full_name
    for name in ("RecordService", "SearchService", "NodeAdminService")
) + tuple(request_pb2.DESCRIPTOR.services_by_name[name].full_name
          for name in ("RequestService", "ValidationService")) + ("rilo.v1.PeerService",)

# Large enough for a batch of seizures or a page of search hits, small enough to refuse abuse.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def server_credentials(config: NodeConfig) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())],
        root_certificates=config.tls_ca.read_bytes(),
        require_client_auth=True,
    )


class Node:
    """One RILO Net node: its store, its signing key, the gRPC server and its peer links."""

    def __init__(self, config: NodeConfig, *, clock: Clock | None = None, directory: Directory | None = None,
                 links: Links | None = None, max_workers: int | None = None, replicate: bool = True):
        self.config = config
        self.clock = clock or SystemClock()
        directory = directory or load_topology(config.topology)
        info = directory.get(config.node_id)
        if info is None:
            raise ConfigError(f"node id {config.node_id!r} is not in the directory {config.topology}")
        self.info = info
        self.key = SigningKey.load(config.node_id, config.signing_key)
        if info.signing_key and info.signing_key != self.key.public_b64:
            raise ConfigError(f"the directory lists another signing key for {config.node_id!r} than "
                              f"{config.signing_key} holds")
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(config.db_path, synchronous=config.synchronous)
        self.book = RecordBook(
            self.store, self.key, directory, self.clock,
            defaults=config.defaults, node_country=info.country if info.role == "member" else None,
        )
        if config.validation_required:
            if self.book.home_rilo() is None:
                raise ConfigError(f"{config.path}: validation.required needs a home RILO, and "
                                  f"{config.node_id!r} reports to none in the directory")
            self.book.validation_required = True
        self.requests = Requests(self.book, self.clock)
        self.validations = Validations(self.book, self.clock)
        self.keyring = Keyring()
        self.replicator = Replicator(self.store, config.node_id, directory, self.keyring, self.clock)
        self.links = links or Links(config.links or config.base_dir / "links.json")
        tls = None if config.insecure else (config.tls_ca.read_bytes(), config.tls_cert.read_bytes(),
                                             config.tls_key.read_bytes())
        self.network = PeerNetwork(self.replicator, tls=tls, links=self.links, clock=self.clock)
        self.queries = QueryEngine(self.store, self.key, self.keyring, self.clock, self.network, self.replicator)
        self.replicate = replicate and not config.insecure
        self.set_directory(directory)
        self.started_at = rfc3339(self.clock.now())
        self.health = health.HealthServicer()
        self._max_workers = max_workers or (16 + 2 * len(directory.peers(config.node_id)))
        self.server: grpc.Server | None = None
        self.port: int | None = None
        self.jobs = Jobs()
        self.jobs.every(1.0, index_text, "index-text", store=self.store)
        if self.replicate:
            self.jobs.every(1.0, self.network.supervise, "reconnect")
            self.jobs.every(60.0, self.network.anti_entropy_all, "anti-entropy", jitter=15.0)
        self.jobs.every(config.deadline_check_every, self.run_deadlines, "request-deadlines")
        self.jobs.every(1.0, self.run_validation, "validation")
        if config.retention_days:
            self.jobs.every(config.retention_check_every, self.run_retention, "retention")
        self._validation_sweep_at = 0.0

    # -- jobs: each one a plain call on the store and the clock, so tests call them directly --

    def run_deadlines(self) -> int:
        """Reminders and overdue notices for own open requests."""
        return self.requests.deadlines(self.config.reminder_days)

    def run_validation(self) -> int:
        """Publish own seizures their RILO validated; let a RILO's endorsements follow their seizures.
        Runs when a received record asked for it, and every 30 s regardless."""
        sweep = self.clock.monotonic() - self._validation_sweep_at > 30.0
        if sweep:
            self._validation_sweep_at = self.clock.monotonic()
        done = 0
        if self.info.role == "member" and (sweep or self.store.validation_pending):
            done += self.book.publish_validated()
        if self.info.role == "rilo" and (sweep or self.store.endorsements_pending):
            done += self.validations.refresh()
        return done

    def run_retention(self) -> int:
        return self.book.retain(self.config.retention_days)

    def set_directory(self, directory: Directory) -> None:
        """Adopt a (new) directory: addresses, signing keys, entitlements."""
        self.directory = directory
        for n in directory:
            if n.signing_key:
                self.keyring.add_b64(n.id, n.signing_key)
        self.keyring.add(self.key.node_id, self.key.public_raw)
        self.book.directory = directory
        self.replicator.set_directory(directory)
        self.book.entitlements = self.replicator.ent if self.replicate else None

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self, *, replication: bool = True) -> int:
        self._executor = futures.ThreadPoolExecutor(max_workers=self._max_workers,
                                                    thread_name_prefix=f"grpc-{self.config.node_id}")
        server = grpc.server(
            self._executor,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
            maximum_concurrent_rpcs=self._max_workers * 4,
        )
        insecure = self.config.insecure
        node_pb2_grpc.add_RecordServiceServicer_to_server(RecordService(self.book, insecure=insecure), server)
        node_pb2_grpc.add_SearchServiceServicer_to_server(SearchService(self.book, self.queries, insecure=insecure), server)
        node_pb2_grpc.add_NodeAdminServiceServicer_to_server(
            NodeAdminService(self.book, insecure=insecure, started_at=self.started_at, version=rilo_node.__version__,
                             peer_states=self.network.states),
            server,
        )
        request_pb2_grpc.add_RequestServiceServicer_to_server(
            RequestService(self.book, self.requests, insecure=insecure), server)
        request_pb2_grpc.add_ValidationServiceServicer_to_server(
            ValidationService(self.book, self.validations, insecure=insecure), server)
        peer_pb2_grpc.add_PeerServiceServicer_to_server(PeerService(self.replicator, self.links, self.queries, insecure=insecure),
                                                        server)
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
        self.server, self.port = server, port
        for name in SERVICE_NAMES + ("",):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.jobs.start()
        if self.replicate:
            self.network.start_delivery()
        if replication and self.replicate:
            self.start_replication()
        logger.info("[node=%s] serving on %s (%s)", self.config.node_id, self.address,
                    "plaintext" if insecure else "mutual TLS")
        return port

    def start_replication(self) -> None:
        """Pull from every peer now (the reconnect job keeps it so)."""
        self.network.supervise()

    def stop(self, grace: float | None = 2.0) -> None:
        self.jobs.stop()
        self.network.close()
        handlers_done = True
        if self.server is not None:
            self.health.enter_graceful_shutdown()
            self.replicator.close()
            self.server.stop(grace).wait()
            self.server = None
            # grpc does not wait for handlers that are still running (a feed between two reads): wait
            # for them here, so that none is inside the store when it closes.
            self._executor.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + 10.0
            for thread in list(getattr(self._executor, "_threads", ())):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
                handlers_done = handlers_done and not thread.is_alive()
            if not handlers_done:
                logger.warning("[node=%s] a request handler outlived the shutdown; store readers left open",
                               self.config.node_id)
        self.store.close(close_readers=handlers_done)

    def wait(self) -> None:
        if self.server is not None:
            self.server.wait_for_termination()


def serve(config: NodeConfig) -> int:
    """Run a node until SIGTERM or SIGINT; `serve.json` beside the config says where it listens."""
    import json
    import os
    import signal
    import threading

    node = Node(config)
    node.start()
    runtime = {"node": config.node_id, "address": node.address, "pid": os.getpid(), "insecure": config.insecure}
    tmp = config.runtime_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runtime) + "\n")
    tmp.replace(config.runtime_path)
    print(f"serving node {config.node_id} on {node.address} ({'plaintext' if config.insecure else 'mutual TLS'})",
          flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # `kill -USR1 <pid>` writes every thread's stack to standard error (the node's log): what a stuck
    # node is doing, without stopping it.
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)
    stop.wait()
    node.stop(grace=5)
    try:
        config.runtime_path.unlink()
    except FileNotFoundError:
        pass
    return 0
