"""A node's memory returns to about its idle level after large streams (issue 18, part 2): `rilo-node serve`
in its own process, ~18 MB of records, exports opened and left unread, then cancelled."""

from __future__ import annotations

import time
from pathlib import Path

from rilo_node.api.callers import CALLS_PER_CLIENT
from rilo_node.api.client import NodeClient, target_from_node_dir
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2
from tests.conftest import seizure_example

RECORDS = 2_000
WORDS = ["container", "cocaine", "concealed", "pallets", "declared", "manifest", "scanner", "invoice"]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def settled_rss(pid: int, seconds: float = 3.0) -> float:
    """The node's RSS once it stopped moving by more than 1 MiB for `seconds` (bounded at 60 s)."""
    deadline = time.monotonic() + 60
    last, since = rss_mib(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = rss_mib(pid)
        if abs(now - last) > 1.0:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return now
    return rss_mib(pid)


def long_seizures(n: int) -> list:
    out = []
    for i in range(n):
        text = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(1_100))[:9_000]
        out.append(parse_submission(seizure_example(case_ref=f"MEM-{i:05d}", description=text,
                                                    policy={"share": {"scope": "ORIGIN"}})))
    return out


def test_memory_returns_to_within_20_percent_of_idle_after_unread_exports(served_node):
    node = served_node("de")
    pid = node.proc.pid
    with NodeClient(target_from_node_dir(node.folder)) as c:
        subs = long_seizures(RECORDS)
        resp = c.records.SubmitSeizures(iter([node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + 250])
                                              for i in range(0, len(subs), 250)]), timeout=300)
        assert resp.stored == RECORDS
        # The idle level of a node that has served as many exports at once, each read to its end: every worker
        # that steps one keeps its own store connection and that connection's page cache (SQLite's default,
        # 2 MB), which is no leak. What is compared is what unread streams leave beyond that.
        served = [c.records.ExportRecords(node_pb2.ExportRecordsRequest(), timeout=300)
                  for _ in range(CALLS_PER_CLIENT - 1)]
        assert [sum(1 for _ in call) for call in served] == [RECORDS] * len(served)
        idle = settled_rss(pid)
        exports = []
        for _ in range(CALLS_PER_CLIENT - 1):
            call = c.records.ExportRecords(node_pb2.ExportRecordsRequest(), timeout=300)
            assert next(call).record.header  # the node sends; nothing more is read
            exports.append(call)
        busy = settled_rss(pid, seconds=1.0)
        for call in exports:
            call.cancel()
        # The exports' places come back: the next call is served (not refused over the share).
        assert c.admin.GetStatus(node_pb2.GetStatusRequest(), timeout=30).records_held == RECORDS
        deadline = time.monotonic() + 60
        after = rss_mib(pid)
        while after > idle * 1.2 and time.monotonic() < deadline:
            time.sleep(0.25)
            after = rss_mib(pid)
    assert after <= idle * 1.2, f"idle {idle:.0f} MiB, with the exports {busy:.0f} MiB, after {after:.0f} MiB"
