"""Per-caller quotas: so many calls at once per caller, the next refused at once with a retry-after."""

from __future__ import annotations

import pytest

from rilo_node.core.errors import BusyError
from rilo_node.node.quota import Quota


def test_a_caller_gets_its_limit_and_the_next_call_is_refused_at_once_with_a_retry_after():
    quota = Quota(2, "searches", retry_after_ms=300)
    with quota.hold("client:de:a"), quota.hold("client:de:a"):
        with pytest.raises(BusyError) as caught:
            with quota.hold("client:de:a"):
                pass
        assert caught.value.retry_after_ms == 300 and "at most 2" in str(caught.value)
        with quota.hold("client:de:b"):  # another caller is not affected
            assert quota.in_use("client:de:b") == 1
    assert quota.in_use("client:de:a") == 0


def test_a_call_that_fails_gives_its_place_back():
    quota = Quota(1, "searches")
    with pytest.raises(RuntimeError):
        with quota.hold("x"):
            raise RuntimeError("boom")
    with quota.hold("x"):
        assert quota.in_use("x") == 1
