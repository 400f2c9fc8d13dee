"""The network directory on disk: read a topology file, and the default one shipped in the package."""

from __future__ import annotations

import pathlib
from importlib import resources

from rilo_node.core.errors import TopologyError
from rilo_node.core.topology import Directory, parse_topology


def load_topology(path: str | pathlib.Path) -> Directory:
    """The directory in the topology file at `path`."""
    try:
        text = pathlib.Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise TopologyError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TopologyError(f"{path}: not UTF-8 text: {exc}") from None
    return parse_topology(text, str(path))


def default_topology_path() -> pathlib.Path:
    """The real RILO network (rilo_node/data/topology.toml), shipped inside the package."""
    return pathlib.Path(str(resources.files("rilo_node") / "data" / "topology.toml"))
