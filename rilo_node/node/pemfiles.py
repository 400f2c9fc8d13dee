"""Writing PEM files (keys and certificates) with the right permissions; no cryptography needed, so that a
running node that only writes a key it made elsewhere does not load the cryptography package (node/keys.py)."""

from __future__ import annotations

import os
from pathlib import Path


def write_pem(path: Path, data: bytes, private: bool = False) -> None:
    """Write a PEM file; a private one is created 0600 in a 0700 folder, never readable by others, not even
    for a moment."""
    if private:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
