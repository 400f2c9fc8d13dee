"""A node's Prometheus metrics (docs/operator-guide.md#metrics): counters bumped where things happen,
gauges read when Prometheus scrapes.

Each node has a CollectorRegistry of its own (tests and the demo run several nodes in one process)
and serves it with prometheus-client's HTTP server on `metrics.listen`. A scrape reads no table in
full: the record counts are recounted only when a record was stored since the previous scrape, the
outbox is counted only while the store says deliveries may be owed, and the rest is in memory (the
peer links, the certificates' expiry dates).
"""

from __future__ import annotations

import collections
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app
from prometheus_client.registry import Collector

from rilo_node.core.errors import ConfigError
from rilo_node.store import db as st

logger = logging.getLogger(__name__)

METRICS_POLL_S = 60.0  # the metrics endpoint's wait for connections; close() does not wait for it


class _QuietHandler(WSGIRequestHandler):
    """No line on stderr per scrape."""

    def log_message(self, format, *args):  # noqa: A002 - the signature of BaseHTTPRequestHandler
        pass

# No `<name>_created` series beside every counter and histogram: they double the series and say only
# when the process started (process_start_time_seconds says that once).
disable_created_metrics()

# The kinds of security event (docs/operator-guide.md, "Reading status, audit and the security events").
SECURITY_EVENT_KINDS = ("bad_record", "not_entitled", "annex_not_entitled", "older_version", "bad_answer")
# Why a record that arrived from a peer was not stored: the kind of security event it left.
REFUSAL_REASONS = ("bad_record", "not_entitled", "older_version")
# A federated query's whole time at the asking node: the default deadline is 1.5 s, the longest 30 s.
QUERY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)


def outcome_of(outcome: str) -> tuple[str, str | None]:
    """(outcome label, refusal reason) of one outcome of Replicator.receive."""
    if outcome in ("stored", "annex added"):
        return "stored", None
    if outcome == "duplicate":
        return "duplicate", None
    if outcome in ("older", "withdrawn"):
        return "refused", "older_version"
    if outcome == "not entitled":
        return "refused", "not_entitled"
    return "refused", "bad_record"  # "refused: <why>": failed verification, or could not be stored


def certificate_expiry(pem: bytes) -> datetime | None:
    """The notAfter of a PEM certificate (None if it does not parse)."""
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(pem).not_valid_after_utc
    except ValueError:
        return None


