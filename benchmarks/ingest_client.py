"""The client process of the ingest benchmark: stream pre-built seizures to a node and time it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rilo_node.api.client import NodeClient, Target
from rilo_node.core.seizure import parse_submission
from rilo_node.pb.rilo.v1 import node_pb2


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--address", required=True)
    p.add_argument("--tls-dir", required=True)
    p.add_argument("--server-name", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--per-message", type=int, default=100)
    p.add_argument("--per-call", type=int, default=10_000)
    args = p.parse_args()
    tls = Path(args.tls_dir)
    subs = [parse_submission(json.loads(line)) for line in Path(args.input).read_text().splitlines()]
    messages = [node_pb2.SubmitSeizuresRequest(submissions=subs[i:i + args.per_message])
                for i in range(0, len(subs), args.per_message)]
    per_call = max(1, args.per_call // args.per_message)
    target = Target(args.address, tls / "ca.pem", tls / "client.pem", tls / "client.key", args.server_name)
    with NodeClient(target) as c:
        stored = 0
        t0 = time.perf_counter()
        for i in range(0, len(messages), per_call):
            resp = c.records.SubmitSeizures(iter(messages[i:i + per_call]), timeout=600)
            stored += resp.stored
        elapsed = time.perf_counter() - t0
    json.dump({"records": len(subs), "stored": stored, "seconds": elapsed}, sys.stdout)


if __name__ == "__main__":
    main()
