"""The command line honours a busy node's retry-after (RESOURCE_EXHAUSTED + grpc-retry-pushback-ms)."""

from __future__ import annotations

import argparse

import grpc
import pytest

from rilo_node.cli.connect import BUSY_RETRIES, call
from rilo_node.core.errors import CliError


class Busy(grpc.RpcError):
    def __init__(self, code=grpc.StatusCode.RESOURCE_EXHAUSTED, pushback="1"):
        self._code, self._pushback = code, pushback

    def code(self):
        return self._code

    def details(self):
        return "too many concurrent searches"

    def trailing_metadata(self):
        return (("grpc-retry-pushback-ms", self._pushback),) if self._pushback is not None else ()


def flaky(failures: list[grpc.RpcError]):
    calls = []

    def method(request, timeout=None):
        calls.append(timeout)
        if failures:
            raise failures.pop(0)
        return "answer"

    return method, calls


def test_a_busy_node_is_asked_again_after_the_time_it_gave():
    method, calls = flaky([Busy(), Busy()])
    assert call(method, object(), argparse.Namespace(timeout=30)) == "answer"
    assert len(calls) == 3


def test_a_node_busy_every_time_ends_in_an_error_after_a_few_tries():
    method, calls = flaky([Busy() for _ in range(BUSY_RETRIES + 1)])
    with pytest.raises(CliError, match="RESOURCE_EXHAUSTED"):
        call(method, object(), argparse.Namespace(timeout=30))
    assert len(calls) == BUSY_RETRIES + 1


@pytest.mark.parametrize("error", [Busy(pushback=None), Busy(code=grpc.StatusCode.UNAVAILABLE)])
def test_without_a_retry_after_or_for_another_error_there_is_no_retry(error):
    method, calls = flaky([error])
    with pytest.raises(CliError):
        call(method, object(), argparse.Namespace(timeout=30))
    assert len(calls) == 1


def test_a_streamed_request_is_never_sent_twice():
    method, calls = flaky([Busy()])
    with pytest.raises(CliError):
        call(method, iter([1, 2]), argparse.Namespace(timeout=30))
    assert len(calls) == 1
