"""One gRPC channel from this node to each other node, shared by every part that calls it.

Replication (pulls, deliveries, anti-entropy), federated queries, the key book (key sync and pushes),
disclosures and the hit check call other nodes. Each part once had a channel of its own: up to three TLS
connections per pair of nodes, each with its handshake, keepalive pings and its share of grpc's polling;
then one synchronous channel beside one aio channel: two connections from each node to each peer, each
pinged by both ends every 30 s, most of what an idle network's grpc threads still woke for. Now one:

one event loop of the node (grpc.aio, thread `grpc-aio:<node>`) holds one channel to each node, made on first
use and kept while the node's address stays the same. Calls that are many or long run on it as coroutines (the
pulls, node/peers.py; the hit check's fan-out, node/hitcheck.py; the hops of a query): an aio call needs no
thread, where a synchronous `.future()` on a channel with no call under way starts one (grpc's channel spin
thread), which made a check of 195 nodes start 195 threads. A thread that needs one answer (an anti-entropy
comparison, a key sync, a delivery) hands its call to the loop (`call`, `call_blocking`) and waits.

A simulated partition (`Links`) is checked on every use: a cut link raises ConnectionError before any call
is made, and a call that is already out is not this cache's business (the pulls cancel their own).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable

import grpc

from rilo_node.core.identity import node_dns

# Keepalive on every channel: a peer that vanished is noticed within 40 s, also between calls. Up to 64 MiB
# received: a feed message or anti-entropy answer stays far below it (node/peers.py FEED_BATCH_BYTES).
CALL_MARGIN_SECONDS = 5.0  # past a call's own deadline, before its waiter gives up on the loop (Channels.wait)
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
    """This node's channels to the other nodes, one each, by address, on its event loop. Thread-safe."""

    def __init__(self, me: str, *, tls: tuple[bytes, bytes, bytes] | None, links, address: Callable[[str], str | None]):
        self.me = me
        self.tls = tls
        self.links = links  # node/peers.py Links, or None
        self.address = address  # node id -> its address in the directory in use (None: not listed)
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: threading.Thread | None = None
        self._aio: dict[str, tuple[str, grpc.aio.Channel]] = {}  # touched on the loop only
        self._stubs: dict[tuple[str, Callable], tuple[grpc.aio.Channel, object]] = {}  # the same

    def usable(self, node: str) -> str:
        """The address of `node`, or ConnectionError (a cut link, no address)."""
        if self.links is not None and self.links.is_cut(self.me, node):
            raise ConnectionError(f"link {self.me}–{node} is cut")
        address = self.address(node)
        if not address:
            raise ConnectionError(f"no address for {node} in the directory")
        return address

    def call(self, node: str, stub: Callable, method: str, request, *, timeout: float) -> concurrent.futures.Future:
        """One unary call to `node` on the loop, from any thread: a Future of its response or its grpc.RpcError.
        ConnectionError at once when the link is cut, the node has no address or this node is stopping."""
        self.usable(node)

        async def call():
            return await getattr(self.stub(node, stub), method)(request, timeout=timeout)

        return self.run(call())

    def call_blocking(self, node: str, stub: Callable, method: str, request, *, timeout: float):
        """`call`, waited for: its response, or its grpc.RpcError; ConnectionError when this node stops
        meanwhile (the loop ends with the call unmade). Not on the loop's own thread, which it would block."""
        if self._loop_thread is threading.current_thread():
            raise RuntimeError("a call waited for on the event loop's own thread would never be made")
        return self.wait(self.call(node, stub, method, request, timeout=timeout), node, timeout)

    @staticmethod
    def wait(future: concurrent.futures.Future, node: str, timeout: float):
        """The outcome of a `call` (allowed `timeout` s, with a margin for the loop to hand it over)."""
        try:
            return future.result(timeout=timeout + CALL_MARGIN_SECONDS)
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
            future.cancel()
            raise ConnectionError(f"the call to {node} ended unanswered (this node stopping?)") from None

    # -- the event loop and its channels ---------------------------------------------------------

    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The node's event loop (started at first use); None once the channels are closed."""
        with self._lock:
            if self._closed:
                return None
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._loop_thread = threading.Thread(target=loop.run_forever, name=f"grpc-aio:{self.me}", daemon=True)
                self._loop_thread.start()
                self._loop = loop
            return self._loop

    def run(self, coro) -> asyncio.Future:
        """Run a coroutine on the loop: its concurrent.futures.Future. ConnectionError when closed."""
        loop = self.loop()
        if loop is None:
            coro.close()
            raise ConnectionError(f"{self.me} is stopping")
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def aio(self, node: str) -> grpc.aio.Channel:
        """The aio channel to `node` (on the loop only); ConnectionError as get()."""
        address = self.usable(node)
        cached = self._aio.get(node)
        if not cached or cached[0] != address:
            if cached:
                asyncio.get_running_loop().create_task(cached[1].close())
            cached = self._aio[node] = (address, open_channel(grpc.aio, node, address, self.tls))
        return cached[1]

    def stub(self, node: str, stub_cls: Callable):
        """A `stub_cls` on the aio channel to `node` (on the loop only; ConnectionError as aio()), made once
        per channel: making a stub registers every method of its service with the channel, which a
        query's fan-out paid for each of its calls."""
        channel = self.aio(node)
        cached = self._stubs.get((node, stub_cls))
        if cached is None or cached[0] is not channel:
            cached = self._stubs[(node, stub_cls)] = (channel, stub_cls(channel))
        return cached[1]

    def call_soon(self, fn, *args) -> None:
        """fn(*args) on the loop, from any thread; nothing when the loop is not running."""
        with self._lock:
            loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                loop.call_soon_threadsafe(fn, *args)

    def forget_aio(self, node: str) -> None:
        """Close the aio channel to `node` (from any thread): every call on it ends (a cut link)."""
        self.call_soon(self._forget_aio, node)

    def _forget_aio(self, node: str) -> None:
        cached = self._aio.pop(node, None)
        for key in [k for k in self._stubs if k[0] == node]:
            del self._stubs[key]
        if cached:
            asyncio.get_running_loop().create_task(cached[1].close())

    def close(self) -> None:
        """Close every channel and stop the loop (after the pulls have ended: node/peers.py close)."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._loop_thread
            self._loop = self._loop_thread = None  # closing twice closes once
        if loop is None or loop.is_closed():
            return

        async def close_aio():
            await asyncio.gather(*(ch.close() for _a, ch in self._aio.values()), return_exceptions=True)
            self._aio.clear()
            self._stubs.clear()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_aio(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()
