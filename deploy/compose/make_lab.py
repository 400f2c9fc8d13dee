#!/usr/bin/env python3
"""Make the three node folders of the compose lab (compose.yaml): the Secretariat `wco`, the RILO
`rilo-we` and the member `de`, each reachable at its service name on port 7443.

    python deploy/compose/make_lab.py [--out deploy/compose/lab] [--uid 10001]

One throwaway CA signs the three node certificates (each also naming its service's DNS name) and a
client certificate per node; the directory lists the three with `address = "<service>:7443"` and their
signing keys. Run it where rilo-node is installed; as root it hands the folders to the image's user.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

OFFICES = ("wco", "rilo-we", "de")
PORT = 7443
METRICS_PORT = 9464


def make_lab(out: Path, uid: int | None = None) -> list[Path]:
    from rilo_node.core.topology import dump_topology
    from rilo_node.node.config import update_config
    from rilo_node.node.directory import default_topology_path, load_topology
    from rilo_node.node.pki import CertificateAuthority, write_pem
    from rilo_node.node.provision import init_node_dir

    out.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority.create("RILO Net compose lab CA (throwaway)")
    write_pem(out / "ca" / "ca.pem", ca.cert_pem)
    write_pem(out / "ca" / "ca.key", ca.key_pem, private=True)
    directory = load_topology(default_topology_path()).subset(OFFICES)
    folders = []
    for node_id in OFFICES:
        folder = init_node_dir(out / node_id, node_id, default_topology_path(), ca=ca, listen=f"0.0.0.0:{PORT}")
        update_config(folder.config, {"metrics": {"listen": f"0.0.0.0:{METRICS_PORT}"}})
        directory = directory.with_node_fields(node_id, address=f"{node_id}:{PORT}",
                                               signing_key=folder.signing_key.public_b64)
        folders.append(folder.path)
    text = dump_topology(directory)
    for path in folders:
        (path / "topology.toml").write_text(text)
    if uid is not None:
        for path in folders:
            for root, dirs, files in os.walk(path):
                for name in [*dirs, *files]:
                    os.chown(os.path.join(root, name), uid, uid)
            os.chown(path, uid, uid)
    return folders


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "lab"))
    ap.add_argument("--uid", type=int, default=10001 if os.geteuid() == 0 else None,
                    help="hand the folders to this uid (default: the image's 10001 when run as root)")
    args = ap.parse_args()
    for path in make_lab(Path(args.out), args.uid):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
