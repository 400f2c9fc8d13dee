"""Every caller's share of the node: at most so many calls and streams at once per certificate.

The node's handlers run on pools of worker threads (api/server.py, api/aio_server.py). A call holds a
worker while its handler works, and a stream that reads its caller's messages for as long as it stays
open, however slowly its caller sends. Without a bound per caller, one client that opens streams and never
sends holds every worker, and peers and every other caller wait. A call over its caller's share is refused
with RESOURCE_EXHAUSTED and a retry-after, which the server's loop holds back for that long before it
sends it, holding no worker meanwhile (`CallerShares.hold_back`). Health checks are never counted.

A stream that makes no progress for `limits.idle_stream_seconds` (IDLE_STREAM_SECONDS) is cancelled: no
message from a client that streams requests (until it has sent its last one), no message taken by a client
that reads a stream. A response the node has not yet made is not the caller's delay: while a feed waits for
records, or a watch for a change, its stream is not idle, however long that takes.

The peer service has workers of its own (`CallPools`): every PeerService call (replication feeds,
deliveries, relayed queries) runs on a pool that client calls never reach, so that no number of client
identities holding their shares can starve it; a health check is answered on the server's loop itself
(ON_LOOP), with no worker at all. The hit-check evaluation streams that other nodes keep open here
(HitEvaluationService.EvaluateStream) hold a thread each for as long as they are open: at most
EVALUATE_STREAMS at once, on threads of their own; one more is refused at its start with
RESOURCE_EXHAUSTED, and its node asks with unary Evaluate calls instead.

Memory goes back to the system after streams (`HeapTrim`): a large export or submission stream leaves tens
of MiB free in the C heap (glibc keeps them); once a stream ends, and at most every TRIM_EVERY_SECONDS, the
node gives the free pages back (malloc_trim), so that its resident memory returns to about its idle level.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import logging
import math
import threading
import time
from concurrent import futures

import grpc

from rilo_node.api.errors import RETRY_PUSHBACK_KEY
from rilo_node.core.errors import BusyError
from rilo_node.core.identity import Identity
from rilo_node.node.quota import Quota
from rilo_node.store.priority import lower_this_thread

logger = logging.getLogger(__name__)

# A national system needs a few calls at once (an import stream, a search, a status); a peer node keeps a
# feed open, delivers, relays queries (at most 8 per peer: node/query.py) and runs anti-entropy.
CALLS_PER_CLIENT = 8
CALLS_PER_PEER_NODE = 24
UNCOUNTED = ("/grpc.health.v1.Health/Check",)
# Answered on the server's event loop itself (api/aio_server.py), never waiting for a worker: a health check
# reads one value under a lock.
ON_LOOP = ("/grpc.health.v1.Health/Check",)
NEVER_IDLE = ("/grpc.health.v1.Health/Watch",)  # a watch is silent while nothing changes
IDLE_STREAM_SECONDS = 120.0
PEER_SERVICE = "/rilo.v1.PeerService/"
EVALUATE_STREAM = "/rilo.v1.HitEvaluationService/EvaluateStream"
REPLICATION_METHODS = frozenset(PEER_SERVICE + m for m in ("Pull", "Deliver", "Digest", "Fetch"))
EVALUATE_STREAMS = 16  # held open by as many asking nodes at once (node/evaluate_streams.py)
REFUSALS_LOGGED_EVERY = 10.0  # seconds: one line per caller, with how many were refused since the last
TRIM_EVERY_SECONDS = 2.0


def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


class HeapTrim:
    """Gives the C heap's free pages back to the system after streams: at once after a stream ends, or, when
    the last trim was less than `every` seconds ago, once that time is up (one timer at most)."""

    def __init__(self, every: float = TRIM_EVERY_SECONDS):
        self.every = every
        self._trim = _malloc_trim()
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._pending = False
        self.trims = 0

    def after_stream(self) -> None:
        if self._trim is None:
            return
        with self._lock:
            if self._pending:
                return
            wait = self._last + self.every - time.monotonic()
            if wait > 0:
                self._pending = True
                timer = threading.Timer(wait, self._run)
                timer.daemon = True
                timer.start()
                return
            self._last = time.monotonic()
        self._do()

    def _run(self) -> None:
        with self._lock:
            self._pending = False
            self._last = time.monotonic()
        self._do()

    def _do(self) -> None:
        self._trim(0)
        self.trims += 1


IDLE_SLACK = 0.05  # past a stream's moment, so that its idle time is over when it is looked at


class IdleStreams:
    """Cancels streams that made no progress for `idle` seconds; one watchdog thread, started on demand."""

    def __init__(self, idle: float):
        self._idle = idle
        self._changed = threading.Event()  # the watchdog looks again at once when `idle` is set
        self._lock = threading.Lock()
        self._streams: dict[int, list] = {}  # id -> [last progress (monotonic), context, method]
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    @property
    def idle(self) -> float:
        return self._idle

    @idle.setter
    def idle(self, seconds: float) -> None:
        self._idle = seconds
        self._changed.set()

    def open(self, context, method: str) -> int:
        with self._lock:
            sid = next(self._ids)
            self._streams[sid] = [time.monotonic(), context, method]
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="idle-streams", daemon=True)
                self._thread.start()
        return sid

    def touch(self, sid: int) -> None:
        """Progress: the stream's idle time starts again from now (and a paused stream is watched again)."""
        entry = self._streams.get(sid)
        if entry is not None:
            entry[0] = time.monotonic()

    def pause(self, sid: int) -> None:
        """The node itself is at work on the stream (making its next response): not idle until `touch`."""
        entry = self._streams.get(sid)
        if entry is not None:
            entry[0] = math.inf

    def watching(self) -> int:
        """How many streams are watched now."""
        with self._lock:
            return len(self._streams)

    def close(self, sid: int) -> None:
        with self._lock:
            self._streams.pop(sid, None)

    def _watch(self) -> None:
        # It sleeps until the first moment a stream could become stale: progress only moves a stream's moment
        # later, and a stream opened or watched again (after a pause) meanwhile has its moment after every one
        # seen here; with every stream paused, for `idle` seconds. (A wake-up every second at each node of an
        # idle network cost more than the streams.)
        wait = self.idle
        while True:
            if self._changed.wait(wait + IDLE_SLACK):
                self._changed.clear()
            now = time.monotonic()
            with self._lock:
                stale = [(sid, e) for sid, e in self._streams.items() if now - e[0] > self.idle]
                for sid, _ in stale:
                    del self._streams[sid]
                if not self._streams:
                    self._thread = None  # nothing to watch: the next stream starts a new watchdog
                    done = True
                else:
                    done = False
                    first = min(e[0] for e in self._streams.values())
                    wait = self.idle if first == math.inf else max(0.0, first + self.idle - now)
            for _, (_, context, method) in stale:
                logger.warning("[caller=%s] %s made no progress for %.0f s: cancelled", caller_key(context), method,
                               self.idle)
                context.cancel()
            if done:
                return


