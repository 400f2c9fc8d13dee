"""The asking node's side of HitEvaluationService.EvaluateStream: one stream to each node, kept open between
checks, on the node's event loop (node/channels.py).

A unary Evaluate costs the evaluating node a whole call: the call's setup, the caller's certificate read
again, the hand-overs between grpc's threads and a worker. On a 196-node network, where a check asks 195
nodes at once and every node shares the same two cores, that was most of the check (docs/benchmarks.md,
hitcheck). A request on a stream that is already open costs it one message each way.

- A stream is opened by the first check that asks its node, and closed once no check has used it for
  IDLE_SECONDS: below the smallest `limits.idle_stream_seconds` a node may be given (20 s), so that the
  evaluating node's watchdog (api/callers.py IdleStreams) never cancels a stream under a request.
- Each request carries an id, and is answered once by that id: with the evaluation, or with the status a
  unary Evaluate would have failed with (quota spent, a bad element), raised here as an AnswerError.
- A stream that ends before its first answer (the node holds as many as it takes, or does not know the
  method, or is away) sends the requests in hand as unary Evaluate calls, and its node is asked with
  unary calls for UNARY_SECONDS.
- A stream that ends under a request (the node stopped, the link was cut) fails the requests open on it
  as a unary call would have failed; the next check opens a new one.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field

import grpc

from rilo_node.pb.rilo.v1 import hit_pb2, hit_pb2_grpc

IDLE_SECONDS = 10.0
UNARY_SECONDS = 60.0
_CODES = {c.value[0]: c for c in grpc.StatusCode}


class AnswerError(grpc.RpcError):
    """One request's status, like a failed unary call's: code() and details()."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(details)
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class _RefusedAtStart(Exception):
    """The node would not keep a stream: ask it with a unary call."""


@dataclass(eq=False)
class _Stream:
    channel: grpc.aio.Channel
    call: grpc.aio.StreamStreamCall
    pending: dict[int, asyncio.Future] = field(default_factory=dict)
    answered: bool = False  # a first answer came: the node took the stream
    last_used: float = 0.0
    write_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    timer: asyncio.TimerHandle | None = None


class EvaluateStreams:
    """Evaluate calls to other nodes, over a stream to each that stays open between checks. On the loop only."""

    def __init__(self, channels, *, idle: float = IDLE_SECONDS, unary_for: float = UNARY_SECONDS):
        self.channels = channels
        self.idle, self.unary_for = idle, unary_for
        self._streams: dict[str, _Stream] = {}
        self._unary_until: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task] = set()  # the loop keeps only weak references to tasks

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def evaluate(self, node: str, request: hit_pb2.EvaluateRequest, timeout: float) -> hit_pb2.EvaluateResponse:
        """`node`'s answer to `request` within `timeout` seconds. Raises as a unary call would: grpc.RpcError
        (DEADLINE_EXCEEDED past the timeout), ConnectionError (a cut link, no address)."""
        deadline = time.monotonic() + timeout
        if self._unary_until.get(node, 0.0) <= time.monotonic():
            try:
                return await self._on_stream(node, request, timeout)
            except _RefusedAtStart:
                self._unary_until[node] = time.monotonic() + self.unary_for
        stub = self.channels.stub(node, hit_pb2_grpc.HitEvaluationServiceStub)
        return await stub.Evaluate(request, timeout=max(0.0, deadline - time.monotonic()))

    async def _on_stream(self, node: str, request: hit_pb2.EvaluateRequest, timeout: float) -> hit_pb2.EvaluateResponse:
        channel = self.channels.aio(node)  # ConnectionError on a cut link; a new channel when the node moved
        s = self._streams.get(node)
        if s is None or s.channel is not channel:
            s = self._open(node, channel)
        rid = next(self._ids)
        answer = asyncio.get_running_loop().create_future()
        s.pending[rid] = answer
        s.last_used = time.monotonic()
        # The write in a task of its own, shielded from the deadline: grpc.aio cancels the whole call when a
        # write is cancelled, and other checks' requests may be open on it.
        written = self._spawn(self._write(s, hit_pb2.EvaluateStreamRequest(id=rid, request=request)))
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(written)
                resp = await answer
        except TimeoutError:
            raise AnswerError(grpc.StatusCode.DEADLINE_EXCEEDED, "no answer before the deadline") from None
        finally:
            s.pending.pop(rid, None)
        if resp.code:
            raise AnswerError(_CODES.get(resp.code, grpc.StatusCode.UNKNOWN), resp.message)
        return resp.response

    @staticmethod
    async def _write(s: _Stream, msg: hit_pb2.EvaluateStreamRequest) -> None:
        try:
            async with s.write_lock:
                await s.call.write(msg)
        except (grpc.RpcError, asyncio.InvalidStateError):
            pass  # the stream has ended: its reader tells the requests open on it how

    def _open(self, node: str, channel: grpc.aio.Channel) -> _Stream:
        call = hit_pb2_grpc.HitEvaluationServiceStub(channel).EvaluateStream()
        s = self._streams[node] = _Stream(channel=channel, call=call, last_used=time.monotonic())
        self._spawn(self._read(node, s))
        self._arm(node, s)
        return s

    async def _read(self, node: str, s: _Stream) -> None:
        error: BaseException = ConnectionError(f"the evaluation stream to {node} ended")
        try:
            while True:
                resp = await s.call.read()
                if resp is grpc.aio.EOF:
                    break
                s.answered = True
                answer = s.pending.get(resp.id)
                if answer is not None and not answer.done():
                    answer.set_result(resp)
        except grpc.RpcError as exc:
            # Ended before its first answer: refused at its start (RESOURCE_EXHAUSTED when the node holds all
            # the streams it takes, UNIMPLEMENTED from an older node; and a write that raced the refusal makes
            # grpc report INTERNAL), or the node went away. Either way the requests in hand go as unary calls,
            # which report a node that is away as such.
            error = exc if s.answered else _RefusedAtStart()
        except asyncio.CancelledError:
            pass  # the channel closed (this node stops, the link is cut)
        except Exception as exc:  # noqa: BLE001 - an answer that does not parse: the requests open on it fail
            error = exc
        finally:
            if self._streams.get(node) is s:
                del self._streams[node]
            if s.timer is not None:
                s.timer.cancel()
            for answer in s.pending.values():
                if not answer.done():
                    answer.set_exception(error)

    def _arm(self, node: str, s: _Stream) -> None:
        wait = s.last_used + self.idle - time.monotonic()
        s.timer = asyncio.get_running_loop().call_later(max(1.0, wait), self._idle_check, node, s)

    def _idle_check(self, node: str, s: _Stream) -> None:
        if self._streams.get(node) is not s:
            return
        if s.pending or time.monotonic() - s.last_used < self.idle:
            self._arm(node, s)
            return
        del self._streams[node]  # a check from now on opens a new one
        self._spawn(self._close(s))

    async def close_idle(self) -> list[str]:
        """Close now every stream that has been idle for `idle` seconds (each one's timer does it in time):
        the nodes whose stream closed."""
        closed = []
        for node, s in list(self._streams.items()):
            if not s.pending and time.monotonic() - s.last_used >= self.idle:
                if s.timer is not None:
                    s.timer.cancel()
                self._idle_check(node, s)
                closed.append(node)
        return closed

    @staticmethod
    async def _close(s: _Stream) -> None:
        """End the stream the way a client ends its requests: the node's handler returns, status OK."""
        try:
            async with s.write_lock:
                await s.call.done_writing()
        except (grpc.RpcError, asyncio.InvalidStateError):
            s.call.cancel()
