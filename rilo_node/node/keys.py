"""Signing keys over time at run time: rotation, revocation and quarantine, the signed directory, and passing
them between peers (docs/protocol.md#signing-keys-over-time, docs/protocol.md#the-signed-directory)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from rilo_node.core.errors import (
    PermissionDeniedError,
    SignatureError,
    TopologyError,
    UnavailableError,
    ValidationError,
)
from rilo_node.core.events import parse_rfc3339, utc_text
from rilo_node.core.signing import (
    SECRETARIAT,
    Keyring,
    SigningKey,
    apply_key_statement,
    instant,
    sign_directory,
    sign_key_statement,
    sign_revocation,
    verify_directory,
    verify_key_statement,
    verify_revocation,
)
from rilo_node.core.topology import Directory, parse_topology
from rilo_node.node.channels import Channels
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.node.metrics import NodeMetrics
from rilo_node.node.pemfiles import write_pem
from rilo_node.pb.rilo.v1 import keys_pb2, keys_pb2_grpc
from rilo_node.store import db as st

logger = logging.getLogger(__name__)

# A rotated key still signs what is dated up to this long after its successor's valid_from: a record being
# signed on another thread while the key is swapped is not refused (docs/protocol.md#signing-keys-over-time).
ROTATION_OVERLAP = datetime.timedelta(seconds=60)
# The keys-sync job: compare with every peer. What changes is pushed at once (push), a link that comes up
# compares at once (PeerNetwork.on_link_up: a healed partition), and a record signed by an unknown key
# asks its sender (learn_keys): the job is the slow net under them, not the way news travels.
SYNC_EVERY = 60.0
CALL_TIMEOUT = 5.0
UNKNOWN_KEY_RETRY = 2.0  # at most one on-demand sync per peer this often, for records with an unknown key


class KeyBook:
    """The keys this node trusts over time (its Keyring, kept in the store), the signed directory in use, and
    the exchange of both with the peers (KeyService)."""

    def __init__(self, *, store: st.Store, keyring: Keyring, clock: Clock, me: str, key_path: Path,
                 current_key: Callable[[], SigningKey], use_key: Callable[[SigningKey], None],
                 adopt_directory: Callable[[Directory], None], directory: Callable[[], Directory],
                 links, metrics: NodeMetrics | None = None, channels: Channels):
        self.store = store
        self.keyring = keyring
        self.clock = clock
        self.me = me
        self.key_path = Path(key_path)
        self.current_key = current_key
        self.use_key = use_key
        self.adopt_directory = adopt_directory
        self.directory = directory
        self.links = links
        self.metrics = metrics or NodeMetrics()
        self.directory_version = 0
        self.hitcheck = None  # node/hitcheck.py's HitCheck, set by NodeCore: its key rotates with the signing key
        self.directory_issued_at = ""
        self._lock = threading.RLock()  # one change of the keyring or the directory at a time
        self.channels = channels  # the node's one channel to each other node (node/channels.py), node.py's
        self._last_on_demand: dict[str, float] = {}
        # One on-demand sync per peer at a time: a batch from another path (a pull, anti-entropy) that names the
        # same unknown key waits for the sync under way, rather than being verified before it has brought the key.
        self._on_demand_locks: dict[str, threading.Lock] = {}
        self._on_demand_guard = threading.Lock()
        self._pusher = ThreadPoolExecutor(max_workers=4, thread_name_prefix=f"keys-push:{me}")
        self._closed = False

    # -- the store -----------------------------------------------------------------------

    def load(self) -> Directory | None:
        """Put the keys, statements and revocations kept in the store into the keyring; the newest signed
        directory kept, if it still verifies (else None: the topology file stands)."""
        conn = self.store.reader
        with self._lock:
            for node, public, source in conn.execute(
                    "SELECT node, public_key, source FROM signing_keys WHERE statement IS NULL"):
                self.keyring.add(node, public)
            rotations = []
            for (data,) in conn.execute("SELECT statement FROM signing_keys WHERE statement IS NOT NULL"):
                stmt = keys_pb2.KeyStatement.FromString(data)
                rotations.append((instant(stmt.valid_from), stmt))
            for _, stmt in sorted(rotations, key=lambda p: p[0]):  # each was verified when it was accepted
                self.keyring.add(stmt.node, stmt.public_key, source="rotation", valid_from=stmt.valid_from,
                                 previous=stmt.previous_key_id)
                if stmt.previous_key_id in self.keyring:
                    self.keyring.close(stmt.previous_key_id, stmt.previous_not_after)
            for key_id, since in conn.execute("SELECT key_id, since FROM key_revocations"):
                if key_id in self.keyring:
                    self.keyring.revoke(key_id, since)
            row = conn.execute("SELECT document, signature, key_id FROM directories ORDER BY version DESC LIMIT 1"
                               ).fetchone()
        if row is None:
            return None
        signed = keys_pb2.SignedDirectory(document=row[0], signature=row[1], key_id=row[2])
        try:
            doc = verify_directory(signed, self.keyring)
            directory = parse_topology(doc.topology, f"directory version {doc.version}")
        except (SignatureError, TopologyError) as exc:
            logger.warning("[node=%s] the signed directory kept in the store is not used: %s", self.me, exc)
            return None
        self.directory_version, self.directory_issued_at = doc.version, doc.issued_at
        return directory

    def remember_directory_keys(self, directory: Directory) -> None:
        """Keys a directory lists stay trusted when a later directory no longer lists them (until revoked):
        records they signed stay verifiable."""
        rows = [(n.id, n.signing_key) for n in directory if n.signing_key]
        now = rfc3339(self.clock.now())
        with self._lock:
            new = []
            for node, b64 in rows:
                key_id = self.keyring.add_b64(node, b64)
                new.append((key_id, node, self.keyring.entry(key_id).public_raw, now))
        self.store.write(lambda conn: conn.executemany(
            "INSERT OR IGNORE INTO signing_keys (key_id, node, public_key, source, added_at) "
            "VALUES (?, ?, ?, 'directory', ?)", new))

    def digest(self) -> bytes:
        conn = self.store.reader
        ids = [f"s:{k}" for (k,) in conn.execute("SELECT key_id FROM signing_keys WHERE statement IS NOT NULL")]
        ids += [f"r:{k}:{s}" for k, s in conn.execute("SELECT key_id, since FROM key_revocations")]
        return hashlib.sha256("\n".join(sorted(ids)).encode()).digest()

    def bundle(self, *, directory_newer_than: int | None = None) -> keys_pb2.KeyBundle:
        conn = self.store.reader
        out = keys_pb2.KeyBundle()
        for data, sig, signer in conn.execute("SELECT statement, signature, signer_key_id FROM signing_keys "
                                              "WHERE statement IS NOT NULL ORDER BY valid_from"):
            out.statements.add(statement=data, signature=sig, key_id=signer)
        for data, sig, signer in conn.execute("SELECT revocation, signature, signer_key_id FROM key_revocations"):
            out.revocations.add(revocation=data, signature=sig, key_id=signer)
        if directory_newer_than is not None and self.directory_version > directory_newer_than:
            out.directory.CopyFrom(self.signed_directory())
        return out

    def signed_directory(self) -> keys_pb2.SignedDirectory:
        row = self.store.reader.execute(
            "SELECT document, signature, key_id FROM directories ORDER BY version DESC LIMIT 1").fetchone()
        return keys_pb2.SignedDirectory(document=row[0], signature=row[1], key_id=row[2]) if row else \
            keys_pb2.SignedDirectory()

    def quarantined_count(self) -> int:
        return self.store.reader.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]

    def _event(self, kind_txn: Callable, kind: str) -> None:
        self.store.write(kind_txn)
        self.metrics.security_event(kind)

    # -- accepting what peers (or this node) signed ----------------------------------------

    def accept(self, bundle: keys_pb2.KeyBundle, *, peer: str, via: str) -> int:
        """Verify and apply statements, revocations and a directory; returns how many were new. What is new
        goes on to the other peers; what fails verification is a security event (`bad_key`,
        `bad_directory`), except what only names keys this node does not know (nothing to check it with)."""
        new = keys_pb2.KeyBundle()
        now = rfc3339(self.clock.now())
        with self._lock:
            pending = list(bundle.statements)
            progress = True
            while pending and progress:  # a chain of rotations may come in any order
                progress, left = False, []
                for signed in pending:
                    outcome = self._statement(signed, peer, via, now)
                    if outcome == "later":
                        left.append(signed)
                    elif outcome == "new":
                        new.statements.append(signed)
                        progress = True
                pending = left
            for signed in bundle.revocations:
                if self._revocation(signed, peer, via, now):
                    new.revocations.append(signed)
            if bundle.HasField("directory") and self._directory(bundle.directory, peer, via, now):
                new.directory.CopyFrom(bundle.directory)
        count = len(new.statements) + len(new.revocations) + (1 if new.HasField("directory") else 0)
        if count:
            self.push(new, exclude=peer)
        return count

    def _statement(self, signed: keys_pb2.SignedKeyStatement, peer: str, via: str, now: str) -> str:
        try:
            stmt = keys_pb2.KeyStatement.FromString(signed.statement)
        except Exception:  # noqa: BLE001 - verify_key_statement names it
            stmt = None
        if stmt is not None and stmt.key_id in self.keyring and \
                self.keyring.entry(stmt.key_id).previous == stmt.previous_key_id:
            return "known"
        if signed.key_id not in self.keyring:
            return "later"  # its signer may come in this bundle, or belongs to a node not in this directory
        try:
            stmt = verify_key_statement(signed, self.keyring)
        except SignatureError as exc:
            detail = f"{via}: key statement refused: {exc}"
            self._event(lambda conn: st.security_event_txn(conn, at=now, kind="bad_key", peer=peer, detail=detail),
                        "bad_key")
            logger.warning("[peer=%s] %s", peer, detail)
            return "refused"
        self.store.write(lambda conn: conn.execute(
            "INSERT OR IGNORE INTO signing_keys (key_id, node, public_key, source, valid_from, statement, signature, "
            "signer_key_id, added_at) VALUES (?, ?, ?, 'rotation', ?, ?, ?, ?, ?)",
            (stmt.key_id, stmt.node, stmt.public_key, stmt.valid_from, signed.statement, signed.signature,
             signed.key_id, now)))
        apply_key_statement(self.keyring, stmt)
        logger.info("[node=%s] %s rotated to key %s from %s (from %s)", self.me, stmt.node, stmt.key_id,
                    stmt.valid_from, peer)
        return "new"

    def _revocation(self, signed: keys_pb2.SignedKeyRevocation, peer: str, via: str, now: str) -> bool:
        try:
            rev = verify_revocation(signed, self.keyring)
        except SignatureError as exc:
            if signed.key_id not in self.keyring:
                return False
            try:
                target = keys_pb2.KeyRevocation.FromString(signed.revocation).key_id
            except Exception:  # noqa: BLE001
                target = ""
            if target and target not in self.keyring:
                return False  # a key of a node this directory does not list
            detail = f"{via}: revocation refused: {exc}"
            self._event(lambda conn: st.security_event_txn(conn, at=now, kind="bad_key", peer=peer, detail=detail),
                        "bad_key")
            logger.warning("[peer=%s] %s", peer, detail)
            return False
        if not self.keyring.revoke(rev.key_id, utc_text(instant(rev.since))):
            return False
        since = self.keyring.entry(rev.key_id).revoked_since

        def txn(conn) -> int:
            conn.execute("INSERT OR REPLACE INTO key_revocations (key_id, since, revoked_by, revocation, signature, "
                         "signer_key_id, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (rev.key_id, since, rev.revoked_by, signed.revocation, signed.signature, signed.key_id, now))
            return self._quarantine_txn(conn, rev.key_id, since, rev.revoked_by, now)

        n = self.store.write(txn)
        if n:
            self.metrics.security_event("quarantined", n)
        logger.warning("[node=%s] key %s revoked since %s by %s (from %s): %d held records quarantined",
                       self.me, rev.key_id, since, rev.revoked_by, peer, n)
        return True

    def _quarantine_txn(self, conn, key_id: str, since: str, revoked_by: str, now: str) -> int:
        """Hide the held records the revoked key signed at or after `since` from answers (their search rows
        go) and from peers (the feed skips them); one `quarantined` security event each."""
        cut = instant(since)
        rows = conn.execute("SELECT origin, record_id, version, created_at FROM records WHERE key_id = ?",
                            (key_id,)).fetchall()
        n = 0
        for origin, record_id, version, created_at in rows:
            try:
                late = instant(created_at) >= cut
            except SignatureError:
                late = True
            if not late or conn.execute("SELECT 1 FROM quarantine WHERE origin = ? AND record_id = ? AND version = ?",
                                        (origin, record_id, version)).fetchone():
                continue
            conn.execute("INSERT OR REPLACE INTO quarantine (origin, record_id, version, key_id, at) "
                         "VALUES (?, ?, ?, ?, ?)", (origin, record_id, version, key_id, now))
            st.delete_projection_txn(conn, origin, record_id)
            st.security_event_txn(conn, at=now, kind="quarantined", origin=origin, record_id=record_id,
                                  detail=f"version {version} signed by {key_id} at {created_at}, revoked since "
                                         f"{since} by {revoked_by}")
            n += 1
        return n

    def _directory(self, signed: keys_pb2.SignedDirectory, peer: str, via: str, now: str) -> bool:
        def refuse(reason: str) -> bool:
            detail = f"{via}: directory refused: {reason}"
            self._event(lambda conn: st.security_event_txn(conn, at=now, kind="bad_directory", peer=peer,
                                                           detail=detail), "bad_directory")
            logger.warning("[peer=%s] %s", peer, detail)
            return False

        try:
            doc = verify_directory(signed, self.keyring)
        except SignatureError as exc:
            return refuse(str(exc))
        if doc.version == self.directory_version:
            return False  # the one in use, from another peer
        if doc.version < self.directory_version:
            return refuse(f"version {doc.version} is older than version {self.directory_version} in use")
        try:
            directory = parse_topology(doc.topology, f"directory version {doc.version}")
        except TopologyError as exc:
            return refuse(str(exc))
        if self.me not in directory:
            return refuse(f"version {doc.version} does not list this node ({self.me}); it is kept out of use")
        self.store.write(lambda conn: conn.execute(
            "INSERT OR REPLACE INTO directories (version, issued_at, document, signature, key_id, applied_at) "
            "VALUES (?, ?, ?, ?, ?, ?)", (doc.version, doc.issued_at, signed.document, signed.signature,
                                         signed.key_id, now)))
        previous = self.directory_version
        self.directory_version, self.directory_issued_at = doc.version, doc.issued_at
        self.remember_directory_keys(directory)
        self.adopt_directory(directory)
        logger.warning("[node=%s] directory version %d (issued %s, from %s) applied in place of version %d: %d nodes",
                       self.me, doc.version, doc.issued_at, peer, previous, len(directory))
        return True

    # -- what this node's admin does ---------------------------------------------------------

    def rotate(self) -> keys_pb2.RotateKeyResponse:
        """A new signing key from now: the old one signs a statement handing over to it (and may still sign what
        is dated within ROTATION_OVERLAP), the new key is written to the key file, then used."""
        with self._lock:
            old = self.current_key()
            new = SigningKey.generate(self.me)
            # The old key stays trusted after a restart (a key no directory listed is otherwise known only
            # from the key file), so the statement's window closes on it again.
            self.store.write(lambda conn: conn.execute(
                "INSERT OR IGNORE INTO signing_keys (key_id, node, public_key, source, added_at) "
                "VALUES (?, ?, ?, 'directory', ?)", (old.key_id, self.me, old.public_raw, rfc3339(self.clock.now()))))
            start = self.clock.now()
            valid_from, not_after = rfc3339(start), rfc3339(start + ROTATION_OVERLAP)
            signed = sign_key_statement(old, new.public_raw, valid_from=valid_from, previous_not_after=not_after)
            # The new key is on disk (beside the old one) before anything names it.
            pending = self.key_path.with_name(self.key_path.name + ".next")
            write_pem(pending, new.to_pem(), private=True)
            if self._statement(signed, self.me, "rotate", valid_from) != "new":
                pending.unlink(missing_ok=True)
                raise SignatureError("the key statement of this rotation does not verify")
            os.replace(pending, self.key_path)
            self.key_path.with_name("signing.pub").write_text(new.public_b64 + "\n")
            self.use_key(new)
        logger.warning("[node=%s] signing key rotated: %s from %s (%s signs nothing dated from %s)", self.me,
                       new.key_id, valid_from, old.key_id, not_after)
        self.push(keys_pb2.KeyBundle(statements=[signed]))
        return keys_pb2.RotateKeyResponse(key_id=new.key_id, public_key=new.public_b64, valid_from=valid_from,
                                          previous_key_id=old.key_id, previous_not_after=not_after,
                                          hitcheck_epoch=self.hitcheck.key.epoch if self.hitcheck else "")

    def rotate_hitcheck(self) -> keys_pb2.RotateKeyResponse:
        """A new hit-check key alone (`keys rotate --hitcheck-only`): the filter is rebuilt under it."""
        if self.hitcheck is None:
            raise UnavailableError("this node has no hit-check key")
        self.hitcheck.rotate_key()
        key = self.current_key()
        return keys_pb2.RotateKeyResponse(key_id=key.key_id, public_key=key.public_b64,
                                          hitcheck_epoch=self.hitcheck.key.epoch)

    def revoke(self, key_id: str, since: str) -> keys_pb2.RevokeKeyResponse:
        """Revoke a key of this node (wco: of any node) from `since`."""
        if not key_id:
            raise ValidationError("key_id", "required: the id of the key to revoke (keys list shows them)")
        since_text = utc_text(parse_rfc3339(since, "since"))
        entry = self.keyring.entry(key_id)
        if entry is None:
            raise ValidationError("key_id", f"{key_id!r} is not a key this node knows (keys list shows them)")
        if entry.node != self.me and self.me != SECRETARIAT:
            raise ValidationError("key_id", f"{key_id!r} is a key of {entry.node!r}: a node revokes its own keys, "
                                            f"and only {SECRETARIAT!r} revokes another node's")
        key = self.current_key()
        if key_id == key.key_id:
            raise ValidationError("key_id", f"{key_id!r} is this node's current signing key: rotate first "
                                            "(rilo-node keys rotate), then revoke it")
        now = rfc3339(self.clock.now())
        signed = sign_revocation(key, key_id, since=since_text, issued_at=now)
        before = self.quarantined_count()
        with self._lock:
            applied = self._revocation(signed, self.me, "revoke", now)
        if applied:
            self.push(keys_pb2.KeyBundle(revocations=[signed]))
        entry = self.keyring.entry(key_id)
        return keys_pb2.RevokeKeyResponse(key_id=key_id, since=entry.revoked_since or since_text,
                                          quarantined=self.quarantined_count() - before)

    def publish(self, topology: str, version: int) -> keys_pb2.PublishDirectoryResponse:
        """wco: sign `topology` as the next version of the directory, apply it, pass it on."""
        if self.me != SECRETARIAT:
            raise PermissionDeniedError(f"only {SECRETARIAT!r} signs the directory; this node is {self.me!r}")
        try:
            directory = parse_topology(topology, "topology")
        except TopologyError as exc:
            raise ValidationError("topology", str(exc)) from None
        if self.me not in directory:
            raise ValidationError("topology", f"the directory must list {self.me!r}")
        version = version or self.directory_version + 1
        if version <= self.directory_version:
            raise ValidationError("version", f"must be above {self.directory_version}, the version in use")
        now = rfc3339(self.clock.now())
        signed = sign_directory(self.current_key(), version=version, issued_at=now, topology=topology)
        with self._lock:
            if not self._directory(signed, self.me, "publish", now):
                raise ValidationError("topology", "the signed directory was not applied (see security-events)")
        self.push(keys_pb2.KeyBundle(directory=signed))
        return keys_pb2.PublishDirectoryResponse(version=version, issued_at=now, nodes=len(directory))

    # -- peers -------------------------------------------------------------------------------

    def _peers(self) -> list[str]:
        directory = self.directory()
        return list(directory.peers(self.me)) if self.me in directory else []

    def _call(self, peer: str, method: str, request):
        """One KeyService call to `peer`, waited for (node/channels.py: the node's one channel to it)."""
        return self.channels.call_blocking(peer, keys_pb2_grpc.KeyServiceStub, method, request, timeout=CALL_TIMEOUT)

    def sync_with(self, peer: str) -> int:
        """Ask `peer` for what it holds and this node lacks; returns how many items were new."""
        resp = self._call(peer, "SyncKeys",
                          keys_pb2.SyncKeysRequest(digest=self.digest(), directory_version=self.directory_version))
        return self.accept(resp.bundle, peer=peer, via="sync")

    def sync_all(self) -> int:
        """The keys-sync job: compare with every reachable peer (what a partition kept away comes back here)."""
        total = 0
        for peer in self._peers():
            if self._closed:
                break
            try:
                total += self.sync_with(peer)
            except (grpc.RpcError, ConnectionError) as exc:
                logger.debug("[peer=%s] keys sync skipped: %s", peer, exc)
        return total

    def answer_sync(self, request: keys_pb2.SyncKeysRequest) -> keys_pb2.SyncKeysResponse:
        same = request.digest == self.digest()
        bundle = self.bundle(directory_newer_than=request.directory_version)
        if same:
            del bundle.statements[:]
            del bundle.revocations[:]
        return keys_pb2.SyncKeysResponse(bundle=bundle)

    def learn_keys(self, peer: str, records) -> None:
        """Before records from `peer` are verified: when one names a key this node does not know, ask that peer
        (which verified it) for its statements first, so a rotation never makes a record refused."""
        if self._closed or all(r.key_id in self.keyring for r in records):
            return
        with self._on_demand_guard:
            lock = self._on_demand_locks.setdefault(peer, threading.Lock())
        with lock:
            if all(r.key_id in self.keyring for r in records):
                return  # the sync this batch waited for brought the keys
            now = self.clock.monotonic()
            if now - self._last_on_demand.get(peer, -1e9) < UNKNOWN_KEY_RETRY:
                return
            self._last_on_demand[peer] = now
            try:
                self.sync_with(peer)
            except (grpc.RpcError, ConnectionError) as exc:
                logger.info("[peer=%s] could not fetch keys for its records: %s", peer, exc)

    def push(self, bundle: keys_pb2.KeyBundle, exclude: str | None = None) -> None:
        """Send what this node just learned to its peers, in the background (the sync job repairs a miss)."""
        if self._closed:
            return
        for peer in self._peers():
            if peer == exclude:
                continue

            def send(peer=peer):
                try:
                    self._call(peer, "PushKeys", keys_pb2.PushKeysRequest(bundle=bundle))
                except (grpc.RpcError, ConnectionError) as exc:
                    logger.debug("[peer=%s] keys push failed: %s", peer, exc)

            try:
                self._pusher.submit(send)
            except RuntimeError:  # closing
                return

    def close(self) -> None:
        self._closed = True
        self._pusher.shutdown(wait=True, cancel_futures=True)

    # -- listing -------------------------------------------------------------------------------

    def key_infos(self, node: str = "") -> list[keys_pb2.KeyInfo]:
        out = []
        current = self.current_key().key_id
        for e in self.keyring.entries():
            if node and e.node != node:
                continue
            out.append(keys_pb2.KeyInfo(
                key_id=e.key_id, node=e.node, public_key=base64.b64encode(e.public_raw).decode(),
                source=e.source, valid_from=e.valid_from or "", not_after=e.not_after or "",
                revoked_since=e.revoked_since or "",
                current=(e.key_id == current) if e.node == self.me else (e.key_id == self.keyring.key_id_of(e.node))))
        return out


def rotated_to(db_path: Path, key_id: str) -> bool:
    """True when the store at `db_path` holds a key statement by which its node rotated to `key_id` (read
    only; False when there is no store, or no such statement): `config check` then accepts a signing key the
    topology file does not list."""
    import sqlite3

    if not Path(db_path).exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM signing_keys WHERE key_id = ? AND statement IS NOT NULL",
                            (key_id,)).fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        conn.close()
