"""Make a node folder: TLS certificates from a CA, a record-signing key, a config, a copy of the directory."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from rilo_node.core.signing import SigningKey
from rilo_node.node.config import render_config
from rilo_node.node.hitcheck import KEY_FILE, HitKey
from rilo_node.node.pki import CertificateAuthority, write_pem


@dataclass(frozen=True)
class NodeFolder:
    node_id: str
    path: Path
    signing_key: SigningKey

    @property
    def config(self) -> Path:
        return self.path / "node.toml"

    @property
    def ca(self) -> Path:
        return self.path / "tls" / "ca.pem"

    @property
    def client_cert(self) -> Path:
        return self.path / "tls" / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.path / "tls" / "client.key"


def init_node_dir(node_dir: Path, node_id: str, topology: Path, *, listen: str = "127.0.0.1:0",
                  ca: CertificateAuthority | None = None, insecure: bool = False,
                  client_name: str = "national-system", signing_key: SigningKey | None = None,
                  links: str | None = None, new_signing_key: bool = False) -> NodeFolder:
    """Write everything a node needs into node_dir. Without a CA, a development CA is made and kept there.
    A signing key already in the folder is kept (its records stay verifiable) unless `new_signing_key`.
    The folder and its key and data folders are 0700, private keys 0600: they hold what only the node
    may read."""
    node_dir = Path(node_dir)
    node_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    node_dir.chmod(0o700)
    key_file = node_dir / "keys" / "signing.key"
    if signing_key is None and key_file.exists() and not new_signing_key:
        signing_key = SigningKey.from_pem(node_id, key_file.read_bytes())
    if ca is None:
        ca = CertificateAuthority.create(f"RILO Net development CA ({node_id})")
        write_pem(node_dir / "tls" / "ca.key", ca.key_pem, private=True)
    write_pem(node_dir / "tls" / "ca.pem", ca.cert_pem)
    cert, key = ca.issue_node(node_id)
    write_pem(node_dir / "tls" / "node.pem", cert)
    write_pem(node_dir / "tls" / "node.key", key, private=True)
    cert, key = ca.issue_client(node_id, client_name)
    write_pem(node_dir / "tls" / "client.pem", cert)
    write_pem(node_dir / "tls" / "client.key", key, private=True)
    signing = signing_key or SigningKey.generate(node_id)
    write_pem(key_file, signing.to_pem(), private=True)
    (node_dir / "keys" / "signing.pub").write_text(signing.public_b64 + "\n")
    HitKey(node_dir / "keys" / KEY_FILE)  # the hit-check key (0600): kept if there, else made
    if Path(topology).resolve() != (node_dir / "topology.toml").resolve():
        shutil.copyfile(topology, node_dir / "topology.toml")
    (node_dir / "data").mkdir(mode=0o700, exist_ok=True)
    (node_dir / "data").chmod(0o700)
    (node_dir / "node.toml").write_text(render_config(node_id=node_id, listen=listen, insecure=insecure, links=links))
    return NodeFolder(node_id, node_dir, signing)
