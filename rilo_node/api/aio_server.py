"""The node's gRPC server on an event loop of its own (grpc.aio); each call's handler runs on a pool of
threads only while it has work to do.

With grpc's synchronous server, a call held a worker thread from its first byte to its last: a response
stream waited for a slow reader on a thread, and a refusal could only be slowed down by holding a thread.
Here the loop receives every call, and:

- a response stream waits on the loop, not on a thread, for a reader that does not read (HTTP/2 flow
  control): each response is made on a worker, and the worker is free again while it goes out;
- a client's call refused for its quota (RESOURCE_EXHAUSTED with a retry-after) is held back on the loop
  for that retry-after before the refusal is sent; one refused while another refusal of the same client
  is still held (it asks again without waiting) is held HOLD_BACK_MAX_S; never past the call's deadline.
  A client that ignores the retry-after and asks again at once so gets about one refusal per
  HOLD_BACK_MAX_S per call it keeps open, not one per round trip, and its refusals cost the node no
  thread while they wait. At most HOLD_BACK_CALLS refusals are held at once; beyond, they go out at once.

The handlers (api/*_service.py) and the interceptors (api/callers.py, access.py, errors.py) stay
synchronous, as grpc's own servicer API has them: `Bridge` runs the interceptors' chain on the loop (it
only wraps handlers) and gives each handler a `SyncContext`, the part of grpc.ServicerContext that the
node uses, on the pool that the handler's `experimental_thread_pool` names (api/callers.CallPools) or
the server's own.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import threading
import time
from collections.abc import Callable

import grpc

HOLD_BACK_MAX_S = 2.0
HOLD_BACK_CALLS = 2_000
_END = object()


class Aborted(Exception):
    """Raised by SyncContext.abort on the worker; the loop sends the status."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code, self.details = code, details


class StreamBroken(grpc.RpcError):
    """The request stream ended other than by the client's last message (the call ended, the server stops)."""


class SyncContext:
    """What a synchronous handler sees of its call, on a worker thread (grpc.ServicerContext's methods that
    the node uses)."""

    __slots__ = ("_active", "_arrived", "_auth", "_code", "_ctx", "_loop", "_peer", "_remaining", "_task",
                 "idle_cancelled", "trailing")

    def __init__(self, ctx, loop: asyncio.AbstractEventLoop, task: asyncio.Task):
        """Made on the loop, where the call is handled. What the handler asks of the call's transport (who
        the peer is, its TLS identity) is read here: grpc.aio reads it from the C call, which a worker
        must not touch once the loop may have ended the call (a client gone mid-call): a node crashed
        with a segmentation fault in auth_context() on a worker while the call was being closed. So is
        the call's deadline, with the moment the call reached the loop: a handler's time counts from
        there, not from when a worker got to it (elapsed, time_remaining)."""
        self._arrived = time.monotonic()
        self._remaining = ctx.time_remaining()
        self._ctx, self._loop, self._task = ctx, loop, task
        self._auth = ctx.auth_context()
        self._peer = ctx.peer()
        self._code: grpc.StatusCode | None = None
        self._active = True
        self.idle_cancelled = False
        self.trailing: tuple = ()
        ctx.add_done_callback(self._ended)

    def _ended(self, _ctx) -> None:
        self._active = False

    def abort(self, code: grpc.StatusCode, details: str = ""):
        self._code = code
        raise Aborted(code, details)

    def set_code(self, code: grpc.StatusCode) -> None:
        self._code = code
        self._ctx.set_code(code)

    def set_details(self, details: str) -> None:
        self._ctx.set_details(details)

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def set_trailing_metadata(self, metadata) -> None:
        self.trailing = tuple(metadata)
        self._ctx.set_trailing_metadata(self.trailing)

    def invocation_metadata(self):
        return self._ctx.invocation_metadata()

    def peer(self) -> str:
        return self._peer

    def auth_context(self):
        return self._auth

    def time_remaining(self) -> float | None:
        """Seconds left before the call's deadline (None: the client set none)."""
        if self._remaining is None:
            return None
        return max(0.0, self._remaining - (time.monotonic() - self._arrived))

    def elapsed(self) -> float:
        """Seconds since the call reached the server's loop: what waiting for a worker took comes out of a
        query's own deadline (api/services.py SearchService)."""
        return time.monotonic() - self._arrived

    def is_active(self) -> bool:
        return self._active

    def add_callback(self, callback: Callable[[], object]) -> bool:
        """callback() when the call ends (on the loop), however it ends."""
        self._ctx.add_done_callback(lambda _ctx: callback())
        return True

    def cancel(self) -> None:
        """End the call with CANCELLED (from any thread): what the idle-stream watchdog does."""
        def cancel():
            self.idle_cancelled = True
            if not self._task.done():
                self._task.cancel()
        try:
            self._loop.call_soon_threadsafe(cancel)
        except RuntimeError:  # the loop is closed: the call ended with it
            pass


