"""KeyService (between nodes: key statements, revocations, the signed directory) and KeyAdminService (the node's
own client certificates: list, rotate, revoke, publish the directory)."""

from __future__ import annotations

from pathlib import Path

from rilo_node.api.errors import grpc_errors
from rilo_node.api.services import caller_identity
from rilo_node.core.errors import (
    PermissionDeniedError,
    TopologyError,
    UnavailableError,
    ValidationError,
)
from rilo_node.core.topology import dump_topology
from rilo_node.node.keys import KeyBook
from rilo_node.node.metrics import certificate_expiry
from rilo_node.pb.rilo.v1 import keys_pb2, keys_pb2_grpc

MAX_BUNDLE_ITEMS = 10_000
MAX_TOPOLOGY_BYTES = 4 * 1024 * 1024


def _bundle_size(bundle: keys_pb2.KeyBundle) -> int:
    return len(bundle.statements) + len(bundle.revocations)


class KeyService(keys_pb2_grpc.KeyServiceServicer):
    """Only directory nodes, with their node certificates, over links that are not cut."""

    def __init__(self, keys: KeyBook, *, insecure: bool = False):
        self.keys = keys
        self.insecure = insecure

    def _peer(self, context) -> str:
        ident = caller_identity(context, self.insecure)
        if ident.kind != "node":
            raise PermissionDeniedError(f"{ident} may not call the key service of another node")
        if ident.node_id not in self.keys.directory():
            raise PermissionDeniedError(f"node {ident.node_id!r} is not in this node's directory")
        if ident.node_id == self.keys.me:
            raise PermissionDeniedError("a node does not call itself")
        if self.keys.links is not None and self.keys.links.is_cut(ident.node_id, self.keys.me):
            raise UnavailableError(f"link {ident.node_id}–{self.keys.me} is cut")
        return ident.node_id

    @grpc_errors
    def SyncKeys(self, request, context):
        self._peer(context)
        return self.keys.answer_sync(request)

    @grpc_errors
    def PushKeys(self, request, context):
        peer = self._peer(context)
        if _bundle_size(request.bundle) > MAX_BUNDLE_ITEMS:
            raise ValidationError("bundle", f"at most {MAX_BUNDLE_ITEMS} statements and revocations per call")
        return keys_pb2.PushKeysResponse(accepted=self.keys.accept(request.bundle, peer=peer, via="push"))


class KeyAdminService(keys_pb2_grpc.KeyAdminServiceServicer):
    """The node's own client certificates only (like NodeAdminService)."""

    def __init__(self, keys: KeyBook, *, certificate: Path | None, insecure: bool = False):
        self.keys = keys
        self.insecure = insecure
        self.certificate = certificate  # read at each call: `cert install` renews it while the node serves

    def _client(self, context) -> None:
        ident = caller_identity(context, self.insecure)
        if ident.kind == "insecure" or (ident.kind == "client" and ident.node_id == self.keys.me):
            return
        raise PermissionDeniedError(f"{ident} may not manage the keys of node {self.keys.me!r}")

    @grpc_errors
    def ListKeys(self, request, context):
        self._client(context)
        if request.node and request.node not in self.keys.directory():
            raise ValidationError("node", f"{request.node!r} is not in this node's directory")
        try:
            expiry = certificate_expiry(self.certificate.read_bytes()) if self.certificate else None
        except OSError:
            expiry = None
        return keys_pb2.ListKeysResponse(
            keys=self.keys.key_infos(request.node), signing_key_id=self.keys.current_key().key_id,
            certificate_not_after=expiry.strftime("%Y-%m-%dT%H:%M:%SZ") if expiry else "",
            directory_version=self.keys.directory_version, quarantined=self.keys.quarantined_count())

    @grpc_errors
    def RotateKey(self, request, context):
        self._client(context)
        return self.keys.rotate_hitcheck() if request.hitcheck_only else self.keys.rotate()

    @grpc_errors
    def RevokeKey(self, request, context):
        self._client(context)
        return self.keys.revoke(request.key_id, request.since)

    @grpc_errors
    def PublishDirectory(self, request, context):
        self._client(context)
        if not request.topology:
            raise ValidationError("topology", "required: the directory's topology TOML")
        if len(request.topology.encode()) > MAX_TOPOLOGY_BYTES:
            raise ValidationError("topology", f"at most {MAX_TOPOLOGY_BYTES} bytes")
        return self.keys.publish(request.topology, request.version)

    @grpc_errors
    def GetDirectory(self, request, context):
        self._client(context)
        directory = self.keys.directory()
        doc_text = ""
        signed = self.keys.signed_directory()
        if self.keys.directory_version and signed.document:
            doc_text = keys_pb2.DirectoryDocument.FromString(signed.document).topology
        else:
            try:
                doc_text = dump_topology(directory)
            except TopologyError:
                doc_text = ""
        return keys_pb2.GetDirectoryResponse(version=self.keys.directory_version,
                                             issued_at=self.keys.directory_issued_at, topology=doc_text,
                                             nodes=len(directory))