def caller_key(context) -> str:
    auth = context.auth_context() or {}
    names = auth.get("x509_common_name") or []
    ident = Identity.parse(names[0].decode()) if names else None
    return str(ident) if ident is not None else f"peer:{context.peer()}"


class CallPools(grpc.ServerInterceptor):
    """Health checks and the peer service on workers of their own. Outermost of the interceptors: grpc picks
    a call's workers from the behaviour it is finally given (its `experimental_thread_pool`, when set)."""

    def __init__(self, peer_workers: int, node_id: str = "", evaluate_streams: int = EVALUATE_STREAMS):
        self.peers = futures.ThreadPoolExecutor(max_workers=peer_workers, thread_name_prefix=f"peers-{node_id}")
        # What peers call to replicate (pulls, deliveries, digests, fetches) at the background priority
        # (store/priority.py); their queries and the clients' calls are answered first.
        self.exports = futures.ThreadPoolExecutor(max_workers=peer_workers, thread_name_prefix=f"exports-{node_id}",
                                                  initializer=lower_this_thread)
        # Two more threads than streams: a start that raced past the count in intercept_service is refused
        # by its behaviour on one of them, rather than waiting for a stream to end.
        self.evaluations = futures.ThreadPoolExecutor(max_workers=evaluate_streams + 2,
                                                      thread_name_prefix=f"evaluations-{node_id}")
        self.evaluate_streams = evaluate_streams
        self._evaluating = 0  # EvaluateStream calls running now
        self._evaluating_lock = threading.Lock()
        self._refusing: grpc.RpcMethodHandler | None = None  # made with the EvaluateStream handler
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    @property
    def executors(self) -> tuple[futures.ThreadPoolExecutor, ...]:
        return (self.peers, self.exports, self.evaluations)

    @property
    def evaluating(self) -> int:
        """How many EvaluateStream calls this node holds open now."""
        with self._evaluating_lock:
            return self._evaluating

    def _evaluation_streams(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """EvaluateStream on threads of its own, at most `evaluate_streams` at once; beyond, refused at once
        (on the server's own workers, never waiting for a stream to end)."""
        pools, inner = self, handler.stream_stream
        kwargs = {"request_deserializer": handler.request_deserializer,
                  "response_serializer": handler.response_serializer}

        def refuse(context):
            context.set_trailing_metadata(((RETRY_PUSHBACK_KEY, "60000"),))
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                          f"this node holds its {pools.evaluate_streams} evaluation streams: ask with Evaluate")

        def refused(requests, context):
            refuse(context)
            yield from ()

        def behaviour(requests, context):
            with pools._evaluating_lock:
                full = pools._evaluating >= pools.evaluate_streams
                if not full:
                    pools._evaluating += 1
            if full:
                refuse(context)
            try:
                yield from inner(requests, context)
            finally:
                with pools._evaluating_lock:
                    pools._evaluating -= 1

        behaviour.experimental_thread_pool = self.evaluations
        behaviour.answers_each_request = True  # api/aio_server.py reads each request ahead of its step
        self._wrapped[EVALUATE_STREAM] = (handler, grpc.stream_stream_rpc_method_handler(behaviour, **kwargs))
        self._refusing = grpc.stream_stream_rpc_method_handler(refused, **kwargs)

    def pool_of(self, method: str) -> futures.ThreadPoolExecutor | None:
        if method in REPLICATION_METHODS:
            return self.exports
        if method.startswith(PEER_SERVICE):
            return self.peers
        return None

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if method == EVALUATE_STREAM and handler is not None:
            cached = self._wrapped.get(method)
            if cached is None or cached[0] is not handler:
                self._evaluation_streams(handler)
            if self.evaluating >= self.evaluate_streams:
                return self._refusing
            return self._wrapped[method][1]
        pool = self.pool_of(method)
        on_loop = method in ON_LOOP
        if handler is None or (pool is None and not on_loop):
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        kind = ("stream" if handler.request_streaming else "unary") + "_" + (
            "stream" if handler.response_streaming else "unary")
        inner = getattr(handler, kind)

        def behaviour(request, context):
            return inner(request, context)

        if on_loop:
            behaviour.on_loop = True  # api/aio_server.py: run where the call is received, no worker
        else:
            behaviour.experimental_thread_pool = pool
        wrapped = getattr(grpc, f"{kind}_rpc_method_handler")(
            behaviour, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)
        self._wrapped[method] = (handler, wrapped)
        return wrapped


