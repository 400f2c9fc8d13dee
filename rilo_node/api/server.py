"""The gRPC server of a node: every service on one port, mutual TLS, health and reflection."""

from __future__ import annotations

import contextlib
import logging
import time
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

import rilo_node
from rilo_node.api.access import AccessLog
from rilo_node.api.aio_server import Bridge, LoopThread
from rilo_node.api.callers import CallerShares, CallPools
from rilo_node.api.errors import MalformedRequests
from rilo_node.api.hit_service import HitEvaluationService, HitService
from rilo_node.api.key_service import KeyAdminService, KeyService
from rilo_node.api.operation_service import OperationService
from rilo_node.api.peer_service import PeerService
from rilo_node.api.reflection import enable_server_reflection
from rilo_node.api.request_service import RequestService, ValidationService
from rilo_node.api.services import NodeAdminService, RecordService, SearchService
from rilo_node.api.user_service import UserService
from rilo_node.core.errors import ConfigError
from rilo_node.node.config import NodeConfig
from rilo_node.node.logs import enable_access_log, use_json_logs
from rilo_node.node.node import NodeCore
from rilo_node.node.operations import Operations
from rilo_node.pb.rilo.v1 import (
    hit_pb2,
    hit_pb2_grpc,
    keys_pb2,
    keys_pb2_grpc,
    node_pb2,
    node_pb2_grpc,
    operation_pb2,
    operation_pb2_grpc,
    peer_pb2_grpc,
    request_pb2,
    request_pb2_grpc,
    user_pb2,
    user_pb2_grpc,
)

logger = logging.getLogger(__name__)

SERVICE_NAMES = tuple(
    node_pb2.DESCRIPTOR.services_by_name[name].full_name
    for name in ("RecordService", "SearchService", "NodeAdminService")
) + tuple(request_pb2.DESCRIPTOR.services_by_name[name].full_name
          for name in ("RequestService", "ValidationService")) + ("rilo.v1.PeerService",) + tuple(
    keys_pb2.DESCRIPTOR.services_by_name[name].full_name for name in ("KeyService", "KeyAdminService")) + (
    operation_pb2.DESCRIPTOR.services_by_name["OperationService"].full_name,
    user_pb2.DESCRIPTOR.services_by_name["UserService"].full_name) + tuple(
    hit_pb2.DESCRIPTOR.services_by_name[name].full_name for name in ("HitService", "HitEvaluationService"))

# Keepalive, enforced: the node pings a caller with calls open every 30 s and drops the connection when
# no answer comes within 10 s (a vanished client no longer holds its streams' workers); a client that
# pings more often than every 10 s without data is sent away after 3 strikes; a connection with no call
# for 5 minutes is closed (the caller reconnects on its next call).
KEEPALIVE = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 3),
    ("grpc.max_connection_idle_ms", 300_000),
)

# Large enough for a batch of seizures or a page of search hits, small enough to refuse abuse.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


def pair_matches(cert_path: Path, key_path: Path) -> bool:
    """True when the PEM key file is the private key of the PEM certificate file (False for anything
    unreadable). Checked by the ssl module, which the node has loaded anyway: the running node does not load
    the cryptography package (6.6 MiB of its memory) for it; `config check` compares the keys with it
    (node/check.py, pki.same_public_key)."""
    import ssl

    try:
        # An encrypted key is refused (an empty password), never asked for on a terminal.
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(cert_path, key_path, password=lambda: b"")
    except (ssl.SSLError, OSError, ValueError):
        return False
    return True


def server_credentials(config: NodeConfig) -> grpc.ServerCredentials:
    """Mutual TLS. The certificate, key and CA files are read again when they change (`rilo-node cert
    install`): a renewed certificate serves the next connection, without a restart. A key and certificate
    that do not (yet) match are not taken; the pair in use stays."""
    files = (config.tls_cert, config.tls_key, config.tls_ca)
    seen: dict[str, tuple] = {}

    def stamp() -> tuple:
        return tuple((st.st_mtime_ns, st.st_size, st.st_ino) for st in (path.stat() for path in files))

    def configuration():
        cert, key, ca = (path.read_bytes() for path in files)
        if not pair_matches(config.tls_cert, config.tls_key):
            return None
        if (config.tls_cert.read_bytes(), config.tls_key.read_bytes()) != (cert, key):
            return None  # replaced while it was checked: taken at the next look, checked again
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=ca)

    def fetch():
        try:
            now = stamp()
            if now == seen.get("stamp"):
                return None
            fresh = configuration()
        except OSError:
            return None
        if fresh is not None:
            seen["stamp"] = now
            logger.info("[node=%s] TLS certificate (re)loaded from %s", config.node_id, config.tls_cert)
        return fresh

    seen["stamp"] = stamp()
    initial = configuration()
    if initial is None:
        raise ConfigError(f"{config.tls_key} is not the key of the certificate {config.tls_cert}")
    return grpc.dynamic_ssl_server_credentials(initial, fetch, require_client_authentication=True)


