"""The running node, wired: store, keys, records, requests, endorsements, replication, queries and jobs."""

from __future__ import annotations

import logging

import rilo_node
from rilo_node.core.errors import ConfigError
from rilo_node.core.signing import Keyring, SigningKey
from rilo_node.core.topology import Directory
from rilo_node.node.channels import Channels
from rilo_node.node.clock import Clock, SystemClock, rfc3339
from rilo_node.node.config import NodeConfig
from rilo_node.node.directory import load_topology
from rilo_node.node.endorsements import Validations
from rilo_node.node.hitcheck import HitCheck
from rilo_node.node.jobs import Jobs
from rilo_node.node.keys import SYNC_EVERY, KeyBook
from rilo_node.node.metrics import NodeMetrics
from rilo_node.node.peers import Links, PeerNetwork, Replicator
from rilo_node.node.query import QueryEngine
from rilo_node.node.records import RecordBook
from rilo_node.node.requests import Requests
from rilo_node.store.backup import caught_up_txn, restored_at
from rilo_node.store.db import Store

logger = logging.getLogger(__name__)

# After a restore, own writes wait until every peer was compared, or this long at most.
CATCH_UP_WRITES_WAIT = 600


class NodeCore:
    """One RILO Net node without its gRPC server: the store, the signing key, the record book, requests,
    endorsements, replication, queries and the scheduled jobs. rilo_node.api.server.Node serves it."""

    def __init__(self, config: NodeConfig, *, clock: Clock | None = None, directory: Directory | None = None,
                 links: Links | None = None, max_workers: int | None = None, replicate: bool = True):
        self.config = config
        self.clock = clock or SystemClock()
        directory = directory or load_topology(config.topology)
        info = directory.get(config.node_id)
        if info is None:
            raise ConfigError(f"node id {config.node_id!r} is not in the directory {config.topology}")
        self.info = info
        self.key = SigningKey.from_pem(config.node_id, config.signing_key.read_bytes())
        key_differs = (f"the directory lists another signing key for {config.node_id!r} than {config.signing_key} "
                       "holds (and no rotation to it is known)")
        if info.signing_key and info.signing_key != self.key.public_b64 and not config.db_path.exists():
            raise ConfigError(key_differs)  # no store, so no rotation: refused before anything is created
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        config.data_dir.chmod(0o700)  # the store holds annexes with personal data
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
        self.metrics = NodeMetrics()  # counted by the parts below; served by start_metrics()
        self.replicator = Replicator(self.store, config.node_id, directory, self.keyring, self.clock,
                                     metrics=self.metrics)
        self.links = links or Links(config.links or config.base_dir / "links.json")
        tls = None if config.insecure else (config.tls_ca.read_bytes(), config.tls_cert.read_bytes(),
                                             config.tls_key.read_bytes())
        # One channel to each other node, shared by replication, the key book and the hit check.
        self.channels = Channels(config.node_id, tls=tls, links=self.links, address=self._address_of)
        self.network = PeerNetwork(self.replicator, links=self.links, clock=self.clock,
                                   channels=self.channels)
        self.queries = QueryEngine(self.store, self.key, self.keyring, self.clock, self.network, self.replicator,
                                   metrics=self.metrics)
        self.queries.min_cell = config.stats_min_cell  # docs/protocol.md#small-cell-protection
        # Keys over time and the signed directory (node/keys.py): the store's keys, and a newer directory.
        self.keys = KeyBook(store=self.store, keyring=self.keyring, clock=self.clock, me=config.node_id,
                            key_path=config.signing_key, current_key=lambda: self.key, use_key=self.use_key,
                            adopt_directory=self.adopt_directory, directory=lambda: self.directory,
                            links=self.links, metrics=self.metrics, channels=self.channels)
        self.replicator.learn_keys = self.keys.learn_keys
        # Hit/no-hit (node/hitcheck.py): the hit-check key beside the signing key, the filter, the quota.
        self.hitcheck = HitCheck(book=self.book, clock=self.clock, key_path=config.signing_key,
                                 directory=lambda: self.directory, links=self.links,
                                 quota_per_day=config.hitcheck_quota_per_day, channels=self.channels)
        self.keys.hitcheck = self.hitcheck
        directory = self.keys.load() or directory
        self.info = info = directory.get(config.node_id) or info
        own = self.keyring.entry(self.key.key_id)  # known from the store only if this node rotated to it
        if info.signing_key and info.signing_key != self.key.public_b64 and (own is None or own.source != "rotation"):
            self.store.close()
            raise ConfigError(key_differs)
        self.keyring.add(self.key.node_id, self.key.public_raw)
        certificates = {} if config.insecure else {"node": tls[1], "ca": tls[0]}
        self.metrics.watch(store=self.store, node_id=config.node_id, head=lambda: self.replicator.head,
                           network=self.network, certificates=certificates,
                           info={"node": config.node_id, "role": info.role, "version": rilo_node.__version__})
        self.replicate = replicate and not config.insecure
        self.set_directory(directory)
        self.started_at = rfc3339(self.clock.now())
        self._max_workers = max_workers or (16 + 2 * len(directory.peers(config.node_id)))
        self.jobs = Jobs(config.node_id)
        if self.replicate:
            self.jobs.tick(self.network.supervise, "reconnect", soon=self.network.reconnect_soon)
            self.network.on_link_down = self.jobs.wake
            self.jobs.every(60.0, self.network.anti_entropy_due, "anti-entropy", jitter=15.0)
            self.jobs.every(SYNC_EVERY, self.keys.sync_all, "keys-sync", jitter=15.0)
            self.network.on_link_up = self.keys.sync_with
        self.jobs.every(config.deadline_check_every, self.run_deadlines, "request-deadlines")
        self.jobs.tick(self.run_validation, "validation")
        self.replicator.on_signal = self.jobs.wake
        # The hit-check filter follows the store's commits on a thread of its own, no polling job
        # (node/hitcheck.py HitCheck.start): started with the jobs, stopped by hitcheck.close().
        from apscheduler.events import EVENT_SCHEDULER_STARTED
        self.jobs.scheduler.add_listener(lambda _event: self.hitcheck.start(), EVENT_SCHEDULER_STARTED)
        if config.retention_days:
            self.jobs.every(config.retention_check_every, self.run_retention, "retention")
        self._validation_sweep_at = 0.0
        # Put in place by `rilo-node restore`: fetch back from every peer, as soon as its link is up, what
        # the backup lacks; above all this node's own records signed after it, which no feed sends back.
        self._restored_at = restored_at(self.store.reader) if self.replicate else None
        self._caught_up: set[str] = set()
        self._catch_up_until = self.clock.monotonic() + CATCH_UP_WRITES_WAIT
        if self._restored_at:
            self.book.catching_up = True  # own writes wait: they could fork a version only peers hold now
            self.jobs.every(1.0, self.run_catch_up, "catch-up")

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

    def run_catch_up(self) -> int:
        """After a restore: one anti-entropy pass with each peer once a pull is under way (instead of at
        the minutely job's first run, up to 75 s later), then the store forgets the restore. A pass
        fetches every record the peer holds newer or that this node lacks, and may hold: its own
        records written after the backup among them (docs/operator-guide.md#backing-up-and-restoring).
        Returns the records fetched."""
        stamp = self._restored_at
        if stamp is None:
            return 0
        if self.book.catching_up and self.clock.monotonic() > self._catch_up_until:
            # A peer that stays away must not stop this node for good; its copies can still fork.
            self.book.catching_up = False
            missing = sorted(set(self.network.peers()) - self._caught_up)
            logger.warning("[node=%s] accepting own writes again %d s after the restore, without catching up "
                           "with %s", self.config.node_id, CATCH_UP_WRITES_WAIT, ", ".join(missing))
        fetched = 0
        for peer in self.network.peers():
            link = self.network.link(peer)
            if peer in self._caught_up or link is None or link.state not in ("connected", "connecting"):
                continue
            try:
                n = self.network.anti_entropy(peer)
            except Exception as exc:  # noqa: BLE001 - the link went down: tried again on the next run
                logger.info("[node=%s] catch-up with %s after the restore: %s", self.config.node_id, peer, exc)
                continue
            fetched += n
            self._caught_up.add(peer)
            logger.info("[node=%s] caught up with %s after the restore: %d records fetched",
                        self.config.node_id, peer, n)
        if self._caught_up >= set(self.network.peers()):
            self.store.write(lambda conn: caught_up_txn(conn, stamp))
            self._restored_at = None
            self.book.catching_up = False
            logger.warning("[node=%s] caught up with every peer after the restore of %s", self.config.node_id, stamp)
        return fetched

    def _address_of(self, node: str) -> str | None:
        info = self.directory.get(node)
        return info.address if info else None

    def set_directory(self, directory: Directory) -> None:
        """Adopt a (new) directory: addresses, signing keys, entitlements."""
        self.directory = directory
        self.keys.remember_directory_keys(directory)  # they stay trusted after a directory drops them
        self.keyring.retain_nodes(directory.ids())
        self.keyring.add(self.key.node_id, self.key.public_raw)
        self.book.directory = directory
        self.replicator.set_directory(directory)
        self.book.entitlements = self.replicator.ent if self.replicate else None
        if getattr(self, "jobs", None) is not None:
            self.jobs.wake()  # pulls to the peers it adds start now

    def use_key(self, key: SigningKey) -> None:
        """Sign with `key` from now on (after `keys rotate`)."""
        self.key = key
        self.book.key = key
        self.queries.key = key
        self.hitcheck.rotate_key()  # a rotation of the signing key rotates the hit-check key too

    def adopt_directory(self, directory: Directory) -> None:
        """A newer signed directory, at run time: addresses, keys and entitlements follow it; links to nodes it
        no longer lists close, links to new peers start (docs/protocol.md#the-signed-directory)."""
        self.set_directory(directory)
        self.info = directory.get(self.config.node_id) or self.info
        self.network.drop_peers_not_in(set(self.network.peers()))
        if self.replicate:
            self.network.supervise()

    def start_background(self, *, replication: bool = True) -> None:
        """Start the scheduled jobs, direct delivery and (unless told not to) pulling from peers."""
        self.jobs.start()
        if self.replicate:
            self.network.start_delivery()
        if replication and self.replicate:
            self.start_replication()

    def start_replication(self) -> None:
        """Pull from every peer now (the reconnect job keeps it so)."""
        self.network.supervise()

    def stop_background(self) -> None:
        self.jobs.stop()
        self.keys.close()
        self.hitcheck.close()
        self.network.close()
        self.channels.close()

    def start_metrics(self) -> str | None:
        """Serve the Prometheus metrics on `metrics.listen` (unless it is off); returns the address bound."""
        if self.config.metrics_listen is None:
            return None
        return self.metrics.serve(self.config.metrics_listen)

    def stop_metrics(self) -> None:
        """Stop serving the metrics; before the store closes (a scrape reads it)."""
        self.metrics.close()
