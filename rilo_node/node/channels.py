"""One gRPC channel from this node to each other node, shared by every part that calls it.

Replication (deliveries, anti-entropy, relayed queries), the key book (key sync and pushes) and the hit
check each called a peer over a channel of their own: up to three TLS connections per pair of nodes, each
with its handshake, keepalive pings and its share of grpc's polling. Here there is one synchronous channel
per node, made on first use and kept while the node's address stays the same. The pulls are the exception:
they run on an event loop (grpc.aio, node/peers.py), whose channels cannot be shared with synchronous ones.

A simulated partition (`Links`) is checked on every use: a cut link raises ConnectionError before any call
is made, and a call that is already out is not this cache's business (the pulls cancel their own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import grpc

from rilo_node.core.identity import node_dns

# Keepalive on every channel: a peer that vanished is noticed within 40 s, also between calls. Up to 64 MiB
# received: a feed message or anti-entropy answer stays far below it (node/peers.py FEED_BATCH_BYTES).
CHANNEL_OPTIONS = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2_000),
)


def open_channel(module, node: str, address: str, tls: tuple[bytes, bytes, bytes] | None):
    """A channel to `node` at `address` (module grpc, or grpc.aio on an event loop): mutual TLS with this
    node's certificate when `tls` is (ca, cert, key), plaintext when it is None (development)."""
    options = [("grpc.ssl_target_name_override", node_dns(node)), *CHANNEL_OPTIONS]
    if tls:
        ca, cert, key = tls
        creds = grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)
        return module.secure_channel(address, creds, options=options)
    return module.insecure_channel(address, options=options)


class Channels:
    """This node's synchronous channels to the other nodes, one each, by address. Thread-safe."""

    def __init__(self, me: str, *, tls: tuple[bytes, bytes, bytes] | None, links, address: Callable[[str], str | None]):
        self.me = me
        self.tls = tls
        self.links = links  # node/peers.py Links, or None
        self.address = address  # node id -> its address in the directory in use (None: not listed)
        self._channels: dict[str, tuple[str, grpc.Channel]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def get(self, node: str) -> grpc.Channel:
        """The channel to `node`; ConnectionError when the link is cut, the node has no address, or this
        node is stopping."""
        if self.links is not None and self.links.is_cut(self.me, node):
            raise ConnectionError(f"link {self.me}–{node} is cut")
        address = self.address(node)
        if not address:
            raise ConnectionError(f"no address for {node} in the directory")
        stale = None
        with self._lock:
            if self._closed:
                raise ConnectionError(f"{self.me} is stopping")
            cached = self._channels.get(node)
            if cached and cached[0] == address:
                return cached[1]
            if cached:
                stale = cached[1]  # the node moved: a channel to its new address
            channel = open_channel(grpc, node, address, self.tls)
            self._channels[node] = (address, channel)
        if stale is not None:
            stale.close()
        return channel

    def forget(self, node: str) -> None:
        """Close the channel to `node` (a node the directory no longer lists)."""
        with self._lock:
            cached = self._channels.pop(node, None)
        if cached:
            cached[1].close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            channels, self._channels = list(self._channels.values()), {}
        for _address, channel in channels:
            channel.close()
