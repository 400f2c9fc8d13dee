"""Who is calling: node and client identities read from certificates, and the TLS name of a node."""

from __future__ import annotations

from dataclasses import dataclass

# TLS names: a node's certificate is valid for "<id>.node.rilo" (clients check it with
# ssl_target_name_override) and carries CN "node:<id>"; a national system's client
# certificate carries CN "client:<node id>:<name>" and may call only that node's client services.
NODE_DNS_SUFFIX = ".node.rilo"


def node_dns(node_id: str) -> str:
    return node_id + NODE_DNS_SUFFIX


@dataclass(frozen=True)
class Identity:
    """Who is calling, read from the peer certificate's common name."""

    kind: str  # "node" | "client" | "insecure"
    node_id: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.node_id}" + (f":{self.name}" if self.name else "")

    @classmethod
    def parse(cls, common_name: str) -> "Identity | None":
        parts = common_name.split(":")
        if len(parts) == 2 and parts[0] == "node":
            return cls("node", parts[1])
        if len(parts) == 3 and parts[0] == "client":
            return cls("client", parts[1], parts[2])
        return None