class Node(NodeCore):
    """One RILO Net node serving its gRPC API: NodeCore, plus the server and its health service."""

    def __init__(self, config: NodeConfig, **kwargs):
        super().__init__(config, **kwargs)
        # Operations (closed user groups): the membership the policy rule reads, and the owner's close job.
        self.operations = Operations(self.book, self.replicator, self.clock)
        self.jobs.tick(self.operations.close_due, "operations-close")
        self.health = health.HealthServicer()
        self.server: grpc.aio.Server | None = None
        self._loop: LoopThread | None = None
        self.port: int | None = None

    @property
    def address(self) -> str:
        host = self.config.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def start(self, *, replication: bool = True) -> int:
        self.start_metrics()  # first: a metrics port in use stops the start before anything runs
        self.callers = CallerShares(idle_stream_seconds=self.config.idle_stream_seconds)
        self.pools = CallPools(peer_workers=self._max_workers, node_id=self.config.node_id)
        self._executor = futures.ThreadPoolExecutor(max_workers=self._max_workers,
                                                    thread_name_prefix=f"grpc-{self.config.node_id}")
        if self.config.insecure and not self.config.listen.startswith("127.0.0.1:"):
            raise ConfigError("--insecure binds 127.0.0.1 only")
        credentials = None if self.config.insecure else server_credentials(self.config)
        # The server receives every call on an event loop of its own; handlers run on the pools (api/aio_server.py).
        self._loop = LoopThread(f"grpc-server:{self.config.node_id}")
        try:
            server, port = self._loop.run(self._make_server(credentials))
        except BaseException:
            self._loop.stop()
            for executor in (self._executor, *self.pools.executors):
                executor.shutdown(wait=False)
            raise
        self.server, self.port = server, port
        for name in SERVICE_NAMES + ("",):
            self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        self.start_background(replication=replication)
        logger.info("[node=%s] serving on %s (%s)", self.config.node_id, self.address,
                    "plaintext" if self.config.insecure else "mutual TLS")
        return port

    async def _make_server(self, credentials) -> tuple[grpc.aio.Server, int]:
        """The server, its services added, bound and started (on the server's loop)."""
        # The node's interceptors, outermost first: health checks and the peer service on workers of their own
        # (api/callers.CallPools); the access log and RPC metrics (api/access.py), which see the refusals of
        # the others too; bytes that are not the RPC's request type refused with INVALID_ARGUMENT naming it
        # (api/errors.py); each caller's calls and open streams within its share (api/callers.py). The
        # bridge runs them and each handler on its pool, and holds a client's refusal back for its
        # retry-after on the loop (api/aio_server.py). No maximum_concurrent_rpcs: the aio server would stop
        # taking calls at it (everyone's, health checks too) where the shares refuse one caller's.
        self.bridge = Bridge([self.pools, AccessLog(self.metrics, insecure=self.config.insecure), MalformedRequests(),
                              self.callers], self._executor, hold_back=self.callers.hold_back)
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
                *KEEPALIVE,
            ],
            interceptors=[self.bridge],
        )
        insecure = self.config.insecure
        node_pb2_grpc.add_RecordServiceServicer_to_server(RecordService(self.book, insecure=insecure), server)
        self.search_service = SearchService(self.book, self.queries, insecure=insecure)
        node_pb2_grpc.add_SearchServiceServicer_to_server(self.search_service, server)
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
        keys_pb2_grpc.add_KeyServiceServicer_to_server(KeyService(self.keys, insecure=insecure), server)
        keys_pb2_grpc.add_KeyAdminServiceServicer_to_server(
            KeyAdminService(self.keys, certificate=None if insecure else self.config.tls_cert,
                            insecure=insecure), server)
        operation_pb2_grpc.add_OperationServiceServicer_to_server(
            OperationService(self.book, self.operations, insecure=insecure), server)
        user_pb2_grpc.add_UserServiceServicer_to_server(
            UserService(self.store, self.clock, node_id=self.config.node_id, admin_totp=self.config.web_admin_totp,
                        insecure=insecure), server)
        hit_pb2_grpc.add_HitServiceServicer_to_server(HitService(self.book, self.hitcheck, insecure=insecure), server)
        hit_pb2_grpc.add_HitEvaluationServiceServicer_to_server(HitEvaluationService(self.hitcheck, insecure=insecure),
                                                                server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, server)
        # grpc.reflection.v1 and v1alpha, each listing the six rilo.v1 services, health and both reflections.
        enable_server_reflection(SERVICE_NAMES + (health.SERVICE_NAME,), server)
        try:
            if credentials is None:
                port = server.add_insecure_port(self.config.listen)
            else:
                port = server.add_secure_port(self.config.listen, credentials)
        except RuntimeError:  # grpc: "Failed to bind to address ..."; older versions return 0
            port = 0
        if port == 0:
            raise ConfigError(f"could not bind {self.config.listen} (in use?)")
        await server.start()
        return server, port

    def stop(self, grace: float | None = 2.0) -> None:
        self.stop_metrics()
        self.stop_background()
        handlers_done = True
        if self.server is not None:
            self.health.enter_graceful_shutdown()
            self.replicator.close()
            self.operations.stop()
            try:
                self._loop.run(self.server.stop(grace))
            finally:
                self._loop.stop()
            self.server = None
            # grpc does not wait for handlers that are still running (a feed between two reads): wait
            # for them here, so that none is inside the store when it closes.
            executors = (self._executor, *self.pools.executors)
            for executor in executors:
                executor.shutdown(wait=False, cancel_futures=True)
            deadline = time.monotonic() + 10.0
            for thread in [t for executor in executors for t in getattr(executor, "_threads", ())]:
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
                handlers_done = handlers_done and not thread.is_alive()
            if not handlers_done:
                logger.warning("[node=%s] a request handler outlived the shutdown; store readers left open",
                               self.config.node_id)
        self.store.close(close_readers=handlers_done)

    def wait(self) -> None:
        if self.server is not None:
            self._loop.run(self.server.wait_for_termination())