class NodeMetrics:
    """The metrics of one node: its registry, the counters its parts bump, and its HTTP endpoint."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.records_received = Counter(
            "rilo_records_received", "Records that arrived from peers, by peer, way (pull, deliver, anti-entropy) "
            "and outcome (stored, duplicate, refused)", ["peer", "via", "outcome"], registry=r)
        self.records_refused = Counter(
            "rilo_records_refused", "Records from peers that were not stored, by reason (the security event kind)",
            ["reason"], registry=r)
        self.records_sent = Counter(
            "rilo_records_sent", "Records sent to peers, by peer and way (pull: its feed from this node; deliver; "
            "anti-entropy: answers to its fetches)", ["peer", "via"], registry=r)
        self.anti_entropy_repairs = Counter(
            "rilo_anti_entropy_repairs", "Records anti-entropy fetched from a peer and stored (gaps the feeds left)",
            ["peer"], registry=r)
        self.anti_entropy_passes = Counter(
            "rilo_anti_entropy_passes", "Anti-entropy comparisons with a peer, by result (ok, failed)",
            ["peer", "result"], registry=r)
        self.query_seconds = Histogram(
            "rilo_query_seconds", "Federated queries asked by this node's clients: time to the merged answer, "
            "by kind (search, stats) and scope", ["kind", "scope"], buckets=QUERY_BUCKETS, registry=r)
        self.queries_incomplete = Counter(
            "rilo_queries_incomplete", "Federated queries whose answer missed a node in scope, by kind and scope",
            ["kind", "scope"], registry=r)
        self.rpcs = Counter(
            "rilo_rpcs", "RPCs served, by method (service/Method) and status code", ["method", "code"], registry=r)
        self.security_events = Counter(
            "rilo_security_events", "Security events stored since the node started, by kind", ["kind"], registry=r)
        for kind in SECURITY_EVENT_KINDS:
            self.security_events.labels(kind)
        for reason in REFUSAL_REASONS:
            self.records_refused.labels(reason)
        ProcessCollector(registry=r)  # process_*: memory, CPU, open files, start time
        self._server = None
        self._thread: threading.Thread | None = None
        self._gauges: _NodeGauges | None = None
        self.address: str | None = None

    # -- counting (called where things happen) --------------------------------------------------

    def received(self, peer: str, via: str, outcomes: Iterable[str]) -> None:
        for (outcome, reason), n in collections.Counter(map(outcome_of, outcomes)).items():
            self.records_received.labels(peer, via, outcome).inc(n)
            if reason is not None:
                self.records_refused.labels(reason).inc(n)

    def sent(self, peer: str, via: str, n: int) -> None:
        if n:
            self.records_sent.labels(peer, via).inc(n)

    def security_event(self, kind: str, n: int = 1) -> None:
        self.security_events.labels(kind).inc(n)

    def anti_entropy(self, peer: str, *, repaired: int = 0, failed: bool = False) -> None:
        self.anti_entropy_passes.labels(peer, "failed" if failed else "ok").inc()
        if repaired:
            self.anti_entropy_repairs.labels(peer).inc(repaired)

    def query(self, kind: str, scope: str, seconds: float, *, complete: bool) -> None:
        self.query_seconds.labels(kind, scope).observe(seconds)
        if not complete:
            self.queries_incomplete.labels(kind, scope).inc()

    def rpc(self, method: str, code: str) -> None:
        self.rpcs.labels(method, code).inc()

    # -- the gauges and the endpoint ---------------------------------------------------------------

    def watch(self, *, store: st.Store, node_id: str, head: Callable[[], int], network,
              certificates: dict[str, bytes], info: dict[str, str]) -> None:
        """Read these at each scrape: the store's counts, the peer links of `network` (a PeerNetwork),
        the days left on `certificates` ({label: PEM}), and `info` as the labels of rilo_node_info."""
        if self._gauges is not None:
            self.registry.unregister(self._gauges)
        self._gauges = _NodeGauges(store, node_id, head, network, certificates, info)
        self.registry.register(self._gauges)

    def serve(self, listen: str) -> str:
        """Serve the registry over plain HTTP on host:port (port 0: a free one); returns the address bound."""
        host, port = listen.rsplit(":", 1)
        host = host.strip("[]")

        class Server(ThreadingWSGIServer):
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        try:
            self._server = make_server(host, int(port), make_wsgi_app(self.registry), Server,
                                       handler_class=_QuietHandler)
        except OSError as exc:
            raise ConfigError(f"metrics.listen {listen}: cannot listen there ({exc.strerror or exc})") from None
        # prometheus_client's start_http_server polls every 0.5 s for a shutdown: two wake-ups a second at
        # every node of an idle network. This one waits for connections; close() wakes it with one.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": METRICS_POLL_S},
                                        name=f"metrics:{host}:{self._server.server_port}", daemon=True)
        self._thread.start()
        self.address = f"[{host}]:{self._server.server_port}" if ":" in host else f"{host}:{self._server.server_port}"
        return self.address

    def close(self) -> None:
        """Stop the endpoint (if serving) and close the scrape's own database connection."""
        server, self._server = self._server, None
        if server is not None:
            stopping = threading.Thread(target=server.shutdown, name="metrics-stop", daemon=True)
            stopping.start()
            while stopping.is_alive():  # a connection wakes its wait for connections, which then sees the stop
                try:
                    socket.create_connection(server.server_address[:2], timeout=1).close()
                except OSError:
                    pass
                stopping.join(0.05)
            server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
        self.address = None
        if self._gauges is not None:
            self._gauges.close()


