"""`cluster up --web`: which nodes serve the web interface, and their users viewer, analyst and admin
(docs/web.md#users-and-roles). One password a user for the whole simulated network, in a file of its
own (mode 0600) under WORKDIR/web/; the admin's TOTP secret beside its password file."""

from __future__ import annotations

import os
from pathlib import Path

from rilo_node.core.errors import ValidationError

USERS = ("viewer", "analyst", "admin")


def web_nodes(spec: str, ids: list[str]) -> list[str]:
    """`all`, `none` or ID,… → the node ids that serve the web (ValidationError naming --web)."""
    spec = (spec or "all").strip()
    if spec == "all":
        return list(ids)
    if spec == "none":
        return []
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [w for w in wanted if w not in ids]
    if unknown or not wanted:
        raise ValidationError("--web", f"{', '.join(unknown) or spec!r}: not a node of this network "
                                       "(all, none, or node ids of the network, comma-separated)")
    return [i for i in ids if i in wanted]


def _private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    path.chmod(0o600)


def provision(workdir: Path, configs: dict[str, Path]) -> dict[str, str]:
    """Create the users in the store of every node in `configs` (before the node starts) and write the
    password files; returns {user: password file}. admin and analyst see all operations, viewer none."""
    import pyotp

    from rilo_node.node.clock import SystemClock
    from rilo_node.node.config import load_config
    from rilo_node.node.users import HASHER, Users, new_password
    from rilo_node.store.db import Store

    files, hashes = {}, {}
    folder = workdir / "web"
    for name in USERS:
        password = new_password()
        files[name] = folder / f"{name}.password"
        _private(files[name], password)
        hashes[name] = HASHER.hash(password)
    secret = pyotp.random_base32()
    _private(folder / "admin.totp", secret)
    for node_id, config_path in configs.items():
        config = load_config(config_path)
        config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        store = Store(config.db_path, synchronous=config.synchronous)
        try:
            users = Users(store, SystemClock(), admin_totp=config.web_admin_totp, node_id=node_id)
            for name in USERS:
                users.add(name, name, password_hash=hashes[name], all_operations=name != "viewer",
                          totp_secret=secret if name == "admin" else "")
        finally:
            store.close()
    return {name: str(path) for name, path in files.items()}


def totp_file(password_file: str) -> str:
    """The TOTP secret file beside an admin's password file."""
    return str(Path(password_file).with_name("admin.totp"))