class _RefusalLog:
    """One warning per caller every REFUSALS_LOGGED_EVERY seconds, saying how many calls were refused since
    the last: a storm of refusals costs the node no log line per call."""

    def __init__(self):
        self._lock = threading.Lock()
        self._last: dict[str, tuple[float, int]] = {}  # caller -> (when last logged, refused since)

    def refused(self, key: str, exc: BusyError) -> None:
        now = time.monotonic()
        with self._lock:
            last, since = self._last.get(key, (float("-inf"), 0))
            if now - last < REFUSALS_LOGGED_EVERY:
                self._last[key] = (last, since + 1)
                return
            self._last[key] = (now, 0)
            if len(self._last) > 10_000:  # callers that stopped calling long ago
                self._last = {k: v for k, v in self._last.items() if now - v[0] < REFUSALS_LOGGED_EVERY}
        more = f" ({since} more refused in the last {now - last:.0f} s)" if since else ""
        logger.warning("[caller=%s] refused: %s%s", key, exc, more)


class CallerShares(grpc.ServerInterceptor):
    """Counts each call, unary or streaming, against its caller's share until it ends."""

    def __init__(self, per_client: int = CALLS_PER_CLIENT, per_node: int = CALLS_PER_PEER_NODE,
                 idle_stream_seconds: float | None = None):
        self.clients = Quota(per_client, "calls")
        self.nodes = Quota(per_node, "calls")
        self.idle = IdleStreams(IDLE_STREAM_SECONDS if idle_stream_seconds is None else idle_stream_seconds)
        self._refusals = _RefusalLog()
        self.heap = HeapTrim()
        self._wrapped: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method in UNCOUNTED:
            return handler
        cached = self._wrapped.get(method)
        if cached is not None and cached[0] is handler:
            return cached[1]
        wrapped = self._wrap(handler, method)
        self._wrapped[method] = (handler, wrapped)
        return wrapped

    def _hold(self, context):
        key = caller_key(context)
        return (self.nodes if key.startswith("node:") else self.clients).hold(key)

    def _enter(self, context):
        """Take a place in the caller's share (released with __exit__), or refuse the call."""
        hold = self._hold(context)
        try:
            hold.__enter__()
        except BusyError as exc:
            self._refuse(context, exc)
        return hold

    @staticmethod
    def hold_back(context, refusal) -> tuple[str, float]:
        """(caller, seconds) to hold a refusal back before it is sent (api/aio_server.py): a client's refusal
        for its quota waits out its retry-after there; a node's refusal goes at once (it asks another way)."""
        key = caller_key(context)
        if refusal.code is not grpc.StatusCode.RESOURCE_EXHAUSTED or key.startswith("node:"):
            return key, 0.0
        for name, value in context.trailing:
            if name == RETRY_PUSHBACK_KEY:
                try:
                    return key, int(value) / 1000
                except ValueError:
                    return key, 0.0
        return key, 0.0

    def _refuse(self, context, exc: BusyError):
        self._refusals.refused(caller_key(context), exc)
        context.set_trailing_metadata(((RETRY_PUSHBACK_KEY, str(exc.retry_after_ms)),))
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc))

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        shares, idle, heap = self, self.idle, self.heap
        kwargs = {"request_deserializer": handler.request_deserializer,
                  "response_serializer": handler.response_serializer}

        def requests_of(requests, sid, done_when_sent: bool = False):
            for request in requests:
                idle.touch(sid)
                yield request
            if done_when_sent:
                # The client has sent everything: what follows (the last commits) is the node's own work.
                idle.close(sid)

        def call(inner, streamed_in: bool):
            def behaviour(request, context):
                hold = shares._enter(context)
                sid = None
                try:
                    sid = idle.open(context, method) if streamed_in else None
                    return inner(requests_of(request, sid, done_when_sent=True) if streamed_in else request, context)
                finally:
                    if sid is not None:
                        idle.close(sid)
                    hold.__exit__(None, None, None)
                    if streamed_in:
                        heap.after_stream()
            return behaviour

        def stream(inner, streamed_in: bool):
            def behaviour(request, context):
                hold = shares._enter(context)
                sid = None
                try:
                    sid = idle.open(context, method) if method not in NEVER_IDLE else None
                    # The next response is asked for once the last one went out: a reader that stops
                    # reading stops the progress. While the node makes the next one (a feed waiting for
                    # records, a watch for a change), the stream is not idle: that time is the node's, not
                    # the caller's. (A stream that also reads requests counts it: its handler may be waiting
                    # for the caller's next one.)
                    responses = iter(inner(requests_of(request, sid) if streamed_in else request, context))
                    while True:
                        if sid is not None and not streamed_in:
                            idle.pause(sid)
                        try:
                            response = next(responses)
                        except StopIteration:
                            break
                        if sid is not None and not streamed_in:
                            idle.touch(sid)
                        yield response
                        if sid is not None:
                            idle.touch(sid)
                finally:
                    if sid is not None:
                        idle.close(sid)
                    hold.__exit__(None, None, None)
                    heap.after_stream()
            return behaviour

        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(call(handler.unary_unary, False), **kwargs)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(stream(handler.unary_stream, False), **kwargs)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(call(handler.stream_unary, True), **kwargs)
        return grpc.stream_stream_rpc_method_handler(stream(handler.stream_stream, True), **kwargs)