def serving_pid(config: NodeConfig) -> int | None:
    """The pid of the `serve` process running this config, from the `serve.json` beside it; None when no
    node serves it (no file, or its process is gone: a node that was killed leaves the file behind)."""
    import json
    import os

    try:
        pid = json.loads(config.runtime_path.read_text())["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # alive, another user's
    try:  # a process that exited and was not reaped yet (a zombie) serves nothing
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return pid
    return None if state in ("Z", "X") else pid


def serve(config: NodeConfig, *, log_format: str = "text", web=None) -> int:
    """Run a node until SIGTERM or SIGINT; `serve.json` beside the config says where it listens (and where
    its metrics are). `log_format` "json" makes every log line a JSON object; either way the access log
    (one line per RPC, logger rilo_node.access) is on. `web(node)`, given where `[web] listen` is set,
    starts the web interface (rilo_node.web.server.start_web, imported by the caller only then) and
    returns what stops it."""
    import json
    import os
    import signal
    import threading

    if log_format == "json":
        use_json_logs(node=config.node_id)
    enable_access_log()

    # What this attempt creates (the store on a first start) goes again if the node cannot start: a port in
    # use leaves the folder as it was, no node.db-wal or node.db-shm behind.
    db = config.db_path
    created = [path for path in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"), db, config.data_dir)
               if not path.exists()]
    node = Node(config)
    site = None
    try:
        node.start()
        site = web(node) if web is not None else None
    except BaseException:
        try:
            node.stop(grace=0)  # closes the store: SQLite removes the -wal and -shm of its last connection
        finally:
            for path in created:  # files first, then the folder if this attempt made it
                with contextlib.suppress(OSError):
                    if path == config.data_dir:
                        path.rmdir()
                    else:
                        path.unlink(missing_ok=True)
        raise
    runtime = {"node": config.node_id, "address": node.address, "pid": os.getpid(), "insecure": config.insecure,
               "metrics": node.metrics.address, "web": site.url if site else None}
    tmp = config.runtime_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(runtime) + "\n")
    tmp.replace(config.runtime_path)
    print(f"serving node {config.node_id} on {node.address} ({'plaintext' if config.insecure else 'mutual TLS'})",
          flush=True)
    if node.metrics.address:
        print(f"metrics on http://{node.metrics.address}/metrics", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # `kill -USR1 <pid>` writes every thread's stack to standard error (the node's log): what a stuck
    # node is doing, without stopping it.
    # A crash in native code (a segmentation fault, an abort) leaves every thread's stack there too.
    import faulthandler

    faulthandler.register(signal.SIGUSR1, all_threads=True)
    faulthandler.enable(all_threads=True)
    if site:
        print(f"web interface on {site.url}", flush=True)
    stop.wait()
    if site:
        site.stop()
    node.stop(grace=5)
    try:
        config.runtime_path.unlink()
    except FileNotFoundError:
        pass
    return 0