class _Requests:
    """The call's request stream as a blocking iterator, for a handler on a worker thread. A message the loop
    read ahead (`read_ahead`, for a handler that answers each request as it comes) is taken without a
    hand-over; otherwise the worker has the loop read the next one and waits for it."""

    __slots__ = ("_ahead", "_ctx", "_loop", "ended")

    def __init__(self, ctx, loop: asyncio.AbstractEventLoop):
        self._ctx, self._loop = ctx, loop
        self._ahead: collections.deque = collections.deque()
        self.ended = False  # the loop read the end of the stream ahead

    async def read_ahead(self) -> None:
        """On the loop: read the next message now, unless one is waiting or the stream has ended."""
        if not self._ahead and not self.ended:
            try:
                message = await self._ctx.read()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - grpc.aio: the call ended; the worker says so
                message = StreamBroken(str(exc) or type(exc).__name__)
            self._ahead.append(message)
            self.ended = message is grpc.aio.EOF or isinstance(message, StreamBroken)

    def __iter__(self):
        return self

    def __next__(self):
        if self._ahead:
            message = self._ahead.popleft()
            if message is grpc.aio.EOF or isinstance(message, StreamBroken):
                self._ahead.append(message)  # the end, again for any later call
                if isinstance(message, StreamBroken):
                    raise message
                raise StopIteration
            return message
        try:
            future = asyncio.run_coroutine_threadsafe(self._ctx.read(), self._loop)
        except RuntimeError as exc:  # the loop is closed
            raise StreamBroken(str(exc)) from None
        try:
            # No timeout: the read ends with the call, and the loop's last step (LoopThread.stop) ends or
            # cancels every read still open.
            message = future.result()
        except concurrent.futures.CancelledError:
            raise StreamBroken("the call ended") from None
        except Exception as exc:  # noqa: BLE001 - grpc.aio: the call ended (aborted, finished, server stopped)
            raise StreamBroken(str(exc) or type(exc).__name__) from None
        if message is grpc.aio.EOF:
            raise StopIteration
        return message


class _Steps:
    """A response iterator advanced on worker threads one step at a time, and closed after its last step."""

    __slots__ = ("_it", "_lock", "_make", "done")

    def __init__(self, make: Callable[[], object]):
        self._make, self._it, self._lock = make, None, threading.Lock()
        self.done = False  # the iterator ended, or raised

    @property
    def started(self) -> bool:
        return self._it is not None

    def step(self):
        with self._lock:
            try:
                if self._it is None:
                    self._it = iter(self._make())
                item = next(self._it, _END)
            except BaseException:
                self.done = True
                raise
            if item is _END:
                self.done = True
            return item

    def close(self) -> None:
        with self._lock:  # after a step still running on another worker
            if self.done:
                return
            self.done = True
            close = getattr(self._it, "close", None)
            if close is not None:
                close()


HoldBack = Callable[[SyncContext, Aborted], tuple[str, float]]  # -> (caller, seconds)