class _NodeGauges(Collector):
    """The gauges, computed when Prometheus scrapes."""

    @property
    def expiry(self) -> dict:
        """{label: notAfter} of the certificates given that parse."""
        if self._expiry is None:
            self._expiry = {name: at for name, pem in self._certificates.items()
                            if (at := certificate_expiry(pem)) is not None}
        return self._expiry

    def __init__(self, store: st.Store, node_id: str, head: Callable[[], int], network,
                 certificates: dict[str, bytes], info: dict[str, str]):
        self.store, self.node_id, self.head, self.network, self.info = store, node_id, head, network, info
        # Read at the first scrape (the cryptography package then loads), not at start: a node nobody scrapes
        # does not hold it.
        self._certificates = certificates
        self._expiry: dict | None = None
        self._lock = threading.Lock()
        # A connection of its own: every scrape runs on a new thread of the HTTP server, and the store's
        # per-thread readers would pile up, one per scrape.
        self._conn: sqlite3.Connection | None = None
        self._counted_at: int | None = None
        self._counts = (0, 0)
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _query(self, sql: str, args=()) -> int:
        if self._conn is None:
            self._conn = st.connect(self.store.path, self.store.synchronous)
            self._conn.execute("PRAGMA query_only=ON")
        return self._conn.execute(sql, args).fetchone()[0]

    def _store_figures(self) -> tuple[int, int, int, int] | None:
        """(records, own records, last seq, outbox entries), or None once closed or when the store fails."""
        with self._lock:
            if self._closed:
                return None
            try:
                head = self.head()
                if head != self._counted_at:  # rows change only when a record is stored (a new seq)
                    # Counters kept by the write transaction (store m0006): no scan of the records.
                    self._counts = (self._query("SELECT COALESCE(SUM(records), 0) FROM origin_counts"),
                                    self._query("SELECT COALESCE(SUM(records), 0) FROM origin_counts "
                                                "WHERE origin = ?", (self.node_id,)))
                    self._counted_at = head
                outbox = self._query("SELECT COUNT(*) FROM outbox") if self.store.outbox_pending else 0
            except sqlite3.Error as exc:
                logger.warning("[node=%s] metrics: the store could not be read: %s", self.node_id, exc)
                return None
            return (*self._counts, head, outbox)

    def collect(self):
        info = GaugeMetricFamily("rilo_node_info", "This node: its id, role and software version",
                                 labels=list(self.info))
        info.add_metric(list(self.info.values()), 1)
        yield info
        figures = self._store_figures()
        if figures is not None:
            records, own, head, outbox = figures
            yield GaugeMetricFamily("rilo_records_held", "Records in the store (newest version of each; "
                                    "tombstones and withdrawals count too)", value=records)
            yield GaugeMetricFamily("rilo_records_own", "Records in the store that this node signed", value=own)
            yield GaugeMetricFamily("rilo_records_last_seq", "The highest local sequence number", value=head)
            yield GaugeMetricFamily("rilo_outbox_entries", "Direct deliveries owed and not yet acknowledged",
                                    value=outbox)
        behind = GaugeMetricFamily("rilo_peer_behind_records", "The peer's newest sequence number minus this "
                                   "node's checkpoint on it, as last heard (stale while the link is down)",
                                   labels=["peer"])
        connected = GaugeMetricFamily("rilo_peer_connected", "1 while the pull from the peer is connected",
                                      labels=["peer"])
        contact = GaugeMetricFamily("rilo_peer_last_contact_seconds", "Seconds since the peer last answered "
                                    "(feed message or heartbeat, delivery, anti-entropy); absent if it never did",
                                    labels=["peer"])
        now = self.network.clock.monotonic()
        for state in self.network.states():
            behind.add_metric([state.peer], state.behind)
            connected.add_metric([state.peer], 1 if state.state == "connected" else 0)
            link = self.network.link(state.peer)
            if link is not None and link.last_contact is not None:
                contact.add_metric([state.peer], max(0.0, now - link.last_contact))
        yield behind
        yield connected
        yield contact
        days = GaugeMetricFamily("rilo_tls_certificate_days_left", "Days until the certificate expires "
                                 "(negative once it has)", labels=["cert"])
        wall = time.time()
        for name, at in sorted(self.expiry.items()):
            days.add_metric([name], round((at.timestamp() - wall) / 86400, 3))
        yield days
