"""Who holds one of this node's own records and who was shown it, as the network's disclosure audit
reports it: each node that may have it answers the Disclosures RPC (PeerService) from its own audit;
this node's own audit is read directly (docs/web.md, the record page)."""

from __future__ import annotations

import concurrent.futures
import logging

from rilo_node.pb.rilo.v1 import peer_pb2, record_pb2

logger = logging.getLogger(__name__)

# Each node's disclosure audit is asked with this limit and this timeout; a node that does not answer in
# time is named as such, never left out silently.
LIMIT = 10_000
TIMEOUT_S = 2.0


def record_disclosures(*, store, replicator, network, me: str, record_id: str, timeout: float = TIMEOUT_S) -> dict:
    """{"holders": nodes the policy lets hold the record, "shown": [{"node", "asker", "action", "at"}],
    "asked": nodes asked, "silent": nodes that did not answer} for own record `record_id`."""
    rec = store.get_record(me, record_id)
    if rec is None:
        return {"holders": [], "shown": [], "asked": [], "silent": []}
    header = record_pb2.RecordHeader.FromString(rec.header)
    ent = replicator.ent.of(header)
    shown = []
    for e in store.audit_entries(0, 1_000_000):
        if any(k and k[0] == me and k[1] == record_id for k in e["keys"]):
            shown.append({"node": me, "asker": e["actor"] + (f" ({e['user']})" if e.get("user") else ""),
                          "action": e["action"], "at": e["at"]})
    peers = sorted((ent.hold | ent.discover) - {me})
    silent = []

    def ask(peer: str) -> list[dict]:
        resp = network.call(peer, "Disclosures", peer_pb2.DisclosuresRequest(limit=LIMIT), timeout=timeout)
        return [{"node": peer, "asker": d.asker, "action": d.action, "at": d.at} for d in resp.disclosures
                if any(k.origin == me and k.record_id == record_id for k in d.keys)]

    if peers:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(peers))) as pool:
            futures = {peer: pool.submit(ask, peer) for peer in peers}
            for peer, fut in futures.items():
                try:
                    shown += fut.result()
                except Exception as exc:  # noqa: BLE001 - a node that cannot be asked is named as silent
                    logger.info("[peer=%s] disclosures not answered: %s", peer, exc)
                    silent.append(peer)
    shown.sort(key=lambda d: (d["at"], d["node"]))
    return {"holders": sorted(ent.hold), "shown": shown, "asked": peers, "silent": silent}