class Bridge(grpc.aio.ServerInterceptor):
    """The only interceptor of the aio server: runs the node's synchronous interceptors (outermost first) and
    gives grpc an async handler for what they return."""

    def __init__(self, interceptors, pool: concurrent.futures.Executor, hold_back: HoldBack | None = None):
        self._interceptors = tuple(interceptors)
        self._pool = pool
        self._hold_back = hold_back
        self._cache: dict[str, tuple[grpc.RpcMethodHandler, grpc.RpcMethodHandler]] = {}
        # Counted on the loop: refusals held back now (in all, by caller) and ever; handler steps on a worker now.
        self.holding = 0
        self._holding_by: dict[str, int] = {}
        self.held = 0
        self.running = 0

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        interceptors = self._interceptors

        def chain(i: int, details):
            if i == len(interceptors):
                return handler
            return interceptors[i].intercept_service(lambda d: chain(i + 1, d), details)

        final = chain(0, handler_call_details)
        if final is None:
            return None
        method = handler_call_details.method
        cached = self._cache.get(method)
        if cached is not None and cached[0] is final:
            return cached[1]
        adapted = self._adapt(final)
        self._cache[method] = (final, adapted)
        return adapted

    def _adapt(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        kind = ("stream" if handler.request_streaming else "unary") + "_" + (
            "stream" if handler.response_streaming else "unary")
        behaviour = getattr(handler, kind)
        pool = getattr(behaviour, "experimental_thread_pool", None) or self._pool
        if getattr(behaviour, "on_loop", False) and kind == "unary_unary":
            adapted = self._on_loop(behaviour)
        elif handler.response_streaming:
            adapted = self._streaming(behaviour, pool, handler.request_streaming)
        else:
            adapted = self._unary(behaviour, pool, handler.request_streaming)
        return getattr(grpc, f"{kind}_rpc_method_handler")(
            adapted, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)

    def _on_loop(self, behaviour):
        """A handler that never blocks (a health check), run on the loop itself: no worker, no hand-over."""
        async def handle(request, context):
            sync = SyncContext(context, asyncio.get_running_loop(), asyncio.current_task())
            try:
                return behaviour(request, sync)
            except Aborted as exc:
                await self._abort(context, sync, exc)
        return handle

    def _unary(self, behaviour, pool, streamed_in: bool):
        async def handle(request, context):
            loop = asyncio.get_running_loop()
            sync = SyncContext(context, loop, asyncio.current_task())
            try:
                self.running += 1
                try:
                    return await loop.run_in_executor(
                        pool, behaviour, _Requests(context, loop) if streamed_in else request, sync)
                finally:
                    self.running -= 1
            except (Aborted, asyncio.CancelledError) as exc:
                await self._ended(context, sync, exc)
        return handle

    def _streaming(self, behaviour, pool, streamed_in: bool):
        # A handler that answers each request once, as it comes (HitEvaluationService.EvaluateStream): the
        # loop reads its next request before handing it a step, so that the worker does not hand the read
        # back to the loop and wait.
        read_ahead = streamed_in and getattr(behaviour, "answers_each_request", False)

        async def handle(request, context):
            loop = asyncio.get_running_loop()
            sync = SyncContext(context, loop, asyncio.current_task())
            requests = _Requests(context, loop) if streamed_in else None
            steps = _Steps(lambda: behaviour(requests if streamed_in else request, sync))
            try:
                while True:
                    if read_ahead and steps.started:
                        await requests.read_ahead()
                    self.running += 1
                    try:
                        item = await loop.run_in_executor(pool, steps.step)
                    finally:
                        self.running -= 1
                    if item is _END:
                        return
                    await context.write(item)
            except (Aborted, asyncio.CancelledError) as exc:
                await self._ended(context, sync, exc)
            finally:
                if not steps.done:  # the call ended under the stream: its code's `finally` runs now
                    try:
                        pool.submit(steps.close)
                    except RuntimeError:  # the pool is shut down (the node stops): close here
                        steps.close()
        return handle

    async def _ended(self, context, sync: SyncContext, exc: BaseException):
        """The handler aborted (its status goes, held back if it is a client's refusal), or the call was
        cancelled (by the node's idle watch: the caller is told; otherwise it ended already)."""
        if isinstance(exc, Aborted):
            await self._abort(context, sync, exc)
            return
        if sync.idle_cancelled:
            await context.abort(grpc.StatusCode.CANCELLED, "no progress: cancelled by the node")
        raise exc

    async def _abort(self, context, sync: SyncContext, exc: Aborted):
        caller, wait = "", 0.0
        if self._hold_back is not None and self.holding < HOLD_BACK_CALLS:
            caller, wait = self._hold_back(sync, exc)
            if wait > 0 and self._holding_by.get(caller):
                wait = HOLD_BACK_MAX_S  # it asks again while a refusal of its own still waits
            wait = min(wait, HOLD_BACK_MAX_S)
            left = sync.time_remaining()
            if left is not None:
                wait = min(wait, left - 0.05)
        if wait > 0:
            self.held += 1
            self.holding += 1
            self._holding_by[caller] = self._holding_by.get(caller, 0) + 1
            try:
                await asyncio.sleep(wait)
            finally:
                self.holding -= 1
                left = self._holding_by[caller] - 1
                if left:
                    self._holding_by[caller] = left
                else:
                    del self._holding_by[caller]
        await context.abort(exc.code, exc.details)


class LoopThread:
    """An event loop running on a thread of its own."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float | None = None):
        """Run coro on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Let what is still on the loop end (up to `timeout`, then cancel it), then stop the loop."""
        if self.loop.is_closed():
            return

        async def drain():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if tasks:
                _done, pending = await asyncio.wait(tasks, timeout=timeout)
                for task in pending:
                    task.cancel()
                if pending:
                    await asyncio.wait(pending, timeout=1.0)

        try:
            self.run(drain(), timeout + 2.0)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout)
        if not self.thread.is_alive():
            self.loop.close()
